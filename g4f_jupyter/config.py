"""Where g4f-jupyter keeps its files.

Everything is resolved at call time, never at import: tests (and users) move the data
directory with ``G4F_JUPYTER_DATA_DIR`` or ``JUPYTER_DATA_DIR`` after the package is loaded,
and the kernel and the server must agree on the same directory.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

__all__ = ["catalog_dir", "data_dir", "user_providers_dir"]


def data_dir() -> Path:
    """The data directory shared by the server extension, the kernel and the widgets."""
    explicit = os.environ.get("G4F_JUPYTER_DATA_DIR")
    if explicit:
        path = Path(explicit)
    else:
        from jupyter_core.paths import jupyter_data_dir

        path = Path(jupyter_data_dir()) / "g4f"
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def user_providers_dir() -> Path:
    """User provider TOML files live in the Jupyter config dir: ``<config>/g4f/providers``."""
    explicit = os.environ.get("G4F_JUPYTER_PROVIDERS_DIR")
    if explicit:
        return Path(explicit)
    from jupyter_core.paths import jupyter_config_dir

    return Path(jupyter_config_dir()) / "g4f" / "providers"


@functools.cache
def catalog_dir() -> Path:
    """The shipped provider catalog: inside the wheel, or ``providers/`` of a source checkout."""
    packaged = Path(__file__).parent / "providers"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "providers"
