"""Provider base classes: an async-generator provider plus a model mixin.

A provider is an instance built from a :class:`ProviderSpec` (one TOML file of the
catalog) by its driver class; drivers implement :meth:`create_async_generator`.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator
from dataclasses import field
from typing import Annotated, Any

from pydantic import ConfigDict, Strict, StrictStr
from pydantic.dataclasses import dataclass

from ..errors import MissingAuthError
from ..store.keys import stored_api_key
from .events import Event

__all__ = ["AsyncGeneratorProvider", "ChatMessage", "Provider", "ProviderModelMixin", "ProviderSpec"]

ChatMessage = dict[str, Any]


# A TOML array of strings (TOML has no tuples; the spec keeps them immutable).
ModelNames = Annotated[tuple[StrictStr, ...], Strict(False)]


@dataclass(frozen=True, config=ConfigDict(extra="forbid", strict=True))
class ProviderSpec:
    """One provider of the catalog, as data; building one checks every key and value type.

    Strict: ``order = "5"`` is refused rather than guessed, so a mistake in a user file is
    reported (in ``Registry.errors``) instead of surfacing later inside a request.
    """

    name: str
    driver: str
    label: str = ""
    url: str = ""
    login_url: str | None = None
    api_base: str = ""
    api_base_env: str | None = None
    per_request_api_base: bool = False
    api_key_env: str | None = None
    needs_auth: bool = False
    default_model: str = ""
    models: ModelNames = ()
    vision_models: ModelNames = ()
    image_models: ModelNames = ()
    audio_models: ModelNames = ()
    video_models: ModelNames = ()
    live_models: bool = False
    context_tokens: int = 0  # the models' context window; 0 = unknown (file text gets a small budget)
    parent: str | None = None
    order: int = 100
    default: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    source: str = ""


class ProviderModelMixin:
    """Model knowledge of a provider: default, known models, capabilities, live listing."""

    spec: ProviderSpec

    @property
    def default_model(self) -> str:
        return self.spec.default_model or (self.spec.models[0] if self.spec.models else "")

    @property
    def models(self) -> list[str]:
        names = list(self.spec.models)
        if self.default_model and self.default_model not in names:
            names.insert(0, self.default_model)
        return names

    @property
    def vision_models(self) -> list[str]:
        return list(self.spec.vision_models)

    @property
    def image_models(self) -> list[str]:
        return list(self.spec.image_models)

    @property
    def audio_models(self) -> list[str]:
        return list(self.spec.audio_models)

    @property
    def video_models(self) -> list[str]:
        return list(self.spec.video_models)

    async def get_models(self, api_key: str | None = None, api_base: str | None = None) -> list[str]:
        """The models available now; drivers that can ask their server override this."""
        return self.models

    def get_model(self, model: str | None) -> str:
        """``model`` or the default; whether the name is offered is the runner's check, not this one's."""
        return model or self.default_model


class AsyncGeneratorProvider(ABC):
    """A provider whose answer is an async stream of typed events."""

    def __init__(self, spec: ProviderSpec) -> None:
        self.spec = spec

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def label(self) -> str:
        return self.spec.label or self.spec.name

    @property
    def url(self) -> str:
        return self.spec.url

    def api_base(self, explicit: str | None = None) -> str:
        """The endpoint: the request's (only where the spec allows it), the env override, or the catalog's."""
        if explicit and self.spec.per_request_api_base:
            return explicit.rstrip("/")
        if self.spec.api_base_env and os.environ.get(self.spec.api_base_env):
            return os.environ[self.spec.api_base_env].rstrip("/")
        return self.spec.api_base.rstrip("/")

    def api_key(self, explicit: str | None = None) -> str | None:
        """The key to use: the request's, else the named environment variable, else a stored one."""
        if explicit:
            return explicit
        if self.spec.api_key_env and os.environ.get(self.spec.api_key_env):
            return os.environ[self.spec.api_key_env]
        return stored_api_key(self.spec.parent or self.spec.name)

    def _missing_key(self) -> str:
        var = self.spec.api_key_env or "an api_key"
        return f"{self.name} needs an API key: set the environment variable {var}"

    def missing_key_message(self, explicit: str | None = None) -> str | None:
        """What to set when the provider needs a key and has none, else ``None``.

        Pickers and listings warn with the same words a request would fail with.
        """
        return self._missing_key() if self.spec.needs_auth and not self.api_key(explicit) else None

    def require_api_key(self, explicit: str | None = None) -> str | None:
        """The key, or :class:`MissingAuthError` naming the variable when the provider needs one."""
        key = self.api_key(explicit)
        if not key and self.spec.needs_auth:
            raise MissingAuthError(self._missing_key())
        return key

    @abstractmethod
    def create_async_generator(
        self, model: str, messages: list[ChatMessage], **kwargs: Any
    ) -> AsyncGenerator[Event, None]:
        """Stream the answer to ``messages`` as typed events (content, reasoning, usage, finish...)."""

    def parameters(self) -> dict[str, Any] | None:
        """Accepted parameters as a schema-like dict, sent as the ``parameters`` event."""
        return None

    async def prepare(self, model: str, messages: list[ChatMessage], **kwargs: Any) -> None:
        """Read ``messages`` into the provider's prompt cache ahead of the question (``action: "prepare"``).

        A question that then starts with these messages reads only what follows them. A
        provider without a prompt cache of ours has nothing to do: this default returns at once.
        """
        return None


class Provider(AsyncGeneratorProvider, ProviderModelMixin):
    """What drivers subclass: the async-generator protocol with model knowledge."""
