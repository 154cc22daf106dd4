"""Formats: which IPython display object an answer becomes, while streaming and at the end."""

from __future__ import annotations

from IPython.display import HTML, JSON, Code, Markdown, Math, Pretty

from g4f_jupyter.magics.render import render


def test_magic_render_final_formats() -> None:
    fenced_html = "```html\n<b>{x}</b>\n```"
    markdown = render("# Title {}", "markdown")
    assert isinstance(markdown, Markdown) and markdown.data == "# Title {}"
    assert isinstance(render(fenced_html, "html"), HTML) and render(fenced_html, "html").data == "<b>{x}</b>"
    math = render("$$\\frac{1}{2}$$", "math")
    assert isinstance(math, Math) and "\\frac{1}{2}" in math._repr_latex_()
    code = render("Here:\n```python\nprint({'a': 1})\n```\nDone.", "code")
    assert isinstance(code, Code) and code.data == "print({'a': 1})"
    data = render('```json\n{"a": [1, {"b": null}]}\n```', "json")
    assert isinstance(data, JSON) and data.data == {"a": [1, {"b": None}]}
    assert isinstance(render("not json {", "json"), Pretty)
    text = render("plain *text*", "text")
    assert isinstance(text, Pretty) and text.data == "plain *text*"


def test_magic_render_while_streaming_shows_raw_text() -> None:
    partial = "```python\ndef f("
    assert isinstance(render(partial, "code", final=False), Markdown)
    assert isinstance(render('{"a": ', "json", final=False), Pretty)
