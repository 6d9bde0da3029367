"""Holding the line with a real worker and beat against the simulator: a freeze window holds an
approved stage until it ends (a rollout of another project goes on meanwhile), and the kill
switch pauses every running rollout, holds a new one, and its release resumes exactly the
rollouts it paused. Every rollout ends with every device updated exactly once."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from rollouts.engine.lifecycle import Awaiting, rollout_waiting
from rollouts.models import (
    Event,
    EventKind,
    FreezeWindow,
    PauseCause,
    Recurrence,
    Rollout,
    RolloutStatus,
    StageStatus,
)
from rollouts.services.actions import (
    rollout_create,
    rollout_pause,
    rollout_resume,
    rollout_start,
    stage_approve,
)
from rollouts.services.kill_switch import rollouts_pause_all, rollouts_resume_paused_by_switch
from rollouts.services.plans import plan_create
from tests.factories import UserFactory
from tests.process.helpers import (
    AUTO,
    CANARY_GROUPS_ALL,
    assert_every_device_once,
    deploy_calls,
    start_rollout,
    wait_awaiting_approval,
    wait_status,
)

pytestmark = pytest.mark.integration

# The canary by itself, then every other device once a person approves.
CANARY_THEN_ALL = [{**CANARY_GROUPS_ALL[0], **AUTO}, {"target": "all", "success_threshold": 100}]
FREEZE_SECONDS = 20


def start(manager, n: int) -> Rollout:
    return start_rollout(user=manager, stages=CANARY_THEN_ALL, name=f"Plan {n}", version=f"v2.{n}")


def state(rollout: Rollout) -> tuple[str, str]:
    return tuple(Rollout.objects.values_list("status", "pause_cause").get(pk=rollout.pk))


def start_canary(manager, n: int, engine) -> Rollout:
    """A rollout whose canary is done and whose stage 2 waits for approval."""
    rollout = start(manager, n)
    wait_awaiting_approval(rollout, 2, engine=engine)
    return rollout


def approve_and_complete(rollout: Rollout, manager, engine) -> None:
    wait_awaiting_approval(rollout, 2, engine=engine)
    stage_approve(rollout=rollout, actor=manager, comment="go")
    wait_status(rollout, RolloutStatus.COMPLETED, engine=engine, timeout=90)


def test_a_freeze_holds_an_approved_stage_and_the_kill_switch_holds_the_line(engine_factory):
    manager = UserFactory(username="rm")
    admin = UserFactory(username="ada", is_staff=True, is_superuser=True)
    with engine_factory(devices=200) as engine:
        # A freeze of Demo that ends in a few seconds; the Kiosks rollout shows the engine runs.
        now = timezone.now()
        end = now + timedelta(seconds=FREEZE_SECONDS)
        FreezeWindow.objects.create(
            name="Short freeze",
            project="Demo",
            recurrence=Recurrence.ONCE,
            starts_at=now - timedelta(minutes=1),
            ends_at=end,
            timezone="UTC",
            reason="a few seconds of quiet",
        )
        first = start(manager, 1)
        kiosks_plan = plan_create(
            name="Kiosks", project="Kiosks", stages=[CANARY_THEN_ALL[0]], actor=manager
        )
        kiosks = rollout_create(
            plan=kiosks_plan, flow_id="f", app_name="default_app", app_version="v9", actor=manager
        )
        rollout_start(rollout=kiosks, actor=manager)
        wait_status(kiosks, RolloutStatus.COMPLETED, engine=engine)

        assert timezone.now() < end, "the engine was too slow to show the freeze holding"
        stages = list(first.stages.order_by("position"))
        first.refresh_from_db()
        waiting = rollout_waiting(rollout=first, stages=stages)
        assert (first.status, stages[0].status) == (RolloutStatus.RUNNING, StageStatus.PENDING)
        assert (waiting.kind, waiting.until) == (Awaiting.FREEZE, end)
        projects = [
            c["body"]["devices_filter"]["project"]["name"] for c in deploy_calls(engine.sim)
        ]
        assert projects == ["Kiosks"]  # nothing was sent for the frozen Demo rollout

        wait_awaiting_approval(first, 2, engine=engine, timeout=FREEZE_SECONDS + 60)
        began = Event.objects.get(rollout=first, kind=EventKind.STAGE_STARTED)
        assert began.created_at >= end

        # Three running rollouts (each waiting for its stage 2) and one a person paused. One
        # at a time, so no rollout's deploy meets a device in another's update.
        second, third, fourth = (start_canary(manager, n, engine) for n in (2, 3, 4))
        rollout_pause(rollout=fourth, actor=manager, reason="waiting for support")

        use = rollouts_pause_all(actor=admin, reason="incident 42")

        assert sorted(use.paused) == sorted(r.pk for r in (first, second, third))
        assert [state(r) for r in (first, second, third)] == [("paused", "kill_switch")] * 3
        assert state(fourth) == ("paused", "person")
        paused = Event.objects.filter(kind=EventKind.PAUSED, details__kill_switch=use.pk)
        assert {(e.rollout_id, e.actor_id) for e in paused} == {
            (r.pk, admin.pk) for r in (first, second, third)
        }

        # While it is on, a rollout started now is held before its (approved) first stage.
        sent = len(deploy_calls(engine.sim))
        fifth = start(manager, 5)
        time.sleep(4)  # four reconcile ticks
        assert fifth.stages.get(position=1).status == StageStatus.PENDING
        assert len(deploy_calls(engine.sim)) == sent

        released = rollouts_resume_paused_by_switch(actor=admin, reason="incident over")

        assert sorted(released.resumed) == sorted(use.paused)
        assert [state(r) for r in (first, second, third)] == [("running", "")] * 3
        assert state(fourth) == ("paused", "person")
        wait_awaiting_approval(fifth, 2, engine=engine)
        for rollout in (first, second, third):
            rollout.refresh_from_db()
            approve_and_complete(rollout, manager, engine)
        fourth.refresh_from_db()
        assert fourth.pause_cause == PauseCause.PERSON
        rollout_resume(rollout=fourth, actor=manager, reason="support is happy")
        for rollout in (fourth, fifth):
            rollout.refresh_from_db()
            approve_and_complete(rollout, manager, engine)

        for rollout in (first, second, third, fourth, fifth):
            assert_every_device_once(engine, rollout)
