"""libharmony: OpenAI's Harmony format (the prompt and response format of gpt-oss).

The public API is the one of ``openai_harmony`` 0.0.8 -- same names, same signatures, same
results -- on libharmony's Rust core, with the vocabulary embedded (nothing is downloaded or
read from disk). Code written for ``openai_harmony`` runs unchanged after::

    import libharmony as openai_harmony

The data classes (``Message``, ``SystemContent``, ...) are plain Python classes with the
fields, defaults, builders, equality and ``to_dict``/``from_dict`` of 0.0.8's pydantic models;
everything Harmony-specific (rendering, parsing, tokenising) happens in the extension module
``libharmony._libharmony``. Extras: :mod:`libharmony.chat_completions` (the OpenAI Chat
Completions bridge and its grammars), :mod:`libharmony.responses` (the OpenAI Responses API
bridge), ``StreamableParser.process_tokens`` (a batch of tokens in one call) and
``HarmonyError.status``.
"""

from __future__ import annotations

import collections.abc as _abc
import functools
import json
from enum import Enum
TYPE_CHECKING = False
if TYPE_CHECKING:  # typing's names are only needed by type checkers (import time matters)
    from typing import (
        AbstractSet,
        Any,
        ClassVar,
        Collection,
        Dict,
        Iterator,
        List,
        Literal,
        Mapping,
        Optional,
        Sequence,
        Tuple,
        TypeVar,
        Union,
    )

    _M = TypeVar("_M", bound="_Model")

from . import _libharmony
from ._libharmony import HarmonyError

__version__: str = _libharmony.__version__

class ValidationError(ValueError):
    """A model was given a value of the wrong type (pydantic's ``ValidationError`` in 0.0.8;
    both are ``ValueError`` subclasses and carry the same message text)."""


# ---------------------------------------------------------------------------
# Enums
# ---------------------------------------------------------------------------


class Role(str, Enum):
    """The role of a message's author."""

    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"
    DEVELOPER = "developer"
    TOOL = "tool"

    @classmethod
    def _missing_(cls, value: object) -> "Role":
        raise ValueError(f"Unknown role: {value!r}")


class ReasoningEffort(str, Enum):
    """Reasoning effort announced in the system message."""

    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"


class StreamState(Enum):
    """Where a :class:`StreamableParser` is within the current message."""

    EXPECT_START = "ExpectStart"
    HEADER = "Header"
    CONTENT = "Content"


class HarmonyEncodingName(str, Enum):
    """Names accepted by :func:`load_harmony_encoding`."""

    HARMONY_GPT_OSS = "HarmonyGptOss"

    def __str__(self) -> str:
        return str(self.value)


# ---------------------------------------------------------------------------
# Data model: small keyword-constructed classes with value equality
# ---------------------------------------------------------------------------


class _Model:
    """Base of the data classes: keyword construction with defaults (unknown keywords are
    ignored, as pydantic does), equality by type and fields, ``model_dump``/``model_copy``."""

    _fields: ClassVar[Tuple[str, ...]] = ()

    def __init__(self, **data: Any) -> None:
        for name in self._fields:
            if name in data:
                value = data[name]
            else:
                value = self._default(name)
            object.__setattr__(self, name, self._coerce(name, value))

    def _default(self, name: str) -> Any:
        raise ValidationError(f"1 validation error for {type(self).__name__}\n{name}\n  Field required")

    def _coerce(self, name: str, value: Any) -> Any:
        return value

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self._fields)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
        return f"{type(self).__name__}({inner})"

    def model_dump(self, *, exclude_none: bool = False) -> Dict[str, Any]:
        """The fields as a dict, nested models as dicts (pydantic's ``model_dump``)."""
        out: Dict[str, Any] = {}
        for f in self._fields:
            value = _dump(getattr(self, f), exclude_none)
            if value is None and exclude_none:
                continue
            out[f] = value
        return out

    def model_copy(self: _M, *, deep: bool = False) -> _M:
        """A copy of this object (deep with ``deep=True``)."""
        import copy

        return copy.deepcopy(self) if deep else copy.copy(self)


def _dump(value: Any, exclude_none: bool) -> Any:
    if isinstance(value, _Model):
        return value.model_dump(exclude_none=exclude_none)
    if isinstance(value, list):
        return [_dump(v, exclude_none) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v, exclude_none) for k, v in value.items()}
    return value


