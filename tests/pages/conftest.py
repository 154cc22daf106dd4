"""Fixtures for the page tests."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest


@pytest.fixture
def jp_asyncio_loop(_function_scoped_runner: Any) -> asyncio.AbstractEventLoop:
    """Run pytest-jupyter's server in the loop that pytest-asyncio runs the test in.

    pytest-asyncio (strict mode) runs a marked test in its own runner loop, set up after
    pytest-jupyter's loop; without this the server listens on a loop that never runs while
    the test awaits, and every request times out.
    """
    return _function_scoped_runner.get_loop()
