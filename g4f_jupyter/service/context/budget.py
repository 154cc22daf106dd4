"""How many tokens of context a request can carry to the providers that may answer it.

The window is the embedded model's ``n_ctx`` (its ``[settings]``, else the driver's default),
else a provider's ``context_tokens``, else :data:`DEFAULT_WINDOW`. Room is kept for the answer
(the request's ``max_tokens``, else the embedded model's own cap or :data:`DEFAULT_RESERVE`,
at most half the window), and only :data:`USABLE_SHARE` of the rest is used because the
estimate (four characters a token) runs low on code. What the messages already use comes off.
With fallback, the smallest window among the candidates counts.
"""

from __future__ import annotations

from ...core.drivers.local import DEFAULTS as LOCAL_DEFAULTS
from ...core.provider import ProviderSpec
from ...core.runner import ChatRequest, estimate_tokens, message_text, plan_chat

__all__ = ["DEFAULT_RESERVE", "DEFAULT_WINDOW", "USABLE_SHARE", "context_budget", "context_window"]

DEFAULT_WINDOW = 8_192
DEFAULT_RESERVE = 1_024
USABLE_SHARE = 0.75


def context_window(spec: ProviderSpec) -> int:
    """The provider's context window in tokens."""
    if spec.driver == "local":
        return int(spec.settings.get("n_ctx") or LOCAL_DEFAULTS["n_ctx"])
    return spec.context_tokens if spec.context_tokens > 0 else DEFAULT_WINDOW


def _room(spec: ProviderSpec, max_tokens: int | None) -> int:
    window = context_window(spec)
    if max_tokens:
        reserve = max_tokens
    elif spec.driver == "local":
        reserve = int(spec.settings.get("max_tokens") or LOCAL_DEFAULTS["max_tokens"])
    else:
        reserve = DEFAULT_RESERVE
    return int(USABLE_SHARE * (window - min(reserve, window // 2)))


def context_budget(request: ChatRequest) -> int:
    """Tokens left for context in ``request`` (resolving its providers raises as a chat would)."""
    max_tokens = request.options.get("max_tokens")
    room = min(_room(c.provider.spec, max_tokens if isinstance(max_tokens, int) else None) for c in plan_chat(request))
    used = sum(estimate_tokens(message_text(message)) for message in request.messages)
    return max(room - used, 0)
