"""A real JupyterLab server (with the installed g4f-jupyter Lab extension) for the panel tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

# A notebook to insert code into: one cell, a kernelspec so Lab starts its kernel without asking.
NOTEBOOK = {
    "cells": [{"cell_type": "code", "execution_count": None, "id": "first", "metadata": {}, "outputs": [],
               "source": "x = 1"}],
    "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


# Served below a base URL that needs escaping, as a hub would: every link must be built from it.
BASE_URL = "/a%40b/"


@pytest.fixture
def lab(tmp_path: Path, start_lab: Callable[..., tuple[str, str]]) -> tuple[str, str]:
    """JupyterLab under BASE_URL, serving a folder with notes.ipynb; (url with base, token)."""
    root = tmp_path / "nb"
    root.mkdir()
    (root / "notes.ipynb").write_text(json.dumps(NOTEBOOK))
    return start_lab(root, BASE_URL)
