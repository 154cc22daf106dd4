"""The informational subcommands of ``%g4f``: ``list``, ``help`` and ``version``."""

from __future__ import annotations

import asyncio
import platform

from .._version import __version__
from ..core.sync import background_loop
from ..service.catalog import catalog_errors, provider_choices, provider_models
from .options import CELL_SUBCOMMANDS, FORMATS, SUBCOMMANDS, option_help

__all__ = ["help_text", "providers_table", "version_text"]


def _live_models(names: list[str]) -> dict[str, list[str]]:
    """The models providers with live lists offer now, asked at once on the background loop
    (each list falls back to the catalog's after a short timeout, see :func:`provider_models`)."""

    async def ask() -> dict[str, list[str]]:
        lists = await asyncio.gather(*(provider_models(name) for name in names))
        return {name: [str(e["id"]) for e in entries] for name, entries in zip(names, lists, strict=True)}

    return asyncio.run_coroutine_threadsafe(ask(), background_loop()).result() if names else {}


def providers_table() -> tuple[str, str]:
    """Every provider of the catalog with its key state and models (live lists asked now), as (plain, markdown)."""
    plain: list[str] = []
    rows = ["| Provider | Key | Models |", "|---|---|---|"]
    choices = provider_choices()
    live = _live_models([c.name for c in choices if c.live_models])
    for choice in choices:
        key = choice.key.describe()
        default = " (default)" if choice.is_default else ""
        models = ", ".join(live.get(choice.name) or choice.models)
        plain.append(f"{choice.name}{default} [{key}]: {models or '-'}")
        rows.append(f"| `{choice.name}`{default} | {key} | {models or '-'} |")
    for error in catalog_errors():
        plain.append(f"(skipped) {error}")
        rows.append(f"| (skipped) | | {error} |")
    footer = "Use `%g4f -p PROVIDER -m MODEL ...` or `-m PROVIDER:MODEL`."
    return "\n".join([*plain, "", footer.replace("`", "")]), "\n".join([*rows, "", footer])


def help_text() -> str:
    """Usage of ``%g4f`` / ``%%g4f`` (plain text, shown in a code block in notebooks)."""
    usages = {name: f"{name} [N]" if name in CELL_SUBCOMMANDS else name for name in SUBCOMMANDS}
    subcommands = "\n".join(f"  %g4f {usages[name].ljust(13)}{text}" for name, text in SUBCOMMANDS.items())
    return f"""\
%g4f [options] PROMPT        ask in one line (the prompt is taken verbatim)
%%g4f [options] [provider:model]
PROMPT...                    ask with the cell body as the prompt

Options:
{option_help()}

Formats: {", ".join(FORMATS)}. With -f code the code is also put into a new cell below.
Placeholders: {{name}}, {{In[3]}}, {{Out[3]}}, {{Err[3]}} are filled from the notebook;
every other brace ({{}}, dicts, JSON, f-strings, {{{{x}}}}) stays as typed.
Context: -c df,model sends a summary of each variable (type, shape, dtypes, first rows; at most
1 s in all), never its data, as a message of its own; explain, fix and error send the cell, its
traceback and the -s system prompt, and no history. Context is trimmed to the model's window.

Subcommands:
{subcommands}

Settings: %config G4FMagics.max_history = N (earlier exchanges sent, default 5),
G4FMagics.default_provider, .default_model, .default_format.
Stop a long answer with Interrupt: the partial answer stays."""


def version_text() -> str:
    return f"g4f-jupyter {__version__} (Python {platform.python_version()})"
