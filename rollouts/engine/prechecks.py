"""Before a deploy whose earlier attempt may have landed is sent again: read back and decide.

The check runs while the attempt is still queued (nothing claimed), so a slow read-back holds
no claim that could be declared lost, and a pause or abort during it stops the send at the
claim. Outcomes: the stage's marker is on a device (the deploy landed: accept it, send
nothing); it is absent after a 5xx (send); it is absent after a lost answer (check again after
ROLLOUT_SETTLE_SECONDS, and after ROLLOUT_UNKNOWN_CHECKS checks ask a person).
"""

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from rollouts.engine.calls import call_claim, call_defer, call_failed, deploy_accepted
from rollouts.engine.pauses import rollout_pause_for
from rollouts.engine.progress import ScanFailed, ScanPaused, stage_marker_seen
from rollouts.models import ApiCall, CallState, EventKind, PauseCause, Precheck, RolloutStatus
from upswift import RateLimited, Rejected, Transient


class PrecheckVerdict(models.TextChoices):
    SEND = "send"
    DONE = "done"  # the deploy had landed: accepted, nothing sent
    WAIT = "wait"  # check again later, or a person was asked


def call_precheck(*, call: ApiCall, rollout, stage) -> str:
    try:
        seen = stage_marker_seen(rollout=rollout, stage=stage)
    except ScanPaused as exc:  # out of budget: the same check, once there is some
        if isinstance(exc.cause, RateLimited):  # a 429 counts like one on the call itself
            _check_failed(call=call, rollout=rollout, stage=stage, exc=exc)
        else:
            call_defer(call, seconds=exc.wait)
        return PrecheckVerdict.WAIT
    except ScanFailed as exc:  # cannot tell: never risk a second deploy; a failed attempt
        _check_failed(call=call, rollout=rollout, stage=stage, exc=exc)
        return PrecheckVerdict.WAIT
    if seen:
        with transaction.atomic():
            cancelled = ApiCall.objects.filter(pk=call.pk, state=CallState.QUEUED).update(
                state=CallState.CANCELLED,
                completed_at=timezone.now(),
                error_message="not sent: the read-back shows the deploy landed",
                checks=call.checks + 1,
            )
            if cancelled:
                deploy_accepted(
                    rollout=rollout, stage=stage, call=call, kind=EventKind.DEPLOY_RECOVERED
                )
        return PrecheckVerdict.DONE
    if call.precheck == Precheck.RESEND_IF_ABSENT:
        return PrecheckVerdict.SEND
    checks = call.checks + 1
    if checks < settings.ROLLOUT_UNKNOWN_CHECKS:
        call_defer(call, seconds=settings.ROLLOUT_SETTLE_SECONDS, checks=checks)
        return PrecheckVerdict.WAIT
    ApiCall.objects.filter(pk=call.pk, state=CallState.QUEUED).update(checks=checks)
    if rollout.status == RolloutStatus.RUNNING:
        rollout_pause_for(
            rollout=rollout,
            cause=PauseCause.DEPLOY_UNKNOWN,
            stage=stage,
            reason=(
                f"Upswift may or may not have received the deploy of stage {stage.position}: "
                f"its answer was lost, and after {checks} read-backs no device shows it. Choose "
                "Send again, or It was sent if you know Upswift has it."
            ),
            details={"api_call": call.pk, "checks": checks},
        )
    return PrecheckVerdict.WAIT


def _check_failed(*, call: ApiCall, rollout, stage, exc: ScanFailed) -> None:
    """The read-back failed: the attempt fails like a call would (backoff, 429 cool-down, give
    up after ROLLOUT_MAX_ATTEMPTS), and its next attempt carries the same precheck."""
    cause = exc.cause
    if isinstance(cause, Rejected):  # refused, not failed: a person must look, nothing is sent
        call_defer(call, seconds=settings.ROLLOUT_SETTLE_SECONDS)
        if not cause.token_rejected:  # the token's refusal has paused the rollout already
            rollout_pause_for(
                rollout=rollout,
                cause=PauseCause.REJECTED,
                stage=stage,
                reason=(
                    f"Upswift refused the read-back that must come before the deploy of stage "
                    f"{stage.position} is sent again: {cause.error_message or cause.message}. "
                    "Fix it in Upswift (or edit the stage), then resume; or abort."
                ),
            )
        return
    if not isinstance(cause, RateLimited):
        status = getattr(cause, "status", None)
        cause = Transient(f"read-back before resending: {exc}", status=status)
    if call_claim(call=call):  # never sent: claimed only to be completed as failed
        call_failed(call=call, rollout=rollout, stage=stage, exc=cause)
