"""``/synthesize/<provider>``: text to speech.

The embedded voice is the ``espeak-ng`` program (offline, no key). It answers for the
``espeak`` name, for every provider on the embedded ``local`` driver, and for ``Gemini``,
the provider the classic web page asks by default. Other catalog providers cannot speak.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil

from pydantic import BaseModel, ConfigDict, Field

from ..core.registry import get_registry
from ..errors import BadRequestError, G4FError, NotFoundError, NotSupportedError, ProviderNotFoundError
from .validation import Text

__all__ = ["CONTENT_TYPE", "SpeechQuery", "synthesize"]

CONTENT_TYPE = "audio/wav"
MAX_TEXT = 5000
_TIMEOUT = 30.0
_EMBEDDED_NAMES = {"espeak", "gemini"}
_VOICE_PATTERN = r"^[A-Za-z0-9_+\-]{1,40}$"


class SpeechQuery(BaseModel):
    """``/synthesize`` parameters; others the page sends along (upstream passes everything) are ignored."""

    model_config = ConfigDict(extra="ignore")

    text: Text = Field("", max_length=MAX_TEXT)
    voice: Text | None = Field(None, pattern=_VOICE_PATTERN)
    language: Text | None = Field(None, pattern=_VOICE_PATTERN)


def uses_embedded_voice(provider: str) -> bool:
    """Whether ``provider`` speaks with the embedded voice; unknown names are a 404."""
    if provider.lower() in _EMBEDDED_NAMES:
        return True
    spec = get_registry().get(provider).spec  # raises ProviderNotFoundError
    return spec.driver == "local"


async def _espeak(text: str, voice: str | None) -> bytes:
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise NotSupportedError("speech needs the espeak-ng program (apt-get install espeak-ng)")
    args = [binary, "--stdout", "--stdin"] + (["-v", voice] if voice else [])
    process = await asyncio.create_subprocess_exec(
        *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        audio, errors = await asyncio.wait_for(process.communicate(text.encode("utf-8")), _TIMEOUT)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
    if process.returncode != 0 and voice and b"voice" in errors.lower():
        raise NotFoundError(f"unknown voice {voice!r} (espeak-ng --voices lists them)")
    if process.returncode != 0 or not audio:
        raise G4FError(f"espeak-ng failed: {errors.decode('utf-8', 'replace').strip()[:200]}")
    return audio


async def synthesize(provider: str, query: SpeechQuery) -> bytes:
    """WAV audio of ``query.text`` (optional ``voice``/``language``: an espeak voice name; unknown → 404)."""
    try:
        embedded = uses_embedded_voice(provider)
    except ProviderNotFoundError:
        raise ProviderNotFoundError(f"unknown provider {provider!r} for speech") from None
    text = query.text.strip()
    if not text:
        raise BadRequestError("text is required")
    if not embedded:
        raise NotSupportedError(f"{provider} cannot synthesize speech; use provider 'Local'")
    voice = query.voice or query.language or None
    try:
        return await _espeak(text, voice)
    except asyncio.TimeoutError:
        raise G4FError("speech synthesis timed out") from None
