"""The OpenAI Responses API bridge: a ``/v1/responses`` request → the prompt tokens gpt-oss
expects, and completion tokens → a ``response`` object or the streaming events the OpenAI SDK
consumes (``response.created``, …, ``response.completed`` / ``response.incomplete``). The
mapping is libharmony's (``harmony::responses``); see the README.

Options (all optional keywords): ``conversation_start_date`` (``YYYY-MM-DD``), ``model``,
``id``, ``created_at`` (the response fields) and ``response_fields`` (extra fields of every
response object, e.g. the request's ``tools``, ``tool_choice``, ``parallel_tool_calls``; the
last two are honoured on the output side).
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from . import _libharmony

__all__ = ["render_request", "parse_response", "stream_events", "ResponsesStream"]


def _options(options: Mapping[str, Any]) -> str:
    return json.dumps(dict(options)) if options else ""


def _request(request: Union[str, Mapping[str, Any]]) -> str:
    return request if isinstance(request, str) else json.dumps(request)


def render_request(request: Union[str, Mapping[str, Any]], **options: Any) -> list[int]:
    """The prompt tokens of a Responses API request (a dict or its JSON text)."""
    return _libharmony.responses_render_request(_request(request), _options(options))


def parse_response(tokens: Sequence[int], **options: Any) -> Dict[str, Any]:
    """Completion tokens → the ``response`` object as a dict (the ``response`` of the last
    streaming event)."""
    result: Dict[str, Any] = json.loads(_libharmony.responses_parse_response(list(tokens), _options(options)))
    return result


def stream_events(tokens: Sequence[int], **options: Any) -> List[Dict[str, Any]]:
    """Completion tokens → every streaming event a client would receive, in order."""
    events: List[Dict[str, Any]] = json.loads(_libharmony.responses_stream_events(list(tokens), _options(options)))
    return events


class ResponsesStream:
    """Completion tokens → Responses API streaming event dicts, one token at a time."""

    def __init__(self, **options: Any) -> None:
        self._inner = _libharmony.ResponsesStream(_options(options))

    def __repr__(self) -> str:
        return "<libharmony.responses.ResponsesStream>"

    def process(self, token: int) -> List[Dict[str, Any]]:
        """The events this token produces (often none)."""
        events: List[Dict[str, Any]] = json.loads(self._inner.process(token))
        return events

    def finish(self) -> List[Dict[str, Any]]:
        """The last events, ending with ``response.completed`` or ``response.incomplete``."""
        events: List[Dict[str, Any]] = json.loads(self._inner.finish())
        return events

    @property
    def repairs(self) -> int:
        """How many repairs the parse has made to malformed model output so far."""
        return self._inner.repairs

    def force_answer(self, function: Optional[str] = None) -> List[int]:
        """The tokens that end the reasoning now and open the final answer (or a call of
        ``function``), for a thinking budget: inject them and feed them to :meth:`process`."""
        return self._inner.force_answer(function)
