"""The kill switch: an admin pauses every running rollout at once (and only those), nothing new
starts while it is on, and its release resumes exactly the rollouts it paused."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rollouts.engine import steps as engine
from rollouts.engine.lifecycle import Awaiting, rollout_waiting
from rollouts.models import (
    ApiCall,
    Event,
    EventKind,
    KillSwitchUse,
    PauseCause,
    Rollout,
    RolloutStatus,
    StageStatus,
)
from rollouts.services.actions import rollout_pause, rollout_resume
from rollouts.services.errors import ActionRefused
from rollouts.services.kill_switch import (
    kill_switch_engaged,
    rollouts_pause_all,
    rollouts_resume_paused_by_switch,
)
from tests.engine.scenes import started
from tests.factories import RolloutFactory, UserFactory

pytestmark = pytest.mark.django_db

TAG_STAGE = {"target": "tag", "tag": "canary"}


@pytest.fixture
def admin():
    return UserFactory(username="ada", is_staff=True, is_superuser=True)


@pytest.fixture
def manager():
    return UserFactory(username="rita")


def status_of(*rollouts) -> list[tuple[str, str]]:
    return [
        tuple(Rollout.objects.values_list("status", "pause_cause").get(pk=r.pk)) for r in rollouts
    ]


def test_it_pauses_every_running_rollout_and_nothing_else(admin, manager):
    running = [started([TAG_STAGE], user=manager)[0] for _ in range(2)]
    person = started([TAG_STAGE], user=manager)[0]
    rollout_pause(rollout=person, actor=manager, reason="looking at a ticket")
    others = [RolloutFactory(status=s) for s in ("draft", "scheduled", "completed", "aborted")]
    events_before = Event.objects.count()

    use = rollouts_pause_all(actor=admin, reason="bad firmware in the field")

    assert status_of(*running) == [("paused", "kill_switch")] * 2
    assert {r.status_reason for r in Rollout.objects.filter(pk__in=[r.pk for r in running])} == {
        "Paused by the kill switch: bad firmware in the field"
    }
    assert status_of(person) == [("paused", "person")]
    assert status_of(*others) == [(o.status, "") for o in others]
    paused = Event.objects.filter(kind=EventKind.PAUSED, details__kill_switch=use.pk)
    assert sorted(e.rollout_id for e in paused) == sorted(r.pk for r in running)
    assert {(e.actor, e.details["cause"], e.to_status) for e in paused} == {
        (admin, PauseCause.KILL_SWITCH, RolloutStatus.PAUSED)
    }
    assert Event.objects.count() == events_before + 2  # one event per paused rollout
    assert (use.actor, use.reason, use.engaged) == (admin, "bad firmware in the field", True)
    assert sorted(use.paused) == sorted(r.pk for r in running)
    assert kill_switch_engaged() == use


def test_only_an_admin_with_a_reason_and_only_once(admin, manager):
    rollout = started([TAG_STAGE], user=manager)[0]

    with pytest.raises(ActionRefused) as not_admin:
        rollouts_pause_all(actor=manager, reason="stop")
    with pytest.raises(ActionRefused) as blank:
        rollouts_pause_all(actor=admin, reason="   ")
    assert status_of(rollout) == [("running", "")]
    assert not KillSwitchUse.objects.exists()

    rollouts_pause_all(actor=admin, reason="stop")
    with pytest.raises(ActionRefused, match="already on: ada used it") as twice:
        rollouts_pause_all(actor=admin, reason="stop again")

    assert not_admin.value.code == "permission_denied"
    assert (blank.value.code, blank.value.field) == ("invalid", "reason")
    assert twice.value.code == "conflict"
    assert KillSwitchUse.objects.count() == 1


def test_release_resumes_only_the_rollouts_it_paused(admin, manager):
    mine = [started([TAG_STAGE], user=manager)[0] for _ in range(2)]
    person = started([TAG_STAGE], user=manager)[0]
    rollout_pause(rollout=person, actor=manager, reason="looking at a ticket")
    use = rollouts_pause_all(actor=admin, reason="incident 42")
    paused_later = started([TAG_STAGE], user=manager)[0]  # started while on, then paused
    rollout_pause(rollout=paused_later, actor=manager, reason="not now")

    released = rollouts_resume_paused_by_switch(actor=admin, reason="incident over")

    assert status_of(*mine) == [("running", "")] * 2
    assert status_of(person, paused_later) == [("paused", "person")] * 2
    resumed = Event.objects.filter(kind=EventKind.RESUMED)
    assert sorted(e.rollout_id for e in resumed) == sorted(r.pk for r in mine)
    assert {(e.actor, e.reason, e.details["kill_switch"]) for e in resumed} == {
        (admin, "incident over", use.pk)
    }
    assert released.pk == use.pk and not released.engaged
    assert (released.resumed_by, released.resume_reason) == (admin, "incident over")
    assert sorted(released.resumed) == sorted(r.pk for r in mine)
    assert released.resumed_at is not None and kill_switch_engaged() is None


def test_a_rollout_a_person_resumed_meanwhile_is_not_resumed_twice(admin, manager):
    first, second = (started([TAG_STAGE], user=manager)[0] for _ in range(2))
    rollouts_pause_all(actor=admin, reason="incident")
    first.refresh_from_db()
    rollout_resume(rollout=first, actor=manager, reason="this one is fine")

    released = rollouts_resume_paused_by_switch(actor=admin)

    assert released.resumed == [second.pk]
    assert Event.objects.filter(rollout=first, kind=EventKind.RESUMED).count() == 1
    event = Event.objects.get(rollout=second, kind=EventKind.RESUMED)
    assert event.reason == "the kill switch was released"


def test_release_needs_an_admin_and_the_switch_on(admin, manager):
    with pytest.raises(ActionRefused, match="not on") as off:
        rollouts_resume_paused_by_switch(actor=admin)
    rollout = started([TAG_STAGE], user=manager)[0]
    rollouts_pause_all(actor=admin, reason="incident")
    with pytest.raises(ActionRefused) as not_admin:
        rollouts_resume_paused_by_switch(actor=manager)

    assert (off.value.code, not_admin.value.code) == ("conflict", "permission_denied")
    assert status_of(rollout) == [("paused", "kill_switch")]


def test_nothing_new_starts_while_it_is_on(admin, manager):
    rollouts_pause_all(actor=admin, reason="incident")
    rollout, stages = started([TAG_STAGE], user=manager)  # started while on: running, held
    scheduled, _ = started([TAG_STAGE], user=manager)
    Rollout.objects.filter(pk=scheduled.pk).update(
        status=RolloutStatus.SCHEDULED, scheduled_at=timezone.now() - timedelta(minutes=1)
    )
    scheduled.refresh_from_db()

    waiting = rollout_waiting(rollout=rollout, stages=stages)
    assert (waiting.kind, waiting.cause, waiting.until) == (Awaiting.FREEZE, "kill_switch", None)
    assert waiting.sentence.startswith("The kill switch is on (incident)")
    assert engine._step(rollout) is False
    assert engine.rollout_begin_scheduled(rollout=scheduled) is False
    assert rollout.stages.get(position=1).status == StageStatus.PENDING
    assert not ApiCall.objects.exists()
    assert scheduled.status == RolloutStatus.SCHEDULED

    rollouts_resume_paused_by_switch(actor=admin)

    assert engine._step(rollout) is True
    assert rollout.stages.get(position=1).status == StageStatus.DEPLOYING
    assert engine.rollout_begin_scheduled(rollout=scheduled) is True


def test_stages_already_open_go_on_while_it_is_on(admin, manager):
    """A rollout a person resumes while the switch is on carries on with its open stage; the
    switch holds only new starts."""
    rollout, stages = started([TAG_STAGE], user=manager)
    assert engine._step(rollout) is True  # stage 1 deploying, its call queued
    rollouts_pause_all(actor=admin, reason="incident")
    rollout.refresh_from_db()
    rollout_resume(rollout=rollout, actor=manager, reason="this one is fine")

    stages = list(rollout.stages.order_by("position"))
    assert stages[0].status == StageStatus.DEPLOYING
    assert rollout_waiting(rollout=rollout, stages=stages).kind == Awaiting.DEPLOY
