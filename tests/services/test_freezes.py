"""Freeze windows: when one is on and until when (one-off and weekly, across daylight-saving
changes), which projects it holds, what a held rollout waits for, that the engine starts no
stage and no scheduled rollout meanwhile, and an admin's override for one rollout."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from rollouts.engine import steps as engine
from rollouts.engine.lifecycle import Awaiting, rollout_waiting
from rollouts.models import (
    ApiCall,
    Event,
    EventKind,
    FreezeWindow,
    Recurrence,
    RolloutStatus,
    StageStatus,
)
from rollouts.services.errors import ActionRefused
from rollouts.services.freeze_windows import freeze_window_create, rollout_freeze_override
from rollouts.services.freezes import freeze_active, freeze_until, start_hold
from tests.engine.scenes import started
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BERLIN = "Europe/Berlin"
SUN, FRI, SAT = 6, 4, 5
TAG_STAGE = {"target": "tag", "tag": "canary"}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def once(starts_at, ends_at, *, project="", name="Release freeze", zone="UTC"):
    return FreezeWindow.objects.create(
        name=name,
        project=project,
        recurrence=Recurrence.ONCE,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=zone,
        reason="quiet please",
    )


def weekly(days, start, end, *, project="", name="Maintenance", zone=BERLIN):
    return FreezeWindow.objects.create(
        name=name,
        project=project,
        recurrence=Recurrence.WEEKLY,
        weekdays=days,
        start_time=start,
        end_time=end,
        timezone=zone,
        reason="quiet please",
    )


@pytest.fixture
def admin():
    return UserFactory(username="ada", is_staff=True, is_superuser=True)


# --- when a window is on, and until when


def test_a_one_off_window_includes_its_start_and_excludes_its_end():
    start, end = utc(2026, 12, 24, 0, 0), utc(2026, 12, 27, 0, 0)
    window = once(start, end)

    assert freeze_active(project="Demo", at=start - timedelta(seconds=1)) is None
    assert freeze_active(project="Demo", at=start) == window
    assert freeze_until(project="Demo", at=end - timedelta(seconds=1)) == end
    assert freeze_active(project="Demo", at=end) is None
    assert freeze_until(project="Demo", at=end) is None


@pytest.mark.parametrize(
    ("at", "until"),
    [
        # an ordinary Sunday: 01:00-04:00 CET is 00:00-03:00 UTC
        (utc(2026, 3, 22, 0, 30), utc(2026, 3, 22, 3, 0)),
        # clocks go forward at 02:00: 04:00 is CEST, so the window lasts two hours
        (utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 2, 0)),
        (utc(2026, 3, 29, 1, 59), utc(2026, 3, 29, 2, 0)),
        (utc(2026, 3, 29, 2, 0), None),
        (utc(2026, 3, 28, 23, 59), None),  # 00:59 CET, before it
    ],
)
def test_a_weekly_window_keeps_its_wall_times_when_the_clocks_go_forward(at, until):
    weekly([SUN], time(1, 0), time(4, 0))

    with time_machine.travel(at, tick=False):
        assert freeze_until(project="Demo", at=at) == until


@pytest.mark.parametrize(
    ("at", "until"),
    [
        (utc(2026, 10, 24, 21, 59), None),  # 23:59 CEST on Saturday
        (utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 5, 0)),  # 00:00 CEST, until 06:00 CET
        (utc(2026, 10, 25, 4, 59), utc(2026, 10, 25, 5, 0)),  # the window lasts 7 hours
        (utc(2026, 10, 25, 5, 0), None),
    ],
)
def test_a_weekly_window_keeps_its_wall_times_when_the_clocks_go_back(at, until):
    weekly([SUN], time(0, 0), time(6, 0))

    assert freeze_until(project="Demo", at=at) == until


def test_a_start_the_clocks_skip_or_repeat_is_read_with_the_offset_before_the_change():
    skipped = weekly([SUN], time(2, 30), time(5, 0), name="skipped")  # 02:30 never happens
    assert freeze_active(project="Demo", at=utc(2026, 3, 29, 1, 29)) is None
    assert freeze_active(project="Demo", at=utc(2026, 3, 29, 1, 30)) == skipped  # 03:30 CEST
    skipped.delete()

    weekly([SUN], time(2, 30), time(4, 0), name="repeated")  # 02:30 happens twice: the first
    assert freeze_until(project="Demo", at=utc(2026, 10, 25, 0, 30)) == utc(2026, 10, 25, 3, 0)
    assert freeze_active(project="Demo", at=utc(2026, 10, 25, 0, 29)) is None


def test_a_window_ending_at_or_before_its_start_ends_the_next_day():
    weekly([FRI], time(22, 0), time(6, 0))

    assert freeze_until(project="Demo", at=utc(2026, 3, 6, 20, 59)) is None  # Fri 21:59 CET
    assert freeze_until(project="Demo", at=utc(2026, 3, 6, 21, 0)) == utc(2026, 3, 7, 5, 0)
    assert freeze_until(project="Demo", at=utc(2026, 3, 7, 4, 0)) == utc(2026, 3, 7, 5, 0)
    assert freeze_until(project="Demo", at=utc(2026, 3, 7, 5, 0)) is None


def test_windows_that_touch_or_overlap_are_one_freeze():
    weekend = weekly([SAT, SUN], time(0, 0), time(0, 0), zone="UTC", name="weekend")

    assert freeze_until(project="Demo", at=utc(2026, 3, 7, 10, 0)) == utc(2026, 3, 9, 0, 0)
    late = once(utc(2026, 3, 8, 20, 0), utc(2026, 3, 9, 8, 0), name="Monday morning")
    assert freeze_until(project="Demo", at=utc(2026, 3, 7, 10, 0)) == utc(2026, 3, 9, 8, 0)
    assert freeze_active(project="Demo", at=utc(2026, 3, 7, 10, 0)) == weekend
    assert freeze_active(project="Demo", at=utc(2026, 3, 8, 21, 0)) == late  # ends last


def test_a_project_window_holds_only_its_project_and_a_global_one_every_project():
    at = utc(2026, 12, 24, 12, 0)
    demo = once(at - timedelta(hours=1), at + timedelta(hours=1), project="Demo")

    assert freeze_active(project="Demo", at=at) == demo
    assert freeze_active(project="Kiosks", at=at) is None
    everyone = once(at - timedelta(hours=1), at + timedelta(hours=2), name="Everyone")
    assert freeze_active(project="Kiosks", at=at) == everyone
    assert freeze_until(project="Demo", at=at) == at + timedelta(hours=2)


# --- what a held rollout waits for, and the engine


def test_an_approved_stage_waits_for_the_end_of_the_freeze_then_starts():
    at = utc(2026, 3, 29, 0, 30)
    with time_machine.travel(at, tick=False) as clock:
        weekly([SUN], time(1, 0), time(4, 0), project="Demo", name="Sunday maintenance")
        rollout, stages = started([TAG_STAGE])

        waiting = rollout_waiting(rollout=rollout, stages=stages)
        assert waiting.kind == Awaiting.FREEZE and waiting.stage == stages[0]
        assert waiting.until == utc(2026, 3, 29, 2, 0)
        assert waiting.sentence == "Frozen until Sun Mar 29, 04:00 CEST (Sunday maintenance)."
        assert engine._step(rollout) is False
        assert rollout.stages.get(position=1).status == StageStatus.PENDING
        assert not ApiCall.objects.filter(rollout=rollout).exists()

        clock.move_to(utc(2026, 3, 29, 2, 0))
        assert rollout_waiting(rollout=rollout, stages=stages).kind == Awaiting.DEPLOY
        assert engine._step(rollout) is True

    assert rollout.stages.get(position=1).status == StageStatus.DEPLOYING
    started_event = Event.objects.get(rollout=rollout, kind=EventKind.STAGE_STARTED)
    assert started_event.created_at == utc(2026, 3, 29, 2, 0)


def test_a_freeze_holds_only_stages_about_to_start():
    at = utc(2026, 12, 24, 12, 0)
    with time_machine.travel(at, tick=False):
        once(at - timedelta(hours=1), at + timedelta(hours=1))
        two = [TAG_STAGE, {"target": "groups", "groups": ["TestGroup1"]}]
        rollout, stages = started(two)
        stages[0].status = StageStatus.MONITORING  # deploying or monitoring: it goes on
        assert rollout_waiting(rollout=rollout, stages=stages).kind == Awaiting.DEVICES

        stages[0].status = StageStatus.SUCCEEDED  # the next stage still needs an approval
        assert rollout_waiting(rollout=rollout, stages=stages).kind == Awaiting.APPROVAL


def test_a_scheduled_rollout_does_not_start_during_a_freeze():
    at = utc(2026, 12, 24, 12, 0)
    with time_machine.travel(at, tick=False) as clock:
        once(at - timedelta(hours=1), at + timedelta(hours=1), project="Demo")
        rollout, stages = started([TAG_STAGE])
        type(rollout).objects.filter(pk=rollout.pk).update(
            status=RolloutStatus.SCHEDULED, scheduled_at=at - timedelta(minutes=5)
        )
        rollout.refresh_from_db()

        waiting = rollout_waiting(rollout=rollout, stages=stages)
        assert (waiting.kind, waiting.until) == (Awaiting.FREEZE, at + timedelta(hours=1))
        assert engine.rollout_begin_scheduled(rollout=rollout) is False
        assert rollout.status == RolloutStatus.SCHEDULED

        clock.shift(timedelta(hours=1))
        assert engine.rollout_begin_scheduled(rollout=rollout) is True
    assert rollout.status == RolloutStatus.RUNNING


# --- an admin lets one rollout through


def test_an_admin_overrides_the_freeze_for_one_rollout_until_it_ends(admin):
    at = utc(2026, 12, 24, 12, 0)
    end = at + timedelta(hours=1)
    with time_machine.travel(at, tick=False) as clock:
        once(at - timedelta(hours=1), end, project="Demo")
        rollout, stages = started([TAG_STAGE])
        other, other_stages = started([TAG_STAGE])

        rollout_freeze_override(rollout=rollout, actor=admin, reason="security fix")

        assert (rollout.freeze_override_until, rollout.freeze_override_by) == (end, admin)
        assert start_hold(rollout=rollout, at=at) is None
        assert rollout_waiting(rollout=rollout, stages=stages).kind == Awaiting.DEPLOY
        assert rollout_waiting(rollout=other, stages=other_stages).kind == Awaiting.FREEZE
        event = Event.objects.get(rollout=rollout, kind=EventKind.FREEZE_OVERRIDDEN)
        assert (event.actor, event.reason) == (admin, "security fix")
        assert event.details["until"] == end.isoformat()
        assert engine._step(rollout) is True
        assert engine._step(other) is False

        clock.move_to(end + timedelta(hours=2))  # a later freeze holds it again
        once(end + timedelta(hours=1), end + timedelta(hours=3), project="Demo")
        assert start_hold(rollout=rollout, at=end + timedelta(hours=2)) is not None


def test_an_override_needs_an_admin_a_reason_and_a_freeze(admin):
    manager = UserFactory(username="rita")
    rollout, _ = started([TAG_STAGE])

    with pytest.raises(ActionRefused, match="No freeze window holds") as nothing:
        rollout_freeze_override(rollout=rollout, actor=admin, reason="why not")
    once(utc(2020, 1, 1, 0, 0), utc(2099, 1, 1, 0, 0))
    with pytest.raises(ActionRefused) as not_admin:
        rollout_freeze_override(rollout=rollout, actor=manager, reason="please")
    with pytest.raises(ActionRefused) as blank:
        rollout_freeze_override(rollout=rollout, actor=admin, reason="  ")

    assert (nothing.value.code, not_admin.value.code) == ("conflict", "permission_denied")
    assert (blank.value.code, blank.value.field) == ("invalid", "reason")
    assert not Event.objects.filter(kind=EventKind.FREEZE_OVERRIDDEN).exists()


# --- the rules of a window


VALID = {"name": "Holidays", "project": "", "timezone": BERLIN, "reason": "holidays"}


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "Unknown time zone"),
        ({"timezone": ""}, "timezone", "Give a time zone"),
        ({"ends_at": datetime(2030, 12, 23, 9, 0)}, "ends_at", "must end after it starts"),
        ({"starts_at": None}, "starts_at", "Give a date and time"),
        ({"reason": ""}, "reason", "Say why"),
        ({"recurrence": "monthly"}, "recurrence", "one-off or weekly"),
    ],
)
def test_bad_one_off_windows_are_refused_naming_the_field(admin, fields, field, message):
    data = {
        **VALID,
        "recurrence": "once",
        "starts_at": datetime(2030, 12, 24, 9, 0),
        "ends_at": datetime(2030, 12, 27, 9, 0),
        **fields,
    }

    with pytest.raises(ValidationError) as refused:
        freeze_window_create(actor=admin, **data)

    assert message in refused.value.message_dict[field][0]
    assert not FreezeWindow.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"weekdays": []}, "weekdays", "at least one weekday"),
        ({"weekdays": [7]}, "weekdays", "0 (Monday) to 6"),
        ({"start_time": None}, "start_time", "time of day"),
        ({"end_time": "18:00"}, "end_time", "time of day"),
    ],
)
def test_bad_weekly_windows_are_refused_naming_the_field(admin, fields, field, message):
    data = {**VALID, "recurrence": "weekly", "weekdays": [FRI], "start_time": time(14, 0)}
    data = {**data, "end_time": time(23, 0), **fields}

    with pytest.raises(ValidationError) as refused:
        freeze_window_create(actor=admin, **data)

    assert message in refused.value.message_dict[field][0]


def test_a_wall_time_is_read_in_the_windows_time_zone_and_only_admins_create(admin):
    window = freeze_window_create(
        actor=admin,
        **VALID,
        recurrence="once",
        starts_at=datetime(2030, 7, 1, 9, 0),
        ends_at=datetime(2030, 7, 1, 17, 0, tzinfo=UTC),
    )

    assert window.starts_at == utc(2030, 7, 1, 7, 0)  # 09:00 CEST
    assert window.ends_at == utc(2030, 7, 1, 17, 0)
    assert window.created_by == admin
    with pytest.raises(ActionRefused) as refused:
        freeze_window_create(actor=UserFactory(), **VALID, recurrence="weekly")
    assert refused.value.code == "permission_denied"
