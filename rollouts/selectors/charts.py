"""A stage's success and failure over time, from its events and its current counts.

Points come from the events that carry counts (threshold met, stage succeeded) plus the
stage's start and its latest read-back, so the chart needs no extra table."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from rollouts.models import Event, EventKind, RolloutStage

SERIES_KINDS = (EventKind.STAGE_THRESHOLD_MET, EventKind.STAGE_SUCCEEDED)


@dataclass(frozen=True)
class StagePoint:
    at: datetime
    success_pct: float
    failed_pct: float


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _point_of(event: Event, previous: StagePoint) -> StagePoint | None:
    details = event.details or {}
    if event.kind == EventKind.STAGE_THRESHOLD_MET and details.get("of"):
        return StagePoint(
            event.created_at, _pct(details["success"], details["of"]), previous.failed_pct
        )
    if event.kind == EventKind.STAGE_SUCCEEDED and details.get("devices"):
        counts, total = details.get("counts") or {}, details["devices"]
        failed = counts.get("failed", 0) + counts.get("aborted", 0)
        return StagePoint(
            event.created_at, _pct(counts.get("success", 0), total), _pct(failed, total)
        )
    return None


def stage_series(*, stage: RolloutStage, events: list[Event], now=None) -> list[StagePoint]:
    """Points in time order, from the stage's start to its end (or its last read-back)."""
    if stage.started_at is None:
        return []
    points = [StagePoint(stage.started_at, 0.0, 0.0)]
    for event in events:
        if event.stage_id == stage.pk and event.created_at >= stage.started_at:
            point = _point_of(event, points[-1])
            if point is not None:
                points.append(point)
    end = stage.finished_at or stage.last_polled_at or now or timezone.now()
    failed = stage.count_failed + stage.count_aborted
    latest = StagePoint(
        max(end, points[-1].at),
        _pct(stage.count_success, stage.devices_total),
        _pct(failed, stage.devices_total),
    )
    if latest != points[-1]:
        points.append(latest)
    return points
