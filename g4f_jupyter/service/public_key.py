"""``backend-api/v2/public-key`` and the ``x-secret`` header (protocol §1.3), in upstream's shapes.

Upstream's current page fetches ``{"public_key", "data", "user"}`` before every chat, encrypts
``data`` with ``public_key`` (RSA, PKCS#1 v1.5, base64; JSEncrypt in the browser) and sends the
result as ``x-secret``. ``data`` is a short-lived token only this server can make or read (a
Fernet token: authenticated and timestamped), so a secret proves that its sender fetched a
challenge from this server in the last :data:`SECRET_WINDOW` seconds. A secret that does not
decrypt, was not made here, or is older is refused with upstream's 403.

One RSA key per data directory (``cookies/public_key_private.pem``, 0600), made on first use
and shared by the server and kernels; deleting the file rotates it. The token key is derived
from the same private key, so one file holds the whole secret.
"""

from __future__ import annotations

import base64
import binascii
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..errors import G4FError
from ..store.layout import cookies_dir
from .secret_file import read_or_create_secret

__all__ = ["KEY_FILE_NAME", "SECRET_WINDOW", "InvalidSecretError", "challenge", "check_secret", "key_file"]

KEY_FILE_NAME = "public_key_private.pem"
SECRET_WINDOW = 10  # seconds a challenge stays valid, as upstream's demo mode
_KEY_BITS = 2048  # room for the ~100-byte token under PKCS#1 v1.5 (at most 245 bytes)
_TOKEN_INFO = b"g4f-jupyter public-key challenge"


class InvalidSecretError(G4FError):
    """An ``x-secret`` that does not decrypt to a fresh challenge of this server (upstream's 403)."""

    status = 403


@dataclass(frozen=True)
class _Keys:
    private: rsa.RSAPrivateKey
    public_pem: str
    tokens: Fernet


def key_file() -> Path:
    """Where the private key lives: delete it to rotate the key."""
    return cookies_dir() / KEY_FILE_NAME


def _new_private_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_BITS)
    pkcs8 = serialization.PrivateFormat.PKCS8
    return key.private_bytes(serialization.Encoding.PEM, pkcs8, serialization.NoEncryption())


@functools.lru_cache(maxsize=2)
def _load(private_pem: bytes) -> _Keys:
    """The key pair and token key of one PEM (cached per PEM, so a rotated file is loaded anew)."""
    private = serialization.load_pem_private_key(private_pem, password=None)
    if not isinstance(private, rsa.RSAPrivateKey):
        raise G4FError(f"{key_file()} holds no RSA key: delete it to make a new one")
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    token_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_TOKEN_INFO).derive(der)
    return _Keys(private, public_pem.decode("ascii"), Fernet(base64.urlsafe_b64encode(token_key)))


def _keys() -> _Keys:
    return _load(read_or_create_secret(key_file(), _new_private_pem))


def challenge(user: str | None) -> dict[str, Any]:
    """Upstream's ``public-key`` answer: the PEM public key, a fresh challenge, and the user it names."""
    keys = _keys()
    return {"public_key": keys.public_pem, "data": keys.tokens.encrypt(b"").decode("ascii"), "user": user}


def check_secret(secret: str | None) -> None:
    """Refuse (403) an ``x-secret`` that is not a fresh challenge of this server encrypted with its key.

    No secret at all is not checked: every route already needs Jupyter credentials, and this
    server's own page, panel and widgets send none.
    """
    if secret is None:
        return
    keys = _keys()
    try:
        sealed = keys.private.decrypt(base64.b64decode(secret, validate=True), padding.PKCS1v15())
        keys.tokens.decrypt(sealed, ttl=SECRET_WINDOW)
    except (ValueError, binascii.Error, InvalidToken):
        raise InvalidSecretError("Invalid or missing secret") from None
