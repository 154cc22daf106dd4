"""The operator's settings as every front door sees them, server and kernel alike.

The server extension reads them from its configuration (``c.G4FSettings.*``) and exports
them as environment variables, which the kernels it starts inherit; every door (HTTP,
magics, widgets, ``ask()``) then reads the same values here, at call time.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..config import per_environment

__all__ = ["ENV_PREFIX", "OperatorSettings", "UploadLimits", "current_settings", "export_settings"]

ENV_PREFIX = "G4F_JUPYTER_"
# Upstream's own variable for the base of share links; honoured as is.
_ENV_NAMES = {"share_url": "G4F_SHARE_URL"}


@dataclass(frozen=True)
class UploadLimits:
    """Upload limits, checked by the bucket service for bucket uploads and chat attachments alike."""

    max_file_bytes: int = 20 * 1024 * 1024
    max_bucket_bytes: int = 200 * 1024 * 1024
    max_files: int = 50


@dataclass(frozen=True)
class OperatorSettings:
    """Everything an operator may change; the defaults are the product's."""

    default_provider: str = ""
    default_model: str = ""
    demo_mode: bool = False
    demo_providers: str = "Local"  # names, space- or comma-separated: the demo model list and who answers
    max_body_bytes: int = 50 * 1024 * 1024
    max_file_bytes: int = 20 * 1024 * 1024
    max_bucket_bytes: int = 200 * 1024 * 1024
    max_files_per_request: int = 50
    max_cookie_bytes: int = 5 * 1024 * 1024
    public_shares: bool = False
    share_url: str = ""
    allow_private_downloads: bool = False
    searxng_url: str = ""
    completion_provider: str = "Local"  # inline code completion: the embedded model unless the operator says
    completion_model: str = ""
    policy: str = ""  # JSON: per hub group, allowed providers/models and limits (service.policy); "" = none
    usage_report_seconds: int = 60  # under JupyterHub: how often usage goes to the hub's usage service (0: never)
    relay_processes: int = 1  # worker processes that relay network providers' answers (service.relay_pool); 0: none

    def demo_provider_names(self) -> list[str]:
        return [name for name in self.demo_providers.replace(",", " ").split() if name]

    def upload_limits(self) -> UploadLimits:
        return UploadLimits(
            max_file_bytes=self.max_file_bytes,
            max_bucket_bytes=self.max_bucket_bytes,
            max_files=self.max_files_per_request,
        )


def _env_name(field: str) -> str:
    return _ENV_NAMES.get(field, ENV_PREFIX + field.upper())


def _parse(kind: type, text: str, default: object) -> object:
    """An environment value as the field's type; a malformed value keeps the default."""
    if kind is bool:
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        return False if lowered in ("0", "false", "no", "off") else default
    if kind is int:
        try:
            return int(text)
        except ValueError:
            return default
    return text


def current_settings(environ: Mapping[str, str] | None = None) -> OperatorSettings:
    """The settings in force for this process (read now: tests and kernels change the environment)."""
    return _settings_from(environ) if environ is not None else _exported_settings()


@per_environment
def _exported_settings() -> OperatorSettings:
    """This process's settings, read again only when its environment changed (they are asked per request)."""
    return _settings_from(os.environ)


def _settings_from(env: Mapping[str, str]) -> OperatorSettings:
    values: dict[str, object] = {}
    defaults = OperatorSettings()
    types = {"bool": bool, "int": int, "str": str}
    for field in dataclasses.fields(OperatorSettings):
        raw = env.get(_env_name(field.name))
        if raw is not None:
            kind = types[field.type] if isinstance(field.type, str) else field.type
            values[field.name] = _parse(kind, raw, getattr(defaults, field.name))
    return dataclasses.replace(defaults, **values)  # type: ignore[arg-type]


def export_settings(settings: OperatorSettings) -> None:
    """Put ``settings`` into this process's environment, for itself and the kernels it starts."""
    for field in dataclasses.fields(OperatorSettings):
        value = getattr(settings, field.name)
        os.environ[_env_name(field.name)] = ("1" if value else "0") if isinstance(value, bool) else str(value)
