"""What a failed read-back leaves: a pause a person can act on (a token Upswift rejects, a read
it refuses), or one event when read-back trouble starts (not one per failed poll)."""

from rollouts.engine.pauses import rollout_pause_for
from rollouts.models import (
    ApiCall,
    CallKind,
    CallState,
    EventKind,
    PauseCause,
    Rollout,
    RolloutStage,
)
from rollouts.services.events import event_record


def token_rejected(*, rollout: Rollout, stage: RolloutStage | None, status: int) -> None:
    rollout_pause_for(
        rollout=rollout,
        cause=PauseCause.TOKEN_REJECTED,
        stage=stage,
        reason=(
            f"Upswift rejected the API token (HTTP {status}) while reading devices back. Update "
            "UPSWIFT_USER_TOKEN, then resume."
        ),
    )


def read_refused(*, rollout: Rollout, stage: RolloutStage | None, message: str) -> None:
    """A read Upswift refuses (e.g. a group deleted since the stage started) will not pass by
    waiting: a person is asked, never left with a stage that cannot be read."""
    what = f"Reading stage {stage.position} back" if stage else "Reading the project's devices"
    rollout_pause_for(
        rollout=rollout,
        cause=PauseCause.REJECTED,
        stage=stage,
        reason=(
            f"{what} was refused by Upswift: {message}. Its devices may still take the update. "
            "Fix it in Upswift and resume, accept the stage as it is, or abort."
        ),
    )


def poll_failure_event(call: ApiCall, *, message: str, status: int | None) -> None:
    """Show read-back trouble in the history when it starts, not on every failed poll."""
    previous = (
        ApiCall.objects.filter(rollout_id=call.rollout_id, kind=CallKind.POLL, id__lt=call.pk)
        .order_by("-id")
        .values_list("state", flat=True)
        .first()
    )
    if previous == CallState.FAILED:
        return
    event_record(
        rollout=call.rollout_id,
        stage=call.stage,
        kind=EventKind.API_ERROR,
        reason=f"Reading progress failed: {message}",
        details={"api_call": call.pk, "kind": CallKind.POLL, "status": status},
    )
