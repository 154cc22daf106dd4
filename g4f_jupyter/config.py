"""Where g4f-jupyter keeps its files.

Everything is resolved at call time, never at import: tests (and users) move the data
directory with ``G4F_JUPYTER_DATA_DIR`` or ``JUPYTER_DATA_DIR`` after the package is loaded,
and the kernel and the server must agree on the same directory.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

__all__ = ["catalog_dir", "data_dir", "per_environment", "system_providers_dirs", "user_providers_dir"]

_T = TypeVar("_T")


def per_environment(function: Callable[[], _T]) -> Callable[[], _T]:
    """``function`` (whose answer depends on the process environment only) worked out again only when
    the environment changed since its last call.

    Several such answers are asked for on every request (the data directory, the operator's settings,
    where provider files live); comparing the environment with the one last seen costs ~0.5 µs,
    reading a dozen variables afresh ~10 µs each time.
    """
    seen: list[tuple[dict[bytes, bytes] | dict[str, str], _T]] = []

    @functools.wraps(function)
    def answer() -> _T:
        data = getattr(os.environ, "_data", None)  # os.environ's own mapping (POSIX: bytes to bytes)
        current = data if isinstance(data, dict) else dict(os.environ)
        if seen and seen[0][0] == current:
            return seen[0][1]
        value = function()
        seen[:] = [(dict(current), value)]
        return value

    return answer


# What Jupyter's own path functions read; a change in any of them means the answer may change.
_JUPYTER_PATH_ENV = (
    "HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR", "JUPYTER_CONFIG_PATH",
    "JUPYTER_PREFER_ENV_PATH", "JUPYTER_PLATFORM_DIRS", "JUPYTER_NO_CONFIG", "CONDA_PREFIX", "VIRTUAL_ENV",
)


def _environment(*names: str) -> tuple[str | None, ...]:
    return tuple(os.environ.get(name) for name in (*names, *_JUPYTER_PATH_ENV))


@per_environment
def data_dir() -> Path:
    """The data directory shared by the server extension, the kernel and the widgets.

    Resolved at call time (tests and users move it through the environment), but worked out
    only when the environment changed: it runs on every request.
    """
    return _data_dir(_environment("G4F_JUPYTER_DATA_DIR"))


@functools.lru_cache(maxsize=16)
def _data_dir(environment: tuple[str | None, ...]) -> Path:
    explicit = environment[0]
    if explicit:
        path = Path(explicit)
    else:
        from jupyter_core.paths import jupyter_data_dir

        path = Path(jupyter_data_dir()) / "g4f"
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


@per_environment
def user_providers_dir() -> Path:
    """User provider TOML files live in the Jupyter config dir: ``<config>/g4f/providers``."""
    explicit = os.environ.get("G4F_JUPYTER_PROVIDERS_DIR")
    if explicit:
        return Path(explicit)
    from jupyter_core.paths import jupyter_config_dir

    return Path(jupyter_config_dir()) / "g4f" / "providers"


def system_providers_dirs() -> list[Path]:
    """Provider directories an operator sets for every user (a JupyterHub, a lab machine), lowest priority first.

    They are read after the shipped catalog and before the user's own directory, so a hub-wide
    file can point everyone at one shared model server while each user may still override it.
    ``G4F_JUPYTER_SYSTEM_PROVIDERS_PATH`` (``os.pathsep``-separated, highest priority first)
    replaces the default: ``g4f/providers`` under each system entry of Jupyter's config path
    (``JUPYTER_CONFIG_PATH``, ``{sys.prefix}/etc/jupyter``, ``/usr/local/etc/jupyter``, ``/etc/jupyter``).
    """
    return list(_system_dirs())


@per_environment
def _system_dirs() -> tuple[Path, ...]:
    return _system_providers_dirs(_environment("G4F_JUPYTER_SYSTEM_PROVIDERS_PATH"))


@functools.lru_cache(maxsize=16)
def _system_providers_dirs(environment: tuple[str | None, ...]) -> tuple[Path, ...]:
    """Worked out once per environment: Jupyter's config path costs ~170 µs and the catalog is read per request."""
    explicit = environment[0]
    if explicit is not None:
        found = [Path(entry) for entry in explicit.split(os.pathsep) if entry]
    else:
        from jupyter_core.paths import jupyter_config_dir, jupyter_config_path

        own = Path(jupyter_config_dir())
        found = [Path(entry) / "g4f" / "providers" for entry in jupyter_config_path() if Path(entry) != own]
    return tuple(found[::-1])


@functools.cache
def catalog_dir() -> Path:
    """The shipped provider catalog: inside the wheel, or ``providers/`` of a source checkout."""
    packaged = Path(__file__).parent / "providers"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "providers"
