"""Is a rollout held now, and until when: freeze windows and the kill switch.

While a freeze window of a rollout's project (or of every project) is on, no stage of the
rollout starts and a scheduled rollout does not start; stages already deploying or monitoring
go on. While the kill switch is on, nothing new starts anywhere. The engine asks `start_hold`
right before it would start a stage or a scheduled rollout, and the lifecycle asks it to say
what such a rollout waits for, so both always agree.

The window arithmetic (`window_end`, `frozen_until`) is pure: every time is compared in UTC,
and a weekly window's local times are placed on the calendar in its own time zone, so a
window keeps its wall-clock times across daylight-saving changes (a 00:00-06:00 window lasts
7 hours the night clocks go back). Windows that overlap or touch count as one freeze.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from django.db.models import Q

from rollouts.models import FreezeWindow, KillSwitchUse, PauseCause, Recurrence, Rollout

# Enough to follow a chain of touching windows (a week of daily windows is 7 steps).
MAX_CHAIN = 400


@cache
def zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_valid(name: str) -> bool:
    return name in zone_names()


def _utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The wall time `at` on `day` in `zone`, in UTC (a time skipped by a spring-forward is
    read with the offset before the change, i.e. an hour later)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def window_end(window: FreezeWindow, at: datetime) -> datetime | None:
    """When `window` ends, if it is on at `at` (start included, end excluded); else None."""
    if window.recurrence == Recurrence.ONCE:
        if window.starts_at and window.ends_at and window.starts_at <= at < window.ends_at:
            return window.ends_at
        return None
    zone = ZoneInfo(window.timezone)
    today = at.astimezone(zone).date()
    overnight = window.end_time <= window.start_time
    ends = []
    for day in (today - timedelta(days=1), today):  # an occurrence lasts at most a day (+1 h)
        if day.weekday() not in window.weekdays:
            continue
        start = _utc(day, window.start_time, zone)
        end = _utc(day + timedelta(days=1) if overnight else day, window.end_time, zone)
        if start <= at < end:
            ends.append(end)
    return max(ends, default=None)


def frozen_until(windows: list[FreezeWindow], at: datetime) -> tuple[datetime, FreezeWindow]:
    """The end of the freeze on at `at` (windows that overlap or touch are one freeze) and
    the window that ends it. Call only when one of `windows` is on at `at`."""
    until, last = at, None
    for _ in range(MAX_CHAIN):
        on = [(end, w) for w in windows if (end := window_end(w, until)) is not None]
        if not on:
            break
        until, last = max(on, key=lambda pair: pair[0])
    return until, last


def windows_for(project: str, at: datetime) -> list[FreezeWindow]:
    """The windows that may apply to `project` at `at` or later: its own and those of every
    project (one-off ones only if they end after `at`)."""
    return list(
        FreezeWindow.objects.filter(Q(project="") | Q(project=project)).filter(
            Q(recurrence=Recurrence.WEEKLY) | Q(ends_at__gt=at)
        )
    )


def freeze_active(*, project: str, at: datetime) -> FreezeWindow | None:
    """A window of `project` (or of every project) that is on at `at`: the one that ends last
    when several are."""
    windows = windows_for(project, at)
    on = [(end, w) for w in windows if (end := window_end(w, at)) is not None]
    return max(on, key=lambda pair: pair[0])[1] if on else None


def freeze_until(*, project: str, at: datetime) -> datetime | None:
    """When the freeze of `project` on at `at` ends (following windows that touch), or None
    when none is on."""
    windows = windows_for(project, at)
    if not any(window_end(w, at) for w in windows):
        return None
    return frozen_until(windows, at)[0]


def local_label(moment: datetime, zone_name: str) -> str:
    """e.g. "Mon Dec 28, 08:00 CET"."""
    local = moment.astimezone(ZoneInfo(zone_name))
    return f"{local:%a %b} {local.day}, {local:%H:%M} {local.tzname()}"


@dataclass(frozen=True)
class Hold:
    """Why nothing new starts for a rollout now: a freeze (until its end) or the kill switch
    (`cause` kill_switch, no end)."""

    sentence: str
    until: datetime | None = None
    cause: str = ""
    window: FreezeWindow | None = None


def start_hold(*, rollout: Rollout, at: datetime) -> Hold | None:
    """What holds `rollout` from starting a stage (or its scheduled start) at `at`, if
    anything. The kill switch holds every rollout; a freeze holds a rollout of its project
    unless an admin overrode the freeze for it until later than `at`."""
    switch = KillSwitchUse.objects.engaged().only("reason").first()
    if switch is not None:
        sentence = (
            f"The kill switch is on ({switch.reason}): nothing new starts until an admin "
            "releases it."
        )
        return Hold(sentence=sentence, cause=PauseCause.KILL_SWITCH)
    overridden = rollout.freeze_override_until and at < rollout.freeze_override_until
    if overridden:
        return None
    windows = windows_for(rollout.project, at)
    if not any(window_end(w, at) for w in windows):
        return None
    until, window = frozen_until(windows, at)
    sentence = f"Frozen until {local_label(until, window.timezone)} ({window.name})."
    return Hold(sentence=sentence, until=until, window=window)
