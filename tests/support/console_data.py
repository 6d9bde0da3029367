"""Rollouts in given states, with devices, events and API calls, for the console's tests."""

from datetime import timedelta

from django.utils import timezone

from rollouts.models import RolloutStatus, StageStatus
from tests.factories import (
    ApiCallFactory,
    DeviceProgressFactory,
    EventFactory,
    PlanFactory,
    PlanStageFactory,
    RolloutFactory,
    RolloutStageFactory,
)

STAGE_SPECS = [
    {"name": "Canary", "target": "tag", "tag": "canary"},
    {"name": "Europe", "target": "groups", "groups": ["EU-West"]},
    {"name": "Everyone", "target": "all"},
]


def plan_three_stages(**fields):
    plan = PlanFactory(**fields)
    for position, spec in enumerate(STAGE_SPECS, start=1):
        PlanStageFactory(plan=plan, position=position, **spec)
    return plan


def _devices(stage, statuses: dict[str, int]) -> None:
    for status, n in statuses.items():
        DeviceProgressFactory.create_batch(n, stage=stage, status=status)
    counts = {f"count_{k}": v for k, v in statuses.items()}
    type(stage).objects.filter(pk=stage.pk).update(devices_total=sum(statuses.values()), **counts)
    stage.refresh_from_db()


def rollout_built(
    *,
    user,
    plan=None,
    status: str = RolloutStatus.RUNNING,
    stage_statuses=(StageStatus.SUCCEEDED, StageStatus.MONITORING, StageStatus.PENDING),
    devices: int = 4,
    events: int = 3,
    calls: int = 2,
    second_stage_approved: bool = True,
    **fields,
):
    """A rollout of the three-stage plan; each started stage has `devices` devices per status
    mix, plus `events` extra events and `calls` API calls (one of them failed)."""
    plan = plan or plan_three_stages()
    now = timezone.now()
    rollout = RolloutFactory(plan=plan, status=status, created_by=user, **fields)
    stages = []
    for position, (spec, stage_status) in enumerate(
        zip(STAGE_SPECS, stage_statuses, strict=False), start=1
    ):
        started = stage_status != StageStatus.PENDING
        approved = position == 1 or started or (position == 2 and second_stage_approved)
        stage = RolloutStageFactory(
            rollout=rollout,
            position=position,
            status=stage_status,
            success_threshold=90,
            approved_by=user if approved else None,
            approved_at=now - timedelta(minutes=30) if approved else None,
            started_at=now - timedelta(minutes=30 - position) if started else None,
            finished_at=now - timedelta(minutes=20)
            if stage_status == StageStatus.SUCCEEDED
            else None,
            **spec,
        )
        if stage_status == StageStatus.SUCCEEDED:
            _devices(stage, {"success": devices})
        elif started:
            _devices(stage, {"success": devices, "failed": 1, "in_progress": 2, "pending": 1})
        stages.append(stage)
    EventFactory(
        rollout=rollout, kind="started", actor=user, from_status="draft", to_status="running"
    )
    for n in range(events):
        EventFactory(rollout=rollout, stage=stages[0], kind="sweep", reason=f"sweep {n}")
    for n in range(calls):
        failed = n == 0
        ApiCallFactory(
            rollout=rollout,
            stage=stages[0],
            state="failed" if failed else "succeeded",
            http_status=400 if failed else 200,
            error_message="devices_filter.groups[0].name: no such group" if failed else "",
        )
    return rollout


# --- Rollouts paused for a person, as the engine leaves them (rows only, no engine) ----------
DEADLINE_REASON = (
    "Stage 2: 4 of 8 succeeded (50%, needs 90%); 1 failed, 3 pending, 2 of them offline. Its "
    "deadline of 60 minutes passed: accept and continue, retry the failed devices, wait longer "
    "(resume), or abort."
)
DEPLOY_UNKNOWN_REASON = (
    "Upswift may or may not have received the deploy of stage 2: its answer was lost, and after "
    "3 read-backs no device shows it. Choose Send again, or It was sent if you know Upswift has it."
)
TOKEN_REJECTED_REASON = (
    "Upswift rejected the API token (HTTP 401) while reading devices back. Update "
    "UPSWIFT_USER_TOKEN, then resume."
)


def rollout_paused_by_deadline(*, user, **fields):
    """Paused because stage 2's deadline passed at 4 of 8 devices (needs 90%)."""
    rollout = rollout_built(
        user=user,
        status=RolloutStatus.PAUSED,
        pause_cause="deadline",
        status_reason=DEADLINE_REASON,
        **fields,
    )
    rollout.stages.filter(position=2).update(deadline_at=timezone.now() - timedelta(minutes=1))
    return rollout


def rollout_paused_deploy_unknown(*, user, **fields):
    """Paused because the answer to stage 2's deploy was lost and read-backs did not find it:
    the stage is deploying and its next attempt waits, queued, for a person."""
    rollout = rollout_built(
        user=user,
        status=RolloutStatus.PAUSED,
        pause_cause="deploy_unknown",
        status_reason=DEPLOY_UNKNOWN_REASON,
        stage_statuses=(StageStatus.SUCCEEDED, StageStatus.DEPLOYING, StageStatus.PENDING),
        **fields,
    )
    stage = rollout.stages.get(position=2)
    lost = ApiCallFactory(rollout=rollout, stage=stage, state="unknown", http_status=None)
    ApiCallFactory(
        rollout=rollout,
        stage=stage,
        state="queued",
        http_status=None,
        attempt=2,
        retry_of=lost,
        precheck="ask_if_absent",
        checks=3,
    )
    return rollout
