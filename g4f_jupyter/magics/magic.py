"""``%g4f`` and ``%%g4f``: ask a model from a cell and watch the answer stream in.

A thin layer: options (:mod:`.magics_options`), placeholders (:mod:`.magics_interp`),
output (:mod:`.magics_render`) and history (:mod:`.magics_history`) each live in their
own module, and the conversation itself goes through :func:`g4f_jupyter.api.stream`.
"""

from __future__ import annotations

import contextlib
import traceback
from typing import Any

from IPython.core.magic import Magics, line_cell_magic, magics_class
from traitlets import CaselessStrEnum, Integer, Unicode

from .api import stream
from .core.events import Auth, Content, Error, Media, Message, ProviderInfo, Usage
from .errors import G4FError
from .magics_history import ERR_NAME, History, conversation_messages, last_error, record_error
from .magics_input import install as install_input_transform
from .magics_interp import interpolate
from .magics_options import FORMATS, MagicOptions, parse_options
from .magics_render import Answer, LiveOutput, show_error, show_text, strip_fences
from .magics_text import help_text, providers_table, version_text

__all__ = ["G4FMagics"]

_ERROR_PROMPT = "Explain the following Python error and how to fix it, briefly:\n\n"


@magics_class
class G4FMagics(Magics):
    """The ``%g4f`` magics of one shell (its history is this shell's)."""

    max_history = Integer(5, help="Earlier exchanges sent along with each prompt.").tag(config=True)
    default_provider = Unicode(None, allow_none=True, help="Provider used when -p is not given.").tag(config=True)
    default_model = Unicode(None, allow_none=True, help="Model used when neither -p nor -m is given.").tag(config=True)
    default_format = CaselessStrEnum(FORMATS, default_value="markdown", help="Format used when -f is not given.").tag(
        config=True
    )

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self.history = History()
        if shell is not None:
            shell.user_ns.setdefault(ERR_NAME, {})
            callbacks = shell.events.callbacks["post_run_cell"]
            for callback in list(callbacks):  # %reload_ext: the old instance stops recording
                if isinstance(getattr(callback, "__self__", None), G4FMagics):
                    shell.events.unregister("post_run_cell", callback)
            shell.events.register("post_run_cell", self._record_error)
            install_input_transform(shell)

    def _record_error(self, result: Any) -> None:
        record_error(self.shell.user_ns, result)

    @line_cell_magic
    def g4f(self, line: str, cell: str | None = None) -> Answer | None:
        """Ask a model; ``%g4f help`` shows the options."""
        try:
            options = parse_options(line, cell=cell is not None)
        except G4FError as exc:
            show_error(str(exc))
            return None
        if options.subcommand:
            return self._subcommand(options)
        prompt = options.prompt if cell is None else cell.strip("\n")
        if not prompt.strip():
            show_error("empty prompt; %g4f help shows the usage")
            return None
        return self.ask(interpolate(prompt, self.shell.user_ns), options)

    def messages_for(self, prompt: str, options: MagicOptions) -> list[dict[str, Any]]:
        """The messages one call sends: ``--no-history`` sends no earlier exchanges."""
        history = None if options.no_history else self.history
        return conversation_messages(prompt, options.system, history, self.max_history)

    def _target(self, options: MagicOptions) -> tuple[str | None, str | None]:
        """Provider and model, the configured defaults filling what was not given."""
        provider = options.provider
        if provider is None and not (options.model and ":" in options.model):
            provider = self.default_provider or None
        model = options.model
        if model is None and options.provider is None:
            model = self.default_model or None
        return provider, model

    def ask(self, prompt: str, options: MagicOptions) -> Answer | None:
        """Stream the answer into the output; the complete text is the cell's value."""
        fmt = options.format or self.default_format.lower()
        provider, model = self._target(options)
        live = LiveOutput(self.shell, fmt)
        parts: list[str] = []
        used: ProviderInfo | None = None
        usage: Usage | None = None
        failure: str | None = None
        events = stream(
            self.messages_for(prompt, options), provider=provider, model=model,
            temperature=options.temperature, max_tokens=options.max_tokens,
        )
        try:
            with contextlib.closing(events):
                for event in events:
                    if isinstance(event, (Content, Media)):
                        parts.append(event.content)  # an image's content is its Markdown
                        live.update("".join(parts))
                    elif isinstance(event, ProviderInfo):
                        used = event
                    elif isinstance(event, Usage):
                        usage = event
                    elif isinstance(event, (Auth, Error)):
                        failure = event.message  # the stream ends after it
                    elif isinstance(event, Message) and options.verbose:
                        show_text(f"{event.error}: {event.message}")
        except KeyboardInterrupt:
            # Keep what arrived, then let the interrupt through: like any interrupted cell it
            # ends in KeyboardInterrupt, so Run All stops instead of going on to the next cell.
            live.finish("".join(parts), "[interrupted]")
            raise
        except G4FError as exc:
            if options.verbose:
                traceback.print_exc()
            show_error(str(exc))
            return None
        text = "".join(parts)
        live.finish(text)
        if failure is not None:
            show_error(failure)
            return None
        if options.verbose and used is not None:
            tokens = f", {usage.total_tokens} tokens" if usage else ""
            show_text(f"[{used.name} · {used.model}{tokens}]")
        if fmt == "code" and text:
            self.shell.set_next_input(strip_fences(text), replace=False)
        if not options.no_history:
            self.history.record(prompt, text)
        return Answer(text)

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
        elif name == "error":
            found = last_error(self.shell.user_ns)
            if found is None:
                show_error(f"no error recorded yet: {ERR_NAME} is empty")
                return None
            return self.ask(_ERROR_PROMPT + found[1], options)
        return None
