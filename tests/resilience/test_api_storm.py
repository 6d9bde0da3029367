"""The Upswift API answering 429 for a minute, then 500s, then timeouts, mid-rollout."""

import time

import pytest

from rollouts.models import ApiCall, Event, EventKind, RolloutStatus
from tests.factories import UserFactory
from tests.process.helpers import (
    CANARY_GROUPS_ALL,
    deploy_calls,
    rollout_updates_per_device,
    start_rollout,
    wait_status,
)
from tests.support.processes import wait_for

pytestmark = pytest.mark.integration

STORM_SECONDS = 60


def test_a_minute_of_429_then_500s_then_timeouts(engine_factory):
    manager = UserFactory(username="rm")
    # A storm longer than a stage's deadline would (rightly) pause it: give the stages time.
    stages = [{**s, "approval_required": False, "deadline_minutes": 600} for s in CANARY_GROUPS_ALL]
    with engine_factory(devices=200) as engine:
        rollout = start_rollout(user=manager, stages=stages)
        wait_for(
            lambda: rollout.stages.filter(status="succeeded").exists(),
            timeout=60,
            describe=engine.logs,
        )

        # Every call is refused for a minute (the simulator's own limit: one call a minute).
        engine.sim.set_rate_limit(1)
        time.sleep(STORM_SECONDS)
        engine.sim.set_rate_limit(0)
        engine.sim.fault("error_500", count=5)
        engine.sim.fault("timeout", count=2, delay=5)
        started_after_storm = time.monotonic()

        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine, timeout=180)
        statuses = [c["status"] for c in engine.sim.calls()]
        per_device = rollout_updates_per_device(engine.sim, rollout)
        deploys = [c for c in deploy_calls(engine.sim) if c["status"] == 200]

    # The console honoured Retry-After: a handful of refused calls in a minute, not a loop.
    assert 1 <= statuses.count(429) <= 5
    assert statuses.count(500) == 5 and statuses.count(None) == 2
    assert len(deploys) == len(stages) and set(per_device.values()) == {1}
    assert time.monotonic() - started_after_storm < 180
    # Visible afterwards: the trouble in the history, every failed call in the call log.
    errors = Event.objects.filter(rollout=rollout, kind=EventKind.API_ERROR)
    assert 429 in {e.details.get("status") for e in errors}
    logged = set(ApiCall.objects.filter(rollout=rollout).values_list("http_status", flat=True))
    assert {429, 500} <= logged
