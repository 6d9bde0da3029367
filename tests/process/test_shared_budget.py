"""The shared API budget against an Upswift whose limit equals it: several rollouts on two
workers (and two beats) spend it together, and Upswift never answers 429 while every rollout
goes on to the end. Evidence from the simulator's call log: no 429, and no 60 s of it with
more calls than the budget."""

import os
from datetime import datetime

import pytest

from rollouts.models import ApiCall, CallKind, RolloutStatus
from tests.factories import UserFactory
from tests.process.helpers import (
    AUTO,
    describe_rollout,
    rollout_updates_per_device,
    start_rollout,
    wait_status,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("CACHE_URL", "").startswith("redis://"),
        reason="workers share the budget exactly only through Redis (CACHE_URL)",
    ),
]

BUDGET = 40
# Disjoint devices (a deploy to a device aborts the update still active on it): each rollout
# takes two of Demo's groups, one stage each.
GROUPS = [("Production", "Lab"), ("TestGroup1", "TestGroup2"), ("EU-West", "US-East")]


def busiest_minute(times: list[datetime]) -> int:
    """The most calls in any 60 s that starts at a call."""
    return max(sum(0 <= (t - start).total_seconds() < 60 for t in times) for start in times)


@pytest.mark.timeout(600)
def test_several_rollouts_on_two_workers_never_exceed_upswift_s_limit(engine_factory):
    manager = UserFactory(username="rm")
    env = {"UPSWIFT_CALLS_PER_MINUTE": str(BUDGET), "UPSWIFT_PAGE_SIZE": "10"}
    with engine_factory(devices=300, rate_limit=BUDGET, workers=2, beats=2, env=env) as engine:
        rollouts = [
            start_rollout(
                user=manager,
                # Test "minutes" are seconds: a deadline the shared budget cannot run into.
                stages=[
                    {**AUTO, "target": "groups", "groups": [g], "deadline_minutes": 600}
                    for g in pair
                ],
                name=f"plan {i}",
                version=f"v{i}",
            )
            for i, pair in enumerate(GROUPS)
        ]
        for rollout in rollouts:
            ended = RolloutStatus.COMPLETED, RolloutStatus.PAUSED, RolloutStatus.FAILED
            wait_status(rollout, *ended, engine=engine, timeout=420)
            assert rollout.status == RolloutStatus.COMPLETED, describe_rollout(rollout, engine)
        log = engine.sim.calls()
        engine.sim.set_rate_limit(0)  # the test's own reads below are not the console's
        per_device = [rollout_updates_per_device(engine.sim, r) for r in rollouts]

    statuses = [c["status"] for c in log]
    times = [datetime.fromisoformat(c["time"]) for c in log]
    assert statuses.count(429) == 0
    assert len(log) > BUDGET  # the run was held by the budget, not under it
    busiest = busiest_minute(times)
    seconds = (times[-1] - times[0]).total_seconds()
    print(f"\nshared budget: {len(log)} calls in {seconds:.0f} s, busiest 60 s {busiest}/{BUDGET}")
    assert busiest <= BUDGET
    empty_passes = ApiCall.objects.filter(kind=CallKind.POLL, pages=0)
    assert not empty_passes.exists(), list(empty_passes.values("state", "error_message")[:5])
    for rollout, counts, pair in zip(rollouts, per_device, GROUPS, strict=True):
        assert set(counts.values()) <= {0, 1}  # no device twice
        stages = rollout.stages.order_by("position")
        assert sum(counts.values()) == sum(s.devices_total for s in stages) > 0, pair
