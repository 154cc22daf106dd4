"""Parse the option prefix of ``%g4f`` / ``%%g4f`` without touching the prompt.

Options come first; the rest of the line is the prompt exactly as typed. The prompt is
never split with ``shlex``: quotes, braces and backslashes in it must survive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import BadRequestError

__all__ = ["FORMATS", "SUBCOMMANDS", "MagicOptions", "parse_options", "OPTION_HELP"]

FORMATS = ("markdown", "code", "html", "json", "math", "text")
SUBCOMMANDS = ("list", "help", "reset", "version", "error")

# option spelling -> (field, takes a value)
_OPTIONS: dict[str, tuple[str, bool]] = {
    "-p": ("provider", True),
    "--provider": ("provider", True),
    "-m": ("model", True),
    "--model": ("model", True),
    "-f": ("format", True),
    "--format": ("format", True),
    "-s": ("system", True),
    "--system": ("system", True),
    "--temperature": ("temperature", True),
    "--max-tokens": ("max_tokens", True),
    "--no-history": ("no_history", False),
    "--verbose": ("verbose", False),
    "-v": ("verbose", False),
}

OPTION_HELP = """\
  -p, --provider NAME    provider from `%g4f list` (default: the catalog's default)
  -m, --model NAME       model, or provider:model
  -f, --format FORMAT    markdown (default), code, html, json, math, text
  -s, --system TEXT      system prompt (quote it when it has spaces)
  --temperature FLOAT    sampling temperature
  --max-tokens N         longest answer, in tokens
  --no-history           send no earlier exchanges and record nothing
  -v, --verbose          show provider, model, usage and tracebacks"""

# A value token: a quoted string (with backslash escapes) or a run of non-blanks.
_VALUE = re.compile(r"""\s*("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|\S+)""")
_TOKEN = re.compile(r"\s*(\S+)")
_LOOKS_LIKE_OPTION = re.compile(r"--[A-Za-z][\w-]*(=.*)?|-[A-Za-z]")


@dataclass
class MagicOptions:
    """What one ``%g4f`` call asked for; ``prompt`` is the text after the options, verbatim."""

    prompt: str = ""
    provider: str | None = None
    model: str | None = None
    format: str | None = None
    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    no_history: bool = False
    verbose: bool = False

    @property
    def subcommand(self) -> str | None:
        """``list``/``help``/... when the whole prompt is that word."""
        word = self.prompt.strip().lower()
        return word if word in SUBCOMMANDS else None


def _unquote(token: str) -> str:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    return token


def _set(options: MagicOptions, name: str, raw: str) -> None:
    value = _unquote(raw)
    if name == "format":
        value = {"md": "markdown"}.get(value.lower(), value.lower())
        if value not in FORMATS:
            raise BadRequestError(f"unknown format {raw!r}; choose one of: {', '.join(FORMATS)}")
        options.format = value
    elif name == "temperature":
        try:
            options.temperature = float(value)
        except ValueError:
            raise BadRequestError(f"--temperature needs a number, not {raw!r}") from None
    elif name == "max_tokens":
        if not value.isdigit() or int(value) < 1:
            raise BadRequestError(f"--max-tokens needs a positive whole number, not {raw!r}")
        options.max_tokens = int(value)
    else:
        setattr(options, name, value or None)


def parse_options(line: str, cell: bool = False) -> MagicOptions:
    """Options from the front of ``line``; the rest is the prompt (line mode, verbatim).

    In cell mode the cell body is the prompt, so the line holds only options plus one bare
    word: a subcommand or, as in jupyter-ai's ``%%ai provider:model``, the model.
    Raises :class:`BadRequestError` with a one-line message for bad options.
    """
    options = MagicOptions()
    pos = 0
    while True:
        match = _TOKEN.match(line, pos)
        if not match:
            pos = len(line)
            break
        token = match.group(1)
        if token == "--":
            pos = match.end()
            if line[pos : pos + 1] == " ":
                pos += 1
            break
        spelling, eq, inline = token.partition("=")
        if spelling not in _OPTIONS:
            if _LOOKS_LIKE_OPTION.fullmatch(token):
                raise BadRequestError(f"unknown option {spelling}; %g4f help lists the options")
            if cell:
                _positional(options, token)
                pos = match.end()
                continue
            pos = match.start(1)
            break
        name, takes_value = _OPTIONS[spelling]
        pos = match.end()
        if not takes_value:
            if eq:
                raise BadRequestError(f"{spelling} takes no value")
            setattr(options, name, True)
            continue
        if eq:
            raw = inline
        else:
            value = _VALUE.match(line, pos)
            if not value:
                raise BadRequestError(f"{spelling} needs a value")
            raw, pos = value.group(1), value.end()
        _set(options, name, raw)
    if cell:
        if line[pos:].strip():
            _positional(options, line[pos:].strip())
        return options
    options.prompt = line[pos:]
    return options


def _positional(options: MagicOptions, word: str) -> None:
    """The one bare word a ``%%g4f`` line may hold: a subcommand or ``provider:model``."""
    if options.prompt or (options.model and word.lower() not in SUBCOMMANDS):
        raise BadRequestError(f"unexpected {word!r} on the %%g4f line; the cell body is the prompt")
    if word.lower() in SUBCOMMANDS:
        options.prompt = word
    else:
        options.model = word
