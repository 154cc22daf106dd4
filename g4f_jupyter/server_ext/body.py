"""Request bodies held to the operator's limit before they are buffered: refused, spooled, parsed from disk.

Tornado normally reads a whole body into memory before a handler sees it, so a 400 MiB
upload costs 400 MiB of server memory before any 413. Every g4f API handler (the base
class mixes in :class:`SpooledBodyMixin` and streams its body) instead

- refuses a declared ``Content-Length`` over the limit in ``prepare()``, before one body byte
  is read, and a body from a client without credentials (403) likewise;
- counts the bytes as they stream in (chunked bodies have no length to check) and stops keeping
  them past the limit, so reading the body ends in the same 413;
- keeps a small body in memory and rolls a large one over to a temporary file on disk
  (``tempfile.SpooledTemporaryFile`` in the system's temporary directory, ``TMPDIR``);
- parses ``multipart/form-data`` from the spool with python-multipart's streaming parser,
  each file part into its own temporary file;
- removes every temporary file when the request ends, answered or abandoned.

A handler reads its body with :meth:`SpooledBodyMixin.json_body`,
:meth:`SpooledBodyMixin.form` (multipart: fields, and files on disk) or
:meth:`SpooledBodyMixin.body_bytes`, and overrides :meth:`SpooledBodyMixin.body_limit`
for a route with its own limit. ``self.request.body`` stays empty.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import SpooledTemporaryFile
from typing import IO, Any

from jupyter_server.base.handlers import JupyterHandler
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from tornado import web

from ..errors import BadRequestError, PayloadTooLargeError
from ..service.validation import parse_json
from .settings import G4FSettings

__all__ = ["Form", "SpooledBodyMixin", "UploadedFile", "parse_multipart"]

_READ_CHUNK = 256 * 1024  # the spooled body is parsed in pieces of this size
_IN_MEMORY = 1024 * 1024  # a body up to this size never touches the disk
_MAX_PART_HEADERS = 16
_MAX_PARTS = 1000  # far above any form of ours; bounds the temporary files one body can create


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
        if len(self.form.files) + sum(len(v) for v in self.form.fields.values()) >= _MAX_PARTS:
            raise BadRequestError(f"malformed multipart body: more than {_MAX_PARTS} parts")
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


def parse_multipart(body: IO[bytes], content_type: str, directory: Path) -> Form:
    """Parse the multipart body read from ``body``; file parts are written into ``directory``.

    Blocking (disk reads and writes): call it in a worker thread. Malformed input is a 400.
    """
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise BadRequestError("expected a multipart/form-data body with a boundary")
    collector = _PartCollector(directory)
    parser = MultipartParser(boundary, collector.callbacks())  # type: ignore[arg-type]
    try:
        body.seek(0)
        while chunk := body.read(_READ_CHUNK):
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        raise BadRequestError(f"malformed multipart body: {exc}") from None
    finally:
        collector.close()
    return collector.form


class SpooledBodyMixin(JupyterHandler):
    """Bounded, spooled request bodies for a ``@web.stream_request_body`` handler.

    Placed before Jupyter's handler class in the MRO. ``prepare()`` runs after Jupyter's
    (so the user is known) and before the body is read.
    """

    _spool: SpooledTemporaryFile[bytes] | None = None
    _workdir: Path | None = None
    _received = 0
    _overflow = False
    _form: Form | None = None

    def body_limit(self) -> int:
        """The largest body this route accepts; the operator's ``max_body_bytes`` unless overridden."""
        settings: G4FSettings = self.settings["g4f_settings"]
        return settings.max_body_bytes

    def _too_large(self) -> PayloadTooLargeError:
        return PayloadTooLargeError(f"request body over {self.body_limit()} bytes")

    async def prepare(self) -> None:  # type: ignore[override]  # as APIHandler.prepare
        """Refuse a body from a client without credentials, or one declared too large, before reading it."""
        await super().prepare()
        declared = self.request.headers.get("Content-Length")
        chunked = "chunked" in self.request.headers.get("Transfer-Encoding", "").lower()
        length: int | None = None
        if declared is not None:
            if not (declared.isascii() and declared.isdigit()):  # as HTTP says: digits only
                raise BadRequestError("invalid Content-Length header")
            length = int(declared)
        if self.current_user is None and (chunked or length):
            raise web.HTTPError(403)  # never spool a body for a client that will get a 403
        if length is not None and length > self.body_limit():
            raise self._too_large()

    def data_received(self, chunk: bytes) -> None:
        """Append a piece of the body to the spool, until the limit is passed."""
        if self._overflow:
            return
        self._received += len(chunk)
        if self._received > self.body_limit():
            self._overflow = True  # the rest is read and dropped; reading the body answers 413
            self._remove_files()
            return
        if self._spool is None:
            self._spool = SpooledTemporaryFile(max_size=_IN_MEMORY, prefix="g4f-body-")  # noqa: SIM115 — lives until the request ends
        self._spool.write(chunk)

    def _body(self) -> SpooledTemporaryFile[bytes] | None:
        """The complete body, or ``None`` for an empty one; a 413 if it went over the limit."""
        if self._overflow:
            raise self._too_large()
        return self._spool

    def body_bytes(self) -> bytes:
        """The whole body (at most :meth:`body_limit` bytes): for JSON routes."""
        body = self._body()
        if body is None:
            return b""
        body.seek(0)
        return body.read()

    def json_body(self) -> Any:
        """The request body as JSON, or a 400/413 with a clear message (depth and Unicode checked)."""
        return parse_json(self.body_bytes())

    def is_multipart(self) -> bool:
        return self.request.headers.get("Content-Type", "").lower().startswith("multipart/form-data")

    async def form(self) -> Form:
        """The multipart body, parsed in a worker thread (once per request); file parts land on disk."""
        if self._form is None:
            body = self._body()
            if body is None:
                raise BadRequestError("expected a multipart/form-data body")
            if self._workdir is None:
                self._workdir = Path(tempfile.mkdtemp(prefix="g4f-request-"))
            kind = self.request.headers.get("Content-Type", "")
            self._form = form = await asyncio.to_thread(parse_multipart, body, kind, self._workdir)
            return form
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
