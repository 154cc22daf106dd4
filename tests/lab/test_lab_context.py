"""Context chips of the chat panel in real JupyterLab (Chromium, a real kernel): the active cell and the
selected cells reach the provider and a removed chip does not; ``@df`` sends a million-row DataFrame as
its summary computed in the notebook's kernel, not its data; a busy kernel is named on the chip and holds
nothing up; ``@path`` sends a file of the file browser; the notebook goes whole.

The provider is a loopback OpenAI-compatible server that records every request (real protocol, real socket).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from magics.fixing_peer import FixingOpenAI, add_fixer, fresh_peer
from notebook_host import (
    chat_bodies,
    context_text,
    notebook,
    open_notebook,
    open_panel,
    palette,
    quiet_inline_completer,
    run_cell,
)
from playwright.async_api import Browser, Locator, Page, expect

from tests.conftest import Serve

FRAME = (
    "import numpy as np, pandas as pd\n"
    "df = pd.DataFrame({'id': np.arange(1_000_000), 'price': np.linspace(0, 1, 1_000_000)})"
)


@pytest.fixture
def peer(loopback: Serve, user_providers_dir: Path) -> type[FixingOpenAI]:
    recorder = fresh_peer()
    add_fixer(user_providers_dir, loopback(recorder) + "/v1")
    return recorder


@pytest.fixture
def lab_root(tmp_path: Path) -> Path:
    root = tmp_path / "nb"
    root.mkdir()
    quiet_inline_completer(tmp_path)
    return root


@pytest.mark.asyncio
async def test_active_cell_and_selected_cells_reach_the_peer_and_a_removed_chip_does_not(
    peer: type, lab_root: Path, start_lab: Callable[..., tuple[str, str]], browser: Browser, artifacts_dir: Path
) -> None:
    (lab_root / "abc.ipynb").write_text(json.dumps(notebook("a_value = 1", "b_value = 2", "c_value = 3")))
    url, token = start_lab(lab_root, "/a%40b/")
    page, cells = await open_notebook(browser, url, token, "abc.ipynb", 3)
    chat = await open_panel(page, url, token, "Fixer", "fixer")
    chips = chat.view.locator(".g4fc-context .g4fc-ctx")

    # the active cell is on by default, with its estimate
    await cells.nth(1).locator(".cm-content").click()
    await expect(chips).to_have_count(1)
    await expect(chips.first.locator(".g4fc-ctx-label")).to_have_text("cell 2")
    await expect(chips.first.locator(".g4fc-ctx-note")).to_have_text("~3 tokens")  # 11 characters
    await chat.ask("What does it set?")
    [body] = chat_bodies(peer, "What does it set?")  # the question went as typed
    assert "b_value = 2" in context_text(body) and "a_value" not in context_text(body)
    await expect(chat.view.locator("article.g4fc-user").last.locator(".g4fc-role")).to_contain_text("cell: cell 2")
    await expect(chips).to_have_count(1)  # it stays for the next question

    # three selected cells: one chip for all of them
    await page.keyboard.press("Escape")
    await cells.nth(0).locator(".jp-InputPrompt").click()
    await page.keyboard.press("Shift+ArrowDown")
    await page.keyboard.press("Shift+ArrowDown")
    await expect(chips.first.locator(".g4fc-ctx-label")).to_have_text("3 selected cells")
    await page.screenshot(path=str(artifacts_dir / "lab-context-selection.png"))
    await chat.ask("Which values?")
    [body] = chat_bodies(peer, "Which values?")
    assert all(f"{name}_value = {n}" in context_text(body) for n, name in ((1, "a"), (2, "b"), (3, "c")))

    # removed: nothing of the cells goes
    await chips.first.locator(".g4fc-ctx-remove").click()
    await expect(chips).to_have_count(0)
    await chat.ask("And now?")
    [body] = chat_bodies(peer, "And now?")
    assert "_value" not in json.dumps(body["messages"])


@pytest.mark.asyncio
async def test_at_df_sends_the_summary_of_a_million_rows_not_the_data(
    peer: type, lab_root: Path, start_lab: Callable[..., tuple[str, str]], browser: Browser, artifacts_dir: Path
) -> None:
    (lab_root / "frame.ipynb").write_text(json.dumps(notebook(FRAME, "import time; time.sleep(6)")))
    (lab_root / "notes.txt").write_text("The prices are in euros.\n")
    url, token = start_lab(lab_root, "/a%40b/")
    page, cells = await open_notebook(browser, url, token, "frame.ipynb", 2)
    await run_cell(page, cells.first, 1)
    chat = await open_panel(page, url, token, "Fixer", "fixer")
    chips = chat.view.locator(".g4fc-context .g4fc-ctx")
    await chips.first.locator(".g4fc-ctx-remove").click()  # not the active cell this time
    await expect(chips).to_have_count(0)

    # @ completes the kernel's variables; picking one adds its chip, the text stays as typed
    prompt = chat.view.locator(".g4fc-prompt")
    await prompt.click()
    await page.keyboard.type("What is in @d")
    offer = chat.view.locator(".g4fc-mention", has_text="@df")
    await expect(offer).to_be_visible(timeout=10_000)
    await expect(offer.locator(".g4fc-mention-detail")).to_have_text(re.compile("DataFrame"))
    await page.keyboard.press("Enter")
    await expect(prompt).to_have_value("What is in @df ")
    chip = chips.filter(has_text="@df")
    await expect(chip.locator(".g4fc-ctx-note")).to_have_text(re.compile(r"^~\d+ tokens$"), timeout=10_000)
    await page.keyboard.type("and @notes.txt?")
    await page.screenshot(path=str(artifacts_dir / "lab-context-variable.png"))
    await page.keyboard.press("Enter")
    await chat.done()
    [body] = chat_bodies(peer, "What is in @df and @notes.txt?")
    sent = context_text(body)
    assert "1,000,000 rows, 2 columns" in sent and "id int64, price float64" in sent
    assert "| 4 | 4 |" in sent  # the first rows, as a table
    assert "| 5 | 5 |" not in sent and len(json.dumps(body)) < 20_000  # not the data
    assert "The prices are in euros." in sent  # @notes.txt, typed out by hand, went too

    # a busy kernel: the chip says so, the question goes at once without it
    await run_cell_async(page, cells.nth(1))
    await expect(page.locator(".jp-StatusBar-Item", has_text=re.compile(r"\| Busy")).first).to_be_visible()
    await prompt.fill("Still @df?")
    await prompt.press("Enter")
    await expect(chat.view.locator(".g4fc-notice-line.g4fc-error").last).to_have_text(
        "Not sent with the question: @df: kernel busy", timeout=5_000
    )
    await chat.done(timeout=10_000)
    [body] = chat_bodies(peer, "Still @df?")
    assert "1,000,000 rows" not in context_text(body)


async def run_cell_async(page: Page, cell: Locator) -> None:
    """Start ``cell`` running and return at once."""
    await cell.locator(".cm-content").click()
    await page.keyboard.press("Control+Enter")


@pytest.mark.asyncio
async def test_the_notebook_goes_whole_with_its_outputs_summarized(
    peer: type, lab_root: Path, start_lab: Callable[..., tuple[str, str]], browser: Browser
) -> None:
    sources = [f"step_{i} = {i}\nprint('out', {i})" for i in range(12)]
    (lab_root / "long.ipynb").write_text(json.dumps(notebook(*sources)))
    url, token = start_lab(lab_root, "/a%40b/")
    page, cells = await open_notebook(browser, url, token, "long.ipynb", 12)
    await run_cell(page, cells.nth(3), 1)
    chat = await open_panel(page, url, token, "Fixer", "fixer")
    await cells.nth(3).click()
    await palette(page, "g4f: Add notebook to chat")
    chip = chat.view.locator(".g4fc-context .g4fc-ctx-notebook")
    await expect(chip.locator(".g4fc-ctx-label")).to_have_text("long.ipynb")
    await chat.ask("Summarize the notebook.")
    [body] = chat_bodies(peer, "Summarize the notebook.")
    sent = context_text(body)
    assert all(f"step_{i} = {i}" in sent for i in range(12))
    assert "The whole notebook long.ipynb (12 cells" in sent and "out 3" in sent
    await expect(chip).to_have_count(0)  # it went with that question

    # the question keeps its context: saved with it, and sent again by Regenerate
    listed = await (await page.request.get(chat.api("conversations?limit=1"), headers=auth(token))).json()
    saved = await (await page.request.get(chat.api(f"conversations/{listed['conversations'][0]['id']}"),
                                          headers=auth(token))).json()
    question = saved["items"][0]
    assert question["content"] == "Summarize the notebook."
    assert sorted(item["kind"] for item in question["context"]) == ["cell", "notebook"]
    await chat.view.locator(".g4fc-regenerate").click()
    await chat.done()
    again = chat_bodies(peer, "Summarize the notebook.")
    assert len(again) == 2 and "step_11 = 11" in context_text(again[1])


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"token {token}"}
