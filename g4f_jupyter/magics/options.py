"""Parse the option prefix of ``%g4f`` / ``%%g4f`` without touching the prompt.

Options come first; the rest of the line is the prompt exactly as typed. The prompt is
never split with ``shlex``: quotes, braces and backslashes in it must survive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from IPython.core.error import UsageError

__all__ = [
    "CELL_SUBCOMMANDS", "FORMATS", "OPTIONS", "SUBCOMMANDS", "MagicOptions", "Option", "option_help", "parse_options",
]

FORMATS = ("markdown", "code", "html", "json", "math", "text", "image")
# Subcommand -> what it does (parsing recognises the names, ``%g4f help`` prints the lines).
SUBCOMMANDS = {
    "list": "providers, whether their key is set (and which variable), models",
    "help": "this text",
    "reset": "forget the conversation history",
    "version": "the g4f-jupyter version",
    "explain": "explain cell N and its error (default: the last cell that failed); sends no history",
    "fix": "fix cell N (default: the last that failed): the corrected code goes into a cell below",
    "error": "explain the last error, as explain does (tracebacks are kept as Err[n])",
}
# Subcommands about one notebook cell: they may name it by its execution count (``%g4f fix 3``).
CELL_SUBCOMMANDS = ("explain", "fix")


@dataclass(frozen=True)
class Option:
    """One option: the field it sets, its spellings, its value's name (``None`` for a flag), its help."""

    field: str
    spellings: tuple[str, ...]
    metavar: str | None
    help: str


# The one option table: parsing and ``%g4f help`` are both generated from it.
OPTIONS = (
    Option("provider", ("-p", "--provider"), "NAME", "provider from `%g4f list` (default: chosen automatically)"),
    Option("model", ("-m", "--model"), "NAME", "model, or provider:model"),
    Option("format", ("-f", "--format"), "FORMAT", f"{FORMATS[0]} (default), {', '.join(FORMATS[1:])}"),
    Option("system", ("-s", "--system"), "TEXT", "system prompt (quote it when it has spaces)"),
    Option("temperature", ("--temperature",), "FLOAT", "sampling temperature"),
    Option("max_tokens", ("--max-tokens",), "N", "longest answer, in tokens"),
    Option("context", ("-c", "--context"), "NAMES", "kernel variables sent as summaries, not data: -c df,model"),
    Option("no_history", ("--no-history",), None, "send no earlier exchanges and record nothing"),
    Option("verbose", ("-v", "--verbose"), None, "show provider, model, usage and tracebacks"),
)

_BY_SPELLING = {spelling: option for option in OPTIONS for spelling in option.spellings}


def option_help(indent: int = 2, width: int = 23) -> str:
    """The options as aligned help lines."""
    lines = []
    for option in OPTIONS:
        usage = ", ".join(option.spellings) + (f" {option.metavar}" if option.metavar else "")
        lines.append(f"{' ' * indent}{usage.ljust(width)}{option.help}")
    return "\n".join(lines)


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
    variables: tuple[str, ...] = ()
    no_history: bool = False
    verbose: bool = False

    @property
    def subcommand(self) -> str | None:
        """``list``/``help``/... when the whole prompt is that word (``explain``/``fix`` may add a cell number)."""
        words = self.prompt.split()
        name = words[0].lower() if words else ""
        if name not in SUBCOMMANDS or len(words) > 2:
            return None
        if len(words) == 2 and not (name in CELL_SUBCOMMANDS and words[1].isdigit()):
            return None
        return name

    @property
    def cell_number(self) -> int | None:
        """The execution count named after ``explain``/``fix``, if any."""
        words = self.prompt.split()
        return int(words[1]) if self.subcommand in CELL_SUBCOMMANDS and len(words) == 2 else None


def _unquote(token: str) -> str:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    return token


def _set(options: MagicOptions, name: str, raw: str) -> None:
    value = _unquote(raw)
    if name == "format":
        value = {"md": "markdown"}.get(value.lower(), value.lower())
        if value not in FORMATS:
            raise UsageError(f"unknown format {raw!r}; choose one of: {', '.join(FORMATS)}")
        options.format = value
    elif name == "temperature":
        try:
            options.temperature = float(value)
        except ValueError:
            raise UsageError(f"--temperature needs a number, not {raw!r}") from None
    elif name == "max_tokens":
        if not value.isdigit() or int(value) < 1:
            raise UsageError(f"--max-tokens needs a positive whole number, not {raw!r}")
        options.max_tokens = int(value)
    elif name == "context":
        names = tuple(n.strip() for n in value.split(",") if n.strip())
        bad = [n for n in names if not n.isidentifier()]
        if not names or bad:
            raise UsageError(f"-c needs variable names separated by commas, not {raw!r}")
        options.variables = names
    else:
        setattr(options, name, value or None)


def parse_options(line: str, cell: bool = False) -> MagicOptions:
    """Options from the front of ``line``; the rest is the prompt (line mode, verbatim).

    In cell mode the cell body is the prompt, so the line holds only options plus one bare
    word: a subcommand or, as in jupyter-ai's ``%%ai provider:model``, the model.
    Raises IPython's :class:`UsageError` with a one-line message for bad options.
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
        if spelling not in _BY_SPELLING:
            if _LOOKS_LIKE_OPTION.fullmatch(token):
                raise UsageError(f"unknown option {spelling}; %g4f help lists the options")
            if cell:
                _positional(options, token)
                pos = match.end()
                continue
            pos = match.start(1)
            break
        option = _BY_SPELLING[spelling]
        name = option.field
        pos = match.end()
        if option.metavar is None:
            if eq:
                raise UsageError(f"{spelling} takes no value")
            setattr(options, name, True)
            continue
        if eq:
            raw = inline
        else:
            value = _VALUE.match(line, pos)
            if not value:
                raise UsageError(f"{spelling} needs a value")
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
    if options.prompt.lower() in CELL_SUBCOMMANDS and word.isdigit():
        options.prompt += f" {word}"
        return
    if options.prompt or (options.model and word.lower() not in SUBCOMMANDS):
        raise UsageError(f"unexpected {word!r} on the %%g4f line; the cell body is the prompt")
    if word.lower() in SUBCOMMANDS:
        options.prompt = word
    else:
        options.model = word
