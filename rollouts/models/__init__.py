from rollouts.models.audit import ApiCall, CallKind, CallState, Event, EventKind, Precheck
from rollouts.models.plans import Plan, PlanStage, StageSpec, Target
from rollouts.models.rollouts import (
    ACTIVE_ROLLOUT_STATUSES,
    CLOSED_STAGE_STATUSES,
    DONE_STAGE_STATUSES,
    FINISHED_ROLLOUT_STATUSES,
    DeviceProgress,
    DeviceStatus,
    PauseCause,
    Rollout,
    RolloutStage,
    RolloutStatus,
    StageStatus,
)
from rollouts.models.tokens import ApiToken, token_hash
from rollouts.models.workers import WorkerHeartbeat

__all__ = [
    "ACTIVE_ROLLOUT_STATUSES",
    "CLOSED_STAGE_STATUSES",
    "DONE_STAGE_STATUSES",
    "FINISHED_ROLLOUT_STATUSES",
    "ApiCall",
    "ApiToken",
    "CallKind",
    "CallState",
    "DeviceProgress",
    "DeviceStatus",
    "Event",
    "EventKind",
    "PauseCause",
    "Precheck",
    "Plan",
    "PlanStage",
    "Rollout",
    "RolloutStage",
    "RolloutStatus",
    "StageSpec",
    "StageStatus",
    "Target",
    "WorkerHeartbeat",
    "token_hash",
]
