"""Admins define freeze windows, and may let one rollout through a freeze, with a reason.

The rules of a window (ValidationError keyed by field, for the page's form and the API alike):
a name, a reason and a time zone that exists (an IANA name, e.g. Europe/Berlin); a one-off
window has a start and an end after it, not in the past (a start or end without a UTC offset
is a wall time in the window's time zone); a weekly window has at least one weekday and a
start and an end time (an end at or before the start ends the next day)."""

import logging
from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from rollouts.models import EventKind, FreezeWindow, Recurrence, Rollout, RolloutStatus
from rollouts.services.errors import ActionRefused
from rollouts.services.events import event_record
from rollouts.services.freezes import freeze_active, freeze_until, local_label, zone_valid

logger = logging.getLogger(__name__)

WINDOW_FIELDS = (
    "name",
    "project",
    "recurrence",
    "starts_at",
    "ends_at",
    "weekdays",
    "start_time",
    "end_time",
    "timezone",
    "reason",
)
OVERRIDABLE = (RolloutStatus.SCHEDULED, RolloutStatus.RUNNING, RolloutStatus.PAUSED)


def _admin_only(actor, what: str) -> None:
    if not getattr(actor, "is_superuser", False):
        raise ActionRefused(f"Only an admin can {what}.", code="permission_denied")


def freeze_window_validate(data: dict) -> dict:
    """The window's fields, cleaned; ValidationError naming each field at fault."""
    errors: dict[str, list[str]] = {}
    clean = {field: data.get(field) for field in WINDOW_FIELDS}
    for field in ("name", "project", "reason", "timezone"):
        clean[field] = str(clean[field] or "").strip()
    if not clean["name"]:
        errors["name"] = ["Give the window a name."]
    if not clean["reason"]:
        errors["reason"] = ["Say why rollouts are frozen."]
    zone = None
    if not clean["timezone"]:
        errors["timezone"] = ["Give a time zone, e.g. Europe/Berlin."]
    elif not zone_valid(clean["timezone"]):
        errors["timezone"] = [f"Unknown time zone {clean['timezone']!r}: use an IANA name."]
    else:
        zone = ZoneInfo(clean["timezone"])
    if clean["recurrence"] == Recurrence.ONCE:
        clean.update(weekdays=[], start_time=None, end_time=None)
        for field in ("starts_at", "ends_at"):
            value = clean[field]
            if not isinstance(value, datetime):
                errors[field] = ["Give a date and time."]
            elif timezone.is_naive(value) and zone is not None:
                clean[field] = value.replace(tzinfo=zone)
        starts, ends = clean["starts_at"], clean["ends_at"]
        if zone is not None and isinstance(starts, datetime) and isinstance(ends, datetime):
            if ends <= starts:
                errors["ends_at"] = ["The window must end after it starts."]
            elif ends <= timezone.now():
                errors["ends_at"] = ["This window is already over."]
    elif clean["recurrence"] == Recurrence.WEEKLY:
        clean.update(starts_at=None, ends_at=None)
        days = clean["weekdays"] or []
        if not isinstance(days, list | tuple) or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in days
        ):
            errors["weekdays"] = ["Weekdays are numbers from 0 (Monday) to 6 (Sunday)."]
        elif not days:
            errors["weekdays"] = ["Choose at least one weekday."]
        else:
            clean["weekdays"] = sorted(set(days))
        for field in ("start_time", "end_time"):
            if not isinstance(clean[field], time):
                errors[field] = ["Give a time of day, e.g. 18:00."]
            else:
                clean[field] = clean[field].replace(tzinfo=None)
    else:
        errors["recurrence"] = ["Choose one-off or weekly."]
    if errors:
        raise ValidationError(errors)
    return clean


def freeze_window_create(*, actor, **data) -> FreezeWindow:
    _admin_only(actor, "define freeze windows")
    clean = freeze_window_validate(data)
    window = FreezeWindow.objects.create(**clean, created_by=actor)
    logger.info("freeze window %s created by %s: %s", window.pk, actor, window.schedule_label)
    return window


def freeze_window_update(*, window: FreezeWindow, actor, **changes) -> FreezeWindow:
    """Change the fields given (the others keep their values); the same rules apply."""
    _admin_only(actor, "change freeze windows")
    current = {field: getattr(window, field) for field in WINDOW_FIELDS}
    clean = freeze_window_validate({**current, **changes})
    FreezeWindow.objects.filter(pk=window.pk).update(**clean)
    window.refresh_from_db()
    logger.info("freeze window %s changed by %s: %s", window.pk, actor, window.schedule_label)
    return window


def freeze_window_delete(*, window: FreezeWindow, actor) -> None:
    _admin_only(actor, "delete freeze windows")
    logger.info("freeze window %s (%s) deleted by %s", window.pk, window.name, actor)
    window.delete()


def rollout_freeze_override(*, rollout: Rollout, actor, reason: str) -> Rollout:
    """Let `rollout` start stages through the freeze on now, until that freeze ends (a later
    freeze holds it again); recorded as a freeze_overridden event with the reason. The kill
    switch is not a freeze: it still holds the rollout."""
    _admin_only(actor, "override a freeze")
    reason = reason.strip()
    if not reason:
        raise ActionRefused(
            "Say why this rollout goes on during the freeze.", code="invalid", field="reason"
        )
    now = timezone.now()
    window = freeze_active(project=rollout.project, at=now)
    if window is None:
        raise ActionRefused(f"No freeze window holds rollout {rollout.pk} now.")
    until = freeze_until(project=rollout.project, at=now)
    with transaction.atomic():
        changed = Rollout.objects.filter(pk=rollout.pk, status__in=OVERRIDABLE).update(
            freeze_override_until=until, freeze_override_by=actor, freeze_override_reason=reason
        )
        if changed != 1:
            raise ActionRefused(f"Rollout {rollout.pk} is {rollout.status}: already over.")
        event_record(
            rollout=rollout,
            kind=EventKind.FREEZE_OVERRIDDEN,
            actor=actor,
            reason=reason,
            details={
                "window": window.pk,
                "window_name": window.name,
                "until": until.isoformat(),
                "until_local": local_label(until, window.timezone),
            },
        )
        _enqueue_advance(rollout.pk)
    rollout.refresh_from_db()
    return rollout


def _enqueue_advance(rollout_id: int) -> None:
    from rollouts.tasks import rollout_advance_task

    transaction.on_commit(lambda: rollout_advance_task.delay(rollout_id))
