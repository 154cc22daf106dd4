"""Per-format text extraction: each extractor yields text pieces (a page, a sheet, a block).

Yielding pieces rather than one string lets the reader stream the first page of a long
PDF before the last one is parsed, and report progress as it goes. Extractors are plain
blocking code; :mod:`.ingest` runs them in a worker thread. A document that is a zip
inside (docx, xlsx, odt, epub) is checked by the archive guard before its parser opens it.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from .archive import ArchiveGuard
from .names import PLAIN_EXTENSIONS, ZIP_CONTAINERS, extension

__all__ = ["extract"]

Source = BinaryIO
Extractor = Callable[[Source], Iterator[str]]
BLOCK = 1024 * 1024  # characters per piece of a plain-text file


def decode_text(data: bytes) -> str:
    """UTF-8 when it is (the fast, common case), else whatever charset-normalizer finds."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        return str(best) if best is not None else data.decode("latin-1")


def _plain(source: Source) -> Iterator[str]:
    text = decode_text(source.read())
    for start in range(0, len(text), BLOCK):
        yield text[start : start + BLOCK]


def _pdf(source: Source) -> Iterator[str]:
    from pypdf import PdfReader

    for page in PdfReader(source).pages:
        text = page.extract_text() or ""
        if text:
            yield text.rstrip("\n") + "\n"


def _docx(source: Source) -> Iterator[str]:
    import docx

    document = docx.Document(source)
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append("\t".join(cell.text for cell in row.cells))
    yield "\n".join(lines) + "\n"


_BLOCKS = (
    "p", "div", "li", "tr", "br", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "section", "article", "table"
)
_HIDDEN = ("script", "style", "noscript", "template", "head")


def _html_text(markup: bytes) -> str:
    """Visible text, one line per block element (inline tags do not break lines).

    lxml directly rather than BeautifulSoup: the same parser without a Python tree on
    top, several times faster on large pages.
    """
    import lxml.html

    root = lxml.html.document_fromstring(markup)
    for element in list(root.iter(*_HIDDEN)):
        element.drop_tree()
    for element in root.iter(*_BLOCKS):
        element.tail = "\n" + (element.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().splitlines())
    return "\n".join(line for line in lines if line) + "\n"


def _html(source: Source) -> Iterator[str]:
    yield _html_text(source.read())


def _xlsx(source: Source) -> Iterator[str]:
    from openpyxl import load_workbook

    book = load_workbook(source, read_only=True, data_only=True)
    try:
        for sheet in book.worksheets:
            rows = ("\t".join("" if v is None else str(v) for v in row) for row in sheet.iter_rows(values_only=True))
            yield f"# {sheet.title}\n" + "\n".join(r for r in rows if r.strip()) + "\n"
    finally:
        book.close()


def _walk(node: Any) -> Iterator[Any]:
    for child in node.childNodes:
        yield child
        yield from _walk(child)


def _odt(source: Source) -> Iterator[str]:
    from odf import teletype
    from odf.namespaces import TEXTNS
    from odf.opendocument import load

    blocks = {(TEXTNS, "p"), (TEXTNS, "h")}
    document = load(source)
    nodes = [n for n in _walk(document.text) if getattr(n, "qname", None) in blocks]
    yield "\n".join(teletype.extractText(n) for n in nodes) + "\n"


def _epub(source: Source) -> Iterator[str]:
    """Chapters in spine order: an EPUB is a zip of XHTML named by its OPF package file."""
    from lxml import etree

    def find(tree: Any, tag: str) -> list[Any]:
        return list(tree.xpath(f"//*[local-name()='{tag}']"))

    with zipfile.ZipFile(source) as book:
        container = etree.fromstring(book.read("META-INF/container.xml"))
        opf_path = find(container, "rootfile")[0].get("full-path")
        package = etree.fromstring(book.read(opf_path))
        base = posixpath.dirname(opf_path)
        items = {i.get("id"): i.get("href") for i in find(package, "item") if i.get("id") and i.get("href")}
        for ref in find(package, "itemref"):
            href = items.get(ref.get("idref", ""))
            if href:
                yield _html_text(book.read(posixpath.normpath(posixpath.join(base, href))))


EXTRACTORS: dict[str, Extractor] = {
    "pdf": _pdf,
    "docx": _docx,
    "html": _html,
    "htm": _html,
    "xlsx": _xlsx,
    "odt": _odt,
    "epub": _epub,
    **{ext: _plain for ext in PLAIN_EXTENSIONS},
}


def extract(name: str, source: Source, guard: ArchiveGuard) -> Iterator[str]:
    """Text pieces of one document (not ``.zip``: :meth:`ArchiveGuard.walk` walks those).

    Raises :class:`~.archive.UnsafeArchive` for a zip-based document the guard refuses.
    """
    ext = extension(name)
    extractor = EXTRACTORS.get(ext)
    if extractor is None:
        raise ValueError(f"unsupported file type: {name}")
    if ext in ZIP_CONTAINERS:
        guard.check_container(name, source)
    return extractor(source)