def _make(cls: type, **fields: Any) -> Any:
    """An instance of ``cls`` from fields already of the right types (the parsers' output),
    without the constructor's checks."""
    obj: Any = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


def _model(cls: type, value: Any, field: str, owner: str) -> Any:
    """``value`` as an instance of ``cls``: instances pass, dicts are constructed, anything
    else is a ValidationError worded like pydantic's."""
    if isinstance(value, cls):
        return value
    if isinstance(value, _abc.Mapping):
        return cls(**value)
    raise ValidationError(
        f"1 validation error for {owner}\n{field}\n"
        f"  Input should be a valid dictionary or instance of {cls.__name__} "
        f"[type=model_type, input_value={value!r}, input_type={type(value).__name__}]"
    )


def _tools(value: Any, owner: str) -> Optional[Dict[str, "ToolNamespaceConfig"]]:
    if value is None:
        return None
    return {k: _model(ToolNamespaceConfig, v, f"tools.{k}", owner) for k, v in dict(value).items()}


class Author(_Model):
    """A message's author: a role and, optionally, a name (required for tools)."""

    _fields = ("role", "name")
    role: Role
    name: Optional[str]

    def __init__(self, *, role: Union[Role, str], name: Optional[str] = None, **extra: Any) -> None:
        super().__init__(role=role, name=name)

    def _coerce(self, name: str, value: Any) -> Any:
        return Role(value) if name == "role" else value

    @classmethod
    def new(cls, role: Role, name: str) -> "Author":
        return cls(role=role, name=name)


class Content(_Model):
    """Base class of the content parts of a message."""

    def to_dict(self) -> Dict[str, Any]:
        raise NotImplementedError


class TextContent(Content):
    """Plain text content."""

    _fields = ("text",)
    _kind = "text"  # read by the extension's direct renderer
    text: str

    def __init__(self, *, text: str, **extra: Any) -> None:
        super().__init__(text=text)

    def to_dict(self) -> Dict[str, Any]:
        return {"type": "text", "text": self.text}


class ToolDescription(_Model):
    """One tool: a name, a description and optional JSON-Schema parameters."""

    _fields = ("name", "description", "parameters")
    name: str
    description: str
    parameters: Optional[Dict[str, Any]]

    def __init__(
        self, *, name: str, description: str, parameters: Optional[Dict[str, Any]] = None, **extra: Any
    ) -> None:
        super().__init__(name=name, description=description, parameters=parameters)

    @classmethod
    def new(cls, name: str, description: str, parameters: Optional[Dict[str, Any]] = None) -> "ToolDescription":
        return cls(name=name, description=description, parameters=parameters)


class ChannelConfig(_Model):
    """Which channels the model may write to."""

    _fields = ("valid_channels", "channel_required")
    valid_channels: List[str]
    channel_required: bool

    def __init__(self, *, valid_channels: List[str], channel_required: bool, **extra: Any) -> None:
        super().__init__(valid_channels=list(valid_channels), channel_required=channel_required)

    @classmethod
    def require_channels(cls, channels: List[str]) -> "ChannelConfig":
        return cls(valid_channels=channels, channel_required=True)


class ToolNamespaceConfig(_Model):
    """A namespace of tools (``functions``, ``browser``, ``python``, ...)."""

    _fields = ("name", "description", "tools")
    name: str
    description: Optional[str]
    tools: List[ToolDescription]

    def __init__(
        self, *, name: str, tools: Sequence[Union[ToolDescription, Dict[str, Any]]], description: Optional[str] = None,
        **extra: Any,
    ) -> None:
        super().__init__(name=name, description=description, tools=tools)

    def _coerce(self, name: str, value: Any) -> Any:
        if name == "tools":
            return [_model(ToolDescription, t, f"tools.{i}", "ToolNamespaceConfig") for i, t in enumerate(value)]
        return value

    @staticmethod
    def browser() -> "ToolNamespaceConfig":
        """The built-in browser tool (search, open, find)."""
        return ToolNamespaceConfig(**json.loads(_libharmony.tool_namespace_config("browser")))

    @staticmethod
    def python() -> "ToolNamespaceConfig":
        """The built-in python tool."""
        return ToolNamespaceConfig(**json.loads(_libharmony.tool_namespace_config("python")))


_DEFAULT_IDENTITY = "You are ChatGPT, a large language model trained by OpenAI."
_DEFAULT_CHANNELS: Any = object()  # sentinel: "not given" (None means "no channel config")


