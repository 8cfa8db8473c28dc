"""The OpenAI Chat Completions bridge: a request → the prompt tokens gpt-oss expects, and
completion tokens → a ``chat.completion`` response or a stream of ``chat.completion.chunk``
objects. The mapping is libharmony's (``harmony::chat_completions``); see the README.

Options (all optional keywords): ``conversation_start_date`` (``YYYY-MM-DD``), ``model``,
``id``, ``created`` (the response fields) and ``fix_constrain_recipient``.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Optional, Sequence, Union

from . import _libharmony

__all__ = ["render_request", "parse_response", "ChatStream"]


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
