"""The provider core: typed events, provider base classes, the catalog and the chat runner."""

from .events import parse_line, to_wire
from .provider import AsyncGeneratorProvider, Provider, ProviderModelMixin, ProviderSpec
from .registry import Registry, get_registry
from .runner import ChatRequest, plan_chat, run_chat

__all__ = [
    "AsyncGeneratorProvider",
    "ChatRequest",
    "Provider",
    "ProviderModelMixin",
    "ProviderSpec",
    "Registry",
    "get_registry",
    "parse_line",
    "plan_chat",
    "run_chat",
    "to_wire",
]
