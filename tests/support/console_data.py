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