class SystemContent(Content):
    """Content of a system message; ``SystemContent.new()`` has gpt-oss's defaults."""

    _fields = (
        "model_identity",
        "reasoning_effort",
        "conversation_start_date",
        "knowledge_cutoff",
        "channel_config",
        "tools",
    )
    _kind = "system_content"
    model_identity: Optional[str]
    reasoning_effort: Optional[ReasoningEffort]
    conversation_start_date: Optional[str]
    knowledge_cutoff: Optional[str]
    channel_config: Optional[ChannelConfig]
    tools: Optional[Dict[str, ToolNamespaceConfig]]

    def __init__(
        self,
        *,
        model_identity: Optional[str] = _DEFAULT_IDENTITY,
        reasoning_effort: Optional[Union[ReasoningEffort, str]] = ReasoningEffort.MEDIUM,
        conversation_start_date: Optional[str] = None,
        knowledge_cutoff: Optional[str] = "2024-06",
        channel_config: Optional[Union[ChannelConfig, Dict[str, Any]]] = _DEFAULT_CHANNELS,
        tools: Optional[Mapping[str, Union[ToolNamespaceConfig, Dict[str, Any]]]] = None,
        **extra: Any,
    ) -> None:
        if channel_config is _DEFAULT_CHANNELS:
            channel_config = ChannelConfig.require_channels(["analysis", "commentary", "final"])
        super().__init__(
            model_identity=model_identity,
            reasoning_effort=reasoning_effort,
            conversation_start_date=conversation_start_date,
            knowledge_cutoff=knowledge_cutoff,
            channel_config=channel_config,
            tools=tools,
        )

    def _coerce(self, name: str, value: Any) -> Any:
        if value is None:
            return None
        if name == "reasoning_effort":
            return ReasoningEffort(value)
        if name == "channel_config":
            return _model(ChannelConfig, value, name, "SystemContent")
        if name == "tools":
            return _tools(value, "SystemContent")
        return value

    @classmethod
    def new(cls) -> "SystemContent":
        return cls()

    def with_model_identity(self, model_identity: str) -> "SystemContent":
        self.model_identity = model_identity
        return self

    def with_reasoning_effort(self, reasoning_effort: ReasoningEffort) -> "SystemContent":
        self.reasoning_effort = reasoning_effort
        return self

    def with_conversation_start_date(self, conversation_start_date: str) -> "SystemContent":
        self.conversation_start_date = conversation_start_date
        return self

    def with_knowledge_cutoff(self, knowledge_cutoff: str) -> "SystemContent":
        self.knowledge_cutoff = knowledge_cutoff
        return self

    def with_channel_config(self, channel_config: ChannelConfig) -> "SystemContent":
        self.channel_config = channel_config
        return self

    def with_required_channels(self, channels: List[str]) -> "SystemContent":
        self.channel_config = ChannelConfig.require_channels(channels)
        return self

    def with_tools(self, ns_config: ToolNamespaceConfig) -> "SystemContent":
        if self.tools is None:
            self.tools = {}
        self.tools[ns_config.name] = ns_config
        return self

    def with_browser_tool(self) -> "SystemContent":
        return self.with_tools(ToolNamespaceConfig.browser())

    def with_python_tool(self) -> "SystemContent":
        return self.with_tools(ToolNamespaceConfig.python())

    def to_dict(self) -> Dict[str, Any]:
        out = self.model_dump(exclude_none=True)
        out["type"] = "system_content"
        return out

    @classmethod
    def from_dict(cls, raw: Dict[str, Any]) -> "SystemContent":
        return cls(**raw)


class DeveloperContent(Content):
    """Content of a developer message: instructions and tools."""

    _fields = ("instructions", "tools")
    _kind = "developer_content"
    instructions: Optional[str]
    tools: Optional[Dict[str, ToolNamespaceConfig]]

    def __init__(
        self,
        *,
        instructions: Optional[str] = None,
        tools: Optional[Mapping[str, Union[ToolNamespaceConfig, Dict[str, Any]]]] = None,
        **extra: Any,
    ) -> None:
        super().__init__(instructions=instructions, tools=tools)

    def _coerce(self, name: str, value: Any) -> Any:
        return _tools(value, "DeveloperContent") if name == "tools" else value

    @classmethod
    def new(cls) -> "DeveloperContent":
        return cls()

    def with_instructions(self, instructions: str) -> "DeveloperContent":
        self.instructions = instructions
        return self

    def with_tools(self, ns_config: ToolNamespaceConfig) -> "DeveloperContent":
        if self.tools is None:
            self.tools = {}
        self.tools[ns_config.name] = ns_config
        return self

    def with_function_tools(self, tools: Sequence[ToolDescription]) -> "DeveloperContent":
        return self.with_tools(ToolNamespaceConfig(name="functions", description=None, tools=list(tools)))

    def to_dict(self) -> Dict[str, Any]:
        out = self.model_dump(exclude_none=True)
        out["type"] = "developer_content"
        return out

    @classmethod
    def from_dict(cls, raw: Dict[str, Any]) -> "DeveloperContent":
        return cls(**raw)


