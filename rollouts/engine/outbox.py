"""The outbox of a stage: its queued calls, each checked (when it must be) and sent in order."""

from django.utils import timezone

from rollouts.engine.calls import call_send
from rollouts.engine.prechecks import PrecheckVerdict, call_precheck
from rollouts.models import CallKind, CallState, Rollout, RolloutStage


def calls_send_due(*, rollout: Rollout, stage: RolloutStage) -> bool:
    """Send (or check) the stage's queued calls that are due. True if anything moved."""
    moved = False
    now = timezone.now()
    queued = stage.api_calls.filter(state=CallState.QUEUED).exclude(kind=CallKind.POLL)
    for call in queued.order_by("id"):
        if call.not_before and call.not_before > now:
            continue
        if call.precheck:
            verdict = call_precheck(call=call, rollout=rollout, stage=stage)
            if verdict == PrecheckVerdict.DONE:
                moved = True
                continue
            if verdict == PrecheckVerdict.WAIT:
                break  # later calls wait for this one
        if not call_send(call=call, rollout=rollout, stage=stage):
            break  # out of budget, or the rollout stopped: later calls wait too
        moved = True
    return moved
