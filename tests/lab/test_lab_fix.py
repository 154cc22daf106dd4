"""Explain and Fix a cell in real JupyterLab (Chromium, a real kernel): the panel asks with the cell and
its traceback, a Fix answer's code shows as a diff against the cell, Apply replaces the cell's source
(Ctrl+Z in the cell undoes it), Apply and run, Insert below; Insert into notebook with no notebook open.

The provider is a loopback OpenAI-compatible server that answers a fixed code block when the prompt
holds a traceback (it stands in for a capable model; real protocol, real socket).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from magics.fixing_peer import FIXED_CODE, FixingOpenAI, add_fixer, fresh_peer
from notebook_host import (
    chat_bodies,
    context_text,
    notebook,
    open_notebook,
    open_panel,
    palette,
    quiet_inline_completer,
    run_cell,
    source,
)
from pages.echo_peer import EchoOpenAI, add_echo_provider
from playwright.async_api import Browser, expect

from tests.conftest import Serve

FIX_QUESTION = "Fix the error in this cell. Answer with the whole corrected cell in one code block."
FAILING = "print(1/0)"


@pytest.fixture
def fixer(loopback: Serve, user_providers_dir: Path) -> type[FixingOpenAI]:
    peer = fresh_peer()
    add_fixer(user_providers_dir, loopback(peer) + "/v1")
    return peer


@pytest.fixture
def lab_root(tmp_path: Path) -> Path:
    root = tmp_path / "nb"
    root.mkdir()
    quiet_inline_completer(tmp_path)
    return root


@pytest.mark.asyncio
async def test_fix_shows_a_diff_apply_replaces_the_cell_and_ctrl_z_restores_it(
    fixer: type, lab_root: Path, start_lab: Callable[..., tuple[str, str]], browser: Browser, artifacts_dir: Path
) -> None:
    (lab_root / "fix.ipynb").write_text(json.dumps(notebook(FAILING)))
    url, token = start_lab(lab_root, "/a%40b/")
    page, cells = await open_notebook(browser, url, token, "fix.ipynb", 1)
    cell = cells.first
    outputs = cell.locator(".jp-OutputArea")
    await run_cell(page, cell, 1)
    await expect(outputs).to_contain_text("ZeroDivisionError")
    fix_button = cell.locator(".g4f-fix-error")
    await expect(fix_button).to_be_visible()  # under the error output

    chat = await open_panel(page, url, token, "Fixer", "fixer")
    await palette(page, "g4f: Fix cell")
    answer = await chat.done()
    diff = answer.locator(".g4fc-diff")
    await expect(diff.locator(".g4fc-diff-del")).to_have_text(f"- {FAILING}")
    await expect(diff.locator(".g4fc-diff-add")).to_have_text(f"+ {FIXED_CODE}")
    await expect(chat.view.locator("article.g4fc-user").last.locator(".g4fc-content")).to_have_text(FIX_QUESTION)
    await page.screenshot(path=str(artifacts_dir / "lab-fix-diff.png"))

    # the peer got the cell and its traceback as context, before the question as typed
    [body] = chat_bodies(fixer, FIX_QUESTION)
    sent = context_text(body)
    assert FAILING in sent and "ZeroDivisionError" in sent and "Traceback (most recent call last)" in sent
    assert "\x1b[" not in sent  # colour codes stripped

    # Apply: the cell's source is the fix; run it: no error
    await answer.locator(".g4fc-apply").click()
    await expect(cell.locator(".cm-content")).to_have_text(FIXED_CODE)
    await run_cell(page, cell, 2)
    await expect(outputs).to_have_text("1.0")
    await expect(fix_button).to_be_hidden()

    # Ctrl+Z in the cell takes the applied fix back
    await cell.locator(".cm-content").click()
    await page.keyboard.press("Control+z")
    await expect(cell.locator(".cm-content")).to_have_text(FAILING)

    # the button under the error asks again; Apply and run fixes and runs the cell
    await run_cell(page, cell, 3)
    await expect(fix_button).to_be_visible()
    await fix_button.click()
    await expect(chat.view.locator("article.g4fc-assistant")).to_have_count(2, timeout=30_000)
    second = await chat.done()
    await second.locator(".g4fc-apply-run").click()
    await expect(cell.locator(".jp-InputPrompt")).to_contain_text("[4]", timeout=60_000)
    await expect(outputs).to_have_text("1.0")
    assert await source(cell) == FIXED_CODE

    # Insert below: a new cell under it with the code, the cell itself unchanged
    await second.locator(".g4fc-insert-below").click()
    await expect(cells).to_have_count(2)
    await expect(cells.nth(1).locator(".cm-content")).to_have_text(FIXED_CODE)
    assert len(chat_bodies(fixer, FIX_QUESTION)) == 2


@pytest.mark.asyncio
async def test_explain_completes_on_the_embedded_model(
    lab_root: Path, start_lab: Callable[..., tuple[str, str]], browser: Browser
) -> None:
    (lab_root / "explain.ipynb").write_text(json.dumps(notebook("items = [1, 2]\nprint(items[5])")))
    url, token = start_lab(lab_root, "/a%40b/")
    page, cells = await open_notebook(browser, url, token, "explain.ipynb", 1)
    await run_cell(page, cells.first, 1)
    await expect(cells.first.locator(".jp-OutputArea")).to_contain_text("IndexError")
    chat = await open_panel(page, url, token, "Local", "SmolLM2-135M-Instruct")
    await cells.first.click()  # the cell context menu names the commands too
    await cells.first.click(button="right")
    await page.locator(".lm-Menu-itemLabel", has_text="g4f: Explain cell").click()
    answer = await chat.done(timeout=240_000)
    await expect(answer.locator(".g4fc-role")).to_have_text(re.compile("SmolLM2-135M-Instruct"))
    assert (await answer.locator(".g4fc-content").inner_text()).strip()
    assert not await answer.locator(".g4fc-error").count(), await answer.inner_text()
    question = chat.view.locator("article.g4fc-user").last
    await expect(question.locator(".g4fc-content")).to_have_text("Explain what this cell does and why it fails.")
    await expect(question.locator(".g4fc-role")).to_contain_text("cell: In [1]")
    await expect(question.locator(".g4fc-role")).to_contain_text("output: In [1]")


@pytest.mark.asyncio
async def test_insert_into_notebook_with_none_open_makes_one_on_the_default_kernel(
    loopback: Serve, user_providers_dir: Path, lab_root: Path, start_lab: Callable[..., tuple[str, str]],
    browser: Browser,
) -> None:
    add_echo_provider(user_providers_dir, "Echo", loopback(EchoOpenAI) + "/v1")
    url, token = start_lab(lab_root, "/a%40b/")
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    await page.goto(f"{url}/lab?token={token}", timeout=90_000)
    await expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=90_000)
    chat = await open_panel(page, url, token, "Echo", "echo")
    answer = await chat.ask("```python\nprint('inserted')\n```")
    await answer.locator(".g4fc-insert").click()
    cells = page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell")
    await expect(cells).to_have_count(1, timeout=60_000)  # no empty cell above the code
    await expect(cells.first.locator(".cm-content")).to_have_text("print('inserted')")
    await expect(page.locator(".jp-StatusBar-Item", has_text=re.compile(r"Python 3 \(ipykernel\) \| Idle")).first) \
        .to_be_visible(timeout=90_000)  # the default kernel started
    assert not await page.locator(".jp-Dialog").count()  # no "Select Kernel" dialog
    await run_cell(page, cells.first, 1)
    await expect(cells.first.locator(".jp-OutputArea")).to_have_text("inserted")
