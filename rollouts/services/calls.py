"""Deploy, sweep and retry calls: recorded as a row before they are sent, completed after.

A queued call is claimed with one conditional UPDATE (queued -> sending, only while its rollout
is running), so two workers never send the same row, and a paused or aborted rollout sends
nothing more. Outcomes:
- success: the row is completed; a stage's first deploy moves it to monitoring;
- 429: every worker cools down (Retry-After when given) and a new attempt is queued after it;
- transient (5xx, timeout, connection, broken JSON): a new attempt after exponential backoff
  with jitter, up to ROLLOUT_MAX_ATTEMPTS; then the rollout pauses with the error shown;
- rejected (400 and other 4xx): never retried; the stage and the rollout fail with the API's
  error_message.
A deploy whose earlier attempt may have reached the API (timeout, 5xx, a worker that died while
sending) is first checked against the devices read back: if the stage's marker is already on a
device, it is not sent again.
"""

import logging
import random
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rollouts.models import (
    ApiCall,
    CallKind,
    CallState,
    EventKind,
    Rollout,
    RolloutStage,
    RolloutStatus,
    StageStatus,
)
from rollouts.services.budget import budget_acquire, budget_cooldown
from rollouts.services.client import upswift_client
from rollouts.services.events import event_record, transition_recorded
from rollouts.upswift_api import ApiRequest, RateLimited, Transient, UpswiftError

logger = logging.getLogger(__name__)

RATE_LIMIT_DEFAULT_COOLDOWN = 30.0


def call_queue(
    *,
    rollout: Rollout,
    stage: RolloutStage | None,
    kind: str,
    request: ApiRequest,
    attempt: int = 1,
    not_before=None,
) -> ApiCall:
    return ApiCall.objects.create(
        rollout=rollout,
        stage=stage,
        kind=kind,
        attempt=attempt,
        not_before=not_before,
        request=request.redacted(),
    )


def backoff_seconds(attempt: int) -> float:
    """Full jitter over an exponential ceiling: base * 2^(attempt-1), capped."""
    ceiling = min(
        settings.ROLLOUT_RETRY_MAX_SECONDS, settings.ROLLOUT_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    )
    return random.uniform(ceiling / 2, ceiling)


def _request_of(call: ApiCall) -> ApiRequest:
    body = {k: v for k, v in call.request["body"].items() if k != "user_token"}
    return ApiRequest(call.request["method"], call.request["path"], body)


def calls_send_due(*, rollout: Rollout, stage: RolloutStage) -> bool:
    """Send the stage's queued calls that are due. True if any was sent."""
    sent = False
    now = timezone.now()
    for call in stage.api_calls.filter(state=CallState.QUEUED).order_by("id"):
        if call.not_before and call.not_before > now:
            continue
        if not call_send(call=call, rollout=rollout, stage=stage):
            break  # out of budget, or the rollout stopped: later calls wait too
        sent = True
    return sent


def call_send(*, call: ApiCall, rollout: Rollout, stage: RolloutStage) -> bool:
    wait = budget_acquire()
    if wait > 0:
        ApiCall.objects.filter(pk=call.pk, state=CallState.QUEUED).update(
            not_before=timezone.now() + timedelta(seconds=wait)
        )
        return False
    claimed = ApiCall.objects.filter(
        pk=call.pk, state=CallState.QUEUED, rollout__status=RolloutStatus.RUNNING
    ).update(state=CallState.SENDING, sent_at=timezone.now())
    if claimed != 1:
        return False
    if call.kind == CallKind.DEPLOY and call.attempt > 1:
        from rollouts.services.progress import ScanFailed, ScanPaused, stage_marker_seen

        try:
            seen = stage_marker_seen(rollout=rollout, stage=stage)
        except ScanPaused as exc:  # out of budget: the same attempt, once there is some
            ApiCall.objects.filter(pk=call.pk).update(
                state=CallState.QUEUED, not_before=timezone.now() + timedelta(seconds=exc.wait)
            )
            return False
        except ScanFailed as exc:  # cannot tell: never risk a second deploy; a later attempt
            cause = exc.cause
            if not isinstance(cause, RateLimited):
                cause = Transient(f"read-back: {exc}", status=getattr(cause, "status", None))
            _failed(call=call, rollout=rollout, stage=stage, exc=cause)
            return True
        if seen:
            _complete(
                call, state=CallState.CANCELLED, error="not resent: read-back shows it landed"
            )
            _deploy_accepted(rollout=rollout, stage=stage, call=call, recovered=True)
            return True
    try:
        response = upswift_client().send(_request_of(call))
    except UpswiftError as exc:
        _failed(call=call, rollout=rollout, stage=stage, exc=exc)
        return True
    _complete(call, state=CallState.SUCCEEDED, status=response.status, ms=response.duration_ms)
    if call.kind == CallKind.DEPLOY:
        _deploy_accepted(rollout=rollout, stage=stage, call=call)
    else:
        RolloutStage.objects.filter(pk=stage.pk).update(last_polled_at=None)
    return True


def _complete(call: ApiCall, *, state: str, status=None, ms=None, error="", retryable=False):
    ApiCall.objects.filter(pk=call.pk).update(
        state=state,
        http_status=status,
        duration_ms=ms,
        error_message=error,
        retryable=retryable,
        completed_at=timezone.now(),
    )


def _deploy_accepted(*, rollout, stage, call, recovered: bool = False) -> None:
    transition_recorded(
        stage,
        allowed=(StageStatus.DEPLOYING,),
        to=StageStatus.MONITORING,
        rollout=rollout,
        stage=stage,
        kind=EventKind.DEPLOY_RECOVERED if recovered else EventKind.STAGE_DEPLOYED,
        details={"api_call": call.pk, "attempt": call.attempt},
        last_polled_at=None,
        last_error="",
    )


