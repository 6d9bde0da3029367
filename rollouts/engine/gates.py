"""A stage's gates, evaluated right after each complete read-back.

In order: the failure threshold (pause for a person), the success threshold and soak (close the
stage), and the stage's deadline: still below the success threshold when it passes, the
rollout pauses with the numbers, and a person accepts the shortfall, retries the failed
devices, waits longer (resume) or aborts. A stage whose devices never report cannot hold a
rollout silently.
"""

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from rollouts.engine import lifecycle, progress
from rollouts.engine.calls import stage_unstart
from rollouts.engine.pauses import rollout_pause_for
from rollouts.models import (
    DeviceStatus,
    EventKind,
    PauseCause,
    Rollout,
    RolloutStage,
    StageStatus,
    Target,
)
from rollouts.services.events import event_record, transition_recorded


def stage_gates(*, rollout: Rollout, stage: RolloutStage) -> bool:
    """True when the stage closed (the rollout can take its next step now)."""
    base = stage.devices_total  # every cohort device counts, reached yet or not
    failed = max(0, stage.count_failed + stage.count_aborted - stage.failures_accepted)
    if base and failed and failed * 100 >= stage.failure_threshold * base:
        reason = (
            f"Stage {stage.position} reached its failure threshold: {failed} of {base} devices "
            f"failed or aborted ({failed * 100 / base:.0f}% ≥ {stage.failure_threshold}%)."
        )
        rollout_pause_for(
            rollout=rollout, cause=PauseCause.FAILURE_THRESHOLD, reason=reason, stage=stage
        )
        return False
    if not base:
        if stage.target == Target.ALL or stage.app_filter:  # nothing left, or not knowable yet
            return stage_succeed(rollout=rollout, stage=stage, note="no device matched")
        _stage_reached_nobody(rollout=rollout, stage=stage)
        return False
    now = timezone.now()
    if not lifecycle.stage_threshold_met(stage):
        if stage.deadline_at and now >= stage.deadline_at:
            _deadline_passed(rollout=rollout, stage=stage)
        return False
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
    if now < lifecycle.stage_soak_until(stage):
        return False
    return stage_succeed(rollout=rollout, stage=stage)


def _stage_reached_nobody(*, rollout: Rollout, stage: RolloutStage) -> None:
    """A tag or groups stage whose cohort holds no device: the tag or group was removed or
    misspelt. Nobody received anything, so the stage goes back to not started; the person edits
    its target and resumes, or aborts."""
    reason = (
        f"Stage {stage.position} ({stage.target_label}) reached no device: no device of the "
        "project matches it now (removed or misspelt in Upswift?). The stage has not started: "
        "edit it, then resume; or abort."
    )
    with transaction.atomic():
        if stage_unstart(rollout=rollout, stage=stage, reason=reason):
            rollout_pause_for(
                rollout=rollout, cause=PauseCause.REJECTED, reason=reason, stage=stage
            )


def stage_succeed(*, rollout: Rollout, stage: RolloutStage, note: str = "", **fields) -> bool:
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
        **fields,
    )


def stage_numbers(stage: RolloutStage, *, online_known: bool = True) -> dict:
    """The numbers a person decides on: succeeded, failed, still pending and how many of those
    are offline (as of the last read-back; None when their online state could not be read)."""
    base = stage.devices_total
    not_final = (DeviceStatus.NOT_REACHED, DeviceStatus.PENDING, DeviceStatus.IN_PROGRESS)
    pending = stage.devices.filter(status__in=not_final).aggregate(
        all=Count("pk"), offline=Count("pk", filter=Q(online=False))
    )
    return {
        "success": stage.count_success,
        "devices": base,
        "percent": round(stage.count_success * 100 / base, 1) if base else 100.0,
        "needs": stage.success_threshold,
        "failed": stage.count_failed + stage.count_aborted,
        "pending": pending["all"],
        "offline": pending["offline"] if online_known else None,
    }


def stage_numbers_sentence(stage: RolloutStage, numbers: dict) -> str:
    """e.g. "Stage 3: 312 of 340 succeeded (91.8%, needs 95%); 28 pending, 26 of them offline"."""
    text = (
        f"Stage {stage.position}: {numbers['success']} of {numbers['devices']} succeeded "
        f"({numbers['percent']:g}%, needs {numbers['needs']}%)"
    )
    parts = []
    if numbers["failed"]:
        parts.append(f"{numbers['failed']} failed")
    if numbers["pending"] and numbers["offline"] is None:
        parts.append(f"{numbers['pending']} pending (whether they are online is unknown)")
    elif numbers["pending"]:
        parts.append(f"{numbers['pending']} pending, {numbers['offline']} of them offline")
    return text + ("; " + ", ".join(parts) if parts else "")


def stage_deadline_check(*, rollout: Rollout, stage: RolloutStage) -> None:
    """When a read-back could not finish: past its deadline below the threshold, a person is
    asked on the last numbers read, rather than the stage waiting for a read that never comes."""
    stage.refresh_from_db()
    if stage.status != StageStatus.MONITORING or lifecycle.stage_threshold_met(stage):
        return
    if stage.deadline_at and timezone.now() >= stage.deadline_at:
        _deadline_passed(rollout=rollout, stage=stage)


def _deadline_passed(*, rollout: Rollout, stage: RolloutStage) -> None:
    try:
        progress.stage_online_read(rollout=rollout, stage=stage)
        online_known = True
    except progress.ScanFailed:  # never claim a device is offline without having read it
        online_known = stage.online_only
    numbers = stage_numbers(stage, online_known=online_known)
    reason = (
        f"{stage_numbers_sentence(stage, numbers)}. Its deadline of {stage.deadline_minutes} "
        "minutes passed: accept and continue, retry the failed devices, wait longer (resume), "
        "or abort."
    )
    rollout_pause_for(
        rollout=rollout,
        cause=PauseCause.DEADLINE,
        reason=reason,
        stage=stage,
        details={"numbers": numbers, "deadline_at": stage.deadline_at.isoformat()},
    )
