"""Bucket ingest and retrieval speed.

Generates a mixed corpus (text, HTML, DOCX, PDF, ZIP; ~50 MB by default) in a temporary
data directory, then measures:

* end-to-end throughput of ``ingest()`` (upload → extracted text stream, cache written)
  and its time to first chunk, against the raw parsing libraries alone on the same files
  (goal: ingest at most 1.2 times the raw time);
* BM25 retrieval latency over 10,000 chunks (goal: < 20 ms per question).

Times are the best of ``--repeat`` runs. Run:
``.venv/bin/python benchmarks/bench_ingest.py [--mb 50] [--pdf-pages 300] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import shutil
import statistics
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

_LETTERS = "etaoinshrdlcumwfgypbvkjxqz"
# A large made-up vocabulary: text that compresses like prose, not like a repeated phrase.
WORDS = ["".join(random.Random(i).choices(_LETTERS, weights=range(26, 0, -1), k=3 + i % 7)) for i in range(5000)]


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 18))).capitalize() + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(3, 7)))


def text_of_size(rng: random.Random, size: int) -> str:
    parts, total = [], 0
    while total < size:
        p = paragraph(rng)
        parts.append(p)
        total += len(p) + 2
    return "\n\n".join(parts)


def make_corpus(folder: Path, mb: float, pdf_pages: int, rng: random.Random) -> dict[str, bytes]:
    """~``mb`` MB of files: 40% txt/md, 20% html, 15% docx, 20% zip of text, plus a few PDFs."""
    import docx
    from fpdf import FPDF

    total = int(mb * 1024 * 1024)
    files: dict[str, bytes] = {}
    for i in range(max(1, int(total * 0.40 / (2 << 20)))):
        files[f"notes{i}.{'md' if i % 2 else 'txt'}"] = text_of_size(rng, 2 << 20).encode()
    for i in range(max(1, int(total * 0.20 / (2 << 20)))):
        block = "<div><h2>{}</h2><p>{}</p><script>var x={};</script></div>"
        body = "".join(block.format(sentence(rng), paragraph(rng), i) for _ in range(3500))
        files[f"page{i}.html"] = f"<html><body>{body}</body></html>".encode()
    for i in range(max(1, int(total * 0.15 / (2 << 20)))):
        document = docx.Document()
        for p in text_of_size(rng, 4 << 20).split("\n\n"):
            document.add_paragraph(p)
        out = io.BytesIO()
        document.save(out)
        files[f"report{i}.docx"] = out.getvalue()
    for i in range(max(1, int(total * 0.20 / (2 << 20)))):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for j in range(4):
                archive.writestr(f"part{j}.txt", text_of_size(rng, 1 << 20))
        files[f"bundle{i}.zip"] = out.getvalue()
    per_pdf = 100
    for i in range(max(1, pdf_pages // per_pdf)):
        pdf = FPDF()
        pdf.set_font("Helvetica", size=10)
        for _ in range(per_pdf):
            pdf.add_page()
            pdf.multi_cell(0, 5, "\n".join(paragraph(rng) for _ in range(6)), new_x="LMARGIN", new_y="NEXT")
        files[f"manual{i}.pdf"] = bytes(pdf.output())
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


def raw_parse(name: str, data: bytes) -> int:
    """The parsing libraries alone: characters of text extracted."""
    ext = name.rsplit(".", 1)[-1]
    if ext in ("txt", "md"):
        return len(data.decode("utf-8"))
    if ext == "html":
        import lxml.html

        return len(lxml.html.document_fromstring(data).text_content())
    if ext == "docx":
        import docx

        return sum(len(p.text) for p in docx.Document(io.BytesIO(data)).paragraphs)
    if ext == "pdf":
        from pypdf import PdfReader

        return sum(len(page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages)
    if ext == "zip":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(len(archive.read(i).decode("utf-8")) for i in archive.infolist())
    raise ValueError(name)


async def run_ingest(bucket: str) -> tuple[float, float, int]:
    from g4f_jupyter.service.buckets import TextChunk, ingest

    start = time.perf_counter()
    first = 0.0
    size = 0
    async for item in ingest(bucket, delete_files=False):
        if isinstance(item, TextChunk):
            if not first:
                first = time.perf_counter() - start
            size += len(item.text)
    return time.perf_counter() - start, first, size


def bench_retrieval(rng: random.Random, chunks: int = 10_000) -> tuple[float, float, float, float]:
    from g4f_jupyter.service.buckets.retrieval import Chunk, ChunkIndex

    corpus = [Chunk(f"file{i % 40}.txt", " ".join(paragraph(rng) for _ in range(2))[:700]) for i in range(chunks)]
    start = time.perf_counter()
    index = ChunkIndex(corpus)
    build = time.perf_counter() - start
    questions = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 8))) + "?" for _ in range(200)]
    index.search(questions[0], 64)  # warm up
    times = []
    for q in questions:
        t = time.perf_counter()
        index.search(q, 64)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return build, statistics.median(times), times[int(len(times) * 0.95)], max(times)


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=50.0, help="size of the text/html/docx/zip part of the corpus")
    parser.add_argument(
        "--pdf-pages", type=int, default=300, help="PDF pages (fpdf2 writes slowly, so PDFs are scaled down)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (the machine may be shared)")
    args = parser.parse_args()
    rng = random.Random(7)
    work = Path(tempfile.mkdtemp(prefix="g4f-bench-"))
    os.environ["G4F_JUPYTER_DATA_DIR"] = str(work / "data")
    from g4f_jupyter.service.buckets import UploadLimits, upload_files

    t = time.perf_counter()
    files = make_corpus(work, args.mb, args.pdf_pages, rng)
    made = time.perf_counter() - t
    total_mb = sum(map(len, files.values())) / 1e6

    rows = []
    kinds = sorted({n.rsplit(".", 1)[-1] for n in files})
    limits = UploadLimits(max_file_bytes=64 << 20, max_bucket_bytes=1 << 40, max_files=1000)
    for kind in [*kinds, "all"]:
        subset = {n: d for n, d in files.items() if kind == "all" or n.endswith("." + kind)}
        mb = sum(map(len, subset.values())) / 1e6
        raws, runs = [], []
        for round_ in range(args.repeat):  # interleaved, so load from elsewhere hits both alike
            raws.append(_timed(lambda subset=subset: [raw_parse(n, d) for n, d in subset.items()]))
            bucket = f"bench-{kind}-{round_}"  # a fresh bucket each round: a read consumes its uploads
            upload_files(bucket, list(subset.items()), limits)
            runs.append(asyncio.run(run_ingest(bucket)))
        raw = min(raws)
        elapsed, first, chars = min(runs)
        rows.append((kind, len(subset), mb, raw, elapsed, first, chars))

    print(f"corpus: {len(files)} files, {total_mb:.1f} MB (generated in {made:.1f} s); PDF pages: {args.pdf_pages}")
    header = ("kind", "files", "MB", "text MB", "raw s", "ingest s", "MB/s", "ratio", "first chunk ms")
    print("{:<6} {:>5} {:>7} {:>8} {:>8} {:>9} {:>7} {:>6} {:>15}".format(*header))
    for kind, n, mb, raw, elapsed, first, chars in rows:
        print(
            f"{kind:<6} {n:>5} {mb:>7.1f} {chars / 1e6:>8.1f} {raw:>8.2f} {elapsed:>9.2f} {mb / elapsed:>7.1f} "
            f"{elapsed / raw:>6.2f} {first * 1000:>15.1f}"
        )
    build, median, p95, worst = bench_retrieval(rng)
    print(
        f"retrieval over 10,000 chunks: index build {build * 1000:.0f} ms; "
        f"query median {median:.2f} ms, p95 {p95:.2f} ms, max {worst:.2f} ms (goal < 20 ms)"
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
