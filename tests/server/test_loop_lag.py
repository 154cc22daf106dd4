"""Relayed streams give way when the server's loop runs behind, and only then."""

from __future__ import annotations

import asyncio
import time

import pytest

from g4f_jupyter.core.loop_lag import LATE, loop_lag


@pytest.mark.asyncio
async def test_a_quiet_loop_makes_no_stream_pause() -> None:
    lag = loop_lag()
    lag.stream_started()
    try:
        await asyncio.sleep(0.1)
        assert lag.behind < LATE and lag.pause() == 0.0
    finally:
        lag.stream_ended()


@pytest.mark.asyncio
async def test_a_loop_held_up_makes_streams_pause_a_bounded_time_until_the_last_stream_ends() -> None:
    lag = loop_lag()
    lag.stream_started()
    lag.stream_started()
    for _ in range(10):  # callbacks that each keep the loop 30 ms: its timer fires late
        time.sleep(0.03)
        await asyncio.sleep(0.005)
    assert lag.behind > LATE and 0.0 < lag.pause() <= 0.1
    lag.stream_ended()
    assert lag.pause() > 0.0  # one stream still runs: still sampled
    lag.stream_ended()
    assert lag.behind == 0.0 and lag.pause() == 0.0  # no stream: nothing sampled, nothing paused
