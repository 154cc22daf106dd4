"""``%g4f`` and ``%%g4f``: ask a model from a cell and watch the answer stream in.

A thin layer: options (:mod:`.options`), placeholders (:mod:`.interpolation`), output
(:mod:`.render`) and history (:mod:`.history`) each live in their own module; the
question goes through :func:`g4f_jupyter.api.stream` like every other door's, and the
events are read through the service's one fold (:class:`~g4f_jupyter.service.answer.AnswerState`).
"""

from __future__ import annotations

import contextlib
import traceback
from typing import Any

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, line_cell_magic, magics_class
from traitlets import CaselessStrEnum, Integer, Unicode

from ..api import stream
from ..errors import G4FError
from ..service.answer import AnswerState
from ..service.context import variable_item
from ..service.fences import code_blocks, code_of
from ..service.variables import summarize
from .cells import cell_question
from .history import ERR_NAME, History, record_error
from .info import help_text, providers_table, version_text
from .interpolation import interpolate
from .options import FORMATS, MagicOptions, parse_options
from .render import Answer, LiveOutput, show_code_cell, show_error, show_media, show_text

__all__ = ["G4FMagics"]

_INTERRUPTED = "KeyboardInterrupt: the answer was stopped; what arrived is kept above"
_NO_CODE = "the answer has no code block, so no cell was added"
_NOT_REINSERTED = (
    "This cell already inserted a code cell on an earlier run, so the new code is shown above instead "
    "(a kernel can add a cell below, not replace another one): copy it over, or ask from a new cell."
)


def _interrupt() -> KeyboardInterrupt:
    """A KeyboardInterrupt that IPython shows as one line (its ``_render_traceback_``).

    The cell still ends in KeyboardInterrupt, so Run All stops there; the frames of the sync
    bridge and its queue say nothing to the user.
    """
    interrupt = KeyboardInterrupt(_INTERRUPTED)
    interrupt._render_traceback_ = lambda: [_INTERRUPTED]  # type: ignore[attr-defined]
    return interrupt


def _request_metadata(shell: Any) -> dict[str, Any]:
    """The metadata of the execute request being run (empty outside a kernel)."""
    kernel = getattr(shell, "kernel", None)
    try:
        parent = kernel.get_parent("shell") if kernel is not None else None
    except (AttributeError, TypeError):
        return {}
    metadata = (parent or {}).get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def _cell_id(metadata: dict[str, Any]) -> str | None:
    """The notebook's id for the running cell (JupyterLab and Notebook 7 send it), if any."""
    cell_id = metadata.get("cellId")
    return cell_id if isinstance(cell_id, str) else None


def _frontend_places_code(metadata: dict[str, Any]) -> bool:
    """Whether the request came from a notebook with our Lab extension, which inserts or
    replaces the code cell itself (it flags each execute request it sends)."""
    flags = metadata.get("g4f_jupyter")
    return isinstance(flags, dict) and flags.get("places_code_cells") is True


