"""Before a deploy that may have landed is sent again, the stage's marker is looked for in a
read-back: found, nothing is sent; absent after a 5xx, it is sent once; absent after a lost
answer, it is looked for again and then a person is asked. The simulator's log is the truth."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from rollouts.engine.calls import call_send
from rollouts.engine.client import upswift_client
from rollouts.engine.lifecycle import Action, allowed_actions
from rollouts.engine.outbox import calls_send_due
from rollouts.engine.prechecks import PrecheckVerdict, call_precheck
from rollouts.models import CallState, EventKind, PauseCause, Precheck, RolloutStatus, StageStatus
from rollouts.services.actions import stage_deploy_confirm, stage_deploy_resend
from tests.engine.scenes import (
    begun,
    events,
    fresh,
    make_due,
    queued,
    sim_deploys,
    sim_reads,
)

pytestmark = pytest.mark.django_db

NOW = "2026-03-02 09:00:00Z"


@pytest.fixture
def short_timeout(settings):
    settings.UPSWIFT_TIMEOUT_SECONDS = 0.3
    upswift_client.cache_clear()


def failed_first(sim, fault: str, **options):
    """A rollout whose first deploy attempt failed with `fault`; its next attempt queued."""
    rollout, stage, call = begun()
    sim.fault(fault, **options)
    assert call_send(call=call, rollout=rollout, stage=stage)
    (nxt,) = queued(stage)
    make_due(stage)
    return rollout, fresh(stage), fresh(nxt)


@pytest.mark.parametrize(
    ("fault", "precheck"),
    [("timeout", Precheck.ASK_IF_ABSENT), ("error_500", Precheck.RESEND_IF_ABSENT)],
)
def test_a_deploy_that_landed_is_found_accepted_and_not_sent_again(
    sim, short_timeout, fault, precheck
):
    rollout, stage, nxt = failed_first(sim, fault, delay=1, apply=True)
    assert nxt.precheck == precheck
    since = len(sim.calls())

    assert calls_send_due(rollout=rollout, stage=stage)

    assert sim_reads(sim, since)  # it looked
    assert sim_deploys(sim, since) == []  # and sent nothing
    assert len(sim_deploys(sim)) == 1
    nxt.refresh_from_db()
    assert (nxt.state, nxt.checks) == (CallState.CANCELLED, 1)
    assert nxt.error_message == "not sent: the read-back shows the deploy landed"
    stage.refresh_from_db()
    assert stage.status == StageStatus.MONITORING
    assert stage.deployed_at is not None and stage.deadline_at is not None
    (event,) = events(rollout, EventKind.DEPLOY_RECOVERED)
    assert event.details["api_call"] == nxt.pk
    assert events(rollout, EventKind.STAGE_DEPLOYED) == []


def test_a_deploy_absent_after_a_500_is_read_back_then_sent_once(sim):
    rollout, stage, nxt = failed_first(sim, "error_500")
    assert nxt.precheck == Precheck.RESEND_IF_ABSENT
    since = len(sim.calls())

    assert calls_send_due(rollout=rollout, stage=stage)

    log = sim.calls(since)
    assert log[0]["path"].endswith("/devices_details")  # read first
    assert [c["status"] for c in sim_deploys(sim)] == [500, 200]  # then sent, once
    assert fresh(nxt).state == CallState.SUCCEEDED
    assert fresh(stage).status == StageStatus.MONITORING
    assert calls_send_due(rollout=rollout, stage=fresh(stage)) is False
    assert len(sim_deploys(sim)) == 2


def test_a_check_not_yet_due_reads_nothing(sim, settings):
    rollout, stage, call = begun()
    sim.fault("error_500")
    assert call_send(call=call, rollout=rollout, stage=stage)
    since = len(sim.calls())

    assert calls_send_due(rollout=rollout, stage=fresh(stage)) is False  # settling

    assert sim.calls(since) == []
    assert queued(stage)[0].state == CallState.QUEUED


def asked(sim, settings):
    """A lost deploy answer whose marker never shows: checked ROLLOUT_UNKNOWN_CHECKS times."""
    settings.ROLLOUT_UNKNOWN_CHECKS = 3
    settings.ROLLOUT_SETTLE_SECONDS = 30
    rollout, stage, nxt = failed_first(sim, "timeout", delay=1)
    assert nxt.precheck == Precheck.ASK_IF_ABSENT
    for check in (1, 2):
        with time_machine.travel(NOW, tick=False):
            since = len(sim.calls())
            assert calls_send_due(rollout=rollout, stage=stage) is False
            assert sim_reads(sim, since)
            nxt.refresh_from_db()
            assert (nxt.state, nxt.checks) == (CallState.QUEUED, check)
            assert nxt.not_before == timezone.now() + timedelta(seconds=30)
            assert fresh(rollout).status == RolloutStatus.RUNNING
        make_due(stage)
    assert calls_send_due(rollout=rollout, stage=stage) is False
    return fresh(rollout), fresh(stage), fresh(nxt)


def test_a_lost_deploy_never_seen_pauses_for_a_person_after_the_checks(
    sim, settings, short_timeout
):
    rollout, stage, nxt = asked(sim, settings)

    assert (rollout.status, rollout.pause_cause) == (
        RolloutStatus.PAUSED,
        PauseCause.DEPLOY_UNKNOWN,
    )
    assert "may or may not have received the deploy of stage 1" in rollout.status_reason
    assert "after 3 read-backs" in rollout.status_reason
    assert (nxt.state, nxt.checks) == (CallState.QUEUED, 3)
    assert len(sim_deploys(sim)) == 1  # the lost one; nothing sent blindly
    assert stage.status == StageStatus.DEPLOYING
    (paused,) = events(rollout, EventKind.PAUSED)
    assert paused.details["cause"] == PauseCause.DEPLOY_UNKNOWN
    assert paused.details["checks"] == 3
    offered = allowed_actions(rollout=rollout, stages=[stage], user=None)
    assert {Action.SEND_AGAIN, Action.CONFIRM_SENT} <= offered


def test_send_again_sends_the_deploy_once_without_another_check(sim, settings, short_timeout):
    rollout, stage, nxt = asked(sim, settings)
    since = len(sim.calls())

    stage_deploy_resend(rollout=rollout, actor=None, reason="Upswift support says no")
    assert calls_send_due(rollout=fresh(rollout), stage=fresh(stage))

    assert [c["status"] for c in sim.calls(since)] == [200]  # the deploy, no read-back
    assert len(sim_deploys(sim, since)) == 1
    assert fresh(stage).status == StageStatus.MONITORING
    assert fresh(rollout).status == RolloutStatus.RUNNING


def test_it_was_sent_accepts_the_deploy_and_sends_nothing(sim, settings, short_timeout):
    rollout, stage, nxt = asked(sim, settings)
    since = len(sim.calls())

    stage_deploy_confirm(rollout=rollout, actor=None, reason="seen in the Upswift console")

    assert fresh(nxt).state == CallState.CANCELLED
    stage.refresh_from_db()
    assert stage.status == StageStatus.MONITORING
    assert stage.deadline_at is not None
    assert len(events(rollout, EventKind.DEPLOY_CONFIRMED)) == 1
    assert fresh(rollout).status == RolloutStatus.RUNNING
    assert calls_send_due(rollout=fresh(rollout), stage=stage) is False
    assert sim.calls(since) == []


def test_a_failed_read_back_is_a_failed_attempt_and_counts_toward_giving_up(sim, settings):
    settings.ROLLOUT_MAX_ATTEMPTS = 3
    rollout, stage, second = failed_first(sim, "error_500")  # attempt 1: the deploy's 500
    sim.fault("error_500", count=2)  # attempts 2 and 3: their read-backs

    assert call_precheck(call=second, rollout=rollout, stage=stage) == PrecheckVerdict.WAIT

    second.refresh_from_db()
    assert (second.state, second.http_status) == (CallState.FAILED, 500)
    assert second.error_message.startswith("read-back before resending")
    (third,) = queued(stage)
    assert (third.attempt, third.retry_of_id) == (3, second.pk)
    assert third.precheck == Precheck.RESEND_IF_ABSENT
    assert fresh(rollout).status == RolloutStatus.RUNNING
    make_due(stage)

    assert calls_send_due(rollout=rollout, stage=fresh(stage)) is False

    rollout.refresh_from_db()
    assert (rollout.status, rollout.pause_cause) == (
        RolloutStatus.PAUSED,
        PauseCause.API_UNAVAILABLE,
    )
    assert "after 3 attempts" in rollout.status_reason
    assert queued(stage) == []
    assert [c["status"] for c in sim_deploys(sim)] == [500]  # never sent again


def test_a_rate_limited_read_back_waits_the_cool_down_with_the_same_check(sim, short_timeout):
    rollout, stage, second = failed_first(sim, "timeout", delay=1)
    sim.fault("rate_limit", delay=9)

    with time_machine.travel(NOW, tick=False):
        assert calls_send_due(rollout=rollout, stage=stage) is False
        now = timezone.now()

    assert fresh(second).http_status == 429
    (third,) = queued(stage)
    assert third.precheck == Precheck.ASK_IF_ABSENT
    assert abs((third.not_before - now).total_seconds() - 9) < 0.01
    assert len(sim_deploys(sim)) == 1


def test_a_read_back_refused_for_the_token_pauses_and_keeps_the_attempt(sim):
    rollout, stage, second = failed_first(sim, "error_500")
    sim.set_token("rotated-token")

    assert calls_send_due(rollout=rollout, stage=stage) is False

    rollout.refresh_from_db()
    assert (rollout.status, rollout.pause_cause) == (
        RolloutStatus.PAUSED,
        PauseCause.TOKEN_REJECTED,
    )
    assert fresh(second).state == CallState.QUEUED  # checked again after the resume
    assert len(sim_deploys(sim)) == 1