def _failed(*, call, rollout, stage, exc: UpswiftError) -> None:
    message = getattr(exc, "error_message", "") or exc.message
    _complete(
        call,
        state=CallState.FAILED,
        status=exc.status,
        ms=exc.duration_ms,
        error=message,
        retryable=exc.retryable,
    )
    details = {
        "api_call": call.pk,
        "kind": call.kind,
        "attempt": call.attempt,
        "status": exc.status,
    }
    if not exc.retryable:
        _reject(call=call, rollout=rollout, stage=stage, message=message, details=details)
        return
    if isinstance(exc, RateLimited):
        wait = exc.retry_after or RATE_LIMIT_DEFAULT_COOLDOWN
        until = budget_cooldown(seconds=wait)
        not_before = datetime.fromtimestamp(until, tz=UTC)
    elif _transient_failures(call) >= settings.ROLLOUT_MAX_ATTEMPTS:
        _give_up(rollout=rollout, stage=stage, message=message, details=details)
        return
    else:
        wait = backoff_seconds(call.attempt)
        not_before = timezone.now() + timedelta(seconds=wait)
    details["retry_in_seconds"] = round(wait, 2)
    with transaction.atomic():
        RolloutStage.objects.filter(pk=stage.pk).update(last_error=message)
        call_queue(
            rollout=rollout,
            stage=stage,
            kind=call.kind,
            request=_request_of(call),
            attempt=call.attempt + 1,
            not_before=not_before,
        )
        event_record(
            rollout=rollout, stage=stage, kind=EventKind.API_ERROR, reason=message, details=details
        )


def _transient_failures(call: ApiCall) -> int:
    """Failed attempts of this call since its kind last went through, 429s not counted."""
    same_kind = ApiCall.objects.filter(stage_id=call.stage_id, kind=call.kind)
    last_ok = (
        same_kind.exclude(state__in=(CallState.FAILED, CallState.QUEUED, CallState.SENDING))
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    failures = same_kind.filter(state=CallState.FAILED, id__gt=last_ok or 0)
    return failures.exclude(http_status=429).count()


def _reject(*, call, rollout, stage, message, details) -> None:
    reason = f"Upswift rejected the {call.kind} call: {message}"
    with transaction.atomic():
        transition_recorded(
            stage,
            allowed=(StageStatus.DEPLOYING, StageStatus.MONITORING),
            to=StageStatus.FAILED,
            rollout=rollout,
            stage=stage,
            kind=EventKind.STAGE_FAILED,
            reason=reason,
            details=details,
            last_error=message,
            finished_at=timezone.now(),
        )
        transition_recorded(
            rollout,
            allowed=(RolloutStatus.RUNNING,),
            to=RolloutStatus.FAILED,
            rollout=rollout,
            kind=EventKind.FAILED,
            reason=reason,
            details=details,
            status_reason=reason,
            last_error=message,
            finished_at=timezone.now(),
        )


def _give_up(*, rollout, stage, message, details) -> None:
    attempts = settings.ROLLOUT_MAX_ATTEMPTS
    reason = f"Upswift API unavailable after {attempts} attempts: {message}. Resume to try again."
    with transaction.atomic():
        RolloutStage.objects.filter(pk=stage.pk).update(last_error=message)
        transition_recorded(
            rollout,
            allowed=(RolloutStatus.RUNNING,),
            to=RolloutStatus.PAUSED,
            rollout=rollout,
            stage=stage,
            kind=EventKind.PAUSED,
            reason=reason,
            details={**details, "retryable": True},
            status_reason=reason,
            last_error=message,
        )


def calls_requeue_failed(*, rollout: Rollout) -> int:
    """On resume: a new attempt for each call that gave up (retryable, no newer attempt)."""
    requeued = 0
    for stage in rollout.stages.filter(status__in=(StageStatus.DEPLOYING, StageStatus.MONITORING)):
        last = stage.api_calls.exclude(kind=CallKind.POLL).order_by("-id").first()
        if last and last.state == CallState.FAILED and last.retryable:
            call_queue(
                rollout=rollout,
                stage=stage,
                kind=last.kind,
                request=_request_of(last),
                attempt=last.attempt + 1,
            )
            requeued += 1
    return requeued


def calls_recover_stale(*, older_than: timedelta) -> int:
    """Calls left `sending` by a worker that died: fail them and queue a checked new attempt."""
    stale = (
        ApiCall.objects.filter(state=CallState.SENDING, sent_at__lt=timezone.now() - older_than)
        .exclude(kind=CallKind.POLL)
        .select_related("rollout", "stage")
    )
    recovered = 0
    for call in stale:
        with transaction.atomic():
            claimed = ApiCall.objects.filter(pk=call.pk, state=CallState.SENDING).update(
                state=CallState.FAILED,
                retryable=True,
                error_message="worker lost while sending; outcome unknown",
                completed_at=timezone.now(),
            )
            if claimed != 1:
                continue
            call_queue(
                rollout=call.rollout,
                stage=call.stage,
                kind=call.kind,
                request=_request_of(call),
                attempt=call.attempt + 1,
            )
            event_record(
                rollout=call.rollout,
                stage=call.stage,
                kind=EventKind.API_ERROR,
                reason="A worker stopped while sending this call; it is checked and sent again.",
                details={"api_call": call.pk, "kind": call.kind, "attempt": call.attempt},
            )
            recovered += 1
    return recovered
