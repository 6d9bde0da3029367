"""Writing the append-only event log and the conditional status transitions."""

from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Model

from rollouts.models import Event, Rollout, RolloutStage
from rollouts.services.notify_events import event_committed, notifiable


class TransitionConflict(Exception):
    """The row was not in a state that allows the action (someone else got there first)."""


def event_record(
    *,
    rollout: Rollout | int,
    kind: str,
    actor=None,
    stage: RolloutStage | None = None,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> Event:
    rollout_id = rollout if isinstance(rollout, int) else rollout.pk
    event = Event.objects.create(
        rollout_id=rollout_id,
        stage=stage,
        kind=kind,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        details=details or {},
    )
    if notifiable(event):  # notifications are worked out and sent by tasks, after commit
        transaction.on_commit(partial(event_committed, event_id=event.pk))
    return event


def transition(obj: Model, *, allowed: tuple[str, ...], to: str, **fields: Any) -> bool:
    """Move `obj.status` from one of `allowed` to `to` with one conditional UPDATE.

    Returns False (and changes nothing) when another request or worker moved it first.
    """
    updated = type(obj).objects.filter(pk=obj.pk, status__in=allowed).update(status=to, **fields)
    if updated == 1:
        obj.status = to
        for name, value in fields.items():
            setattr(obj, name, value)
        return True
    return False


def transition_recorded(
    obj: Model,
    *,
    allowed: tuple[str, ...],
    to: str,
    rollout: Rollout,
    kind: str,
    stage: RolloutStage | None = None,
    actor=None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    **fields: Any,
) -> bool:
    """`transition` and its event in one transaction; False if another got there first."""
    old = allowed[0] if len(allowed) == 1 else obj.status
    with transaction.atomic():
        if not transition(obj, allowed=allowed, to=to, **fields):
            return False
        event_record(
            rollout=rollout,
            stage=stage,
            kind=kind,
            actor=actor,
            from_status=old,
            to_status=to,
            reason=reason,
            details=details,
        )
    return True
