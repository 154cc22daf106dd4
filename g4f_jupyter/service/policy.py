"""The operator's policy: which providers and models each hub group may use, how many answers a
user may stream at once, and how many tokens a day a user may spend on chosen providers.

Set once for every user as ``c.G4FSettings.policy`` (exported to kernels like every setting)::

    c.G4FSettings.policy = {
        "students": {"providers": ["HubModel"], "max_streams": 2, "daily_tokens": {"HubModel": 50000}},
        "staff": {},                       # everything, no limits
        "*": {"providers": ["HubModel", "Local"], "models": ["*-mini", "HubModel:*", "Local:*"]},
    }

A user gets the rules of each of their hub groups named here and may do whatever one of them
allows (the most generous wins); a user in none of them, or a server outside JupyterHub, gets
the ``"*"`` rule, and nothing is limited without one. Names are globs (``fnmatch``, any case);
a model pattern matches the model id or ``provider:model``. ``max_streams`` 0 and a missing
``daily_tokens`` entry mean no limit. Budgets count the tokens of every turn since 00:00 UTC
(:mod:`.usage_ledger`, every door); the turn that crosses the budget is answered whole.

Every door goes through :func:`admit` (from the one conversation opener) and every listing
through :func:`current_rules`, so what a user may not use is neither offered nor answered.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import functools
import json
import logging
from collections.abc import AsyncGenerator, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ..core.events import Event
from ..core.registry import get_registry
from ..core.runner import Candidate, ChatRequest, message_text, plan_chat, split_model
from ..errors import BadRequestError, ForbiddenError, TooManyRequestsError
from . import usage_ledger
from .hub_user import hub_user
from .settings import OperatorSettings, current_settings
from .stream_slots import StreamSlot, take_slot
from .validation import Text, validate

__all__ = [
    "EVERYONE",
    "STREAM_RETRY_SECONDS",
    "Admission",
    "Rule",
    "UserRules",
    "admit",
    "current_rules",
    "parse_policy",
    "rules_for",
]

log = logging.getLogger(__name__)

EVERYONE = "*"
"""The rule of users in none of the policy's groups (and of a server outside JupyterHub)."""

STREAM_RETRY_SECONDS = 5
"""``Retry-After`` of a refusal for too many answers at once: about one short answer's time."""


class Rule(BaseModel):
    """What one group may use."""

    model_config = ConfigDict(extra="forbid")

    providers: list[Text] = Field(default_factory=lambda: ["*"])
    models: list[Text] = Field(default_factory=lambda: ["*"])
    max_streams: int = Field(default=0, ge=0)
    daily_tokens: dict[Text, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)

    def allows_provider(self, provider: str) -> bool:
        return _matches(self.providers, provider)

    def allows(self, provider: str, model: str) -> bool:
        return self.allows_provider(provider) and _matches(self.models, model, f"{provider}:{model}")

    def budget_left(self, provider: str, spent: Mapping[str, int]) -> tuple[str, int, int] | None:
        """``None`` while every budget of this rule covering ``provider`` has tokens left, else the
        first spent one as (pattern, limit, used)."""
        for pattern, limit in self.daily_tokens.items():
            if _matches([pattern], provider):
                used = sum(tokens for name, tokens in spent.items() if _matches([pattern], name))
                if used >= limit:
                    return pattern, limit, used
        return None


class _Policy(BaseModel):
    policy: dict[Text, Rule]


def _matches(patterns: Iterable[str], *names: str) -> bool:
    return any(fnmatch.fnmatchcase(name.lower(), pattern.lower()) for pattern in patterns for name in names)


@functools.lru_cache(maxsize=8)
def parse_policy(text: str) -> dict[str, Rule]:
    """The policy's JSON text (as exported to kernels) checked; ``""`` is no policy.

    A wrong key or value is a :class:`BadRequestError` naming it (``policy.students.max_streams: …``).
    """
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BadRequestError(f"policy: not JSON: {exc}") from None
    return validate(_Policy, {"policy": data}).policy


def _label(group: str) -> str:
    return "everyone" if group == EVERYONE else f"group {group!r}"


@dataclass(frozen=True)
class UserRules:
    """The rules that apply to this user, with the groups they come from."""

    rules: tuple[tuple[str, Rule], ...]

    @property
    def source(self) -> str:
        return ", ".join(_label(group) for group, _ in self.rules)

    def allows_provider(self, provider: str) -> bool:
        return any(rule.allows_provider(provider) for _, rule in self.rules)

    def allows(self, provider: str, model: str) -> bool:
        return any(rule.allows(provider, model) for _, rule in self.rules)

    def max_streams(self) -> int:
        """Answers at once (0: no limit): the most generous of the user's rules."""
        limits = [rule.max_streams for _, rule in self.rules]
        return 0 if 0 in limits else max(limits)

    def budget_spent(self, provider: str, model: str, spent: Mapping[str, int]) -> tuple[str, str, int, int] | None:
        """``None`` when some rule allowing ``provider``/``model`` has tokens left today, else the
        spent budget as (group, pattern, limit, used)."""
        hits = []
        for group, rule in self.rules:
            if rule.allows(provider, model):
                hit = rule.budget_left(provider, spent)
                if hit is None:
                    return None
                hits.append((group, *hit))
        return hits[0] if hits else None

    def refusal(self, provider: str, model: str) -> str:
        """Why ``provider``/``model`` is refused, naming what the policy allows."""
        allowed = sorted({p for _, rule in self.rules for p in rule.providers})
        if not self.allows_provider(provider):
            return f"g4f policy ({self.source}): provider {provider!r} is not allowed; allowed: {', '.join(allowed)}"
        models = sorted({m for _, rule in self.rules if rule.allows_provider(provider) for m in rule.models})
        shown = repr(model) if model else "its default model"
        return f"g4f policy ({self.source}): model {shown} of {provider} is not allowed; allowed: {', '.join(models)}"


