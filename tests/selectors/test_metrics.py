"""The metrics snapshot: each figure from factory rows, and a fixed number of queries."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rollouts.engine.budget import COOLDOWN_KEY, budget_acquire, budget_cooldown
from rollouts.models import Channel, Delivery, RolloutStatus, StageStatus
from rollouts.selectors.metrics import metrics_snapshot
from tests.factories import (
    ApiCallFactory,
    DeviceProgressFactory,
    EventFactory,
    WorkerHeartbeatFactory,
)
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.django_db

AWAITING = (StageStatus.SUCCEEDED, StageStatus.PENDING, StageStatus.PENDING)


@pytest.fixture(autouse=True)
def _no_cooldown():
    """The cool-down key is shared by the whole cache: leave none behind."""
    cache.delete(COOLDOWN_KEY)
    yield
    cache.delete(COOLDOWN_KEY)


def delivery(channel, state: str, kind: str = "paused", n: int = 0) -> Delivery:
    return Delivery.objects.create(
        channel=channel,
        kind=kind,
        subject="s",
        idempotency_key=f"{state}-{kind}-{n}-{Delivery.objects.count()}",
        state=state,
    )


def world(user, n: int) -> None:
    """n of everything the snapshot reads, in every state it tells apart."""
    channel, _ = Channel.objects.get_or_create(
        name="hook", kind="webhook", defaults={"url": "https://example.com/h", "kinds": ["paused"]}
    )
    for i in range(n):
        rollout = rollout_built(user=user)  # stage 2 monitoring
        rollout_built(user=user, stage_statuses=AWAITING, second_stage_approved=False)
        rollout_built(user=user, status=RolloutStatus.PAUSED)
        rollout_built(user=user, status=RolloutStatus.COMPLETED)
        stage = rollout.stages.get(position=2)
        DeviceProgressFactory.create_batch(5, stage=stage)
        EventFactory.create_batch(5, rollout=rollout, stage=stage, kind="sweep")
        ApiCallFactory.create_batch(3, rollout=rollout, stage=stage, kind="poll", pages=2)
        ApiCallFactory(rollout=rollout, kind="poll", state="failed", http_status=429)
        WorkerHeartbeatFactory()
        delivery(channel, "succeeded", n=i)
        delivery(channel, "failed", kind="deadline", n=i)


def test_each_figure_is_read_from_the_rows(release_manager):
    now = timezone.now()
    # A monitoring stage polled 7 s ago; one deployed 40 s ago never polled yet.
    polled = rollout_built(user=release_manager, project="Fleet")
    polled.stages.filter(position=2).update(last_polled_at=now - timedelta(seconds=7))
    fresh = rollout_built(user=release_manager)
    fresh.stages.filter(position=2).update(deployed_at=now - timedelta(seconds=40))
    # Paused rollouts are not read back: no lag series for them.
    rollout_built(user=release_manager, status=RolloutStatus.PAUSED)
    # Two stages awaiting approval; the older one's previous stage finished 20 minutes ago.
    waiting = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False
    )
    newer = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False
    )
    newer.stages.filter(position=1).update(finished_at=now - timedelta(minutes=3))
    rollout_built(user=release_manager, status=RolloutStatus.COMPLETED)
    ApiCallFactory(rollout=waiting, kind="poll", state="failed", http_status=429)
    ApiCallFactory(rollout=waiting, kind="poll", state="failed", http_status=429)
    ApiCallFactory(rollout=waiting, kind="deploy", state="unknown", http_status=None)
    WorkerHeartbeatFactory(last_seen=now - timedelta(seconds=40))
    WorkerHeartbeatFactory(last_seen=now - timedelta(minutes=10))
    channel = Channel.objects.create(
        name="hook", kind="webhook", url="https://example.com/h", kinds=["paused"]
    )
    delivery(channel, "succeeded")
    delivery(channel, "succeeded", n=1)
    delivery(channel, "failed", kind="deadline")

    snapshot = metrics_snapshot(now=now)

    assert snapshot.rollouts_by_status == {
        "draft": 0,
        "scheduled": 0,
        "running": 4,
        "paused": 1,
        "completed": 1,
        "aborted": 0,
        "failed": 0,
    }
    assert snapshot.approvals_waiting == 2
    assert snapshot.approval_oldest_seconds == pytest.approx(20 * 60, abs=5)
    # rollout_built records a failed (400) and a succeeded (200) deploy per rollout: 6 rollouts.
    assert snapshot.calls == {
        ("deploy", "failed", "400"): 6,
        ("deploy", "succeeded", "200"): 6,
        ("deploy", "unknown", ""): 1,
        ("poll", "failed", "429"): 2,
    }
    assert snapshot.rate_limited == 2
    lags = {(lag.rollout_id, lag.position): lag for lag in snapshot.readback_lags}
    assert set(lags) == {(polled.pk, 2), (fresh.pk, 2)}
    assert lags[polled.pk, 2].seconds == pytest.approx(7, abs=1)
    assert lags[polled.pk, 2].project == "Fleet"
    assert lags[fresh.pk, 2].seconds == pytest.approx(40, abs=1)
    assert snapshot.worker_heartbeat_age_seconds == pytest.approx(40, abs=1)
    assert snapshot.workers_seen == 1
    assert snapshot.deliveries == {("succeeded", "paused"): 2, ("failed", "deadline"): 1}


def test_nothing_recorded_reads_as_zeros_and_no_heartbeat_as_infinity(db):
    snapshot = metrics_snapshot()

    assert set(snapshot.rollouts_by_status.values()) == {0}
    assert (snapshot.approvals_waiting, snapshot.approval_oldest_seconds) == (0, 0.0)
    assert snapshot.calls == {} and snapshot.deliveries == {} and snapshot.readback_lags == []
    assert snapshot.worker_heartbeat_age_seconds == float("inf")
    assert snapshot.workers_seen == 0


def test_the_budget_is_read_from_the_shared_cache(settings, db):
    settings.UPSWIFT_CALLS_PER_MINUTE = 50
    now = timezone.now().replace(second=10, microsecond=0) + timedelta(days=3650)
    for _ in range(3):
        assert budget_acquire(now=now.timestamp()) == 0
    budget_cooldown(seconds=30, now=now.timestamp())

    budget = metrics_snapshot(now=now + timedelta(seconds=5)).budget

    assert budget["calls_this_minute"] == 3
    assert budget["limit_per_minute"] == 50
    assert budget["cooldown_seconds"] == pytest.approx(25)


def test_a_scrape_runs_the_same_queries_whatever_the_amount_of_data(release_manager):
    def scrape_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            metrics_snapshot()
        return len(captured.captured_queries)

    world(release_manager, 1)
    small = scrape_queries()
    world(release_manager, 6)
    large = scrape_queries()

    assert small == large == 6
