"""A stage's success and failure over time, from its stored read-back samples.

Every completed read-back keeps a sample (rollouts/models/passes.py::StageSample), so the chart
draws what was counted and when, a retry's drop and climb included, not a ramp between two or
three points. A long stage is thinned to MAX_POINTS evenly spread samples (the first and the
last always kept), so the page stays small."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from rollouts.models import RolloutStage, StageSample

MAX_POINTS = 240


@dataclass(frozen=True)
class StagePoint:
    at: datetime
    success_pct: float
    failed_pct: float


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _point(at: datetime, counts) -> StagePoint:
    failed = counts.count_failed + counts.count_aborted
    return StagePoint(
        at, _pct(counts.count_success, counts.devices_total), _pct(failed, counts.devices_total)
    )


def _thinned(samples: list[StageSample]) -> list[StageSample]:
    if len(samples) <= MAX_POINTS:
        return samples
    step = (len(samples) - 1) / (MAX_POINTS - 1)
    return [samples[round(i * step)] for i in range(MAX_POINTS)]


def stage_series(*, stage: RolloutStage, samples: list[StageSample], now=None) -> list[StagePoint]:
    """Points in time order: the stage's start at zero, one per sample, and the stage's
    latest counts at its end (or now, while it runs)."""
    if stage.started_at is None:
        return []
    points = [StagePoint(stage.started_at, 0.0, 0.0)]
    points += [_point(s.taken_at, s) for s in _thinned(samples) if s.taken_at >= stage.started_at]
    end = stage.finished_at or now or timezone.now()
    latest = _point(max(end, points[-1].at), stage)
    if latest != points[-1]:
        points.append(latest)
    return points