def rules_for(policy: Mapping[str, Rule], groups: Iterable[str]) -> UserRules | None:
    """The rules of ``groups`` named in ``policy``, else the ``"*"`` rule; ``None``: no limits."""
    named = sorted(set(groups) & (set(policy) - {EVERYONE}))
    if named:
        return UserRules(tuple((group, policy[group]) for group in named))
    if EVERYONE in policy:
        return UserRules(((EVERYONE, policy[EVERYONE]),))
    return None


def current_rules(settings: OperatorSettings | None = None) -> UserRules | None:
    """The rules for this process's user (their hub groups, asked of the hub and kept a minute)."""
    policy = parse_policy((settings or current_settings()).policy)
    if not policy:
        return None
    user = hub_user() if set(policy) - {EVERYONE} else None
    return rules_for(policy, user.groups if user else ())


@dataclass
class Admission:
    """A turn the policy let through: the providers it may use, and the answer slot it holds."""

    candidates: list[Candidate]
    slot: StreamSlot | None = None

    async def metered(self, events: AsyncGenerator[Event, None], request: ChatRequest) -> AsyncGenerator[Event, None]:
        """``events`` as they come; at the end, however it comes, the slot is freed and the turn recorded."""
        meter = usage_ledger.TurnMeter("".join(message_text(m) for m in request.messages))
        try:
            async with contextlib.aclosing(events):
                async for event in events:
                    meter.see(event)
                    yield event
        finally:
            if self.slot is not None:
                self.slot.release()
            try:
                meter.record()
            except OSError:
                log.warning("could not record a turn's usage", exc_info=True)


def _planned(request: ChatRequest, rules: UserRules) -> list[Candidate]:
    """The providers to try, planned among those the policy allows, so what the user may not use is a
    403 before its key or its model is even looked at (a 401 would tell them it exists)."""
    registry = get_registry()
    named, model = split_model(request, registry)
    if named:
        provider = registry.get(named).name
        if not rules.allows_provider(provider):
            raise ForbiddenError(rules.refusal(provider, model or ""))
        planned = plan_chat(request)
    else:
        forbidden = tuple(p.name for p in registry.providers() if not rules.allows_provider(p.name))
        offering = [p.name for p in registry.providers() if model and model in p.models]
        if offering and set(offering) <= set(forbidden):
            raise ForbiddenError(rules.refusal(offering[0], model or ""))
        # automatic choice and a bare model skip the forbidden providers (the next in catalog order answers)
        planned = plan_chat(dataclasses.replace(request, ignored=(*request.ignored, *forbidden)))
    allowed = [c for c in planned if rules.allows(c.provider.name, c.model)]
    if not allowed:
        raise ForbiddenError(rules.refusal(planned[0].provider.name, planned[0].model))
    return allowed


def admit(request: ChatRequest, settings: OperatorSettings | None = None) -> Admission:
    """Plan a turn within the policy, or refuse it before any output.

    :class:`ForbiddenError` (403) for a provider or model the user's groups may not use;
    :class:`TooManyRequestsError` (429, ``retry_after``) when today's budget is spent (until
    00:00 UTC) or the user already has ``max_streams`` answers streaming (in any process).
    Otherwise the planner's own errors (400/401/404), as without a policy.
    """
    rules = current_rules(settings)
    if rules is None:
        return Admission(plan_chat(request))
    allowed = _planned(request, rules)
    now = usage_ledger.clock()
    spent = {name: totals.tokens for name, totals in usage_ledger.day_totals(usage_ledger.day_of(now)).items()}
    hits = [rules.budget_spent(c.provider.name, c.model, spent) for c in allowed]
    within = [c for c, hit in zip(allowed, hits, strict=True) if hit is None]
    if not within:
        group, pattern, budget, used = next(hit for hit in hits if hit is not None)
        raise TooManyRequestsError(
            f"g4f policy ({_label(group)}): the daily token budget for {pattern} is spent ({used} of {budget} tokens "
            "today); it renews at 00:00 UTC",
            usage_ledger.seconds_to_next_day(now),
        )
    limit = rules.max_streams()
    slot = take_slot(limit) if limit else None
    if limit and slot is None:
        raise TooManyRequestsError(
            f"g4f policy ({rules.source}): at most {limit} answers at a time per user, and {limit} are streaming; "
            "ask again when one has finished",
            STREAM_RETRY_SECONDS,
        )
    return Admission(within, slot)
