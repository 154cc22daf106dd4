"""Request bodies held to the operator's limit before they are buffered: refused, spooled, parsed from disk.

Tornado normally reads a whole body into memory before a handler sees it, so a 400 MiB
upload costs 400 MiB of server memory before any 413. A handler built on
:class:`SpooledBodyHandler` instead

- refuses a declared ``Content-Length`` over the limit in ``prepare()``, before one body byte is read;
- counts the bytes as they stream in (chunked bodies have no length to check) and stops keeping
  them past the limit, so the request ends in the same 413;
- writes the body to a temporary file on disk, never to memory (in the system's temporary
  directory, ``TMPDIR``: scratch space the OS cleans if the server is killed mid-upload);
- parses ``multipart/form-data`` from that file with python-multipart's streaming parser, each
  file part into its own temporary file;
- removes every temporary file when the request ends, answered or abandoned.

Use::

    @web.stream_request_body
    class UploadHandler(SpooledBodyHandler):
        @web.authenticated
        @authorized
        async def post(self) -> None:
            form = await self.form()            # multipart: fields and files on disk
            data = self.json_body()             # or: a JSON body (size-checked, parsed)

Override :meth:`SpooledBodyHandler.body_limit` for a route with its own limit. The class
decorator ``@web.stream_request_body`` is inherited, so subclasses of the ready-made
:class:`SpooledBodyHandler` need not repeat it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from tornado import web

from ..errors import BadRequestError, PayloadTooLargeError
from .base import G4FAPIHandler

__all__ = ["Form", "SpooledBodyHandler", "UploadedFile", "parse_multipart"]

_READ_CHUNK = 256 * 1024  # the spooled body is parsed in pieces of this size
_MAX_PART_HEADERS = 16


@dataclass(frozen=True)
class UploadedFile:
    """One file part of a multipart body, already on disk (removed when the request ends)."""

    field: str
    filename: str
    path: Path
    size: int
    content_type: str = "application/octet-stream"

    def read_bytes(self) -> bytes:
        """The whole file; only for parts small enough to hold (the limits checked them)."""
        return self.path.read_bytes()


@dataclass
class Form:
    """A parsed multipart body: text fields by name, file parts in the order they came."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[UploadedFile] = field(default_factory=list)

    def field(self, name: str, default: str | None = None) -> str | None:
        """The last value of field ``name`` (as Tornado's ``get_body_argument``), or ``default``."""
        values = self.fields.get(name)
        return values[-1] if values else default

    def files_named(self, name: str) -> list[UploadedFile]:
        """The file parts sent under the form field ``name``."""
        return [f for f in self.files if f.field == name]


