"""%g4f / %%g4f in a real IPython shell, answered by the real embedded model."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from IPython.testing import globalipapp
from IPython.utils.capture import CapturedIO, capture_output

from g4f_jupyter import __version__
from g4f_jupyter.core.events import Content, Event
from g4f_jupyter.core.provider import Provider
from g4f_jupyter.magics import G4FMagics
from g4f_jupyter.magics.options import parse_options
from g4f_jupyter.magics.render import Answer

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def ip() -> Iterator[Any]:
    """The test shell with the extension loaded and a clean slate."""
    globalipapp.start_ipython()  # once per process; later calls return None
    shell = globalipapp.get_ipython()
    shell.run_line_magic("load_ext", "g4f_jupyter")
    magics = shell.magics_manager.registry["G4FMagics"]
    magics.history.clear()
    for name in ("max_history", "default_provider", "default_model", "default_format"):
        setattr(magics, name, magics.traits()[name].default())
    shell.user_ns["Err"] = {}
    shell.rl_next_input = None
    yield shell


def magics_of(shell: Any) -> G4FMagics:
    return shell.magics_manager.registry["G4FMagics"]


def shown(captured: CapturedIO) -> str:
    """Everything a terminal user would read: printed text and displayed text/plain."""
    return captured.stdout + "".join(o.data.get("text/plain", "") + "\n" for o in captured.outputs)


def run(shell: Any, cell: str) -> tuple[Any, CapturedIO]:
    with capture_output() as captured:
        result = shell.run_cell(cell, store_history=True)
    return result, captured


def test_magic_load_ext_registers_line_and_cell_magic(ip: Any) -> None:
    assert "g4f" in ip.magics_manager.magics["line"]
    assert "g4f" in ip.magics_manager.magics["cell"]


def test_magic_line_answer_streams_and_is_the_cell_value(ip: Any) -> None:
    result, captured = run(ip, "%g4f --max-tokens 12 Say hello to the user.")
    answer = result.result
    assert isinstance(answer, Answer) and answer.strip()
    assert answer.strip() in captured.stdout  # streamed into the output
    assert ip.user_ns["Out"][result.execution_count] == answer  # Out[n] holds the text
    assert captured.outputs == []  # the value is not displayed a second time
    assert "Traceback" not in captured.stdout + captured.stderr
    # from a later cell, Out[n] and _ show the answer as Markdown
    for expression in (f"Out[{result.execution_count}]", "_"):
        later, shown_later = run(ip, expression)
        assert later.result == answer
        assert [o.data for o in shown_later.outputs] == [{"text/markdown": answer, "text/plain": answer}]


def test_magic_cell_body_is_the_prompt(ip: Any) -> None:
    cell = "%%g4f -f text -v --max-tokens 12 --temperature 0\nName three colors.\nUse {} braces if you like."
    result, captured = run(ip, cell)
    assert isinstance(result.result, Answer) and result.result.strip()
    assert "[Local · SmolLM2-135M-Instruct, " in shown(captured)  # --verbose names provider and model
    assert magics_of(ip).history.messages(1)[0]["content"] == "Name three colors.\nUse {} braces if you like."
    assert captured.stderr == ""


def test_magic_format_code_sets_next_input_without_fences(ip: Any) -> None:
    result, _ = run(ip, "%g4f -f code --max-tokens 20 Write a Python function that adds two numbers.")
    assert result.result.strip()
    code = ip.rl_next_input
    assert isinstance(code, str) and code.strip()
    assert "```" not in code


def test_magic_interpolation_in_a_real_shell(ip: Any) -> None:
    ip.run_cell("name = 'Ada'", store_history=True)
    source_count = ip.execution_count - 1
    value = ip.run_cell("21 * 2", store_history=True)
    failing = ip.run_cell("{}['missing']", store_history=True)
    assert failing.error_in_exec is not None
    err_count = failing.execution_count
    assert "KeyError: 'missing'" in ip.user_ns["Err"][err_count]
    prompt = (
        f"--max-tokens 4 Hi {{name}}; code {{In[{source_count}]}}; value {{Out[{value.execution_count}]}}; "
        f"error {{Err[{err_count}]}}; "
        "keep d = {'a': {1: 2}}, {}, {{name}}, f\"{name!r:>8}\", {\"k\": [1]}, {nope}"
    )
    result, _ = run(ip, "%g4f " + prompt)
    assert result.result.strip()
    sent = magics_of(ip).history.messages(1)[0]["content"]
    assert sent.startswith("Hi Ada; code name = 'Ada'; value 42; error Traceback (most recent call last):")
    assert "KeyError: 'missing'" in sent
    assert sent.endswith("keep d = {'a': {1: 2}}, {}, {{name}}, f\"{name!r:>8}\", {\"k\": [1]}, {nope}")


def test_magic_history_grows_is_sent_and_resets(ip: Any) -> None:
    magics = magics_of(ip)
    first, _ = run(ip, "%g4f --max-tokens 8 My favourite fruit is mango. Say ok.")
    asked, _ = run(ip, "%g4f --max-tokens 8 What is my favourite fruit?")
    assert asked.result is not None  # a trailing ? is not IPython's help here
    assert len(magics.history) == 2
    sent = magics.history_for(parse_options("next"))
    assert sent[0] == {"role": "user", "content": "My favourite fruit is mango. Say ok."}
    assert sent[1] == {"role": "assistant", "content": str(first.result)}
    assert [m["role"] for m in sent] == ["user", "assistant", "user", "assistant"]

    ip.run_line_magic("config", "G4FMagics.max_history = 1")
    assert next(m["content"] for m in magics.history_for(parse_options("next"))) == "What is my favourite fruit?"
    assert magics.history_for(parse_options("--no-history next")) == []

    run(ip, "%g4f --no-history --max-tokens 4 Say yes.")
    assert len(magics.history) == 2  # --no-history records nothing

    _, captured = run(ip, "%g4f reset")
    assert len(magics.history) == 0
    assert "2 exchanges forgotten" in shown(captured)


def test_magic_config_defaults_apply(ip: Any) -> None:
    ip.run_line_magic("config", "G4FMagics.default_provider = 'NoSuchProvider'")
    result, captured = run(ip, "%g4f hello")
    assert result.result is None
    assert "unknown provider 'NoSuchProvider'" in captured.stderr
    ip.run_line_magic("config", "G4FMagics.default_provider = 'Local'")
    ip.run_line_magic("config", "G4FMagics.default_format = 'text'")
    result, _ = run(ip, "%g4f --max-tokens 4 hello")
    assert result.result.strip()


def test_magic_unknown_provider_and_model_are_one_line_without_traceback(ip: Any) -> None:
    result, captured = run(ip, "%g4f -p Nope hello")
    assert result.result is None and result.error_in_exec is None
    lines = captured.stderr.strip().splitlines()
    assert lines == [lines[0]] and lines[0].startswith("unknown provider 'Nope'; choose one of: Local")
    assert "Traceback" not in captured.stdout + captured.stderr

    result, captured = run(ip, "%g4f -m Local:gpt-9 hello")
    assert result.result is None
    assert captured.stderr.strip() == "Local has no model 'gpt-9'; choose one of: SmolLM2-135M-Instruct"

    result, captured = run(ip, "%g4f --verbose -p Nope hello")
    assert "Traceback" in captured.stderr  # only --verbose shows it


def test_magic_missing_key_names_the_variable(
    ip: Any, user_providers_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("G4F_MAGIC_TEST_UNSET_KEY", raising=False)
    (user_providers_dir / "Keyed.toml").write_text(
        'name = "Keyed"\ndriver = "openai"\napi_base = "http://127.0.0.1:9/v1"\n'
        'needs_auth = true\napi_key_env = "G4F_MAGIC_TEST_UNSET_KEY"\nmodels = ["m1"]\n'
    )
    result, captured = run(ip, "%g4f -p Keyed hello")
    assert result.result is None
    assert captured.stderr.strip() == "Keyed needs an API key: set the environment variable G4F_MAGIC_TEST_UNSET_KEY"
    _, listed = run(ip, "%g4f list")
    assert "Keyed [missing: set G4F_MAGIC_TEST_UNSET_KEY]: m1" in shown(listed)


class _Failing(BaseHTTPRequestHandler):
    """An OpenAI-compatible server that refuses every chat request."""

    def do_POST(self) -> None:
        status = 401 if "refused" in self.path else 503
        body = json.dumps({"error": {"message": "the model is overloaded" if status == 503 else "bad key"}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def failing_server(loopback: Callable[[type[BaseHTTPRequestHandler]], str]) -> str:
    return loopback(_Failing)


def test_magic_provider_http_errors_show_status_and_message(
    ip: Any, user_providers_dir: Path, failing_server: str
) -> None:
    for name, base in (("Busy", f"{failing_server}/v1"), ("Refusing", f"{failing_server}/refused/v1")):
        (user_providers_dir / f"{name}.toml").write_text(
            f'name = "{name}"\ndriver = "openai"\napi_base = "{base}"\nmodels = ["m1"]\n'
        )
    result, captured = run(ip, "%g4f -p Busy hello")
    assert result.result is None and magics_of(ip).history.messages(5) == []
    assert "HTTP 503" in captured.stderr and "the model is overloaded" in captured.stderr
    assert len(captured.stderr.strip().splitlines()) == 1 and "Traceback" not in captured.stderr

    result, captured = run(ip, "%g4f -p Refusing hello")
    assert result.result is None
    assert captured.stderr.strip() == "Refusing: HTTP 401: bad key"
    assert len(captured.stderr.strip().splitlines()) == 1


def test_magic_error_subcommand_explains_the_last_traceback(ip: Any) -> None:
    _, captured = run(ip, "%g4f error")
    assert captured.stderr.strip() == "no error recorded yet: Err is empty"
    ip.run_cell("1 / 0", store_history=True)
    result, _ = run(ip, "%g4f --max-tokens 8 error")
    assert result.result.strip()  # the cell and its traceback went as context (what is sent: test_magic_cell_context)
    asked = magics_of(ip).history.messages(1)[0]["content"]
    assert asked == "Explain the error of the notebook cell above and how to fix it, briefly."


def test_magic_list_help_version(ip: Any) -> None:
    _, listed = run(ip, "%g4f list")
    assert "Local (default) [not needed]: SmolLM2-135M-Instruct" in shown(listed)
    assert "OpenAI [" in shown(listed) and "OPENAI_API_KEY" in shown(listed)
    _, helped = run(ip, "%g4f help")
    for word in ("--provider", "--format", "--no-history", "list", "reset", "error", "{Err[3]}", "max_history"):
        assert word in shown(helped)
    _, version = run(ip, "%g4f version")
    assert shown(version).strip().startswith(f"g4f-jupyter {__version__}")
    _, bad = run(ip, "%g4f -f yaml hi")
    assert bad.stderr.strip().startswith("UsageError: unknown format 'yaml'")  # IPython's one-line usage error



def test_magic_unload_removes_magics_hook_and_transform_and_reload_does_not_double(ip: Any) -> None:
    from g4f_jupyter.magics.input import keep_question_marks

    def hooks() -> list[Any]:
        return [c for c in ip.events.callbacks["post_run_cell"] if isinstance(getattr(c, "__self__", None), G4FMagics)]

    assert len(hooks()) == 1 and keep_question_marks in ip.input_transformers_cleanup
    ip.run_line_magic("unload_ext", "g4f_jupyter")
    try:
        assert "g4f" not in ip.magics_manager.magics["line"] and "g4f" not in ip.magics_manager.magics["cell"]
        assert hooks() == [] and keep_question_marks not in ip.input_transformers_cleanup
        assert not [c for c in ip.configurables if isinstance(c, G4FMagics)]
        result, _ = run(ip, "%g4f hello")
        assert result.error_in_exec is not None  # the magic is gone
    finally:
        ip.run_line_magic("load_ext", "g4f_jupyter")
    ip.run_line_magic("reload_ext", "g4f_jupyter")
    assert len(hooks()) == 1 and ip.input_transformers_cleanup.count(keep_question_marks) == 1
    assert len([c for c in ip.configurables if isinstance(c, G4FMagics)]) == 1
    _, captured = run(ip, "%g4f version")
    assert shown(captured).startswith("g4f-jupyter")


def test_magic_usage_mistakes_are_ipython_usage_errors(ip: Any) -> None:
    for cell in ("%g4f --tempreature 1 hi", "%g4f   ", "%%g4f write a poem\nx"):
        result, captured = run(ip, cell)
        assert type(result.error_in_exec).__name__ == "UsageError"
        assert captured.stderr.startswith("UsageError: ") and len(captured.stderr.strip().splitlines()) == 1


class EchoProvider(Provider):
    """A catalog provider that answers with the last message it was sent."""

    async def create_async_generator(self, model: str, messages: list, **kwargs: Any) -> AsyncIterator[Event]:
        yield Content(f"echo: {messages[-1]['content']}")


def test_magic_without_a_choice_follows_the_operators_default(
    ip: Any, user_providers_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (user_providers_dir / "Echo.toml").write_text(
        'name = "Echo"\ndriver = "test_magic_shell:EchoProvider"\nmodels = ["echo-1"]\n', "utf-8"
    )
    monkeypatch.setenv("G4F_JUPYTER_DEFAULT_PROVIDER", "Echo")  # what the server exports to its kernels
    result, _ = run(ip, "%g4f --no-history hi there")
    assert result.result == "echo: hi there"
    result, _ = run(ip, "%g4f --no-history -p Local --max-tokens 4 hi")  # a choice wins
    assert result.result.strip() and not result.result.startswith("echo:")
    ip.run_line_magic("config", "G4FMagics.default_provider = 'Local'")  # so does this shell's preference
    result, _ = run(ip, "%g4f --no-history --max-tokens 4 hi")
    assert result.result.strip() and not result.result.startswith("echo:")
