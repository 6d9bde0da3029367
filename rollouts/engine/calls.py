"""Deploy, sweep and retry calls: a row before they are sent, completed after, exactly once.

The protocol (one worker steps a rollout at a time: see engine.rollout_advance):
- a queued row is claimed immediately before its HTTP request, in one transaction that locks
  the rollout row and re-checks that the rollout is running and the stage still open; a paused
  or aborted rollout sends nothing more;
- completion is conditional on the claim (`sending`), and a stage's deploy is accepted in the
  same transaction, so no crash can leave a sent deploy without its stage moving on;
- success: a stage's deploy moves it to monitoring;
- 429: every worker cools down (Retry-After when given), and a new attempt waits for it;
- transient (5xx, timeout, connection, broken JSON): a new attempt after exponential backoff
  with jitter, up to ROLLOUT_MAX_ATTEMPTS; then the rollout pauses (API unavailable);
- rejected (4xx): never retried; the rollout pauses for a person (401/403: the token; any
  other 4xx: the call, e.g. a group that no longer exists; a deploy's stage goes back to
  pending so its target can be edited before resuming).
A deploy that may have reached Upswift (a 5xx, or an answer lost) is never resent blindly: the
next attempt carries a precheck. After a lost answer it waits ROLLOUT_SETTLE_SECONDS, reads back
for the stage's marker, accepts the deploy when found, and after ROLLOUT_UNKNOWN_CHECKS checks
without it pauses and asks a person (send again, or it was sent). Sweeps are never resent: the
next read-back shows whether the device still needs one.
"""

import logging
import random
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rollouts.engine.budget import budget_acquire, budget_cooldown
from rollouts.engine.client import upswift_client
from rollouts.engine.pauses import rollout_pause_for
from rollouts.models import (
    FINISHED_ROLLOUT_STATUSES,
    ApiCall,
    CallKind,
    CallState,
    EventKind,
    PauseCause,
    Precheck,
    Rollout,
    RolloutStage,
    RolloutStatus,
    StageStatus,
)
from rollouts.services.events import event_record, transition_recorded
from upswift import ApiRequest, RateLimited, UpswiftError

logger = logging.getLogger(__name__)

RATE_LIMIT_DEFAULT_COOLDOWN = 30.0
LIVE_CALL_STATES = (CallState.QUEUED, CallState.SENDING)
# The stage status a call of each kind needs when it is claimed.
OPEN_STAGE_STATUS = {
    CallKind.DEPLOY: StageStatus.DEPLOYING,
    CallKind.SWEEP: StageStatus.MONITORING,
    CallKind.RETRY: StageStatus.MONITORING,
}


def call_queue(
    *,
    rollout: Rollout,
    stage: RolloutStage | None,
    kind: str,
    request: ApiRequest,
    attempt: int = 1,
    not_before=None,
    retry_of: ApiCall | None = None,
    precheck: str = Precheck.NONE,
) -> ApiCall:
    return ApiCall.objects.create(
        rollout=rollout,
        stage=stage,
        kind=kind,
        attempt=attempt,
        not_before=not_before,
        retry_of=retry_of,
        precheck=precheck,
        request=request.redacted(),
    )


def call_retry_queue(*, call: ApiCall, not_before=None, precheck: str = Precheck.NONE) -> ApiCall:
    """The next attempt of `call`'s delivery: same request, tied to it by retry_of."""
    return call_queue(
        rollout=call.rollout,
        stage=call.stage,
        kind=call.kind,
        request=request_of(call),
        attempt=call.attempt + 1,
        not_before=not_before,
        retry_of=call,
        precheck=precheck,
    )


def backoff_seconds(attempt: int) -> float:
    """Full jitter over an exponential ceiling: base * 2^(attempt-1), capped."""
    ceiling = min(
        settings.ROLLOUT_RETRY_MAX_SECONDS, settings.ROLLOUT_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    )
    return random.uniform(ceiling / 2, ceiling)


def request_of(call: ApiCall) -> ApiRequest:
    body = {k: v for k, v in call.request["body"].items() if k != "user_token"}
    return ApiRequest(call.request["method"], call.request["path"], body)


