"""Moving a rollout forward: the one step function every task and the reconcile call.

`rollout_advance` is safe to run at any time, twice at once, or after a crash: each step is a
conditional transition, and API calls are made outside transactions from rows written first.
"""

import logging
import os
import socket
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from rollouts.engine import (
    calls,
    gates,
    inventory,
    lifecycle,
    outbox,
    progress,
    read_schedule,
    recovery,
    sweeps,
)
from rollouts.engine.cohorts import (
    EmptyCohort,
    cohort_filter,
    deploy_filter,
    needs_project_groups,
    stage_deploy_request,
)
from rollouts.engine.pauses import rollout_pause_for
from rollouts.models import (
    CallKind,
    EventKind,
    PauseCause,
    Rollout,
    RolloutStage,
    RolloutStatus,
    StageStatus,
)
from rollouts.services import freezes
from rollouts.services.events import event_record, transition, transition_recorded

logger = logging.getLogger(__name__)


def rollout_advance(*, rollout_id: int) -> bool:
    """Take every step that is due now; stop when waiting (approval, soak, budget, devices).

    One worker steps a rollout at a time: it holds the rollout's lease for the step. False
    when another worker holds it (that worker takes the steps)."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    if not lease_acquire(rollout_id=rollout_id, owner=owner):
        return False
    try:
        for _ in range(20):
            rollout = Rollout.objects.filter(pk=rollout_id).first()
            if rollout is None or not _step(rollout):
                break
    finally:
        Rollout.objects.filter(pk=rollout_id, lease_owner=owner).update(
            lease_owner="", lease_until=None
        )
    return True


def lease_acquire(*, rollout_id: int, owner: str) -> bool:
    """Take the rollout's lease unless a live one is held. It lasts as long as a step may run
    (the task's hard time limit), so an expired lease belongs to a worker that is gone."""
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    until = now + timedelta(seconds=settings.ROLLOUT_STEP_TIME_LIMIT + 5)
    taken = Rollout.objects.filter(free, pk=rollout_id).update(lease_owner=owner, lease_until=until)
    return taken == 1


def _step(rollout: Rollout) -> bool:
    if rollout.status == RolloutStatus.SCHEDULED:
        return rollout_begin_scheduled(rollout=rollout)
    if rollout.status != RolloutStatus.RUNNING:
        return False
    stages = list(rollout.stages.order_by("position"))
    rollout._stage_count = len(stages)
    stage = lifecycle.stage_current(stages)
    if stage is None:
        return _rollout_complete(rollout)
    if stage.status == StageStatus.FAILED:  # cannot go on by itself: a person decides
        rollout_pause_for(
            rollout=rollout,
            cause=PauseCause.REJECTED,
            stage=stage,
            reason=f"Stage {stage.position} failed: {stage.last_error or 'see the timeline'}.",
        )
        return False
    if stage.status == StageStatus.PENDING:
        if lifecycle.stage_awaits_approval(stage):
            return False
        if freezes.start_hold(rollout=rollout, at=timezone.now()):
            return False  # a freeze window or the kill switch: no new stage starts
        earlier = [s for s in stages if s.position < stage.position]
        return stage_begin(rollout=rollout, stage=stage, earlier=earlier)
    moved = outbox.calls_send_due(rollout=rollout, stage=stage)
    stage.refresh_from_db()
    rollout.refresh_from_db(fields=["status"])
    if rollout.status != RolloutStatus.RUNNING:
        return False
    if stage.status == StageStatus.DEPLOYING:
        return moved or recovery.stage_deploy_repair(rollout=rollout, stage=stage)
    if stage.status != StageStatus.MONITORING:
        return moved
    due = read_schedule.stage_read_due(stage)
    if due == read_schedule.WAIT:
        return moved
    if due == read_schedule.READ and progress.stage_poll(rollout=rollout, stage=stage):
        read_schedule.stage_read_recorded(stage)  # plan the next read from what this one saw
        if gates.stage_gates(rollout=rollout, stage=stage):
            return True
        stage.refresh_from_db()
        if stage.status == StageStatus.MONITORING and sweeps.stage_sweep(
            rollout=rollout, stage=stage
        ):
            return True
    else:  # no fresh numbers (held by the budget, or cut short): the deadline still holds
        gates.stage_deadline_check(rollout=rollout, stage=stage)
    return moved


def rollout_begin_scheduled(*, rollout: Rollout) -> bool:
    """scheduled -> running once its time has come."""
    if rollout.scheduled_at and rollout.scheduled_at > timezone.now():
        return False
    if freezes.start_hold(rollout=rollout, at=timezone.now()):
        return False  # a freeze window or the kill switch: it starts once released
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


def stage_begin(*, rollout: Rollout, stage: RolloutStage, earlier: list[RolloutStage]) -> bool:
    """pending -> deploying, with the stage's deploy call queued in the same transaction."""
    if not _stage_groups_exist(rollout=rollout, stage=stage):
        return False
    try:
        groups = ()
        if needs_project_groups(stage=stage, earlier=earlier):
            try:
                groups = progress.project_groups_read(rollout=rollout, stage=stage)
            except progress.ScanFailed:
                return False  # a failed poll is recorded; a paused one goes on next tick
        cohort = cohort_filter(
            project=rollout.project, stage=stage, earlier=earlier, project_groups=groups
        )
    except EmptyCohort as exc:
        return _stage_skip(rollout=rollout, stage=stage, reason=str(exc))
    request = stage_deploy_request(
        rollout=rollout,
        stage=stage,
        devices_filter=deploy_filter(cohort=cohort, online_only=stage.online_only),
    )
    with transaction.atomic():
        if not transition(
            stage,
            allowed=(StageStatus.PENDING,),
            to=StageStatus.DEPLOYING,
            started_at=timezone.now(),
            cohort=cohort.to_json(),
        ):
            return False
        call = calls.call_queue(rollout=rollout, stage=stage, kind=CallKind.DEPLOY, request=request)
        event_record(
            rollout=rollout,
            stage=stage,
            kind=EventKind.STAGE_STARTED,
            from_status=StageStatus.PENDING,
            to_status=StageStatus.DEPLOYING,
            details={"target": stage.target_label, "api_call": call.pk},
        )
    return True


def _stage_groups_exist(*, rollout: Rollout, stage: RolloutStage) -> bool:
    """A group that vanished from Upswift since the plan was checked pauses the rollout before
    the stage starts, with that reason (engine/inventory.py); False also while the check waits."""
    groups = list(stage.groups) if stage.target == "groups" else []
    vanished = inventory.stage_groups_vanished(project=rollout.project, groups=groups)
    if vanished:
        names = ", ".join(f"'{g}'" for g in vanished)
        rollout_pause_for(
            rollout=rollout,
            cause=PauseCause.REJECTED,
            stage=stage,
            reason=(
                f"Stage {stage.position} was not started: group {names} no longer exists in "
                f"project {rollout.project}. Edit the stages not started yet, then resume; or "
                "abort."
            ),
            details={"vanished_groups": vanished},
        )
    return vanished == []


def _stage_skip(*, rollout: Rollout, stage: RolloutStage, reason: str) -> bool:
    return transition_recorded(
        stage,
        allowed=(StageStatus.PENDING,),
        to=StageStatus.SKIPPED,
        rollout=rollout,
        stage=stage,
        kind=EventKind.STAGE_SKIPPED,
        reason=reason,
        finished_at=timezone.now(),
    )


def _rollout_complete(rollout: Rollout) -> bool:
    transition_recorded(
        rollout,
        allowed=(RolloutStatus.RUNNING,),
        to=RolloutStatus.COMPLETED,
        rollout=rollout,
        kind=EventKind.COMPLETED,
        finished_at=timezone.now(),
        status_reason="",
    )
    return False  # nothing more to do


def rollouts_reconcile() -> list[int]:
    """Every active rollout that may have work now; stale sends are recovered first."""
    lost_after = timedelta(seconds=settings.ROLLOUT_STEP_TIME_LIMIT + 10)
    recovery.calls_recover_stale(older_than=lost_after)
    now = timezone.now()
    running = Rollout.objects.filter(status=RolloutStatus.RUNNING)
    due = Rollout.objects.filter(status=RolloutStatus.SCHEDULED, scheduled_at__lte=now)
    return list(running.values_list("pk", flat=True)) + list(due.values_list("pk", flat=True))


def rollout_engine_error(*, rollout_id: int, exc: Exception) -> None:
    """Make a crashed step visible in the rollout's history (once a minute per error kind)."""
    from django.db import close_old_connections, connection

    from rollouts.models import Event

    connection.close()  # the error may have been the connection itself
    close_old_connections()
    reason = f"{type(exc).__name__}: {exc}"[:500]
    try:
        recent = Event.objects.filter(
            rollout_id=rollout_id,
            kind=EventKind.ENGINE_ERROR,
            reason=reason,
            created_at__gte=timezone.now() - timedelta(minutes=1),
        )
        if not recent.exists():
            event_record(
                rollout=rollout_id,
                kind=EventKind.ENGINE_ERROR,
                reason=reason,
                details={"retry": "the next reconcile tick runs the step again"},
            )
    except Exception:
        logger.exception("could not record the engine error of rollout %s", rollout_id)
