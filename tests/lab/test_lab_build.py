"""The wheel carries the prebuilt Lab extension (no Node.js for users); building from source
without Node.js stops with a message that says what to install."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = "share/jupyter/labextensions/g4f-jupyter/"


def _wheel(source: Path, out: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=600, env=env,
    )


def test_the_wheel_ships_the_built_extension_as_shared_data(tmp_path: Path) -> None:
    built = _wheel(ROOT, tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = tmp_path.glob("g4f_jupyter-*.whl")
    archive = zipfile.ZipFile(wheel)
    shipped = {name.split(SHARED, 1)[1] for name in archive.namelist() if SHARED in name}
    assert {"package.json", "install.json", "static/style.js"} <= shipped
    [entry] = [name for name in shipped if name.startswith("static/remoteEntry.")]
    metadata = json.loads(archive.read(next(n for n in archive.namelist() if n.endswith(SHARED + "package.json"))))
    assert metadata["name"] == "g4f-jupyter"
    assert metadata["jupyterlab"]["_build"]["load"] == entry  # Lab loads the bundle this wheel carries
    assert not any("node_modules" in name for name in archive.namelist())


def test_building_from_source_without_node_names_what_to_install(tmp_path: Path) -> None:
    source = tmp_path / "src"
    ignore = shutil.ignore_patterns("node_modules", "build", "lib", "*.tsbuildinfo", "__pycache__", ".venv")
    for name in ("g4f_jupyter", "providers", "jupyter-config", "labextension"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    no_node = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    assert shutil.which("node", path=no_node["PATH"]) is None

    built = _wheel(source, tmp_path / "out", no_node)
    assert built.returncode != 0
    assert "Building the JupyterLab extension needs Node.js >= 18 and npm" in built.stdout + built.stderr
    assert "SKIP_JUPYTER_BUILDER=1" in built.stdout + built.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.whl"))