def call_send(*, call: ApiCall, rollout: Rollout, stage: RolloutStage) -> bool:
    """Claim, send and complete one call (its precheck, if any, has passed). False when it was
    not sent: out of budget, or the rollout or stage moved on."""
    wait = budget_acquire()
    if wait > 0:
        call_defer(call, seconds=wait)
        return False
    if not call_claim(call=call):
        return False
    try:
        response = upswift_client().send(request_of(call))
    except UpswiftError as exc:
        call_failed(call=call, rollout=rollout, stage=stage, exc=exc)
        return True
    with transaction.atomic():
        done = call_complete(
            call, state=CallState.SUCCEEDED, status=response.status, ms=response.duration_ms
        )
        if done and call.kind == CallKind.DEPLOY:
            deploy_accepted(rollout=rollout, stage=stage, call=call)
        elif done:
            RolloutStage.objects.filter(pk=stage.pk).update(last_polled_at=None)
    return True


def call_defer(call: ApiCall, *, seconds: float, **fields) -> None:
    ApiCall.objects.filter(pk=call.pk, state=CallState.QUEUED).update(
        not_before=timezone.now() + timedelta(seconds=seconds), **fields
    )


def call_claim(*, call: ApiCall) -> bool:
    """queued -> sending, only while the rollout runs and the call's stage is still open. The
    rollout row is locked for the check, so a pause or abort either lands first (and nothing is
    sent) or waits until the call is marked sending."""
    with transaction.atomic():
        status = (
            Rollout.objects.select_for_update()
            .filter(pk=call.rollout_id)
            .values_list("status", flat=True)
            .first()
        )
        if status != RolloutStatus.RUNNING:
            return False
        wanted = OPEN_STAGE_STATUS.get(call.kind)
        if wanted and not RolloutStage.objects.filter(pk=call.stage_id, status=wanted).exists():
            ApiCall.objects.filter(pk=call.pk, state=CallState.QUEUED).update(
                state=CallState.CANCELLED,
                completed_at=timezone.now(),
                error_message="not sent: its stage had moved on",
            )
            return False
        claimed = ApiCall.objects.filter(pk=call.pk, state=CallState.QUEUED).update(
            state=CallState.SENDING, sent_at=timezone.now()
        )
    return claimed == 1


def call_complete(
    call: ApiCall, *, state: str, status=None, ms=None, error="", retryable=False
) -> bool:
    """sending -> `state`; False when the claim was taken from it (declared lost)."""
    done = ApiCall.objects.filter(pk=call.pk, state=CallState.SENDING).update(
        state=state,
        http_status=status,
        duration_ms=ms,
        error_message=error,
        retryable=retryable,
        completed_at=timezone.now(),
    )
    if not done:
        logger.warning("call %s completed after it was declared lost; outcome kept out", call.pk)
    return done == 1


def deploy_accepted(*, rollout, stage, call, kind: str = EventKind.STAGE_DEPLOYED, actor=None):
    """deploying -> monitoring, with the stage's deadline set from now."""
    now = timezone.now()
    deadline = now + timedelta(
        seconds=stage.deadline_minutes * settings.ROLLOUT_SOAK_MINUTE_SECONDS
    )
    return transition_recorded(
        stage,
        allowed=(StageStatus.DEPLOYING,),
        to=StageStatus.MONITORING,
        rollout=rollout,
        stage=stage,
        kind=kind,
        actor=actor,
        details={"api_call": call.pk if call else None, "attempt": call.attempt if call else None},
        last_polled_at=None,
        last_error="",
        deployed_at=now,
        deadline_at=deadline,
    )


def call_failed(*, call, rollout, stage, exc: UpswiftError) -> None:
    """Record a failed attempt and decide, in one transaction, what comes next."""
    message = getattr(exc, "error_message", "") or exc.message
    unknown = getattr(exc, "outcome_unknown", False)
    details = {"api_call": call.pk, "kind": call.kind, "attempt": call.attempt}
    details["status"] = exc.status
    with transaction.atomic():
        done = call_complete(
            call,
            state=CallState.UNKNOWN if unknown else CallState.FAILED,
            status=exc.status,
            ms=exc.duration_ms,
            error=message,
            retryable=exc.retryable,
        )
        if not done:
            return
        RolloutStage.objects.filter(pk=stage.pk).update(last_error=message)
        if Rollout.objects.filter(pk=rollout.pk, status__in=FINISHED_ROLLOUT_STATUSES).exists():
            return  # aborted while it was in flight: recorded, nothing more to do
        if not exc.retryable:
            call_rejected(call=call, rollout=rollout, stage=stage, exc=exc, details=details)
            return
        if call.kind == CallKind.SWEEP:
            details["retry"] = "no: the next read-back shows whether the device still needs one"
        elif isinstance(exc, RateLimited):
            wait = exc.retry_after or RATE_LIMIT_DEFAULT_COOLDOWN
            not_before = datetime.fromtimestamp(budget_cooldown(seconds=wait), tz=UTC)
            details["retry_in_seconds"] = round(wait, 2)
            call_retry_queue(call=call, not_before=not_before, precheck=call.precheck)
        elif _transient_failures(call) >= settings.ROLLOUT_MAX_ATTEMPTS:
            _give_up(rollout=rollout, stage=stage, message=message, details=details)
            return
        else:
            precheck = next_precheck(call=call, unknown=unknown, status=exc.status)
            wait = backoff_seconds(call.attempt)
            if precheck:
                wait = max(wait, settings.ROLLOUT_SETTLE_SECONDS)
            details.update(retry_in_seconds=round(wait, 2), precheck=precheck)
            not_before = timezone.now() + timedelta(seconds=wait)
            call_retry_queue(call=call, not_before=not_before, precheck=precheck)
        event_record(
            rollout=rollout, stage=stage, kind=EventKind.API_ERROR, reason=message, details=details
        )


