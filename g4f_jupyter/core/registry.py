"""The provider catalog: ``providers/*.toml`` shipped in the wheel, the operator's, then the user's own files.

Providers are data: each TOML file names a driver and its settings. A user file with the
same ``name`` as a shipped one replaces it. The catalog is re-read when a file changes,
so adding a provider needs no restart.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]  # Python 3.10 only

from pydantic import ValidationError

from ..config import catalog_dir, system_providers_dirs, user_providers_dir
from ..errors import BadRequestError, ProviderNotFoundError
from ..store.paths import safe_name
from .provider import Provider, ProviderSpec

__all__ = ["DRIVERS", "Registry", "get_registry", "load_spec"]

DRIVERS: dict[str, str] = {
    "local": "g4f_jupyter.core.drivers.local:LocalProvider",
    "openai": "g4f_jupyter.core.drivers.openai:OpenAIProvider",
    "backend_api": "g4f_jupyter.core.drivers.backend_api:BackendApiProvider",
}

_SPEC_FIELDS = sorted(f.name for f in dataclasses.fields(ProviderSpec) if f.name != "source")
# Pydantic's words for the mistakes a TOML author makes, in the file's own terms.
_TOML_WORDS = {
    "tuple_type": "must be a list of strings",
    "unexpected_keyword_argument": f"unknown key; allowed: {_SPEC_FIELDS}",
    "missing_argument": "is required",
}


def _schema_errors(path: Path, error: ValidationError) -> str:
    """One line naming the file, then each bad key with what is wrong with its value."""
    problems = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "file"
        words = _TOML_WORDS.get(item["type"], item["msg"])
        got = "" if item["type"] in ("unexpected_keyword_argument", "missing_argument") else f" (got {item['input']!r})"
        problems.append(f"{key}: {words}{got}")
    return f"{path.name}: " + "; ".join(problems)


def load_spec(path: Path) -> ProviderSpec:
    """Read one provider TOML file, checked by :class:`ProviderSpec`'s schema; any mistake is a clear error."""
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BadRequestError(f"{path.name}: not a readable TOML file ({exc})") from None
    data.setdefault("name", path.stem)
    data["source"] = str(path)
    try:
        spec = ProviderSpec(**data)
    except ValidationError as exc:
        raise BadRequestError(_schema_errors(path, exc)) from None
    if spec.driver not in DRIVERS and ":" not in spec.driver:
        raise BadRequestError(f"{path.name}: driver must be one of {sorted(DRIVERS)} or 'module:Class'")
    try:
        safe_name(spec.name, "provider name")  # it names the provider's key file, so it must be a plain file name
    except BadRequestError as exc:
        raise BadRequestError(f"{path.name}: {exc} (use letters, digits, '.', '_', '+', '-')") from None
    return spec


def _driver_class(driver: str) -> type[Provider]:
    """A built-in driver by name, or any Provider subclass as ``module:Class``.

    A driver that cannot be imported is a :class:`BadRequestError` naming it, so one
    broken user file is reported instead of breaking the whole catalog.
    """
    module, _, attr = DRIVERS.get(driver, driver).partition(":")
    try:
        cls = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise BadRequestError(f"driver {driver!r} cannot be loaded: {exc}") from None
    if not (isinstance(cls, type) and issubclass(cls, Provider)):
        raise BadRequestError(f"driver {driver!r} is not a Provider subclass")
    return cls


class Registry:
    """Provider specs by name, in catalog order, with one provider instance per spec."""

    def __init__(self, specs: Iterable[ProviderSpec], errors: Iterable[str] = ()) -> None:
        ordered = sorted(specs, key=lambda s: (s.order, s.name.lower()))
        self.specs: dict[str, ProviderSpec] = {s.name: s for s in ordered}
        self.errors = list(errors)
        self._instances: dict[str, Provider] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_dirs(cls, dirs: Iterable[Path]) -> Registry:
        specs: dict[str, ProviderSpec] = {}
        errors: list[str] = []
        for directory in dirs:
            for path in sorted(directory.glob("*.toml")) if directory.is_dir() else ():
                try:
                    spec = load_spec(path)
                except BadRequestError as exc:
                    errors.append(str(exc))  # one broken user file must not hide the others
                    continue
                specs[spec.name.lower()] = spec  # names match case-insensitively, as in lookup_name
        return cls(specs.values(), errors)

    @property
    def names(self) -> list[str]:
        return list(self.specs)

    @property
    def default_name(self) -> str:
        for spec in self.specs.values():
            if spec.default:
                return spec.name
        return next(iter(self.specs))

    def lookup_name(self, name: str) -> str:
        """The catalog's spelling of ``name`` (case-insensitive), or :class:`ProviderNotFoundError`."""
        if name in self.specs:
            return name
        for known in self.specs:
            if known.lower() == name.lower():
                return known
        raise ProviderNotFoundError(f"unknown provider {name!r}; choose one of: {', '.join(self.specs)}")

    def get(self, name: str) -> Provider:
        """The provider instance for ``name`` (created once, so drivers can keep state)."""
        name = self.lookup_name(name)
        with self._lock:
            if name not in self._instances:
                spec = self.specs[name]
                self._instances[name] = _driver_class(spec.driver)(spec)
            return self._instances[name]

    def providers(self) -> list[Provider]:
        """Every provider whose driver loads; the others are reported in :attr:`errors`."""
        found = []
        for name in self.specs:
            try:
                found.append(self.get(name))
            except BadRequestError as exc:
                message = f"{self.specs[name].source or name}: {exc}"
                if message not in self.errors:
                    self.errors.append(message)
        return found


_cache: tuple[tuple[tuple[str, int, int], ...], Registry] | None = None
_cache_lock = threading.Lock()
_listings: dict[str, tuple[int, tuple[str, ...]]] = {}  # directory -> (its mtime, the .toml files in it)


def _toml_files(directory: Path) -> tuple[str, ...]:
    """The ``.toml`` files of ``directory``, listed again only when the directory changed.

    Adding, removing or renaming a file changes the directory's mtime; an edit in place changes
    the file's own, which :func:`_fingerprint` stats. A stat instead of a listing per request.
    """
    key = str(directory)
    try:
        changed = os.stat(key).st_mtime_ns
    except OSError:
        return ()
    known = _listings.get(key)
    if known is not None and known[0] == changed:
        return known[1]
    try:
        names = sorted(entry.path for entry in os.scandir(key) if entry.name.endswith(".toml"))
    except OSError:
        return ()
    files = _listings[key] = (changed, tuple(names))
    return files[1]


def _fingerprint(dirs: list[Path]) -> tuple[tuple[str, int, int], ...]:
    """Name, mtime and size of every catalog file; a file removed meanwhile is simply left out.

    Runs on every request: one stat per directory and one per file.
    """
    entries = []
    for directory in dirs:
        for path in _toml_files(directory):
            try:
                stat = os.stat(path)
            except OSError:
                continue
            entries.append((path, stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


def get_registry() -> Registry:
    """The current catalog, re-read when a TOML file is added, removed or changed."""
    global _cache
    dirs = [catalog_dir(), *system_providers_dirs(), user_providers_dir()]
    fingerprint = _fingerprint(dirs)
    with _cache_lock:
        if _cache is None or _cache[0] != fingerprint:
            _cache = (fingerprint, Registry.from_dirs(dirs))
        return _cache[1]
