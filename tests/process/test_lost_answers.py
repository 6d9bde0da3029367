"""Deploys whose answer is lost or late, with two workers and two beats: every device gets the
rollout's update exactly once (asserted from the simulator's fleet), and the rollout ends
completed, or paused with a sentence a person can act on."""

import pytest

from rollouts.models import (
    ApiCall,
    CallKind,
    CallState,
    Event,
    EventKind,
    PauseCause,
    RolloutStatus,
)
from rollouts.services.actions import rollout_abort, stage_deploy_confirm, stage_deploy_resend
from tests.factories import UserFactory
from tests.process.helpers import (
    assert_every_device_once,
    auto_stages,
    describe_rollout,
    rollout_updates_per_device,
    sim_deploys,
    start_rollout,
    wait_status,
)
from tests.support.processes import wait_for

pytestmark = pytest.mark.integration

TWO = {"workers": 2, "beats": 2}


def test_a_500_then_a_read_back_slower_than_the_old_lost_call_threshold(engine_factory):
    """The read-back before resending takes 24 s, longer than the HTTP timeout + 10 s after
    which a `sending` call used to be declared lost and sent again by another worker."""
    manager = UserFactory(username="rm")
    env = {"UPSWIFT_TIMEOUT_SECONDS": "8", "ROLLOUT_STEP_TIME_LIMIT": "60"}
    with engine_factory(devices=400, env=env, **TWO) as engine:
        engine.sim.fault("error_500", count=1)  # the canary deploy: Upswift may have acted
        engine.sim.fault("slow", count=4, delay=6)  # the four pages of the read-back
        rollout = start_rollout(user=manager, stages=auto_stages())
        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine, timeout=150)
        assert_every_device_once(engine, rollout)
        assert len(sim_deploys(engine)) == 4  # one per stage
        assert len(sim_deploys(engine, status=500)) == 1

    assert not ApiCall.objects.filter(rollout=rollout, state=CallState.UNKNOWN).exists()
    first = ApiCall.objects.filter(rollout=rollout, kind=CallKind.DEPLOY).order_by("id")[1]
    assert (first.retry_of_id, first.precheck) == (
        ApiCall.objects.filter(rollout=rollout).order_by("id").first().pk,
        "resend_if_absent",
    )


def test_a_deploy_applied_but_its_answer_lost_is_found_and_not_sent_again(engine_factory):
    manager = UserFactory(username="rm")
    with engine_factory(devices=200, **TWO) as engine:
        engine.sim.fault("timeout", count=1, delay=5, apply=True)  # the client gives up at 3 s
        rollout = start_rollout(user=manager, stages=auto_stages())
        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine, timeout=120)
        assert_every_device_once(engine, rollout)

    lost = ApiCall.objects.get(rollout=rollout, kind=CallKind.DEPLOY, state=CallState.UNKNOWN)
    assert "timed out" in lost.error_message
    assert Event.objects.filter(rollout=rollout, kind=EventKind.DEPLOY_RECOVERED).count() == 1
    assert not Event.objects.filter(rollout=rollout, kind=EventKind.PAUSED).exists()


def test_a_deploy_that_shows_on_devices_late_is_found_by_a_later_check(engine_factory):
    manager = UserFactory(username="rm")
    env = {"ROLLOUT_UNKNOWN_CHECKS": "30"}
    with engine_factory(devices=200, env=env, **TWO) as engine:
        engine.sim.fault("timeout", count=1, delay=5, apply=True, visible_after=8)
        rollout = start_rollout(user=manager, stages=auto_stages())
        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine, timeout=120)
        assert_every_device_once(engine, rollout)

    found = ApiCall.objects.get(rollout=rollout, kind=CallKind.DEPLOY, state=CallState.CANCELLED)
    assert found.checks >= 2  # the first read-backs did not see it yet, and nothing was sent
    assert Event.objects.filter(rollout=rollout, kind=EventKind.DEPLOY_RECOVERED).count() == 1


def test_a_lost_deploy_never_seen_asks_a_person_who_sends_it_again(engine_factory):
    manager = UserFactory(username="rm")
    env = {"ROLLOUT_UNKNOWN_CHECKS": "2"}
    with engine_factory(devices=200, env=env, **TWO) as engine:
        engine.sim.fault("timeout", count=1, delay=5)  # lost, and not carried out
        rollout = start_rollout(user=manager, stages=auto_stages())
        wait_status(rollout, RolloutStatus.PAUSED, engine=engine, timeout=60)
        assert rollout.pause_cause == PauseCause.DEPLOY_UNKNOWN
        assert "may or may not have received the deploy of stage 1" in rollout.status_reason
        assert sim_deploys(engine) == []

        stage_deploy_resend(rollout=rollout, actor=manager, reason="not on any device")
        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine, timeout=120)
        assert_every_device_once(engine, rollout)

    assert Event.objects.get(rollout=rollout, kind=EventKind.DEPLOY_RESEND).actor == manager


def test_a_lost_deploy_a_person_knows_landed_is_confirmed_and_not_sent_again(engine_factory):
    manager = UserFactory(username="rm")
    env = {"ROLLOUT_UNKNOWN_CHECKS": "2"}
    with engine_factory(devices=200, env=env, **TWO) as engine:
        engine.sim.fault("timeout", count=1, delay=5, apply=True, visible_after=10)
        rollout = start_rollout(user=manager, stages=auto_stages())
        wait_status(rollout, RolloutStatus.PAUSED, engine=engine, timeout=60)
        assert rollout.pause_cause == PauseCause.DEPLOY_UNKNOWN

        stage_deploy_confirm(rollout=rollout, actor=manager, reason="Upswift shows it queued")
        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine, timeout=120)
        assert_every_device_once(engine, rollout)
        assert len(sim_deploys(engine)) == 3  # stages 2-4; stage 1's was the lost one

    assert Event.objects.get(rollout=rollout, kind=EventKind.DEPLOY_CONFIRMED).actor == manager


def test_an_abort_during_the_read_back_before_a_resend_sends_nothing(engine_factory):
    manager = UserFactory(username="rm")
    with engine_factory(devices=300, **TWO) as engine:
        engine.sim.fault("error_500", count=1)
        engine.sim.fault("slow", count=3, delay=2.5)  # the read-back's three pages
        rollout = start_rollout(user=manager, stages=auto_stages())
        wait_for(
            lambda: ApiCall.objects.filter(
                rollout=rollout, kind=CallKind.POLL, state=CallState.SENDING
            ).exists(),
            timeout=30,
            describe=lambda: describe_rollout(rollout, engine),
        )
        rollout_abort(rollout=rollout, actor=manager, reason="wrong build")
        wait_for(  # the read-back has finished
            lambda: not ApiCall.objects.filter(rollout=rollout, state=CallState.SENDING).exists(),
            timeout=30,
            describe=lambda: describe_rollout(rollout, engine),
        )
        engine.sim.advance(minutes=5)
        per_device = rollout_updates_per_device(engine.sim, rollout)
        deploys = sim_deploys(engine)

    rollout.refresh_from_db()
    assert rollout.status == RolloutStatus.ABORTED
    assert deploys == [] and set(per_device.values()) == {0}
    assert not Event.objects.filter(rollout=rollout, kind=EventKind.STAGE_DEPLOYED).exists()