@magics_class
class G4FMagics(Magics):
    """The ``%g4f`` magics of one shell (its history is this shell's)."""

    max_history = Integer(5, help="Earlier exchanges sent along with each prompt.").tag(config=True)
    default_provider = Unicode(
        None, allow_none=True, help="This shell's provider when neither -p nor -m is given (default: automatic)."
    ).tag(config=True)
    default_model = Unicode(
        None, allow_none=True, help="This shell's model when neither -p nor -m is given (default: automatic)."
    ).tag(config=True)
    default_format = CaselessStrEnum(FORMATS, default_value="markdown", help="Format used when -f is not given.").tag(
        config=True
    )

    def __init__(self, shell: InteractiveShell, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self.ipython = shell  # the shell, typed as never None (Magics.shell may be)
        self.history = History()
        self._code_cells: set[str] = set()  # notebook cells whose -f code answer already inserted a cell

    def record_error(self, result: Any) -> None:
        """``post_run_cell`` hook: failed cells' tracebacks become ``Err[n]``."""
        record_error(self.ipython.user_ns, result)

    @line_cell_magic
    def g4f(self, line: str, cell: str | None = None) -> Answer | None:
        """Ask a model; ``%g4f help`` shows the options."""
        options = parse_options(line, cell=cell is not None)  # a UsageError for bad options
        if options.subcommand:
            return self._subcommand(options)
        prompt = options.prompt if cell is None else cell.strip("\n")
        if not prompt.strip():
            raise UsageError("empty prompt; %g4f help shows the usage")
        return self.ask(interpolate(prompt, self.ipython.user_ns), options)

    def history_for(self, options: MagicOptions) -> list[dict[str, Any]]:
        """The earlier exchanges one call sends: none with ``--no-history``."""
        return [] if options.no_history else self.history.messages(self.max_history)

    def _choice(self, options: MagicOptions) -> tuple[str | None, str | None]:
        """What the user chose: the options, else this shell's preference, else ``None`` (automatic)."""
        if options.provider or options.model:
            return options.provider, options.model
        return self.default_provider or None, self.default_model or None

    def _variables(self, options: MagicOptions) -> list[dict[str, Any]]:
        """``-c`` names as context items: each variable's summary, never its data."""
        missing = [name for name in options.variables if name not in self.ipython.user_ns]
        if missing:
            raise UsageError(f"-c: no variable named {', '.join(missing)} in this kernel")
        return [variable_item(summary) for summary in summarize(self.ipython.user_ns, options.variables)]

    def ask(
        self, prompt: str, options: MagicOptions, context: list[dict[str, Any]] | None = None, fix: bool = False
    ) -> Answer | None:
        """Stream the answer into the output; the complete text is the cell's value.

        ``context`` items (a cell and its error) go without earlier exchanges; ``fix`` puts the
        answer's code into the cell below, as ``-f code`` does.
        """
        fmt = options.format or self.default_format.lower()
        provider, model = self._choice(options)
        items = [*(context or ()), *self._variables(options)]
        history = [] if context else self.history_for(options)
        live = LiveOutput(self.ipython, fmt)
        state = AnswerState()
        shown_notices = 0
        events = stream(
            prompt, provider=provider, model=model, system=options.system, history=history,
            temperature=options.temperature, max_tokens=options.max_tokens, **({"context": items} if items else {}),
        )
        try:
            with contextlib.closing(events):
                for event in events:
                    if state.apply(event):
                        live.update(state.text)
                    if options.verbose and len(state.notices) > shown_notices:
                        show_text(state.notices[-1])
                        shown_notices = len(state.notices)
        except KeyboardInterrupt:
            # Keep what arrived, then end the cell in KeyboardInterrupt so Run All stops here.
            live.finish(state.text, "[interrupted]")
            raise _interrupt() from None
        except G4FError as exc:
            if options.verbose:
                traceback.print_exc()
            show_error(str(exc))
            return None
        live.finish(state.text)
        if state.failure_message is not None:
            show_error(state.failure_message)
            return None
        if options.verbose and state.provider is not None:
            tokens = f", {state.usage.total_tokens} tokens" if state.usage else ""
            show_text(f"[{state.provider.name} · {state.provider.model}{tokens}]")
        if fmt == "code" and state.text:
            self._insert_code(code_of(state.text))
        elif fix:
            self._insert_fix(state.text)
        if fmt == "image":
            show_media(state.media)
        if not options.no_history:
            self.history.record(prompt, state.text)
        return Answer(state.text, cell=self.ipython.execution_count)

    def _insert_fix(self, answer: str) -> None:
        """The fixed cell goes below when the answer has one; prose is never put into a code cell."""
        if code_blocks(answer):
            self._insert_code(code_of(answer))
        else:
            show_error(_NO_CODE)

    def _insert_code(self, code: str) -> None:
        """Put ``code`` into the cell below; a re-run replaces it where the frontend can.

        Our Lab extension inserts or replaces the cell itself when asked by a display bundle.
        Elsewhere the kernel protocol can only insert below or replace the running cell, so a
        re-run of the same cell (known by the ``cellId`` the notebook sends) does not add another copy.
        """
        metadata = _request_metadata(self.ipython)
        cell_id = _cell_id(metadata)
        if cell_id is not None and _frontend_places_code(metadata):
            show_code_cell(code, cell_id)
            return
        if cell_id is not None and cell_id in self._code_cells:
            show_text(_NOT_REINSERTED)
            return
        self.ipython.set_next_input(code, replace=False)
        if cell_id is not None:
            self._code_cells.add(cell_id)

    def _subcommand(self, options: MagicOptions) -> Answer | None:
        name = options.subcommand
        if name == "help":
            text = help_text()
            show_text(text, f"```text\n{text}\n```")
        elif name == "version":
            show_text(version_text())
        elif name == "list":
            show_text(*providers_table())
        elif name == "reset":
            count = len(self.history)
            self.history.clear()
            show_text(f"history cleared ({count} exchange{'s' if count != 1 else ''} forgotten)")
        elif name in ("explain", "fix", "error"):
            action = "fix" if name == "fix" else "explain"
            question = cell_question(self.ipython, action, options.cell_number)
            if question is None:
                show_error(f"no error recorded yet: {ERR_NAME} is empty")
                return None
            return self.ask(question.prompt, options, question.context, fix=action == "fix")
        return None
