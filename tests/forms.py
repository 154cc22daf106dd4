"""multipart/form-data bodies for the route tests, built by hand so a test controls every byte."""

from __future__ import annotations

import uuid

__all__ = ["multipart"]


def multipart(parts: list[tuple[str, str | None, bytes]]) -> tuple[bytes, dict[str, str]]:
    """``(body, headers)`` for ``parts`` of ``(field, filename or None, data)``."""
    boundary = uuid.uuid4().hex
    body = b""
    for field, filename, data in parts:
        disposition = f'form-data; name="{field}"' + (f'; filename="{filename}"' if filename is not None else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
