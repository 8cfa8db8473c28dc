"""``import libharmony.compat as openai_harmony``: the openai_harmony 0.0.8 names only.

The top-level ``libharmony`` package is itself a drop-in replacement (``import libharmony as
openai_harmony``); this module re-exports exactly 0.0.8's public names, for code that wants
nothing else in the namespace.
"""

from . import (
    Author,
    ChannelConfig,
    Content,
    Conversation,
    DeveloperContent,
    HarmonyEncoding,
    HarmonyEncodingName,
    HarmonyError,
    Message,
    ReasoningEffort,
    RenderConversationConfig,
    RenderOptions,
    Role,
    StreamableParser,
    StreamState,
    SystemContent,
    TextContent,
    ToolDescription,
    ToolNamespaceConfig,
    load_harmony_encoding,
)

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
    "ChannelConfig",
    "ReasoningEffort",
    "RenderConversationConfig",
    "RenderOptions",
    "ToolNamespaceConfig",
]
