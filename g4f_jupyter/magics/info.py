"""The informational subcommands of ``%g4f``: ``list``, ``help`` and ``version``."""

from __future__ import annotations

import platform

from ._version import __version__
from .core.provider import Provider
from .core.registry import get_registry
from .magics_options import FORMATS, OPTION_HELP

__all__ = ["providers_table", "help_text", "version_text"]


def _key_state(provider: Provider) -> str:
    """Whether the provider's key is needed and set, naming the variable that holds it."""
    spec = provider.spec
    var = spec.api_key_env
    if not spec.needs_auth and not var:
        return "not needed"
    if provider.api_key():
        return f"set ({var})" if var else "set"
    if not spec.needs_auth:
        return f"optional ({var})"
    return f"missing: set {var}" if var else "missing"


def providers_table() -> tuple[str, str]:
    """Every provider of the catalog with its key state and models, as (plain, markdown)."""
    registry = get_registry()
    plain: list[str] = []
    rows = ["| Provider | Key | Models |", "|---|---|---|"]
    for provider in registry.providers():
        key = _key_state(provider)
        default = " (default)" if provider.name == registry.default_name else ""
        models = ", ".join(provider.models + (["(+ live list)"] if provider.spec.live_models else []))
        plain.append(f"{provider.name}{default} [{key}]: {models or '-'}")
        rows.append(f"| `{provider.name}`{default} | {key} | {models or '-'} |")
    for error in registry.errors:
        plain.append(f"(skipped) {error}")
        rows.append(f"| (skipped) | | {error} |")
    footer = "Use `%g4f -p PROVIDER -m MODEL ...` or `-m PROVIDER:MODEL`."
    return "\n".join(plain + ["", footer.replace("`", "")]), "\n".join(rows + ["", footer])


def help_text() -> str:
    """Usage of ``%g4f`` / ``%%g4f`` (plain text, shown in a code block in notebooks)."""
    return f"""\
%g4f [options] PROMPT        ask in one line (the prompt is taken verbatim)
%%g4f [options] [provider:model]
PROMPT...                    ask with the cell body as the prompt

Options:
{OPTION_HELP}

Formats: {", ".join(FORMATS)}. With -f code the code is also put into a new cell below.
Placeholders: {{name}}, {{In[3]}}, {{Out[3]}}, {{Err[3]}} are filled from the notebook;
every other brace ({{}}, dicts, JSON, f-strings, {{{{x}}}}) stays as typed.

Subcommands:
  %g4f list      providers, whether their key is set (and which variable), models
  %g4f help      this text
  %g4f reset     forget the conversation history
  %g4f version   the g4f-jupyter version
  %g4f error     explain the last error (tracebacks are kept as Err[n])

Settings: %config G4FMagics.max_history = N (earlier exchanges sent, default 5),
G4FMagics.default_provider, .default_model, .default_format.
Stop a long answer with Interrupt: the partial answer stays."""


def version_text() -> str:
    return f"g4f-jupyter {__version__} (Python {platform.python_version()})"