def next_precheck(*, call: ApiCall, unknown: bool, status: int | None) -> str:
    """What the next attempt of a deploy must check first: a lost answer asks a person if the
    marker never shows; a 5xx (an answer, but Upswift may have acted) resends if it is absent."""
    if call.kind != CallKind.DEPLOY:
        return Precheck.NONE
    if unknown or call.precheck == Precheck.ASK_IF_ABSENT:
        return Precheck.ASK_IF_ABSENT
    if status is not None and status >= 500 or call.precheck:
        return Precheck.RESEND_IF_ABSENT
    return Precheck.NONE


def _transient_failures(call: ApiCall) -> int:
    """Failed attempts of this delivery (this one, then retry_of back) that a retry could help:
    429s and rejections (e.g. of the token, since fixed) are not counted."""
    failures = 1  # this attempt (never a 429: those are not counted)
    current: ApiCall | None = call.retry_of
    while current is not None:
        transient = current.state in (CallState.FAILED, CallState.UNKNOWN) and current.retryable
        if transient and current.http_status != 429:
            failures += 1
        current = current.retry_of
    return failures


def call_rejected(*, call, rollout, stage, exc, details) -> None:
    """A 4xx: pause for a person. A rejected deploy leaves its stage not started (pending), so
    the person can fix its target and resume; the token's rejection says so on every page."""
    what = f"the {call.get_kind_display().lower()} call of stage {stage.position}"
    message = getattr(exc, "error_message", "") or exc.message
    if getattr(exc, "token_rejected", False):
        cause = PauseCause.TOKEN_REJECTED
        reason = (
            f"Upswift rejected the API token (HTTP {exc.status}: {message}) on {what}. Update "
            "UPSWIFT_USER_TOKEN, then resume; nothing was sent."
        )
        if call.kind != CallKind.SWEEP:
            call_retry_queue(call=call, precheck=call.precheck)
    else:
        cause = PauseCause.REJECTED
        reason = f"Upswift rejected {what}: {message}."
        if call.kind == CallKind.DEPLOY:
            reason += " The stage has not started: edit it (e.g. its groups), then resume."
            stage_unstart(rollout=rollout, stage=stage, reason=reason)
        else:
            reason += " Resume to go on without it, or abort."
    rollout_pause_for(
        rollout=rollout,
        cause=cause,
        reason=reason,
        stage=stage,
        details={**details, "error_message": message},
        last_error=message,
    )


def stage_unstart(*, rollout, stage, reason: str) -> bool:
    """deploying or monitoring -> pending (its approval kept), when nothing reached a device:
    the next start builds its cohort and deploy afresh (after a person edited it)."""
    return transition_recorded(
        stage,
        allowed=(StageStatus.DEPLOYING, StageStatus.MONITORING),
        to=StageStatus.PENDING,
        rollout=rollout,
        stage=stage,
        kind=EventKind.STAGE_RESET,
        reason=reason,
        started_at=None,
        deployed_at=None,
        deadline_at=None,
        cohort={},
        poll_cursor={},
        last_polled_at=None,
    )


def _give_up(*, rollout, stage, message, details) -> None:
    attempts = settings.ROLLOUT_MAX_ATTEMPTS
    reason = f"Upswift API unavailable after {attempts} attempts: {message}. Resume to try again."
    rollout_pause_for(
        rollout=rollout,
        cause=PauseCause.API_UNAVAILABLE,
        reason=reason,
        stage=stage,
        details={**details, "retryable": True},
        last_error=message,
    )