def _content_from_dict(raw: Mapping[str, Any]) -> Content:
    kind = raw.get("type")
    if kind == "text":
        return TextContent(**raw)
    if kind == "system_content":
        return SystemContent(**raw)
    if kind == "developer_content":
        return DeveloperContent(**raw)
    raise ValueError(f"Unknown content variant: {raw}")


class Message(_Model):
    """One Harmony message: author, content parts, and optional channel, recipient and
    content type."""

    _fields = ("author", "content", "channel", "recipient", "content_type")
    author: Author
    content: List[Content]
    channel: Optional[str]
    recipient: Optional[str]
    content_type: Optional[str]

    def __init__(
        self,
        *,
        author: Union[Author, Dict[str, Any]],
        content: Optional[Sequence[Content]] = None,
        channel: Optional[str] = None,
        recipient: Optional[str] = None,
        content_type: Optional[str] = None,
        **extra: Any,
    ) -> None:
        super().__init__(
            author=author,
            content=[] if content is None else content,
            channel=channel,
            recipient=recipient,
            content_type=content_type,
        )

    def _coerce(self, name: str, value: Any) -> Any:
        if name == "author":
            return _model(Author, value, name, "Message")
        if name == "content":
            return [_model(Content, c, f"content.{i}", "Message") for i, c in enumerate(value)]
        return value

    @classmethod
    def from_author_and_content(cls, author: Author, content: Union[str, Content]) -> "Message":
        if isinstance(content, str):
            content = TextContent(text=content)
        return cls(author=author, content=[content])

    @classmethod
    def from_role_and_content(cls, role: Role, content: Union[str, Content]) -> "Message":
        return cls.from_author_and_content(Author(role=role), content)

    @classmethod
    def from_role_and_contents(cls, role: Role, contents: Sequence[Content]) -> "Message":
        return cls(author=Author(role=role), content=list(contents))

    def adding_content(self, content: Union[str, Content]) -> "Message":
        if isinstance(content, str):
            content = TextContent(text=content)
        self.content.append(content)
        return self

    def with_channel(self, channel: str) -> "Message":
        self.channel = channel
        return self

    def with_recipient(self, recipient: str) -> "Message":
        self.recipient = recipient
        return self

    def with_content_type(self, content_type: str) -> "Message":
        self.content_type = content_type
        return self

    def to_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {
            "role": self.author.role,
            "name": self.author.name,
            "content": [c.to_dict() for c in self.content],
        }
        if self.channel is not None:
            out["channel"] = self.channel
        if self.recipient is not None:
            out["recipient"] = self.recipient
        if self.content_type is not None:
            out["content_type"] = self.content_type
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Message":
        raw_content = data["content"]
        if isinstance(raw_content, str):  # the wire format's shortcut for one text part
            contents: List[Content] = [_make(TextContent, text=raw_content)]
        else:
            contents = [_content_from_dict(raw) for raw in raw_content]
        name = data.get("name")
        if cls is not Message or (name is not None and not isinstance(name, str)):
            return cls(
                author=Author(role=Role(data["role"]), name=name),
                content=contents,
                channel=data.get("channel"),
                recipient=data.get("recipient"),
                content_type=data.get("content_type"),
            )
        return _make(  # type: ignore[no-any-return]
            Message,
            author=_make(Author, role=Role(data["role"]), name=name),
            content=contents,
            channel=data.get("channel"),
            recipient=data.get("recipient"),
            content_type=data.get("content_type"),
        )


