"""What the Prometheus endpoint reports, read from the database at scrape time.

The database (and the cache, for the API budget) is the one place every gunicorn worker and
every Celery worker writes to, so reading it when Prometheus scrapes gives the same answer
from whichever web process answers, with no multiprocess mode and no counters kept in memory.
A scrape runs a fixed number of queries (six), whatever the amount of data: each figure is one
aggregate (tests/selectors/test_metrics.py measures it at two sizes).
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from rollouts.engine.budget import budget_status
from rollouts.models import (
    ApiCall,
    Delivery,
    Rollout,
    RolloutStage,
    RolloutStatus,
    StageStatus,
    WorkerHeartbeat,
)
from rollouts.selectors.approvals import stages_waiting
from rollouts.selectors.workers import WORKER_STALE_AFTER


@dataclass(frozen=True)
class ReadbackLag:
    rollout_id: int
    position: int
    project: str
    seconds: float


@dataclass
class MetricsSnapshot:
    rollouts_by_status: dict[str, int]
    approvals_waiting: int
    approval_oldest_seconds: float  # 0 when none waits
    # (kind, state, http status or "" when no answer) -> calls
    calls: dict[tuple[str, str, str], int]
    readback_lags: list[ReadbackLag]
    worker_heartbeat_age_seconds: float  # +Inf when no worker ever reported
    workers_seen: int
    deliveries: dict[tuple[str, str], int]  # (state, kind) -> deliveries
    budget: dict = field(default_factory=dict)

    @property
    def rate_limited(self) -> int:
        """Calls Upswift answered with 429 Too Many Requests."""
        return sum(n for (_, _, status), n in self.calls.items() if status == "429")


def _seconds(now: datetime, then: datetime | None) -> float:
    return max(0.0, (now - then).total_seconds()) if then else 0.0


def rollouts_by_status() -> dict[str, int]:
    """Every status, zero included, so a series does not vanish when its last rollout leaves."""
    counts = dict.fromkeys(RolloutStatus.values, 0)
    for row in Rollout.objects.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


def approvals_waiting(*, now: datetime) -> tuple[int, float]:
    """How many stages wait for a person's approval, and how long the oldest has waited.

    A stage waits from when the stage before it finished (the first stage: from the rollout's
    start), the moment the rollout could have gone on had someone approved."""
    previous_finished = RolloutStage.objects.filter(
        rollout=OuterRef("rollout"), position=OuterRef("position") - 1
    ).values("finished_at")[:1]
    totals = (
        stages_waiting()
        .order_by()
        .annotate(since=Coalesce(Subquery(previous_finished), F("rollout__started_at")))
        .aggregate(n=Count("id"), oldest=Min("since"))
    )
    return totals["n"], _seconds(now, totals["oldest"])


def calls_by_outcome() -> dict[tuple[str, str, str], int]:
    rows = ApiCall.objects.order_by().values("kind", "state", "http_status").annotate(n=Count("id"))
    return {(row["kind"], row["state"], str(row["http_status"] or "")): row["n"] for row in rows}


def readback_lags(*, now: datetime) -> list[ReadbackLag]:
    """For each stage being read back (monitoring, rollout running): the time since its last
    completed read-back pass (since its deploy when no pass has completed yet)."""
    rows = (
        RolloutStage.objects.filter(
            status=StageStatus.MONITORING, rollout__status=RolloutStatus.RUNNING
        )
        .annotate(
            since=Coalesce("last_polled_at", "deployed_at", "started_at"),
            project=F("rollout__project"),
        )
        .order_by("rollout_id", "position")
        .values_list("rollout_id", "position", "project", "since")
    )
    return [
        ReadbackLag(rollout_id, position, project, _seconds(now, since))
        for rollout_id, position, project, since in rows
    ]


def worker_heartbeats(*, now: datetime) -> tuple[float, int]:
    """The age of the freshest heartbeat of any worker, and how many workers reported within
    the dashboard's window."""
    totals = WorkerHeartbeat.objects.aggregate(
        last=Max("last_seen"),
        recent=Count("id", filter=Q(last_seen__gte=now - WORKER_STALE_AFTER)),
    )
    age = _seconds(now, totals["last"]) if totals["last"] else float("inf")
    return age, totals["recent"]


def deliveries_by_state() -> dict[tuple[str, str], int]:
    rows = Delivery.objects.order_by().values("state", "kind").annotate(n=Count("id"))
    return {(row["state"], row["kind"]): row["n"] for row in rows}


def metrics_snapshot(*, now: datetime | None = None) -> MetricsSnapshot:
    now = now or timezone.now()
    waiting, oldest = approvals_waiting(now=now)
    heartbeat_age, workers_seen = worker_heartbeats(now=now)
    return MetricsSnapshot(
        rollouts_by_status=rollouts_by_status(),
        approvals_waiting=waiting,
        approval_oldest_seconds=oldest,
        calls=calls_by_outcome(),
        readback_lags=readback_lags(now=now),
        worker_heartbeat_age_seconds=heartbeat_age,
        workers_seen=workers_seen,
        deliveries=deliveries_by_state(),
        budget=budget_status(now=now.timestamp()),
    )
