"""A deploy, sweep or retry call: claimed right before it is sent, completed only while its
claim holds, and what a transient failure or a 429 queues next (rejections are in
test_call_rejections.py). The simulator's call log says what was really sent."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from rollouts.engine import calls
from rollouts.engine.budget import budget_acquire
from rollouts.engine.calls import backoff_seconds, call_claim, call_send
from rollouts.engine.client import upswift_client
from rollouts.engine.recovery import calls_recover_stale
from rollouts.models import (
    CallKind,
    CallState,
    EventKind,
    PauseCause,
    Precheck,
    RolloutStatus,
    StageStatus,
)
from tests.engine.scenes import (
    begun,
    deploy_attempts,
    events,
    extra_call,
    fresh,
    monitoring,
    queued,
    sim_deploys,
)

pytestmark = pytest.mark.django_db

NOW = "2026-03-02 09:00:00Z"


@pytest.fixture
def short_timeout(settings):
    settings.UPSWIFT_TIMEOUT_SECONDS = 0.3
    upswift_client.cache_clear()


# --- claim -----------------------------------------------------------------------------------


def test_a_queued_deploy_is_claimed_once_while_its_rollout_runs_and_its_stage_is_open():
    rollout, stage, call = begun()

    assert call_claim(call=call)
    assert not call_claim(call=call)  # a second worker gets nothing

    call.refresh_from_db()
    assert call.state == CallState.SENDING
    assert call.sent_at is not None


@pytest.mark.parametrize("status", [RolloutStatus.PAUSED, RolloutStatus.ABORTED])
def test_a_stopped_rollouts_call_is_neither_claimed_nor_sent(sim, status):
    rollout, stage, call = begun()
    type(rollout).objects.filter(pk=rollout.pk).update(status=status)

    assert call_send(call=call, rollout=rollout, stage=stage) is False

    assert sim_deploys(sim) == []
    assert fresh(call).state == CallState.QUEUED
    assert fresh(stage).status == StageStatus.DEPLOYING


def test_a_deploy_whose_stage_moved_on_is_cancelled_not_sent(sim):
    rollout, stage, call = begun()
    stage = monitoring(stage)  # e.g. a person confirmed an earlier attempt landed

    assert call_send(call=call, rollout=rollout, stage=stage) is False

    call.refresh_from_db()
    assert (call.state, call.error_message) == (
        CallState.CANCELLED,
        "not sent: its stage had moved on",
    )
    assert sim_deploys(sim) == []


def test_a_sweep_of_a_stage_no_longer_monitored_is_cancelled_not_sent(sim):
    rollout, stage, call = begun()
    assert call_send(call=call, rollout=rollout, stage=stage)
    sweep = extra_call(rollout, stage, CallKind.SWEEP)
    type(stage).objects.filter(pk=stage.pk).update(status=StageStatus.SUCCEEDED)

    assert call_send(call=sweep, rollout=rollout, stage=fresh(stage)) is False

    assert fresh(sweep).state == CallState.CANCELLED
    assert len(sim_deploys(sim)) == 1  # the deploy only


# --- completion is conditional on the claim --------------------------------------------------


def lost_while_sending(monkeypatch):
    """The worker's call is declared lost (as the reconcile does with a stale `sending` row)
    while its request is in flight; the answer (or failure) comes back afterwards."""
    client = upswift_client()
    real_send = client.send

    def send(request):
        assert calls_recover_stale(older_than=timedelta(0)) == 1
        return real_send(request)

    monkeypatch.setattr(client, "send", send)


def test_a_deploy_answered_after_it_was_declared_lost_changes_nothing(sim, monkeypatch):
    rollout, stage, call = begun()
    lost_while_sending(monkeypatch)

    assert call_send(call=call, rollout=rollout, stage=stage)

    assert len(sim_deploys(sim)) == 1
    call.refresh_from_db()
    assert call.state == CallState.UNKNOWN  # not succeeded: the claim had been taken
    assert call.http_status is None
    stage.refresh_from_db()
    assert (stage.status, stage.deployed_at, stage.deadline_at) == (
        StageStatus.DEPLOYING,
        None,
        None,
    )
    assert events(rollout, EventKind.STAGE_DEPLOYED) == []
    # Only the recovery's next attempt exists, and it reads back before anything is sent.
    (retry,) = queued(stage)
    assert (retry.retry_of_id, retry.precheck) == (call.pk, Precheck.ASK_IF_ABSENT)


def test_a_failure_reported_after_the_call_was_declared_lost_queues_nothing(sim, monkeypatch):
    rollout, stage, call = begun()
    sim.fault("error_500")
    lost_while_sending(monkeypatch)

    assert call_send(call=call, rollout=rollout, stage=stage)

    assert fresh(call).state == CallState.UNKNOWN
    assert len(deploy_attempts(stage)) == 2  # the lost one and the recovery's next attempt
    assert fresh(stage).last_error == ""
    assert len(events(rollout, EventKind.API_ERROR)) == 1  # the recovery's, not the 500's


# --- success ---------------------------------------------------------------------------------


def test_an_accepted_deploy_opens_the_stage_with_its_deadline(sim, settings):
    settings.ROLLOUT_SOAK_MINUTE_SECONDS = 7
    rollout, stage, call = begun({"target": "all", "deadline_minutes": 30})

    with time_machine.travel(NOW, tick=False):
        assert call_send(call=call, rollout=rollout, stage=stage)
        now = timezone.now()

    stage.refresh_from_db()
    assert stage.status == StageStatus.MONITORING
    assert stage.deployed_at == now
    assert stage.deadline_at == now + timedelta(seconds=30 * 7)
    call.refresh_from_db()
    assert (call.state, call.http_status) == (CallState.SUCCEEDED, 200)
    (event,) = events(rollout, EventKind.STAGE_DEPLOYED)
    assert event.details == {"api_call": call.pk, "attempt": 1}
    (sent,) = sim_deploys(sim)
    assert sent["body"]["metadata"]["comment"].startswith(rollout.marker(stage))


def test_the_call_and_its_stage_move_in_one_transaction(sim, monkeypatch):
    rollout, stage, call = begun()

    def crash(*args, **kwargs):
        raise RuntimeError("worker died between the two writes")

    monkeypatch.setattr(calls, "transition_recorded", crash)
    with pytest.raises(RuntimeError):
        call_send(call=call, rollout=rollout, stage=stage)

    assert fresh(call).state == CallState.SENDING  # its completion was rolled back too
    assert fresh(stage).status == StageStatus.DEPLOYING


# --- transient failures ----------------------------------------------------------------------


def test_a_500_queues_the_next_attempt_that_reads_back_first(sim, settings):
    settings.ROLLOUT_SETTLE_SECONDS = 45
    rollout, stage, call = begun()
    sim.fault("error_500")

    with time_machine.travel(NOW, tick=False):
        assert call_send(call=call, rollout=rollout, stage=stage)
        now = timezone.now()

    call.refresh_from_db()
    assert (call.state, call.http_status, call.retryable) == (CallState.FAILED, 500, True)
    (nxt,) = queued(stage)
    assert (nxt.attempt, nxt.retry_of_id, nxt.precheck) == (2, call.pk, Precheck.RESEND_IF_ABSENT)
    assert nxt.not_before == now + timedelta(seconds=45)  # the backoff (1-2 s) is shorter
    assert nxt.request == call.request
    (event,) = events(rollout, EventKind.API_ERROR)
    assert event.details["precheck"] == Precheck.RESEND_IF_ABSENT
    assert "Simulated internal server error" in fresh(stage).last_error
    assert fresh(rollout).status == RolloutStatus.RUNNING


def test_a_500_waits_the_backoff_when_it_is_longer_than_the_settle_period(sim, settings):
    settings.ROLLOUT_SETTLE_SECONDS = 1
    settings.ROLLOUT_RETRY_BASE_SECONDS = 100
    settings.ROLLOUT_RETRY_MAX_SECONDS = 1000
    rollout, stage, call = begun()
    sim.fault("error_500")

    with time_machine.travel(NOW, tick=False):
        assert call_send(call=call, rollout=rollout, stage=stage)
        now = timezone.now()

    (nxt,) = queued(stage)
    assert now + timedelta(seconds=50) <= nxt.not_before <= now + timedelta(seconds=100)


def test_a_retry_calls_500_backs_off_without_a_read_back(sim, settings):
    rollout, stage, call = begun()
    assert call_send(call=call, rollout=rollout, stage=stage)
    retry = extra_call(rollout, stage, CallKind.RETRY)
    sim.fault("error_500")

    with time_machine.travel(NOW, tick=False):
        assert call_send(call=retry, rollout=rollout, stage=fresh(stage))
        now = timezone.now()

    (nxt,) = queued(stage)
    assert (nxt.kind, nxt.attempt, nxt.precheck) == (CallKind.RETRY, 2, Precheck.NONE)
    assert now + timedelta(seconds=1) <= nxt.not_before <= now + timedelta(seconds=2)


@pytest.mark.parametrize(("attempt", "ceiling"), [(1, 2), (3, 8), (7, 120), (30, 120)])
def test_backoff_is_full_jitter_between_half_and_the_whole_capped_ceiling(
    settings, attempt, ceiling
):
    settings.ROLLOUT_RETRY_BASE_SECONDS = 2
    settings.ROLLOUT_RETRY_MAX_SECONDS = 120
    waits = [backoff_seconds(attempt) for _ in range(400)]

    assert all(ceiling / 2 <= w <= ceiling for w in waits)
    assert min(waits) < ceiling * 0.6 and max(waits) > ceiling * 0.9  # jitter spreads them


def test_a_lost_answer_leaves_the_outcome_unknown_and_the_next_attempt_asks(
    sim, settings, short_timeout
):
    settings.ROLLOUT_SETTLE_SECONDS = 45
    rollout, stage, call = begun()
    sim.fault("timeout", delay=1)

    with time_machine.travel(NOW, tick=False):
        assert call_send(call=call, rollout=rollout, stage=stage)
        now = timezone.now()

    call.refresh_from_db()
    assert (call.state, call.http_status, call.retryable) == (CallState.UNKNOWN, None, True)
    assert "timed out" in call.error_message
    (nxt,) = queued(stage)
    assert (nxt.attempt, nxt.retry_of_id, nxt.precheck) == (2, call.pk, Precheck.ASK_IF_ABSENT)
    assert nxt.not_before == now + timedelta(seconds=45)


def test_a_broken_answer_to_a_deploy_is_an_unknown_outcome_too(sim):
    rollout, stage, call = begun()
    sim.fault("broken_json")

    assert call_send(call=call, rollout=rollout, stage=stage)

    assert fresh(call).state == CallState.UNKNOWN
    assert queued(stage)[0].precheck == Precheck.ASK_IF_ABSENT


def test_transient_failures_up_to_the_limit_pause_the_rollout_api_unavailable(sim, settings):
    settings.ROLLOUT_MAX_ATTEMPTS = 3
    rollout, stage, call = begun()
    sim.fault("error_500", count=3)

    for attempt in (1, 2, 3):
        assert call.attempt == attempt
        assert call_send(call=call, rollout=rollout, stage=fresh(stage))  # its check passed
        call = queued(stage)[0] if attempt < 3 else None

    assert queued(stage) == []
    rollout.refresh_from_db()
    assert (rollout.status, rollout.pause_cause) == (
        RolloutStatus.PAUSED,
        PauseCause.API_UNAVAILABLE,
    )
    assert rollout.status_reason.startswith("Upswift API unavailable after 3 attempts: ")
    assert [c["status"] for c in sim_deploys(sim)] == [500, 500, 500]


# --- 429 -------------------------------------------------------------------------------------


def test_a_429_waits_for_the_cool_down_and_keeps_the_precheck(sim):
    rollout, stage, call = begun()
    sim.fault("error_500")
    sim.fault("rate_limit", delay=7)  # Retry-After: 7
    assert call_send(call=call, rollout=rollout, stage=stage)
    second = queued(stage)[0]

    with time_machine.travel(NOW, tick=False):
        assert call_send(call=second, rollout=rollout, stage=stage)
        now = timezone.now()
        assert budget_acquire() == pytest.approx(7, abs=0.01)  # every worker waits too

    assert fresh(second).http_status == 429
    (third,) = queued(stage)
    assert (third.attempt, third.retry_of_id) == (3, second.pk)
    assert third.precheck == Precheck.RESEND_IF_ABSENT  # inherited: the 500 may have landed
    assert abs((third.not_before - now).total_seconds() - 7) < 0.01


def test_429s_do_not_count_toward_the_attempt_limit(sim, settings):
    settings.ROLLOUT_MAX_ATTEMPTS = 3
    rollout, stage, call = begun()
    for kind in ("error_500", "rate_limit", "rate_limit", "error_500"):
        sim.fault(kind)
        assert call_send(call=call, rollout=rollout, stage=fresh(stage))
        cache.clear()  # the cool-down is over
        (call,) = queued(stage)

    assert call.attempt == 5  # two counted failures of three allowed
    assert fresh(rollout).status == RolloutStatus.RUNNING
