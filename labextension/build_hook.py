"""Builds the chat front-end when the Python package is built (wheel or editable install).

Called by hatch-jupyter-builder. One npm build (``build:prod``) makes both outputs of the one
TypeScript front-end: the JupyterLab extension (``build/g4f-jupyter``) and the standalone
bundles of the server's web chat page and shared view (``g4f_jupyter/web/static``). The
wheel then carries both, so a user who installs it needs no Node.js; only building from source
does, and without it the build stops with a message that says what to install instead of a
stack of npm errors.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from hatch_jupyter_builder import npm_builder  # type: ignore[import-not-found,unused-ignore]

HERE = Path(__file__).resolve().parent
OUTPUTS = (
    HERE / "build" / "g4f-jupyter" / "package.json",  # the Lab extension
    HERE.parent / "g4f_jupyter" / "web" / "static" / "chat.js",  # the page bundles
)
SOURCES = ("src", "style", "scripts", "package.json", "package-lock.json", "tsconfig.json")
NODE_MAJOR = 18  # what @jupyter/builder and TypeScript 5 run on


def _newest_source() -> float:
    paths = [HERE / name for name in SOURCES]
    files = [f for p in paths for f in ([p] if p.is_file() else p.rglob("*"))]
    return max(f.stat().st_mtime for f in files if f.is_file())


def _is_current() -> bool:
    newest = _newest_source()
    return all(built.is_file() and built.stat().st_mtime >= newest for built in OUTPUTS)


def _check_node() -> None:
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(
            f"Building the JupyterLab extension needs Node.js >= {NODE_MAJOR} and npm, and "
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not on PATH. "
            "Install them (Debian/Ubuntu: apt-get install nodejs npm), "
            "or install without the Lab panel: SKIP_JUPYTER_BUILDER=1 pip install -e ."
        )
    version = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < NODE_MAJOR:
        raise RuntimeError(f"Building the JupyterLab extension needs Node.js >= {NODE_MAJOR}; found {version}.")


def build(target_name: str, version: str, **kwargs: str) -> None:
    """Build the extension and the page bundles unless both are newer than every source file."""
    if _is_current():
        return
    _check_node()
    try:
        npm_builder(target_name, version, path=str(HERE), build_cmd="build:prod", npm="npm", force=True)
    except subprocess.CalledProcessError as failed:
        raise RuntimeError(
            f"Building the JupyterLab extension failed: `{' '.join(map(str, failed.cmd))}` exited with "
            f"{failed.returncode} (npm's messages are above; `npm install` needs the npm registry). "
            "To install without the Lab panel: SKIP_JUPYTER_BUILDER=1 pip install -e ."
        ) from None
