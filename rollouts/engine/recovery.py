"""Recovery: what resume, the reconcile tick and a repaired stage do with calls that stopped.

- On resume, each delivery that stopped (failed, lost, or rejected for the token) gets a new
  attempt carrying the precheck its history needs.
- A call still `sending` after the longest a step may run belongs to a worker that is gone: its
  outcome is unknown, and a deploy's next attempt reads back before anything is sent.
- A stage `deploying` with no live deploy call is repaired: a deploy that went through is
  accepted, otherwise its next checked attempt is queued.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rollouts.engine.calls import (
    LIVE_CALL_STATES,
    call_queue,
    call_rejected,
    call_retry_queue,
    deploy_accepted,
    next_precheck,
    request_of,
)
from rollouts.models import (
    ApiCall,
    CallKind,
    CallState,
    EventKind,
    Rollout,
    RolloutStage,
    StageStatus,
)
from rollouts.services.events import event_record, transition
from upswift import Rejected


def calls_requeue_failed(*, rollout: Rollout) -> int:
    """On resume: the next attempt of each delivery that stopped (failed, lost or rejected
    for the token), with the precheck its history needs. A deploy already waiting is left."""
    requeued = 0
    open_stages = rollout.stages.filter(status__in=(StageStatus.DEPLOYING, StageStatus.MONITORING))
    for stage in open_stages:
        calls = stage.api_calls.exclude(kind__in=(CallKind.POLL, CallKind.SWEEP))
        if calls.filter(state__in=LIVE_CALL_STATES).exists():
            continue
        last = calls.order_by("-id").first()
        resumable = last and (
            last.state == CallState.UNKNOWN
            or (
                last.state == CallState.FAILED
                and (last.retryable or last.http_status in (401, 403))
            )
        )
        if resumable:
            # A new delivery (its own attempt budget), carrying the check its history needs.
            unknown = last.state == CallState.UNKNOWN
            call_queue(
                rollout=rollout,
                stage=stage,
                kind=last.kind,
                request=request_of(last),
                attempt=last.attempt + 1,
                precheck=next_precheck(call=last, unknown=unknown, status=last.http_status),
            )
            requeued += 1
    return requeued


def calls_recover_stale(*, older_than: timedelta) -> int:
    """Calls left `sending` longer than a step may run: their worker is gone. Their outcome is
    unknown; a deploy's next attempt checks the read-back first, a retry's waits the settle
    period, a sweep is left to the next read-back."""
    lost_since = timezone.now() - older_than
    # A read-back pass whose worker is gone: closed, the next pass reads again.
    ApiCall.objects.filter(
        state=CallState.SENDING, kind=CallKind.POLL, sent_at__lt=lost_since
    ).update(
        state=CallState.FAILED,
        error_message="worker lost during the read",
        completed_at=timezone.now(),
    )
    stale = (
        ApiCall.objects.filter(state=CallState.SENDING, sent_at__lt=lost_since)
        .exclude(kind=CallKind.POLL)
        .select_related("rollout", "stage")
    )
    recovered = 0
    for call in stale:
        with transaction.atomic():
            if not transition_call_lost(call):
                continue
            if call.kind != CallKind.SWEEP:
                settle = timezone.now() + timedelta(seconds=settings.ROLLOUT_SETTLE_SECONDS)
                precheck = next_precheck(call=call, unknown=True, status=None)
                call_retry_queue(
                    call=call, not_before=None if precheck else settle, precheck=precheck
                )
            event_record(
                rollout=call.rollout,
                stage=call.stage,
                kind=EventKind.API_ERROR,
                reason=(
                    "A worker stopped while sending this call; its outcome is checked before "
                    "anything is sent again."
                ),
                details={"api_call": call.pk, "kind": call.kind, "attempt": call.attempt},
            )
            recovered += 1
    return recovered


def transition_call_lost(call: ApiCall) -> bool:
    return bool(
        ApiCall.objects.filter(pk=call.pk, state=CallState.SENDING).update(
            state=CallState.UNKNOWN,
            retryable=True,
            error_message="worker lost while sending; outcome unknown",
            completed_at=timezone.now(),
        )
    )


def stage_deploy_repair(*, rollout: Rollout, stage: RolloutStage) -> bool:
    """A stage `deploying` with no live deploy call (an old crash, or a lost message): accept a
    deploy that went through, or queue the next checked attempt. True if it repaired."""
    calls = stage.api_calls.filter(kind=CallKind.DEPLOY)
    if calls.filter(state__in=LIVE_CALL_STATES).exists():
        return False
    last = calls.order_by("-id").first()
    with transaction.atomic():
        if last is None:
            return transition(stage, allowed=(StageStatus.DEPLOYING,), to=StageStatus.PENDING)
        if last.state == CallState.SUCCEEDED:
            return deploy_accepted(
                rollout=rollout, stage=stage, call=last, kind=EventKind.STAGE_REPAIRED
            )
        if last.state == CallState.FAILED and not last.retryable:
            call_rejected(
                call=last,
                rollout=rollout,
                stage=stage,
                exc=Rejected(
                    last.error_message, error_message=last.error_message, status=last.http_status
                ),
                details={"api_call": last.pk, "repaired": True},
            )
            return False
        unknown = last.state in (CallState.UNKNOWN, CallState.CANCELLED)
        call_retry_queue(
            call=last, precheck=next_precheck(call=last, unknown=unknown, status=last.http_status)
        )
        event_record(
            rollout=rollout,
            stage=stage,
            kind=EventKind.STAGE_REPAIRED,
            reason="The stage had no deploy call waiting; its next attempt is queued.",
            details={"api_call": last.pk},
        )
    return True
