"""The pure parts of the magics: option parsing, placeholders, fences, history messages."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from g4f_jupyter.magics.history import History, last_error, record_error
from g4f_jupyter.magics.info import help_text
from g4f_jupyter.magics.input import keep_question_marks
from g4f_jupyter.magics.interpolation import interpolate
from g4f_jupyter.magics.options import OPTIONS, SUBCOMMANDS, parse_options
from g4f_jupyter.service.fences import code_of

# --- options ---------------------------------------------------------------------------


def test_magic_line_options_then_verbatim_prompt() -> None:
    opts = parse_options(
        '-p Local -m SmolLM2-135M-Instruct -f code --temperature 0.2 --max-tokens 64 Say "hi" {x} \'q\''
    )
    assert (opts.provider, opts.model, opts.format) == ("Local", "SmolLM2-135M-Instruct", "code")
    assert opts.temperature == 0.2 and opts.max_tokens == 64
    assert opts.prompt == 'Say "hi" {x} \'q\''


def test_magic_quoted_system_and_flags() -> None:
    opts = parse_options('-s "You are \\"terse\\"." --no-history --verbose --format=json  what  is  {}?')
    assert opts.system == 'You are "terse".'
    assert opts.no_history and opts.verbose and opts.format == "json"
    assert opts.prompt == "what  is  {}?"


def test_magic_prompt_may_start_with_dash_number_and_double_dash_ends_options() -> None:
    assert parse_options("-1 is negative?").prompt == "-1 is negative?"
    assert parse_options("-p Local -- --verbose is a flag?").prompt == "--verbose is a flag?"


@pytest.mark.parametrize(
    "line, fragment",
    [
        ("-f yaml hi", "unknown format 'yaml'; choose one of: markdown, code"),
        ("--temperature hot hi", "--temperature needs a number"),
        ("--max-tokens 0 hi", "--max-tokens needs a positive whole number"),
        ("--tempreature 0.1 hi", "unknown option --tempreature"),
        ("-p", "-p needs a value"),
    ],
)
def test_magic_bad_options_are_one_clear_line(line: str, fragment: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_options(line)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_magic_cell_line_takes_provider_model_word_and_subcommands() -> None:
    opts = parse_options("Local:SmolLM2-135M-Instruct -f html", cell=True)
    assert opts.model == "Local:SmolLM2-135M-Instruct" and opts.format == "html" and opts.prompt == ""
    opts = parse_options("-f html Local:SmolLM2-135M-Instruct", cell=True)
    assert opts.model == "Local:SmolLM2-135M-Instruct" and opts.format == "html"
    assert parse_options("-v error", cell=True).subcommand == "error"
    with pytest.raises(UsageError, match="the cell body is the prompt"):
        parse_options("write a poem", cell=True)


def test_magic_subcommand_only_when_whole_prompt() -> None:
    assert parse_options(" list ").subcommand == "list"
    assert parse_options("help me write a loop").subcommand is None


def test_magic_explain_and_fix_may_name_a_cell() -> None:
    assert (parse_options("fix").subcommand, parse_options("fix").cell_number) == ("fix", None)
    assert (parse_options(" explain 12 ").subcommand, parse_options("explain 12").cell_number) == ("explain", 12)
    assert parse_options("explain why the sky is blue").subcommand is None  # a prompt
    assert parse_options("explain x").subcommand is None and parse_options("list 3").subcommand is None
    opts = parse_options("fix 3", cell=True)
    assert (opts.subcommand, opts.cell_number) == ("fix", 3)
    with pytest.raises(UsageError, match="the cell body is the prompt"):
        parse_options("list 3", cell=True)


def test_magic_context_option_takes_variable_names() -> None:
    opts = parse_options("-c df,model --context=extra what now?")
    assert opts.variables == ("extra",) and opts.prompt == "what now?"  # the last -c wins, as every option
    assert parse_options("-c ' df , model ' hi").variables == ("df", "model")
    for bad in ("-c 1x hi", "-c df,a.b hi", "-c , hi"):
        with pytest.raises(UsageError, match="-c needs variable names separated by commas"):
            parse_options(bad)


# --- placeholders ----------------------------------------------------------------------


def test_magic_interpolation_leaves_every_other_brace_alone() -> None:
    ns = {"name": "Ada", "x": 42, "In": ["", "a = 1", "print(a)"], "Out": {2: [1, 2]}, "Err": {3: "Traceback: boom"}}
    text = (
        'Hi {name}! d = {"a": {1: 2}}, e = {}, {{x}}, f"{x+1} {x!r} {x:>4}", '
        '{"json": [1, {"k": null}]}, set {1, 2}, {unknown}, {In[1]} / {Out[2]} / {Err[3]} / {In[9]} / {Out[7]} {x}'
    )
    assert interpolate(text, ns) == (
        'Hi Ada! d = {"a": {1: 2}}, e = {}, {{x}}, f"{x+1} {x!r} {x:>4}", '
        '{"json": [1, {"k": null}]}, set {1, 2}, {unknown}, a = 1 / [1, 2] / Traceback: boom / {In[9]} / {Out[7]} 42'
    )


def test_magic_interpolation_unbalanced_and_dunder() -> None:
    ns = {"a": 1, "__name__": "__main__"}
    assert interpolate("{ {a {a} a} }} {{ {__name__}", ns) == "{ {a 1 a} }} {{ {__name__}"


# --- fences ----------------------------------------------------------------------------


def test_magic_code_of_real_looking_answers() -> None:
    answer = "Here is the function:\n\n```python\ndef add(a, b):\n    return a + b\n```\n\nCall it with `add(1, 2)`."
    assert code_of(answer) == "def add(a, b):\n    return a + b"
    two = "First:\n```py\nimport os\n```\nThen:\n~~~\nprint(os.getcwd())\n~~~\n"
    assert code_of(two) == "import os\n\nprint(os.getcwd())"
    cut_short = "Sure!\n```python\nfor i in range(3):\n    print(i)\n"
    assert code_of(cut_short) == "for i in range(3):\n    print(i)"
    nested = "````markdown\n```python\nx = 1\n```\n````"
    assert code_of(nested) == "```python\nx = 1\n```"
    assert code_of("\nx = {'a': 1}\n") == "x = {'a': 1}"


def test_magic_help_is_generated_from_the_option_and_subcommand_tables() -> None:
    text = help_text()
    for option in OPTIONS:
        line = next(line for line in text.splitlines() if line.lstrip().startswith(option.spellings[0]))
        assert ", ".join(option.spellings) in line and option.help in line
        value = {"FORMAT": " text", "NAMES": " df", None: ""}.get(option.metavar, " 1")
        parsed = parse_options(f"{option.spellings[-1]}{value} hi")
        assert parsed.prompt == "hi"  # every documented spelling parses
    for name, what in SUBCOMMANDS.items():
        assert f"%g4f {name}" in text and what in text


# --- history ---------------------------------------------------------------------------


def test_magic_history_messages_keep_the_last_n_exchanges() -> None:
    history = History()
    for i in range(4):
        history.record(f"q{i}", f"a{i}")
    assert history.messages(2) == [
        {"role": "user", "content": "q2"},
        {"role": "assistant", "content": "a2"},
        {"role": "user", "content": "q3"},
        {"role": "assistant", "content": "a3"},
    ]
    assert history.messages(0) == []
    history.clear()
    assert len(history) == 0


def test_magic_error_record_keeps_traceback_by_execution_count() -> None:
    class Result:
        execution_count = 7
        error_before_exec = None

        def __init__(self, error: BaseException) -> None:
            self.error_in_exec = error

    try:
        {}["missing"]
    except KeyError as exc:
        error = exc
    ns: dict = {}
    assert last_error(ns) is None
    record_error(ns, Result(error))
    count, text = last_error(ns)
    assert count == 7 and "KeyError: 'missing'" in text and "Traceback" in text


# --- trailing question marks ------------------------------------------------------------


def test_magic_question_mark_lines_become_explicit_calls() -> None:
    lines = ["x = 1\n", "%g4f -m Local what is 'pi'?\n", "%g4f no question\n", "%g4f?\n", "print(x)?\n"]
    assert keep_question_marks(lines) == [
        "x = 1\n",
        "get_ipython().run_line_magic('g4f', \"-m Local what is 'pi'?\")\n",
        "%g4f no question\n",
        "%g4f?\n",
        "print(x)?\n",
    ]
    cell = ["%%g4f\n", "%g4f inside a cell body?\n"]
    assert keep_question_marks(cell) == cell
