"""When a stage's progress is read back: as its devices move, never while the budget is spent.

`progress.py` knows how a stage is read; this module decides when. A tick that would only
find the budget spent reads nothing and records nothing: the deadline is still checked on the
last numbers read.

Adaptive read-back (`ROLLOUT_ADAPTIVE_READS`, on by default). Fixed polling spends the shared
budget evenly whether or not anything happens; here each whole pass plans the next one from
what it saw, between ROLLOUT_POLL_SECONDS / 2 and 3 x ROLLOUT_POLL_SECONDS:
- after a deploy, the first read waits two intervals (no update has run yet), unless the
  stage's success threshold is 0 (the first read meets it);
- while devices succeed, the next read comes at half the time the current pace needs to reach
  the success threshold, so reads thin out far from it and close in near it (the moment that
  decides when the next stage starts);
- while devices move without succeeding yet (starting), one interval; while nothing moves,
  twice the last interval;
- never later than the stage's deadline; once the threshold is met, one interval (soak, gates).
And fairly: a stage whose last read saw nothing move leaves the budget's last tenth to stages
whose devices are moving. The plan lives in the cache (lost with it: the next read is then one
interval after the last).
"""

import math
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from rollouts.engine import progress
from rollouts.engine.budget import budget_wait
from rollouts.models import RolloutStage

WAIT = "wait"  # not time for a read yet
HELD = "held"  # time for one, but the budget has no call to give now
READ = "read"

IDLE_RESERVE_SHARE = 0.1  # the budget's share an idle stage leaves to moving ones
PLAN_KEY = "rollouts:read-plan:{pk}"


@dataclass(frozen=True)
class Sample:
    """What one whole pass saw: when, how many succeeded, and every count (to see movement)."""

    at: float
    success: int
    counts: tuple[int, ...]


def stage_read_due(stage: RolloutStage) -> str:
    """READ when `stage` is to be read back on this tick (a pass is unfinished or the planned
    time has come, and the budget has a call to give now); HELD when only the budget stops it;
    WAIT otherwise."""
    if progress.pass_unfinished(stage):
        return READ if budget_wait() == 0 else HELD
    if timezone.now().timestamp() < _next_read_at(stage):
        return WAIT
    return READ if budget_wait(reserve=_reserve(stage)) == 0 else HELD


def stage_read_recorded(stage: RolloutStage) -> float:
    """After a whole pass (`stage` holds its fresh counts): plan the next read. Returns the
    interval chosen, in seconds."""
    base = settings.ROLLOUT_POLL_SECONDS
    now = timezone.now().timestamp()
    current = _sample(stage, now)
    plan = cache.get(_key(stage)) or {}
    if plan.get("sample"):
        previous = Sample(plan["sample"][0], plan["sample"][1], tuple(plan["sample"][2]))
    else:  # the first pass: compared with the deploy, when nothing had succeeded
        started = stage.started_at.timestamp() if stage.started_at else now - base
        previous = Sample(started, 0, ())
    interval = base
    if settings.ROLLOUT_ADAPTIVE_READS:
        interval = next_interval(
            base=base,
            previous=previous,
            current=current,
            needed=_needed(stage),
            last_interval=plan.get("interval", base),
        )
        if stage.deadline_at:
            interval = min(interval, max(stage.deadline_at.timestamp() - now, base / 2))
    cache.set(
        _key(stage),
        {
            "sample": [current.at, current.success, list(current.counts)],
            "interval": interval,
            "next": now + interval,
            "moving": current.counts != previous.counts,
        },
        timeout=86400,
    )
    return interval


def next_interval(
    *, base: float, previous: Sample, current: Sample, needed: int, last_interval: float
) -> float:
    """The seconds until the next read (pure: the policy in the module docstring)."""
    shortest, longest = base / 2, base * 3
    if needed <= current.success:
        return base  # the gates take it from here (soak, the next stage)
    elapsed = current.at - previous.at
    pace = (current.success - previous.success) / elapsed if elapsed > 0 else 0.0
    if pace > 0:
        eta = (needed - current.success) / pace
        return min(max(eta / 2, shortest), longest)
    if current.counts != previous.counts:
        return base
    return min(max(last_interval, base) * 2, longest)


def _needed(stage: RolloutStage) -> int:
    return math.ceil(stage.success_threshold * stage.devices_total / 100)


def _sample(stage: RolloutStage, at: float) -> Sample:
    counts = (
        stage.devices_total,
        stage.count_pending,
        stage.count_in_progress,
        stage.count_success,
        stage.count_failed,
        stage.count_aborted,
        stage.count_not_reached,
    )
    return Sample(at, stage.count_success, counts)


def _key(stage: RolloutStage) -> str:
    return PLAN_KEY.format(pk=stage.pk)


def _next_read_at(stage: RolloutStage) -> float:
    """When the next read is due (a tick a hair early still counts)."""
    base = settings.ROLLOUT_POLL_SECONDS
    slack = base * 0.1
    if stage.last_polled_at is None:  # never read, or a call asked for a read soon
        started = _ts(stage.started_at)
        if not settings.ROLLOUT_ADAPTIVE_READS or started is None or not stage.success_threshold:
            return 0.0  # (a threshold of 0 is met by the first read: no reason to wait)
        return started + 2 * base - slack  # nothing has run yet right after the deploy
    plan = cache.get(_key(stage)) if settings.ROLLOUT_ADAPTIVE_READS else None
    if plan and plan.get("sample") and abs(plan["sample"][0] - _ts(stage.last_polled_at)) < 5:
        return plan["next"] - min(slack, plan["interval"] * 0.1)
    return _ts(stage.last_polled_at) + base - slack


def _reserve(stage: RolloutStage) -> int:
    """Calls an idle stage leaves for stages whose devices are moving."""
    if not settings.ROLLOUT_ADAPTIVE_READS:
        return 0
    plan = cache.get(_key(stage)) or {}
    if plan.get("moving", True):
        return 0
    return math.ceil(settings.UPSWIFT_CALLS_PER_MINUTE * IDLE_RESERVE_SHARE)


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value else None