class Conversation(_Model):
    """A list of messages."""

    _fields = ("messages",)
    messages: List[Message]

    def __init__(self, *, messages: Optional[Sequence[Union[Message, Dict[str, Any]]]] = None, **extra: Any) -> None:
        super().__init__(messages=[] if messages is None else messages)

    def _coerce(self, name: str, value: Any) -> Any:
        return [_model(Message, m, f"messages.{i}", "Conversation") for i, m in enumerate(value)]

    @classmethod
    def from_messages(cls, messages: Sequence[Message]) -> "Conversation":
        return cls(messages=list(messages))

    def __iter__(self) -> Iterator[Message]:
        return iter(self.messages)

    def to_dict(self) -> Dict[str, Any]:
        return {"messages": [m.to_dict() for m in self.messages]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, payload: str) -> "Conversation":
        data = json.loads(payload)
        return cls(messages=[Message.from_dict(m) for m in data["messages"]])


class RenderConversationConfig(_Model):
    """Options of the conversation renderers."""

    _fields = ("auto_drop_analysis",)
    auto_drop_analysis: bool

    def __init__(self, *, auto_drop_analysis: bool = True, **extra: Any) -> None:
        super().__init__(auto_drop_analysis=auto_drop_analysis)


class RenderOptions(_Model):
    """Options of :meth:`HarmonyEncoding.render`."""

    _fields = ("conversation_has_function_tools",)
    conversation_has_function_tools: bool

    def __init__(self, *, conversation_has_function_tools: bool = False, **extra: Any) -> None:
        super().__init__(conversation_has_function_tools=conversation_has_function_tools)


# ---------------------------------------------------------------------------
# Encoding and parser
# ---------------------------------------------------------------------------


def _messages(raw_json: str) -> List[Message]:
    return [Message.from_dict(m) for m in json.loads(raw_json)]


class HarmonyEncoding:
    """The gpt-oss encoding: rendering, parsing, encoding and decoding."""

    def __init__(self, inner: _libharmony.Encoding) -> None:
        self._inner = inner

    def __repr__(self) -> str:
        return f"<libharmony.HarmonyEncoding {self.name!r}>"

    @property
    def name(self) -> str:
        return self._inner.name

    @functools.cached_property
    def special_tokens_set(self) -> set[str]:
        return set(self._inner.special_tokens())

    # Each render reads the objects directly in the extension; objects it does not recognise
    # (e.g. attributes replaced by other types) go through JSON, as in 0.0.8.

    def render_conversation_for_completion(
        self,
        conversation: Conversation,
        next_turn_role: Role,
        config: Optional[RenderConversationConfig] = None,
    ) -> List[int]:
        """The tokens of ``conversation`` followed by the header of ``next_turn_role``'s turn."""
        drop = True if config is None else config.auto_drop_analysis
        role = str(next_turn_role.value)
        tokens = self._inner.render_objects(conversation, "completion", role, drop)
        if tokens is None:
            tokens = self._inner.render_conversation_for_completion(conversation.to_json(), role, drop)
        return tokens

    def render_conversation(
        self, conversation: Conversation, config: Optional[RenderConversationConfig] = None
    ) -> List[int]:
        """The tokens of ``conversation`` (no next-turn header)."""
        drop = True if config is None else config.auto_drop_analysis
        tokens = self._inner.render_objects(conversation, "conversation", None, drop)
        if tokens is None:
            tokens = self._inner.render_conversation(conversation.to_json(), drop)
        return tokens

    def render_conversation_for_training(
        self, conversation: Conversation, config: Optional[RenderConversationConfig] = None
    ) -> List[int]:
        """Like :meth:`render_conversation`, a final assistant message ending in ``<|return|>``."""
        drop = True if config is None else config.auto_drop_analysis
        tokens = self._inner.render_objects(conversation, "training", None, drop)
        if tokens is None:
            tokens = self._inner.render_conversation_for_training(conversation.to_json(), drop)
        return tokens

    def render(self, message: Message, render_options: Optional[RenderOptions] = None) -> List[int]:
        """The tokens of one message."""
        has_tools = False if render_options is None else render_options.conversation_has_function_tools
        tokens = self._inner.render_message_object(message, has_tools)
        if tokens is None:
            tokens = self._inner.render(message.to_json(), has_tools)
        return tokens

    def parse_messages_from_completion_tokens(
        self,
        tokens: Sequence[int],
        role: Optional[Role] = None,
        *,
        strict: bool = True,
        recover: bool = False,
    ) -> List[Message]:
        """Completion tokens → messages. With ``role`` the tokens start inside the header of a
        message by that role (as after :meth:`render_conversation_for_completion`);
        ``strict=False`` accepts a first message whose header a stop token cut short."""
        raw = self._inner.parse_messages_from_completion_tokens(
            list(tokens), None if role is None else str(role.value), strict, recover
        )
        return _messages(raw)

    def decode_utf8(self, tokens: Sequence[int]) -> str:
        """Decodes tokens; raises HarmonyError on invalid UTF-8 (see :meth:`decode`)."""
        return self._inner.decode_utf8(list(tokens))

    def encode(
        self,
        text: str,
        *,
        allowed_special: Union[Literal["all"], AbstractSet[str]] = set(),
        disallowed_special: Union[Literal["all"], Collection[str]] = "all",
    ) -> List[int]:
        """Encodes a string into tokens (tiktoken's rules: special-token spellings raise
        HarmonyError unless allowed; ``disallowed_special=()`` encodes them as text)."""
        if allowed_special == "all":
            allowed = list(self.special_tokens_set)
        else:
            allowed = list(allowed_special)
        if disallowed_special == "all":
            disallowed: Optional[List[str]] = None if allowed_special == "all" else list(
                self.special_tokens_set - set(allowed)
            )
        else:
            disallowed = list(disallowed_special) or None
        try:
            return self._inner.encode(text, allowed, disallowed)
        except UnicodeEncodeError:
            text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
            return self._inner.encode(text, allowed, disallowed)

    def decode(self, tokens: Sequence[int], errors: str = "replace") -> str:
        """Decodes tokens, invalid UTF-8 handled by ``errors`` (default: replaced)."""
        return self._inner.decode_bytes(list(tokens)).decode("utf-8", errors=errors)

    def is_special_token(self, token: int) -> bool:
        return self._inner.is_special_token(token)

    def stop_tokens(self) -> List[int]:
        """``<|return|>``, ``<|call|>`` and ``<|end|>``."""
        return self._inner.stop_tokens()

    def stop_tokens_for_assistant_actions(self) -> List[int]:
        """``<|return|>`` and ``<|call|>``."""
        return self._inner.stop_tokens_for_assistant_actions()


