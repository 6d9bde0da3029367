"""What people do to a rollout: create, start, approve, pause, resume, abort, retry.

Each action checks the state it needs with a conditional update and writes one event; a
second click, a second manager or a second worker gets a TransitionConflict, never a repeat.
Work for the engine is enqueued after commit.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from rollouts.models import (
    ApiCall,
    CallKind,
    CallState,
    DeviceProgress,
    DeviceStatus,
    EventKind,
    Plan,
    Rollout,
    RolloutStage,
    RolloutStatus,
    StageStatus,
)
from rollouts.services.calls import call_queue, calls_requeue_failed
from rollouts.services.cohorts import deploy_filter
from rollouts.services.events import (
    TransitionConflict,
    event_record,
    transition,
    transition_recorded,
)
from rollouts.upswift_api import deploy_update_request


def _enqueue_advance(rollout_id: int) -> None:
    from rollouts.tasks import rollout_advance_task

    transaction.on_commit(lambda: rollout_advance_task.delay(rollout_id))


def rollout_create(
    *,
    plan: Plan,
    flow_id: str,
    app_name: str,
    app_version: str,
    comment: str = "",
    actor,
) -> Rollout:
    with transaction.atomic():
        rollout = Rollout.objects.create(
            plan=plan,
            project=plan.project,
            flow_id=flow_id,
            app_name=app_name,
            app_version=app_version,
            comment=comment,
            require_different_approver=plan.require_different_approver,
            created_by=actor,
        )
        event_record(rollout=rollout, kind=EventKind.CREATED, actor=actor, to_status=rollout.status)
    return rollout


def rollout_start(*, rollout: Rollout, actor, at: datetime | None = None) -> Rollout:
    """Start now, or schedule for `at`. The plan's stages are copied now; the person starting
    the rollout approves its first stage."""
    scheduled = at is not None and at > timezone.now()
    to = RolloutStatus.SCHEDULED if scheduled else RolloutStatus.RUNNING
    with transaction.atomic():
        if not transition(
            rollout,
            allowed=(RolloutStatus.DRAFT,),
            to=to,
            scheduled_at=at if scheduled else None,
            started_at=None if scheduled else timezone.now(),
            started_by=actor,
        ):
            raise TransitionConflict(f"Rollout {rollout.pk} is {rollout.status}, not a draft.")
        plan_stages = list(rollout.plan.stages.order_by("position"))
        if not plan_stages:
            raise TransitionConflict("The plan has no stages.")
        RolloutStage.objects.bulk_create(
            RolloutStage(rollout=rollout, position=i, **s.spec())
            for i, s in enumerate(plan_stages, start=1)
        )
        first = rollout.stages.get(position=1)
        RolloutStage.objects.filter(pk=first.pk).update(
            approved_by=actor, approved_at=timezone.now(), approval_comment="rollout started"
        )
        event_record(
            rollout=rollout,
            kind=EventKind.SCHEDULED if scheduled else EventKind.STARTED,
            actor=actor,
            from_status=RolloutStatus.DRAFT,
            to_status=to,
            details={"scheduled_at": at.isoformat()} if scheduled else {},
        )
        if not scheduled:
            _enqueue_advance(rollout.pk)
    return rollout


def rollout_begin_scheduled(*, rollout: Rollout) -> bool:
    """scheduled -> running once its time has come (called by the engine)."""
    if rollout.scheduled_at and rollout.scheduled_at > timezone.now():
        return False
    return transition_recorded(
        rollout,
        allowed=(RolloutStatus.SCHEDULED,),
        to=RolloutStatus.RUNNING,
        rollout=rollout,
        kind=EventKind.STARTED,
        reason="scheduled start",
        details={"scheduled_at": rollout.scheduled_at.isoformat()},
        started_at=timezone.now(),
    )


def stage_approve(*, rollout: Rollout, actor, comment: str = "") -> RolloutStage:
    """Approve the stage the rollout waits on. Only one of many concurrent approvals wins."""
    if rollout.status != RolloutStatus.RUNNING:
        raise TransitionConflict(f"Rollout {rollout.pk} is {rollout.status}: nothing to approve.")
    if rollout.require_different_approver and actor and actor.pk == rollout.started_by_id:
        raise PermissionError("This plan needs a different person than the one who started it.")
    stage = rollout.stages.exclude(status__in=_closed()).order_by("position").first()
    if stage is None or stage.status != StageStatus.PENDING or stage.approved_at is not None:
        raise TransitionConflict("No stage is waiting for approval.")
    with transaction.atomic():
        won = RolloutStage.objects.filter(
            pk=stage.pk, status=StageStatus.PENDING, approved_at=None
        ).update(approved_by=actor, approved_at=timezone.now(), approval_comment=comment)
        if won != 1:
            raise TransitionConflict("This stage was approved by someone else a moment ago.")
        event_record(
            rollout=rollout,
            stage=stage,
            kind=EventKind.STAGE_APPROVED,
            actor=actor,
            reason=comment,
        )
        _enqueue_advance(rollout.pk)
    stage.refresh_from_db()
    return stage


def _closed():
    return (StageStatus.SUCCEEDED, StageStatus.FAILED, StageStatus.SKIPPED)


def rollout_pause(*, rollout: Rollout, actor, reason: str = "", stage=None) -> Rollout:
    if not transition_recorded(
        rollout,
        allowed=(RolloutStatus.RUNNING,),
        to=RolloutStatus.PAUSED,
        rollout=rollout,
        stage=stage,
        kind=EventKind.PAUSED,
        actor=actor,
        reason=reason,
        details={"devices_with_queued_update": _queued_devices(rollout)},
        status_reason=reason,
    ):
        raise TransitionConflict(f"Rollout {rollout.pk} is {rollout.status}, not running.")
    return rollout


def rollout_resume(*, rollout: Rollout, actor, reason: str = "") -> Rollout:
    """Carry on. Failures so far are accepted (the failure gate counts only new ones)."""
    with transaction.atomic():
        if not transition(
            rollout, allowed=(RolloutStatus.PAUSED,), to=RolloutStatus.RUNNING, status_reason=""
        ):
            raise TransitionConflict(f"Rollout {rollout.pk} is {rollout.status}, not paused.")
        for stage in rollout.stages.filter(status=StageStatus.MONITORING):
            RolloutStage.objects.filter(pk=stage.pk).update(
                failures_accepted=stage.count_failed + stage.count_aborted
            )
        requeued = calls_requeue_failed(rollout=rollout)
        event_record(
            rollout=rollout,
            kind=EventKind.RESUMED,
            actor=actor,
            from_status=RolloutStatus.PAUSED,
            to_status=RolloutStatus.RUNNING,
            reason=reason,
            details={"calls_requeued": requeued},
        )
        _enqueue_advance(rollout.pk)
    return rollout


def rollout_abort(*, rollout: Rollout, actor, reason: str) -> Rollout:
    """Stop for good. Upswift v1 cannot cancel queued updates: record which devices may still
    apply one."""
    if not reason.strip():
        raise ValueError("Say why the rollout is aborted.")
    allowed = (
        RolloutStatus.DRAFT,
        RolloutStatus.SCHEDULED,
        RolloutStatus.RUNNING,
        RolloutStatus.PAUSED,
    )
    old = rollout.status
    with transaction.atomic():
        if not transition(
            rollout,
            allowed=allowed,
            to=RolloutStatus.ABORTED,
            status_reason=reason,
            finished_at=timezone.now(),
        ):
            raise TransitionConflict(f"Rollout {rollout.pk} is {rollout.status}: already over.")
        cancelled = ApiCall.objects.filter(rollout=rollout, state=CallState.QUEUED).update(
            state=CallState.CANCELLED, completed_at=timezone.now(), error_message="aborted"
        )
        event_record(
            rollout=rollout,
            kind=EventKind.ABORTED,
            actor=actor,
            from_status=old,
            to_status=RolloutStatus.ABORTED,
            reason=reason,
            details={
                "calls_cancelled": cancelled,
                "devices_with_queued_update": _queued_devices(rollout),
            },
        )
    return rollout


def _queued_devices(rollout: Rollout, limit: int = 1000) -> list[str]:
    """Devices whose update from this rollout was still pending at the last read-back."""
    return list(
        DeviceProgress.objects.filter(stage__rollout=rollout, status=DeviceStatus.PENDING)
        .order_by("device_uuid")
        .values_list("device_uuid", flat=True)[:limit]
    )


def stage_retry_failed(*, rollout: Rollout, stage: RolloutStage, actor) -> RolloutStage:
    """Deploy again to the stage's devices whose last update failed (within its cohort)."""
    if rollout.status not in (RolloutStatus.RUNNING, RolloutStatus.PAUSED):
        raise TransitionConflict(f"Rollout {rollout.pk} is {rollout.status}: nothing to retry.")
    if stage.status != StageStatus.MONITORING:
        raise TransitionConflict(f"Stage {stage.position} is {stage.status}, not open.")
    if stage.count_failed == 0:
        raise TransitionConflict(f"Stage {stage.position} has no failed devices.")
    request = deploy_update_request(
        flow_id=rollout.flow_id,
        devices_filter=deploy_filter(
            cohort=stage.cohort_filter(), online_only=stage.online_only, update_status="failed"
        ),
        comment=f"{rollout.marker(stage)} {rollout.comment}".strip(),
        app_name=rollout.app_name,
        app_version=rollout.app_version,
    )
    with transaction.atomic():
        call = call_queue(rollout=rollout, stage=stage, kind=CallKind.RETRY, request=request)
        event_record(
            rollout=rollout,
            stage=stage,
            kind=EventKind.RETRY_REQUESTED,
            actor=actor,
            details={"api_call": call.pk, "failed_devices": stage.count_failed},
        )
        if rollout.status == RolloutStatus.PAUSED:
            rollout_resume(rollout=rollout, actor=actor, reason="retry failed devices")
        else:
            _enqueue_advance(rollout.pk)
        # The retried devices count again: the gate sees them on the read-back after the call.
        RolloutStage.objects.filter(pk=stage.pk).update(failures_accepted=0)
    return stage
