"""Moving a rollout forward: the one step function every task and the reconcile call.

`rollout_advance` is safe to run at any time, twice at once, or after a crash: each step is a
conditional transition, and API calls are made outside transactions from rows written first.
"""

import contextlib
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rollouts.models import (
    CallKind,
    EventKind,
    Rollout,
    RolloutStage,
    RolloutStatus,
    StageStatus,
)
from rollouts.services import calls, progress, sweeps
from rollouts.services.cohorts import (
    EmptyCohort,
    cohort_filter,
    deploy_filter,
    needs_project_groups,
)
from rollouts.services.events import (
    TransitionConflict,
    event_record,
    transition,
    transition_recorded,
)
from rollouts.upswift_api import deploy_update_request

logger = logging.getLogger(__name__)


def rollout_advance(*, rollout_id: int) -> None:
    """Take every step that is due now; stop when waiting (approval, soak, budget, devices)."""
    for _ in range(20):
        rollout = Rollout.objects.filter(pk=rollout_id).first()
        if rollout is None or not _step(rollout):
            return


def _step(rollout: Rollout) -> bool:
    if rollout.status == RolloutStatus.SCHEDULED:
        from rollouts.services.actions import rollout_begin_scheduled

        return rollout_begin_scheduled(rollout=rollout)
    if rollout.status != RolloutStatus.RUNNING:
        return False
    stages = list(rollout.stages.order_by("position"))
    rollout._stage_count = len(stages)
    index, stage = next(((i, s) for i, s in enumerate(stages) if not s.is_closed), (None, None))
    if stage is None:
        return _rollout_complete(rollout)
    if stage.status == StageStatus.PENDING:
        if stage.approval_required and stage.approved_at is None:
            return False  # awaiting approval
        return stage_begin(rollout=rollout, stage=stage, earlier=stages[:index])
    moved = calls.calls_send_due(rollout=rollout, stage=stage)
    stage.refresh_from_db()
    if stage.status != StageStatus.MONITORING:
        return False
    rollout.refresh_from_db(fields=["status"])
    if rollout.status != RolloutStatus.RUNNING:
        return False
    if progress.stage_poll_due(stage) and progress.stage_poll(rollout=rollout, stage=stage):
        if _stage_gates(rollout=rollout, stage=stage):
            return True
        if stage.status == StageStatus.MONITORING and sweeps.stage_sweep(
            rollout=rollout, stage=stage
        ):
            return True
    return moved


def stage_begin(*, rollout: Rollout, stage: RolloutStage, earlier: list[RolloutStage]) -> bool:
    """pending -> deploying, with the stage's deploy call queued in the same transaction."""
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
    request = deploy_update_request(
        flow_id=rollout.flow_id,
        devices_filter=deploy_filter(cohort=cohort, online_only=stage.online_only),
        comment=f"{rollout.marker(stage)} {rollout.comment}".strip(),
        app_name=rollout.app_name,
        app_version=rollout.app_version,
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


def _stage_gates(*, rollout: Rollout, stage: RolloutStage) -> bool:
    """After a fresh read-back: pause on the failure threshold, close on success + soak."""
    base = stage.devices_total  # every cohort device counts, reached yet or not
    failed = max(0, stage.count_failed + stage.count_aborted - stage.failures_accepted)
    if base and failed and failed * 100 >= stage.failure_threshold * base:
        reason = (
            f"Stage {stage.position} reached its failure threshold: {failed} of {base} devices "
            f"failed or aborted ({failed * 100 / base:.0f}% ≥ {stage.failure_threshold}%)."
        )
        from rollouts.services.actions import rollout_pause

        with contextlib.suppress(TransitionConflict):  # a person paused or aborted it first
            rollout_pause(rollout=rollout, actor=None, reason=reason, stage=stage)
        return False
    if not base:
        return _stage_succeed(rollout=rollout, stage=stage, note="no device matched")
    if stage.count_success * 100 < stage.success_threshold * base:
        return False
    now = timezone.now()
    if stage.threshold_met_at is None:
        won = RolloutStage.objects.filter(pk=stage.pk, threshold_met_at=None).update(
            threshold_met_at=now
        )
        stage.threshold_met_at = now
        if won:
            event_record(
                rollout=rollout,
                stage=stage,
                kind=EventKind.STAGE_THRESHOLD_MET,
                details={
                    "success": stage.count_success,
                    "of": base,
                    "soak_minutes": stage.soak_minutes,
                },
            )
    soak = timedelta(seconds=stage.soak_minutes * settings.ROLLOUT_SOAK_MINUTE_SECONDS)
    if now < stage.threshold_met_at + soak:
        return False
    return _stage_succeed(rollout=rollout, stage=stage)


def _stage_succeed(*, rollout: Rollout, stage: RolloutStage, note: str = "") -> bool:
    return transition_recorded(
        stage,
        allowed=(StageStatus.MONITORING,),
        to=StageStatus.SUCCEEDED,
        rollout=rollout,
        stage=stage,
        kind=EventKind.STAGE_SUCCEEDED,
        reason=note,
        details={"counts": stage.counts, "devices": stage.devices_total},
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
    calls.calls_recover_stale(older_than=timedelta(seconds=settings.UPSWIFT_TIMEOUT_SECONDS + 10))
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