class StreamableParser(_libharmony.StreamParser):
    """Incremental parser over completion tokens: feed tokens with :meth:`process`, read the
    state and the deltas at any point, end with :meth:`process_eos`.

    ``process``, ``process_eos``, ``process_tokens`` (a batch in one call, GIL released) and
    the string properties (``current_content``, ``current_content_type``, ``current_recipient``,
    ``current_channel``, ``last_content_delta``) and ``tokens`` come straight from the
    extension; ``process*`` return the parser itself."""

    def __init__(
        self, encoding: HarmonyEncoding, role: Optional[Role], *, strict: bool = True, recover: bool = False
    ) -> None:
        # The extension's constructor (__new__) has already built the parser from these arguments.
        pass

    @property
    def current_role(self) -> Optional[Role]:
        raw = self.current_role_name
        return None if raw is None else Role(raw)

    @property
    def messages(self) -> List[Message]:
        return _messages(self.messages_json)

    @property
    def state_data(self) -> Dict[str, Any]:
        """The parser's state as a dict (0.0.8's JSON shape; see the README for two details)."""
        result: Dict[str, Any] = json.loads(self.state_json())
        return result

    @property
    def state(self) -> StreamState:
        return StreamState(self.state_name)


# `process` and `last_content_delta` as descriptors of this class itself (not only of the
# extension's base class), so that CPython's specialised calls reach them directly.
_libharmony.install_fast_paths(StreamableParser)


def load_harmony_encoding(name: Union[str, HarmonyEncodingName]) -> HarmonyEncoding:
    """The encoding named ``name`` (``HarmonyEncodingName.HARMONY_GPT_OSS``). The vocabulary is
    embedded in the library: nothing is downloaded or read."""
    if not isinstance(name, str):
        name = str(name)
    try:
        return HarmonyEncoding(_libharmony.Encoding(str(name)))
    except HarmonyError:
        raise ValueError(f"Invalid HarmonyEncodingName: {name}") from None


__all__ = [
    "Role",
    "Author",
    "Content",
    "TextContent",
    "DeveloperContent",
    "ToolDescription",
    "SystemContent",
    "Message",
    "Conversation",
    "HarmonyEncoding",
    "HarmonyEncodingName",
    "load_harmony_encoding",
    "StreamableParser",
    "StreamState",
    "HarmonyError",
    # Also public in 0.0.8 (not in its __all__):
    "ChannelConfig",
    "ReasoningEffort",
    "RenderConversationConfig",
    "RenderOptions",
    "ToolNamespaceConfig",
    # libharmony's own:
    "ValidationError",
]
