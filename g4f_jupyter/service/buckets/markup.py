"""Streaming text out of XML and HTML: lxml parser targets fed in blocks, never a whole tree.

A DOM of a document costs about fifteen times its XML in memory (a 16 MiB
``word/document.xml`` took 238 MiB through python-docx), and a zip-based document can
carry a large XML part in a small file. Fed a block at a time to a parser target, the
text comes out in document order at a constant memory cost, whatever the part's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from lxml import etree

__all__ = ["HtmlText", "OdfText", "WordText", "stream_text"]

FEED_BLOCK = 64 * 1024
PIECE = 256 * 1024  # characters gathered before a piece is handed on

WORD = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
ODF_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"


class _Target:
    """Collects text in document order; subclasses say which tags mean what."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)

    def take(self, final: bool = False) -> str:
        text, self.parts, self.size = "".join(self.parts), [], 0
        return text

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        pass

    def end(self, tag: str) -> None:
        pass

    def data(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


class WordText(_Target):
    """WordprocessingML (``word/document.xml``): a line per paragraph, table cells joined by tabs."""

    def __init__(self) -> None:
        super().__init__()
        self.in_text = False
        self.cells = 0  # depth of table cells we are in

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if tag == WORD + "t":
            self.in_text = True
        elif tag == WORD + "tab":
            self.add("\t")
        elif tag in (WORD + "br", WORD + "cr"):
            self.add("\n")
        elif tag == WORD + "tc":
            self.cells += 1

    def end(self, tag: str) -> None:
        if tag == WORD + "t":
            self.in_text = False
        elif tag == WORD + "p":
            self.add(" " if self.cells else "\n")
        elif tag == WORD + "tc":
            self.cells -= 1
            self.add("\t")
        elif tag == WORD + "tr":
            self.add("\n")

    def data(self, text: str) -> None:
        if self.in_text:
            self.add(text)

    def take(self, final: bool = False) -> str:
        text = super().take(final)
        return text.replace(" \t", "\t").replace("\t\n", "\n")


class OdfText(_Target):
    """OpenDocument text (``content.xml``): a line per paragraph or heading."""

    BLOCKS = (ODF_TEXT + "p", ODF_TEXT + "h")

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # paragraphs may nest (notes, frames): text counts once, a line per outer one

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if tag in self.BLOCKS:
            self.depth += 1
        elif self.depth and tag == ODF_TEXT + "s":
            self.add(" " * min(int(attrib.get(ODF_TEXT + "c", "1") or 1), 1000))
        elif self.depth and tag == ODF_TEXT + "tab":
            self.add("\t")
        elif self.depth and tag == ODF_TEXT + "line-break":
            self.add("\n")

    def end(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self.depth -= 1
            if not self.depth:
                self.add("\n")

    def data(self, text: str) -> None:
        if self.depth:
            self.add(text)


class HtmlText(_Target):
    """Visible HTML text: a line per block element, runs of white space as one space, no empty lines."""

    BLOCKS = frozenset(
        {"p", "div", "li", "tr", "br", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "section",
         "article", "table"}
    )
    HIDDEN = frozenset({"script", "style", "noscript", "template", "head"})

    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1

    def end(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden -= 1
        elif tag in self.BLOCKS:
            self.add("\n")

    def data(self, text: str) -> None:
        if not self.hidden:
            self.add(text)

    def take(self, final: bool = False) -> str:
        """Whole lines only (a line may continue in the next block), each with its spaces folded."""
        text = super().take(final)
        if not final:
            text, newline, rest = text.rpartition("\n")
            self.parts, self.size = [rest], len(rest)
            if not newline:
                return ""
        lines = (" ".join(line.split()) for line in text.split("\n"))
        return "".join(f"{line}\n" for line in lines if line)


def stream_text(source: IO[bytes], target: _Target, html: bool = False) -> Iterator[str]:
    """Text of the markup in ``source``, in pieces, through ``target``; no entities, no network."""
    parser: etree._FeedParser[etree._Element]
    if html:
        parser = etree.HTMLParser(target=target, no_network=True)
    else:
        parser = etree.XMLParser(target=target, resolve_entities=False, no_network=True)
    while block := source.read(FEED_BLOCK):
        parser.feed(block)
        if target.size >= PIECE and (text := target.take()):
            yield text
    parser.close()
    if text := target.take(final=True):
        yield text
