"""What resume, the reconcile and the repair of a stage do with calls that stopped: a new
attempt carrying the check its history needs, never a blind resend of a deploy."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.utils import timezone

from rollouts.engine.calls import call_claim, call_send, request_of
from rollouts.engine.client import upswift_client
from rollouts.engine.outbox import calls_send_due
from rollouts.engine.recovery import calls_recover_stale, stage_deploy_repair
from rollouts.models import (
    ApiCall,
    CallKind,
    CallState,
    EventKind,
    PauseCause,
    Precheck,
    RolloutStatus,
    StageStatus,
)
from rollouts.services.actions import rollout_pause, rollout_resume
from tests.engine.scenes import (
    begun,
    deploy_attempts,
    events,
    fresh,
    monitoring,
    queued,
    sim_deploys,
    sim_reads,
)
from tests.factories import ApiCallFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = "2026-03-02 09:00:00Z"
LOST_AFTER = timedelta(seconds=160)


def given_up(sim, settings, fault: str, attempts: int = 2):
    """A deploy whose every attempt failed with `fault`: the rollout paused, API unavailable."""
    settings.ROLLOUT_MAX_ATTEMPTS = attempts
    settings.UPSWIFT_TIMEOUT_SECONDS = 0.3
    upswift_client.cache_clear()
    rollout, stage, call = begun()
    sim.fault(fault, count=attempts, delay=1)
    for _ in range(attempts):
        assert call_send(call=call, rollout=rollout, stage=fresh(stage))  # its check passed
        call = queued(stage)[0] if queued(stage) else None
    rollout.refresh_from_db()
    assert (rollout.status, rollout.pause_cause) == (
        RolloutStatus.PAUSED,
        PauseCause.API_UNAVAILABLE,
    )
    return rollout, fresh(stage)


@pytest.mark.parametrize(
    ("fault", "attempts", "precheck"),
    [
        ("error_500", 1, Precheck.RESEND_IF_ABSENT),
        ("error_500", 2, Precheck.RESEND_IF_ABSENT),
        ("timeout", 1, Precheck.ASK_IF_ABSENT),
        ("timeout", 2, Precheck.ASK_IF_ABSENT),
    ],
)
def test_resume_after_giving_up_queues_a_new_delivery_with_the_check_it_needs(
    sim, settings, fault, attempts, precheck
):
    rollout, stage = given_up(sim, settings, fault, attempts)
    last = deploy_attempts(stage)[-1]

    rollout_resume(rollout=rollout, actor=UserFactory(), reason="Upswift is back")

    (nxt,) = queued(stage)
    assert (nxt.kind, nxt.attempt, nxt.precheck) == (CallKind.DEPLOY, last.attempt + 1, precheck)
    assert nxt.retry_of_id is None  # a new delivery: its own attempt budget
    assert nxt.not_before is None
    assert nxt.request == last.request
    (resumed,) = events(rollout, EventKind.RESUMED)
    assert resumed.details["calls_requeued"] == 1


def test_after_resume_the_deploy_is_read_back_then_sent_once(sim, settings):
    rollout, stage = given_up(sim, settings, "error_500")
    rollout_resume(rollout=rollout, actor=None)
    since = len(sim.calls())

    assert calls_send_due(rollout=fresh(rollout), stage=stage)

    assert sim.calls(since)[0]["path"].endswith("/devices_details")
    assert [c["status"] for c in sim_deploys(sim)] == [500, 500, 200]
    assert fresh(stage).status == StageStatus.MONITORING


def test_resume_leaves_a_deploy_that_is_already_waiting(sim):
    rollout, stage, call = begun()
    sim.fault("error_500")
    assert call_send(call=call, rollout=rollout, stage=stage)
    rollout_pause(rollout=rollout, actor=None, reason="look first")

    rollout_resume(rollout=fresh(rollout), actor=None)

    assert len(deploy_attempts(stage)) == 2  # the failed one and its waiting next attempt
    assert queued(stage)[0].not_before is None  # due at once after a resume


def test_resume_never_queues_a_second_live_deploy_beside_a_waiting_one():
    rollout, stage, waiting = begun()
    ApiCallFactory(  # a later attempt that failed, e.g. written by an older worker
        rollout=rollout, stage=stage, state=CallState.FAILED, http_status=500, retryable=True
    )
    rollout_pause(rollout=rollout, actor=None, reason="look first")

    rollout_resume(rollout=fresh(rollout), actor=None)

    assert queued(stage) == [waiting]
    assert events(rollout, EventKind.RESUMED)[0].details["calls_requeued"] == 0


# --- stale calls: a worker that died while sending -------------------------------------------


def sending(stage, kind, *, ago: float) -> ApiCall:
    return ApiCallFactory(
        rollout=stage.rollout,
        stage=stage,
        kind=kind,
        state=CallState.SENDING,
        http_status=None,
        sent_at=timezone.now() - timedelta(seconds=ago),
    )


def test_a_stale_deploy_becomes_unknown_and_its_next_attempt_asks_first(sim):
    rollout, stage, call = begun()
    assert call_claim(call=call)
    upswift_client().send(request_of(call))  # it reached Upswift; then its worker died
    ApiCall.objects.filter(pk=call.pk).update(sent_at=timezone.now() - timedelta(seconds=200))

    assert calls_recover_stale(older_than=LOST_AFTER) == 1

    call.refresh_from_db()
    assert (call.state, call.retryable) == (CallState.UNKNOWN, True)
    (nxt,) = queued(stage)
    assert (nxt.attempt, nxt.retry_of_id, nxt.precheck) == (2, call.pk, Precheck.ASK_IF_ABSENT)
    assert len(events(rollout, EventKind.API_ERROR)) == 1
    since = len(sim.calls())

    assert calls_send_due(rollout=rollout, stage=fresh(stage))  # found: the deploy had landed

    assert sim_reads(sim, since) and sim_deploys(sim, since) == []
    assert fresh(stage).status == StageStatus.MONITORING
    assert len(events(rollout, EventKind.DEPLOY_RECOVERED)) == 1


def test_a_stale_retry_waits_the_settle_period_and_a_stale_sweep_is_not_resent():
    with time_machine.travel(NOW, tick=False):
        rollout, stage, _ = begun()
        stage = monitoring(stage)
        retry = sending(stage, CallKind.RETRY, ago=300)
        sweep = sending(stage, CallKind.SWEEP, ago=300)
        assert calls_recover_stale(older_than=LOST_AFTER) == 2
        settle = timezone.now() + timedelta(seconds=django_settings.ROLLOUT_SETTLE_SECONDS)

    assert fresh(retry).state == fresh(sweep).state == CallState.UNKNOWN
    (nxt,) = queued(stage, CallKind.RETRY)
    assert (nxt.kind, nxt.retry_of_id, nxt.precheck) == (CallKind.RETRY, retry.pk, "")
    assert nxt.not_before == settle
    assert queued(stage, CallKind.SWEEP) == []


def test_a_stale_read_back_is_closed_as_failed_and_a_recent_send_is_left_alone():
    rollout, stage, call = begun()
    poll = sending(stage, CallKind.POLL, ago=300)
    recent = sending(stage, CallKind.SWEEP, ago=30)

    assert calls_recover_stale(older_than=LOST_AFTER) == 0

    poll.refresh_from_db()
    assert (poll.state, poll.error_message) == (CallState.FAILED, "worker lost during the read")
    assert poll.completed_at is not None
    assert fresh(recent).state == CallState.SENDING
    assert not ApiCall.objects.filter(kind=CallKind.POLL, state=CallState.QUEUED).exists()
    assert events(rollout, EventKind.API_ERROR) == []


# --- repair of a stage deploying with no live deploy call ------------------------------------


def test_repair_accepts_a_deploy_that_went_through(sim):
    rollout, stage, call = begun()
    ApiCall.objects.filter(pk=call.pk).update(state=CallState.SUCCEEDED, http_status=200)

    assert stage_deploy_repair(rollout=rollout, stage=stage)

    stage.refresh_from_db()
    assert stage.status == StageStatus.MONITORING
    assert stage.deadline_at is not None
    (event,) = events(rollout, EventKind.STAGE_REPAIRED)
    assert event.details["api_call"] == call.pk
    assert queued(stage) == []
    assert sim.calls() == []


def test_repair_queues_the_next_checked_attempt_of_a_failed_deploy():
    rollout, stage, call = begun()
    ApiCall.objects.filter(pk=call.pk).update(
        state=CallState.FAILED, http_status=502, retryable=True
    )

    assert stage_deploy_repair(rollout=rollout, stage=stage)

    (nxt,) = queued(stage)
    assert (nxt.attempt, nxt.retry_of_id, nxt.precheck) == (2, call.pk, Precheck.RESEND_IF_ABSENT)
    assert fresh(stage).status == StageStatus.DEPLOYING
    assert len(events(rollout, EventKind.STAGE_REPAIRED)) == 1


def test_repair_leaves_a_stage_whose_deploy_is_still_waiting():
    rollout, stage, call = begun()

    assert stage_deploy_repair(rollout=rollout, stage=stage) is False

    assert deploy_attempts(stage) == [call]
    assert events(rollout, EventKind.STAGE_REPAIRED) == []


def test_repair_of_a_rejected_deploy_pauses_for_a_person():
    rollout, stage, call = begun()
    ApiCall.objects.filter(pk=call.pk).update(
        state=CallState.FAILED, http_status=400, retryable=False, error_message="Group gone"
    )

    assert stage_deploy_repair(rollout=rollout, stage=stage) is False

    rollout.refresh_from_db()
    assert (rollout.status, rollout.pause_cause) == (RolloutStatus.PAUSED, PauseCause.REJECTED)
    assert fresh(stage).status == StageStatus.PENDING
    assert queued(stage) == []


def test_repair_of_a_stage_without_any_deploy_call_puts_it_back_to_pending():
    rollout, stage, call = begun()
    call.delete()

    assert stage_deploy_repair(rollout=rollout, stage=stage)

    assert fresh(stage).status == StageStatus.PENDING
