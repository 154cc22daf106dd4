"""``POST backend-api/v2/conversations/<id>/export``: Markdown and notebooks in the file browser, never overwriting."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
import pytest_asyncio
from tornado.httpclient import HTTPResponse

Fetch = Callable[..., Any]
URL = "backend-api/v2/conversations"

ANSWER = """Here is a function:

```python
def square(x):
    return x * x
```

Call it like this:

```py
print(square(7))
```

Install nothing:

```bash
echo "no install needed"
```

```
print("untagged runs too")
```
"""

CHAT = {
    "id": "c-export",
    "title": "Squares in Python!",
    "system": "Be brief.",
    "items": [
        {"role": "user", "content": "How do I square a number?"},
        {
            "role": "assistant",
            "content": ANSWER,
            "provider": {"name": "Local", "label": "Local", "model": "SmolLM2-135M-Instruct", "url": ""},
        },
        {"role": "user", "content": "Thanks"},
        {"role": "assistant", "content": "You are welcome."},
    ],
}


def body_of(response: HTTPResponse) -> Any:
    return json.loads(response.body)


@pytest_asyncio.fixture
async def saved(raw_fetch: Fetch) -> str:
    response = await raw_fetch(f"{URL}/c-export", "PUT", CHAT)
    assert response.code == 200
    return "c-export"


@pytest.mark.asyncio
async def test_a_notebook_has_turns_as_markdown_and_code_blocks_as_code_cells(
    raw_fetch: Fetch, saved: str, jp_root_dir: Path
) -> None:
    response = await raw_fetch(f"{URL}/{saved}/export", "POST", {"format": "ipynb"})
    assert response.code == 200 and body_of(response) == {"path": "squares-in-python.ipynb"}
    notebook = nbformat.read(jp_root_dir / "squares-in-python.ipynb", as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3" and notebook.metadata.language_info.name == "python"
    cells = [(cell.cell_type, cell.source) for cell in notebook.cells]
    assert cells == [
        ("markdown", "# Squares in Python!\n\n> **System prompt:** Be brief."),
        ("markdown", "**You**\n\nHow do I square a number?"),
        ("markdown", "**Assistant** (Local · SmolLM2-135M-Instruct)\n\nHere is a function:"),
        ("code", "def square(x):\n    return x * x"),
        ("markdown", "Call it like this:"),
        ("code", "print(square(7))"),
        ("markdown", 'Install nothing:\n\n```bash\necho "no install needed"\n```'),  # not Python: shown, not run
        ("code", 'print("untagged runs too")'),
        ("markdown", "**You**\n\nThanks"),
        ("markdown", "**Assistant**\n\nYou are welcome."),
    ]

    # the contents API (what JupyterLab opens files with) reads it as a notebook
    opened = await raw_fetch("api/contents/squares-in-python.ipynb")
    assert opened.code == 200 and body_of(opened)["type"] == "notebook"


@pytest.mark.asyncio
async def test_markdown_export_and_free_names_never_overwrite(raw_fetch: Fetch, saved: str, jp_root_dir: Path) -> None:
    export = f"{URL}/{saved}/export"
    paths = [body_of(await raw_fetch(export, "POST", {"format": "markdown"}))["path"] for _ in range(3)]
    assert paths == ["squares-in-python.md", "squares-in-python-1.md", "squares-in-python-2.md"]
    text = (jp_root_dir / "squares-in-python.md").read_text("utf-8")
    assert text.startswith(
        "# Squares in Python!\n\n> **System prompt:** Be brief.\n\n**You**\n\nHow do I square a number?"
    )
    assert "**Assistant** (Local · SmolLM2-135M-Instruct)\n\nHere is a function:\n\n```python\ndef square(x):" in text
    assert text.endswith("**Assistant**\n\nYou are welcome.\n")

    (jp_root_dir / "squares-in-python.ipynb").write_text("a file of the user's", "utf-8")
    response = await raw_fetch(f"{URL}/{saved}/export", "POST", {"format": "ipynb"})
    assert body_of(response)["path"] == "squares-in-python-1.ipynb"
    assert (jp_root_dir / "squares-in-python.ipynb").read_text("utf-8") == "a file of the user's"


@pytest.mark.asyncio
async def test_export_into_a_folder_and_titles_that_make_odd_names(raw_fetch: Fetch, jp_root_dir: Path) -> None:
    (jp_root_dir / "notes" / "chats").mkdir(parents=True)
    await raw_fetch(f"{URL}/odd", "PUT", {"title": "Café ☕ — résumé/../../etc", "items": []})
    response = await raw_fetch(f"{URL}/odd/export", "POST", {"format": "markdown", "directory": "notes/chats/"})
    assert response.code == 200 and body_of(response) == {"path": "notes/chats/cafe-resume-etc.md"}
    assert (jp_root_dir / "notes" / "chats" / "cafe-resume-etc.md").is_file()

    await raw_fetch(f"{URL}/symbols", "PUT", {"title": "☕☕", "items": []})
    response = await raw_fetch(f"{URL}/symbols/export", "POST", {"format": "ipynb"})
    assert body_of(response) == {"path": "chat.ipynb"}
    notebook = nbformat.read(jp_root_dir / "chat.ipynb", as_version=4)
    assert [cell.source for cell in notebook.cells] == ["# ☕☕"]


@pytest.mark.asyncio
async def test_a_chat_about_another_language_gets_that_language(raw_fetch: Fetch, jp_root_dir: Path) -> None:
    answer = "```javascript\nconsole.log(1)\n```\n\n```js\nlet a = 2\n```\n\n```python\nprint(3)\n```"
    await raw_fetch(f"{URL}/js", "PUT", {"title": "JS", "items": [{"role": "assistant", "content": answer}]})
    path = body_of(await raw_fetch(f"{URL}/js/export", "POST", {"format": "ipynb"}))["path"]
    notebook = nbformat.read(jp_root_dir / path, as_version=4)
    assert notebook.metadata.language_info.name == "javascript" and "kernelspec" not in notebook.metadata
    assert [cell.cell_type for cell in notebook.cells] == ["markdown", "markdown", "code", "code", "markdown"]
    assert notebook.cells[-1].source == "```python\nprint(3)\n```"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("path", "body", "status", "wanted"),
    [
        (f"{URL}/c-export/export", {"format": "pdf"}, 400, "format"),
        (f"{URL}/c-export/export", {}, 400, "format is required"),
        (f"{URL}/c-export/export", {"format": "ipynb", "overwrite": True}, 400, "overwrite"),
        (f"{URL}/c-export/export", {"format": "ipynb", "directory": "../outside"}, 400, "directory"),
        (f"{URL}/c-export/export", {"format": "ipynb", "directory": "/etc"}, 400, "directory"),
        (f"{URL}/c-export/export", {"format": "ipynb", "directory": "a/../../b"}, 400, "directory"),
        (f"{URL}/c-export/export", {"format": "ipynb", "directory": 5}, 400, "directory"),
        (f"{URL}/c-export/export", {"format": "ipynb", "directory": "missing"}, 404, "no folder 'missing'"),
        (f"{URL}/c-export/export", {"format": "ipynb", "directory": ".hidden"}, 400, "hidden folder"),
        (f"{URL}/c-export/export", {"format": "ipynb", "directory": ".hidden/inner"}, 400, "hidden folder"),
        (f"{URL}/none-such/export", {"format": "ipynb"}, 404, "no saved chat"),
    ],
)
async def test_bad_exports_are_clear_errors_and_create_nothing(
    raw_fetch: Fetch, error_message: Callable[[HTTPResponse], str], saved: str, jp_root_dir: Path,
    path: str, body: Any, status: int, wanted: str,
) -> None:
    (jp_root_dir / ".hidden" / "inner").mkdir(parents=True)
    before = sorted(p.relative_to(jp_root_dir) for p in jp_root_dir.rglob("*"))
    response = await raw_fetch(path, "POST", body)
    assert response.code == status and wanted in error_message(response), (response.code, response.body)
    assert sorted(p.relative_to(jp_root_dir) for p in jp_root_dir.rglob("*")) == before
