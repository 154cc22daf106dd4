"""Archive bombs of every kind the bucket reads: small files that inflate to hundreds of MiB.

Each document bomb is a real document (written by its real library) with one part
swapped for a huge, highly compressible one of the same XML, so without a guard the
format's own parser would inflate and parse it.
"""

from __future__ import annotations

import io
import zipfile

from bucket_docs import make_docx, make_epub, make_odt, make_xlsx, make_zip

MiB = 1024 * 1024
BOMB_BYTES = 300 * MiB  # what the swapped part inflates to


def _streamed(archive: zipfile.ZipFile, name: str, head: bytes, unit: bytes, tail: bytes, size: int) -> None:
    """Write member ``name`` of about ``size`` bytes without ever holding it."""
    block = unit * max(1, MiB // len(unit))
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as out:
        out.write(head)
        written = len(head)
        while written < size:
            out.write(block)
            written += len(block)
        out.write(tail)


def swap_part(document: bytes, part: str, head: bytes, unit: bytes, tail: bytes, size: int = BOMB_BYTES) -> bytes:
    """``document`` (a zip container) with member ``part`` replaced by ``head + unit * n + tail``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(document)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        names = source.namelist()
        assert part in names, (part, names)
        for name in names:
            if name == part:
                _streamed(bomb, name, head, unit, tail, size)
            else:
                bomb.writestr(source.getinfo(name), source.read(name))
    return out.getvalue()


def zip_bomb(size: int = BOMB_BYTES) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        _streamed(bomb, "zeros.txt", b"", b"\0" * 4096, b"", size)
    return out.getvalue()


def many_small_members_bomb(members: int = 1900, each: int = 60 * 1024) -> bytes:
    """Members each under any per-member ratio floor; together over 100 MiB of text."""
    return make_zip({f"part{i:04}.txt": b"a" * each for i in range(members)})


def nested_zip_bomb() -> bytes:
    inner = make_zip({"bomb.zip": zip_bomb()}, zipfile.ZIP_STORED)
    return make_zip({"inner.zip": inner, "readme.txt": b"A nested archive."}, zipfile.ZIP_STORED)


_PARAGRAPH = b"<w:p><w:r><w:t>aaaaaaaaaaaaaaaaaaaaaaaa</w:t></w:r></w:p>"


def docx_bomb() -> bytes:
    with zipfile.ZipFile(io.BytesIO(make_docx("x"))) as doc:
        xml = doc.read("word/document.xml")
    head, tail = xml.split(b"<w:body>", 1)[0] + b"<w:body>", b"</w:body></w:document>"
    return swap_part(make_docx("x"), "word/document.xml", head, _PARAGRAPH, tail)


def xlsx_bomb() -> bytes:
    book = make_xlsx([["a", "b"]])
    with zipfile.ZipFile(io.BytesIO(book)) as source:
        xml = source.read("xl/worksheets/sheet1.xml")
    head = xml.split(b"<sheetData>", 1)[0] + b"<sheetData>"
    row = b'<row><c t="inlineStr"><is><t>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</t></is></c></row>'
    return swap_part(book, "xl/worksheets/sheet1.xml", head, row, b"</sheetData></worksheet>")


def odt_bomb() -> bytes:
    document = make_odt("x")
    with zipfile.ZipFile(io.BytesIO(document)) as source:
        xml = source.read("content.xml")
    head = xml.split(b"<office:text>", 1)[0] + b"<office:text>"
    return swap_part(document, "content.xml", head, b"<text:p>aaaaaaaaaaaaaaaaaaaaaaaa</text:p>",
                     b"</office:text></office:body></office:document-content>")


def epub_bomb() -> bytes:
    return swap_part(make_epub("x"), "OEBPS/c1.xhtml", b"<html><body>", b"<p>aaaaaaaaaaaaaaaaaaaaaaaa</p>",
                     b"</body></html>")


BOMBS = {
    "bomb.zip": zip_bomb,
    "many.zip": many_small_members_bomb,
    "nested.zip": nested_zip_bomb,
    "bomb.docx": docx_bomb,
    "bomb.xlsx": xlsx_bomb,
    "bomb.odt": odt_bomb,
    "bomb.epub": epub_bomb,
}


# Bombs tuned to pass the ratio check: a large part of prose (about 4x compression) in a
# file within the upload limit. The guard lets them through; the parsers must stream them.
TUNED_BYTES = 24 * MiB


def _prose_block(size: int = MiB) -> bytes:
    """About ``size`` bytes of random words (repeated blocks lie beyond deflate's 32 KiB window)."""
    import random

    chooser = random.Random(42)
    syllables = ["ka", "lo", "mir", "sen", "ta", "vo", "rin", "el", "dus", "pa", "qua", "ni", "ost", "ber"]
    words = ["".join(chooser.choices(syllables, k=chooser.randint(1, 4))) for _ in range(3000)]
    text = " ".join(chooser.choices(words, k=size // 6))
    return text.encode()[:size]


def _tuned(document: bytes, part: str, head: bytes, wrap: tuple[bytes, bytes], tail: bytes) -> bytes:
    words = _prose_block().split(b" ")
    unit = b"".join(wrap[0] + b" ".join(words[i : i + 40]) + wrap[1] for i in range(0, len(words), 40))
    return swap_part(document, part, head, unit, tail, TUNED_BYTES)


def tuned_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _streamed(archive, "big.txt", b"", _prose_block(), b"", TUNED_BYTES)
    return out.getvalue()


def tuned_docx() -> bytes:
    with zipfile.ZipFile(io.BytesIO(make_docx("x"))) as doc:
        head = doc.read("word/document.xml").split(b"<w:body>", 1)[0] + b"<w:body>"
    wrap = (b"<w:p><w:r><w:t>", b"</w:t></w:r></w:p>")
    return _tuned(make_docx("x"), "word/document.xml", head, wrap, b"</w:body></w:document>")


def tuned_odt() -> bytes:
    document = make_odt("x")
    with zipfile.ZipFile(io.BytesIO(document)) as source:
        head = source.read("content.xml").split(b"<office:text>", 1)[0] + b"<office:text>"
    tail = b"</office:text></office:body></office:document-content>"
    return _tuned(document, "content.xml", head, (b"<text:p>", b"</text:p>"), tail)


def tuned_epub() -> bytes:
    return _tuned(make_epub("x"), "OEBPS/c1.xhtml", b"<html><body>", (b"<p>", b"</p>"), b"</body></html>")


def tuned_xlsx() -> bytes:
    book = make_xlsx([["a", "b"]])
    with zipfile.ZipFile(io.BytesIO(book)) as source:
        head = source.read("xl/worksheets/sheet1.xml").split(b"<sheetData>", 1)[0] + b"<sheetData>"
    wrap = (b'<row><c t="inlineStr"><is><t>', b"</t></is></c></row>")
    return _tuned(book, "xl/worksheets/sheet1.xml", head, wrap, b"</sheetData></worksheet>")


TUNED = {
    "tuned.zip": tuned_zip,
    "tuned.docx": tuned_docx,
    "tuned.odt": tuned_odt,
    "tuned.epub": tuned_epub,
    "tuned.xlsx": tuned_xlsx,
}


def pdf_bomb(size: int = 70 * MiB) -> bytes:
    """A one-page PDF whose content stream (FlateDecode) inflates to ``size`` bytes of text operators."""
    import zlib

    packer = zlib.compressobj(9)
    chunk = b"BT /F1 12 Tf 72 712 Td (a) Tj ET\n" * (MiB // 33)
    stream = b"".join(packer.compress(chunk) for _ in range(size // len(chunk))) + packer.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


BOMBS["bomb.pdf"] = pdf_bomb
