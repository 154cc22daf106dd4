"""Precise exceptions shared by the core, the service layer and every front door.

Each carries the HTTP status a handler should answer with, so that handlers translate
errors in one place and magics/widgets can print a one-line message.
"""

from __future__ import annotations

__all__ = [
    "BadRequestError",
    "ForbiddenError",
    "G4FError",
    "MissingAuthError",
    "ModelNotFoundError",
    "NotFoundError",
    "NotSupportedError",
    "PayloadTooLargeError",
    "ProviderHTTPError",
    "ProviderNotFoundError",
    "ProviderUnreachableError",
    "TooManyRequestsError",
]


class G4FError(Exception):
    """Base class: ``status`` is the HTTP status, ``str(err)`` the client-safe message."""

    status = 500


class BadRequestError(G4FError):
    status = 400


class ForbiddenError(G4FError):
    """The operator's policy does not allow this (a provider or model outside the user's groups)."""

    status = 403


class NotFoundError(G4FError):
    status = 404


class ProviderNotFoundError(NotFoundError):
    """Unknown provider name; the message lists the known ones."""


class ModelNotFoundError(NotFoundError):
    """No provider offers the model; the message lists some that exist."""


class MissingAuthError(G4FError):
    """A provider needs a key that is not set; the message names the variable to set."""

    status = 401


class PayloadTooLargeError(G4FError):
    status = 413


class TooManyRequestsError(G4FError):
    """A limit of the operator's policy is reached; ``retry_after`` says in how many seconds to ask again."""

    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(message)


class NotSupportedError(G4FError):
    """The provider cannot do this (e.g. speech synthesis)."""

    status = 501


class ProviderHTTPError(G4FError):
    """An upstream provider answered with an HTTP error."""

    def __init__(self, status: int, message: str, provider: str = "") -> None:
        self.status = 401 if status in (401, 403) else (429 if status == 429 else 502)
        self.upstream_status = status
        self.provider = provider
        prefix = f"{provider}: " if provider else ""
        super().__init__(f"{prefix}HTTP {status}: {message}")


class ProviderUnreachableError(G4FError):
    """A provider's server could not be reached or stopped answering (no HTTP status to report)."""

    status = 502
