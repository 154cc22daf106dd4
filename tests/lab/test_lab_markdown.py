"""Answers render as sanitized Markdown in the Lab panel: tables, lists, code; no script runs.

The answer comes from a loopback OpenAI-compatible server that streams the question back,
so the Markdown (and the hostile HTML in it) is exactly what the test wrote.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright, expect

from tests.conftest import Serve

MARKDOWN = """| planet | moons |
|---|---|
| Mars | 2 |

- first
- second

Call `reverse()` here.

```python
print("hi")
```

<script>window.g4fRan = 1</script>

<img src="x" onerror="window.g4fRan = 2"> <a href="javascript:window.g4fRan = 3">link</a>
"""


class Echo(BaseHTTPRequestHandler):
    """``/v1/chat/completions`` that streams the last message back in small SSE chunks."""

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        text = body["messages"][-1]["content"]
        text = text if isinstance(text, str) else "".join(part.get("text", "") for part in text)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for start in range(0, len(text), 16):
            chunk = {"choices": [{"delta": {"content": text[start:start + 16]}}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")


@pytest.fixture
def echo_provider(loopback: Serve, user_providers_dir: Path) -> str:
    base = loopback(Echo)
    (user_providers_dir / "Echo.toml").write_text(
        f'name = "Echo"\ndriver = "openai"\napi_base = "{base}/v1"\nmodels = ["echo"]\n', "utf-8"
    )
    return "Echo"


@pytest.mark.asyncio
async def test_answers_render_as_markdown_and_no_script_in_them_runs(
    echo_provider: str, lab: tuple[str, str], artifacts_dir: Path, chromium_options: dict[str, Any]
) -> None:
    url, token = lab
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**chromium_options)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            await page.goto(f"{url}/lab?token={token}", timeout=90_000)
            await page.locator(".jp-SideBar.jp-mod-right .lm-TabBar-tab[title='g4f chat']").click(timeout=90_000)
            panel = page.locator(".g4f-lab-panel")
            await panel.locator("select.g4f-lab-provider").select_option(echo_provider)
            prompt = panel.locator("textarea.g4f-lab-prompt")
            await prompt.fill(MARKDOWN)
            await prompt.press("Enter")

            answer = panel.locator(".g4f-lab-assistant .g4f-lab-body")
            await expect(answer.locator("table td", has_text="Mars")).to_be_visible(timeout=60_000)
            await expect(answer.locator("ul > li")).to_have_count(2)
            await expect(answer.locator("p code")).to_have_text("reverse()")
            await expect(answer.locator("pre code")).to_have_text('print("hi")')
            await expect(panel.locator(".g4f-lab-assistant button.g4f-lab-insert")).to_have_count(1)
            await expect(answer.locator("a", has_text="link")).to_be_visible()
            await answer.locator("a", has_text="link").click()
            assert await answer.locator("script").count() == 0
            assert await answer.locator("[onerror]").count() == 0
            assert await answer.locator("a[href^='javascript:']").count() == 0
            assert await page.evaluate("window.g4fRan") is None  # neither the script, onerror nor the link ran
            await page.screenshot(path=str(artifacts_dir / "lab-panel-markdown.png"))
        finally:
            await browser.close()
