"""One simulator process for the whole session, reset before every test that uses it.

Time is frozen (speedup 0) and updates never fail unless a test sets failure rates, so every
outcome is exact; tests move time with ``sim.advance()``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from upswift_simulator.testing import SimulatorHandle, running_simulator

from .helpers import OTHER_TOKEN, START_TIME


@pytest.fixture(scope="session")
def _session_sim() -> Iterator[SimulatorHandle]:
    with running_simulator(
        devices=300,
        seed=7,
        speedup=0,
        failure_rate=0.0,
        offline_share=0.1,
        tokens=["sim-demo-token", OTHER_TOKEN],
        start_time=START_TIME,
    ) as handle:
        yield handle


@pytest.fixture
def sim(_session_sim: SimulatorHandle) -> SimulatorHandle:
    _session_sim.reset()
    return _session_sim
