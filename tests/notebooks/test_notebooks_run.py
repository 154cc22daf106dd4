"""Every example notebook runs top to bottom on a real kernel, and shows what it promises."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def run(name: str, tmp_path: Path, **env: str) -> list[str]:
    """Execute ``notebooks/<name>.ipynb`` in a fresh kernel on the test's data dirs.

    Returns the text of each code cell's outputs.
    """
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    kernel_env = {**os.environ, **env}  # G4F_JUPYTER_DATA_DIR / _PROVIDERS_DIR: this test's sandbox
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute(
        env=kernel_env
    )
    return [_text(cell) for cell in nb.cells if cell.cell_type == "code"]


def _text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        for mime, value in output.get("data", {}).items():
            parts.append(json.dumps(value) if mime == WIDGET_VIEW else f"[{mime}] {value}")
    return "\n".join(parts)


def test_notebooks_are_saved_without_outputs() -> None:
    names = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    assert names == ["buckets", "chat", "providers", "quickstart", "sharing"]
    for name in names:
        nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, name


def test_quickstart(tmp_path: Path) -> None:
    load, magic, cell_magic, ask, stream = run("quickstart", tmp_path)
    assert load == ""
    assert re.search(r"\[text/markdown\] \S", magic)  # %g4f rendered an answer as Markdown
    assert "def add(a, b)" in cell_magic and "[text/html]" in cell_magic  # -f code: highlighted code
    assert re.search(r"ask\(\) answered: \S", ask)
    assert re.search(r"usage: [1-9]\d* tokens", stream) and re.search(r"finish: (stop|length)", stream)


def test_chat(tmp_path: Path) -> None:
    shown, send, awaited, stopped, conversation = run("chat", tmp_path)
    assert WIDGET_VIEW not in shown and '"model_id"' in shown  # the chat widget's view
    assert "the cell returned while the answer streams: True" in send
    assert re.search(r"answer: \S", awaited)
    assert "finish: {'reason': 'cancelled'}" in stopped
    assert "What is the largest ocean on Earth? - 4 messages" in conversation


def test_buckets(tmp_path: Path, g4f_data_dir: Path) -> None:
    _document, widgets, upload, answer, delete = run("buckets", tmp_path)
    assert '"model_id"' in widgets and widgets.count("model_id") == 2  # chat + upload widgets
    assert "read: 100.0 %" in upload
    assert "files: ['lighthouse.txt']" in upload
    assert "'name': 'setup.exe', 'reason': 'unsupported file type .exe'" in upload
    assert "chat grounded in: True" in upload
    assert "Quexby" in answer  # the name is only in the uploaded document
    assert "deleted: True" in delete
    assert not any((g4f_data_dir / "buckets").iterdir())


def test_sharing(tmp_path: Path, g4f_data_dir: Path) -> None:
    _chat, share, qr, loaded, followed = run("sharing", tmp_path, G4F_SHARE_URL="http://share.test/lab/")
    match = re.search(r"link: http://share\.test/lab/g4f/chat/([0-9a-f]{32})", share)
    assert match, share
    assert "[text/html] <svg" in qr and "Shared chat" in qr
    assert "Suggest a name for a cat. - 2 messages" in loaded
    assert "after another answer: 4 messages" in followed
    stored = json.loads((g4f_data_dir / "shares" / f"{match.group(1)}.json").read_text("utf-8"))
    assert [item["role"] for item in stored["items"]] == ["user", "assistant", "user", "assistant"]


def test_providers(tmp_path: Path, user_providers_dir: Path) -> None:
    _wrote, listing, error, still = run("providers", tmp_path)
    assert (user_providers_dir / "MyServer.toml").is_file()
    assert re.search(r"MyServer\s+My OpenAI-compatible server\s+my-model", listing)
    assert re.search(r"Local\s+Local \(embedded SmolLM2\)", listing)
    assert "error: ProviderUnreachableError - " in error
    assert "MyServer: connection to http://127.0.0.1:9/v1/chat/completions failed" in error
    assert "SSLContext" not in error  # the one line names the server, not the client library's internals
    assert "Traceback" not in error
    assert re.search(r"the embedded model still answers: \S", still)