class _PartCollector:
    """python-multipart callbacks that write file parts to their own files and keep fields as text."""

    def __init__(self, directory: Path) -> None:
        self.form = Form()
        self._directory = directory
        self._headers: dict[bytes, bytes] = {}
        self._header_field = b""
        self._header_value = b""
        self._name = ""
        self._filename: str | None = None
        self._kind = ""
        self._text = bytearray()
        self._sink: IO[bytes] | None = None
        self._sink_path: Path | None = None
        self._size = 0

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._add("_header_field", data[start:end]),
            "on_header_value": lambda data, start, end: self._add("_header_value", data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _add(self, attr: str, data: bytes) -> None:
        setattr(self, attr, getattr(self, attr) + data)

    def _part_begin(self) -> None:
        self._headers, self._header_field, self._header_value = {}, b"", b""
        self._text, self._size = bytearray(), 0

    def _header_end(self) -> None:
        if len(self._headers) >= _MAX_PART_HEADERS:
            raise BadRequestError("malformed multipart body: too many part headers")
        self._headers[self._header_field.strip().lower()] = self._header_value.strip()
        self._header_field, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if disposition != b"form-data" or b"name" not in options:
            raise BadRequestError("malformed multipart body: a part has no form-data name")
        self._name = _text(options[b"name"])
        self._filename = _text(options[b"filename"]) if b"filename" in options else None
        self._kind = _text(self._headers.get(b"content-type", b"")) or "application/octet-stream"
        if self._filename is not None:
            fd, name = tempfile.mkstemp(prefix="part-", suffix=".tmp", dir=self._directory)
            self._sink, self._sink_path = os.fdopen(fd, "wb"), Path(name)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        self._size += end - start
        if self._sink is not None:
            self._sink.write(data[start:end])
        else:
            self._text += data[start:end]

    def _part_end(self) -> None:
        if self._sink is not None and self._sink_path is not None:
            self._sink.close()
            self.form.files.append(
                UploadedFile(self._name, self._filename or "", self._sink_path, self._size, self._kind)
            )
            self._sink, self._sink_path = None, None
        else:
            self.form.fields.setdefault(self._name, []).append(_text(bytes(self._text)))

    def close(self) -> None:
        if self._sink is not None:
            self._sink.close()


def _text(raw: bytes) -> str:
    """A header value or field as text; bytes that are not UTF-8 must not become a 500."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequestError("malformed multipart body: names and fields must be UTF-8") from None


def parse_multipart(body: Path, content_type: str, directory: Path) -> Form:
    """Parse the multipart body in file ``body``; file parts are written into ``directory``.

    Blocking (disk reads and writes): call it in a worker thread. Malformed input is a 400.
    """
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise BadRequestError("expected a multipart/form-data body with a boundary")
    collector = _PartCollector(directory)
    parser = MultipartParser(boundary, collector.callbacks())  # type: ignore[arg-type]
    try:
        with body.open("rb") as fh:
            while chunk := fh.read(_READ_CHUNK):
                parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        raise BadRequestError(f"malformed multipart body: {exc}") from None
    finally:
        collector.close()
    return collector.form


@web.stream_request_body
class SpooledBodyHandler(G4FAPIHandler):
    """An API handler whose body streams to a temporary file, within :meth:`body_limit`."""

    _workdir: Path | None = None
    _spool: IO[bytes] | None = None
    _received = 0
    _overflow = False
    _form: Form | None = None

    def body_limit(self) -> int:
        """The largest body this route accepts; the operator's ``max_body_bytes`` unless overridden."""
        return self.g4f.max_body_bytes

    async def prepare(self) -> None:  # type: ignore[override]  # as APIHandler.prepare
        """Refuse unauthenticated or declared-too-large bodies before reading a byte of them."""
        await super().prepare()
        if self.current_user is None:  # never spool a body for a client that will get a 403
            raise web.HTTPError(403)
        declared = self.request.headers.get("Content-Length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                raise BadRequestError("invalid Content-Length header") from None
            if length > self.body_limit():
                raise PayloadTooLargeError(f"request body over {self.body_limit()} bytes")

    def data_received(self, chunk: bytes) -> None:
        """Append a piece of the body to the spool file, until the limit is passed."""
        if self._overflow:
            return
        self._received += len(chunk)
        if self._received > self.body_limit():
            self._overflow = True  # the rest is read and dropped; the handler answers 413
            self._remove_files()
            return
        if self._spool is None:
            self._spool = tempfile.NamedTemporaryFile(  # noqa: SIM115 — closed when the body ends
                prefix="body-", suffix=".tmp", dir=self._request_dir(), delete=False
            )
        self._spool.write(chunk)

    def _request_dir(self) -> Path:
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="g4f-request-"))
        return self._workdir

    def _body_path(self) -> Path | None:
        """The spooled body, complete; a 413 if it went over the limit."""
        if self._overflow:
            raise PayloadTooLargeError(f"request body over {self.body_limit()} bytes")
        if self._spool is None:
            return None
        if not self._spool.closed:
            self._spool.close()
        return Path(self._spool.name)

    def body_bytes(self) -> bytes:
        """The whole body (for JSON routes: at most :meth:`body_limit` bytes)."""
        path = self._body_path()
        return path.read_bytes() if path is not None else b""

    def is_multipart(self) -> bool:
        return self.request.headers.get("Content-Type", "").lower().startswith("multipart/form-data")

    async def form(self) -> Form:
        """The multipart body, parsed from disk in a worker thread (once per request)."""
        if self._form is None:
            path = self._body_path()
            if path is None:
                raise BadRequestError("expected a multipart/form-data body")
            kind = self.request.headers.get("Content-Type", "")
            self._form = await asyncio.to_thread(parse_multipart, path, kind, self._request_dir())
        return self._form

    def _remove_files(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def on_finish(self) -> None:
        self._remove_files()
        super().on_finish()

    def on_connection_close(self) -> None:
        """A client that leaves mid-upload leaves no file behind."""
        self._remove_files()
        super().on_connection_close()
