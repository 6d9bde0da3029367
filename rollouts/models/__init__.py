from rollouts.models.audit import ApiCall, CallKind, CallState, Event, EventKind, Precheck
from rollouts.models.fleet import FleetDevice, FleetRead
from rollouts.models.holds import (
    WEEKDAY_LABELS,
    WEEKDAY_NAMES,
    FreezeWindow,
    KillSwitchUse,
    Recurrence,
)
from rollouts.models.notifications import (
    SUBSCRIBABLE_KINDS,
    Channel,
    ChannelKind,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    NotifyKind,
)
from rollouts.models.passes import PassKind, StagePass, StageSample
from rollouts.models.plans import Plan, PlanStage, PlanVersion, StageSpec, Target
from rollouts.models.profiles import Profile
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
    "WEEKDAY_LABELS",
    "WEEKDAY_NAMES",
    "SUBSCRIBABLE_KINDS",
    "ApiCall",
    "ApiToken",
    "CallKind",
    "CallState",
    "Channel",
    "ChannelKind",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryState",
    "DeviceProgress",
    "DeviceStatus",
    "Event",
    "EventKind",
    "FleetDevice",
    "FleetRead",
    "FreezeWindow",
    "KillSwitchUse",
    "NotifyKind",
    "PassKind",
    "PauseCause",
    "Precheck",
    "Profile",
    "Plan",
    "PlanStage",
    "PlanVersion",
    "Recurrence",
    "Rollout",
    "RolloutStage",
    "RolloutStatus",
    "StagePass",
    "StageSample",
    "StageSpec",
    "StageStatus",
    "Target",
    "WorkerHeartbeat",
    "token_hash",
]
