"""Per-format text extraction: each extractor yields text pieces (a page, a sheet, a block).

Yielding pieces rather than one string lets the reader stream the first page of a long
PDF before the last one is parsed, and report progress as it goes. XML and HTML are
streamed through :mod:`.markup` (never a whole tree in memory). Extractors are plain
blocking code; :mod:`.ingest` runs them in a worker thread. A document that is a zip
inside (docx, xlsx, odt, epub) is checked by the archive guard before its parser opens it.
"""

from __future__ import annotations

import codecs
import posixpath
import zipfile
from collections.abc import Callable, Iterator
from typing import IO, Any

from .archive import ArchiveGuard
from .markup import HtmlText, OdfText, WordText, stream_text
from .names import PLAIN_EXTENSIONS, ZIP_CONTAINERS, extension

__all__ = ["extract"]

Source = IO[bytes]
Extractor = Callable[[Source], Iterator[str]]
BLOCK = 1024 * 1024  # bytes per piece of a plain-text file


def _encoding(sample: bytes) -> str:
    """UTF-8 when the sample is (the fast, common case), else whatever charset-normalizer finds."""
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(sample)  # a character cut at the end is fine
        return "utf-8-sig"
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(sample).best()
        return best.encoding if best is not None else "latin-1"


def _plain(source: IO[bytes]) -> Iterator[str]:
    """Decoded a block at a time, so a large text never sits whole in memory (the first block decides
    the encoding; later undecodable bytes become U+FFFD)."""
    block = source.read(BLOCK)
    decoder = codecs.getincrementaldecoder(_encoding(block))("replace")
    while block:
        if text := decoder.decode(block):
            yield text
        block = source.read(BLOCK)
    if text := decoder.decode(b"", final=True):
        yield text


# A PDF's streams are compressed too: pypdf inflates a stream whole (75 MB by default; a 214 KB
# PDF took +345 MiB). Text content streams of real pages are far smaller than these.
PDF_STREAM_LIMITS = {
    "zlib_maximum_output_length": 8 * 1024 * 1024,
    "lzw_maximum_output_length": 8 * 1024 * 1024,
    "run_length_maximum_output_length": 8 * 1024 * 1024,
    "brotli_maximum_output_length": 8 * 1024 * 1024,
    "stream_decoding_work_maximum_length": 64 * 1024 * 1024,
}


def _pdf(source: Source) -> Iterator[str]:
    """A page at a time, each under :data:`PDF_STREAM_LIMITS` (pypdf keeps them in a context
    variable, so they are applied around each step: steps run in different worker threads)."""
    from pypdf import PdfReader, apply_configuration

    reader: PdfReader | None = None
    number = 0
    while True:
        with apply_configuration(None, **PDF_STREAM_LIMITS):
            reader = reader or PdfReader(source)
            if number >= len(reader.pages):
                return
            text = reader.pages[number].extract_text() or ""
        number += 1
        if text:
            yield text.rstrip("\n") + "\n"


def _docx(source: Source) -> Iterator[str]:
    with zipfile.ZipFile(source) as document, document.open("word/document.xml") as part:
        yield from stream_text(part, WordText())


def _html(source: Source) -> Iterator[str]:
    yield from stream_text(source, HtmlText(), html=True)


def _xlsx(source: Source) -> Iterator[str]:
    from openpyxl import load_workbook

    book = load_workbook(source, read_only=True, data_only=True)
    try:
        for sheet in book.worksheets:
            sheet.reset_dimensions()  # read every row there is, not the range a writer declared
            lines, size = [f"# {sheet.title}"], 0
            for row in sheet.iter_rows(values_only=True):
                line = "\t".join("" if v is None else str(v) for v in row)
                if line.strip():
                    lines.append(line)
                    size += len(line)
                if size >= BLOCK:  # a large sheet goes out in pieces, never whole
                    yield "\n".join(lines) + "\n"
                    lines, size = [], 0
            if lines:
                yield "\n".join(lines) + "\n"
    finally:
        book.close()


def _odt(source: Source) -> Iterator[str]:
    with zipfile.ZipFile(source) as document, document.open("content.xml") as part:
        yield from stream_text(part, OdfText())


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
                with book.open(posixpath.normpath(posixpath.join(base, href))) as chapter:
                    yield from stream_text(chapter, HtmlText(), html=True)


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
