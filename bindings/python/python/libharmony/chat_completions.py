"""The OpenAI Chat Completions bridge: a request → the prompt tokens gpt-oss expects, and
completion tokens → a ``chat.completion`` response or a stream of ``chat.completion.chunk``
objects; and :func:`grammar`, the grammar of the completion a request permits (for
constrained decoding). The mapping is libharmony's (``harmony::chat_completions``,
``harmony::grammar``); see the README.

Options (all optional keywords): ``conversation_start_date`` (``YYYY-MM-DD``), ``model``,
``id``, ``created`` (the response fields) and ``fix_constrain_recipient``.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Literal, Mapping, Optional, Sequence, Union

from . import _libharmony

__all__ = ["render_request", "parse_response", "ChatStream", "grammar"]


def _options(options: Mapping[str, Any]) -> str:
    return json.dumps(dict(options)) if options else ""


def _request(request: Union[str, Mapping[str, Any]]) -> str:
    return request if isinstance(request, str) else json.dumps(request)


def render_request(request: Union[str, Mapping[str, Any]], **options: Any) -> list[int]:
    """The prompt tokens of a Chat Completions request (a dict or its JSON text)."""
    return _libharmony.chat_render_request(_request(request), _options(options))


def parse_response(tokens: Sequence[int], **options: Any) -> Dict[str, Any]:
    """Completion tokens → the ``chat.completion`` response as a dict."""
    result: Dict[str, Any] = json.loads(_libharmony.chat_parse_response(list(tokens), _options(options)))
    return result


class ChatStream:
    """Completion tokens → ``chat.completion.chunk`` dicts, one token at a time."""

    def __init__(self, **options: Any) -> None:
        self._inner = _libharmony.ChatStream(_options(options))
        # The per-token call goes straight to the extension, which builds the chunk dict
        # itself (what json.loads makes of the chunk's JSON): no Python frame, no JSON text
        # parsed in Python. The methods below say what they do (and serve type checkers).
        self.process = self._inner.process_object  # type: ignore[method-assign]
        self.finish = self._inner.finish_object  # type: ignore[method-assign]

    def __repr__(self) -> str:
        return "<libharmony.chat_completions.ChatStream>"

    def process(self, token: int) -> Optional[Dict[str, Any]]:
        """The chunk this token produces, if any."""
        raw = self._inner.process(token)
        if raw is None:
            return None
        chunk: Dict[str, Any] = json.loads(raw)
        return chunk

    def finish(self) -> Dict[str, Any]:
        """The final chunk, carrying the finish reason (``stop``, ``tool_calls`` or ``length``)."""
        chunk: Dict[str, Any] = json.loads(self._inner.finish())
        return chunk

    @property
    def repairs(self) -> int:
        """How many repairs the parse has made to malformed model output so far."""
        return self._inner.repairs

    def force_answer(self, function: Optional[str] = None) -> List[int]:
        """The tokens that end the reasoning now and open the final answer (or a call of
        ``function``), for a thinking budget: inject them and feed them to :meth:`process`."""
        return self._inner.force_answer(function)


def grammar(
    request: Union[str, Mapping[str, Any]],
    format: Literal["lark", "gbnf", "xgrammar"] = "lark",
    **options: Any,
) -> str:
    """The grammar of the completion a Chat Completions request (a dict or its JSON text)
    permits: llguidance Lark, llama.cpp GBNF or an xgrammar structural tag (JSON text).
    Options: ``reasoning`` (``"optional"``, ``"required"`` or ``"none"``) and ``lazy`` (GBNF
    only: just the tool calls, for llama.cpp's lazy grammars)."""
    return _libharmony.chat_grammar(_request(request), format, _options(options))
