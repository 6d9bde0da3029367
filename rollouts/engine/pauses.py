"""Pausing a running rollout, by a person or by the engine, always with its cause."""

from rollouts.models import DeviceProgress, DeviceStatus, EventKind, Rollout, RolloutStatus
from rollouts.services.events import transition_recorded


def rollout_pause_for(
    *,
    rollout: Rollout,
    cause: str,
    reason: str,
    actor=None,
    stage=None,
    details: dict | None = None,
    **fields,
) -> bool:
    """running -> paused with `cause` (a PauseCause) and `reason` (a sentence a person can act
    on), and its event. False when the rollout was not running (someone got there first)."""
    return transition_recorded(
        rollout,
        allowed=(RolloutStatus.RUNNING,),
        to=RolloutStatus.PAUSED,
        rollout=rollout,
        stage=stage,
        kind=EventKind.PAUSED,
        actor=actor,
        reason=reason,
        details={
            "cause": cause,
            "devices_with_queued_update": devices_with_queued_update(rollout),
            **(details or {}),
        },
        status_reason=reason,
        pause_cause=cause,
        **fields,
    )


def devices_with_queued_update(rollout: Rollout, limit: int = 1000) -> list[str]:
    """Devices whose update from this rollout was still pending at the last read-back."""
    return list(
        DeviceProgress.objects.filter(stage__rollout=rollout, status=DeviceStatus.PENDING)
        .order_by("device_uuid")
        .values_list("device_uuid", flat=True)[:limit]
    )
