"""The one place that decides what a rollout waits for and what a person may do about it.

The engine, the services behind every action, the pages and the REST API all ask these
functions; nothing else decides. They read the rows they are given and touch no database, so
one page render, one API answer and one engine step of the same rows always agree.

A running rollout waits for exactly one thing:
- `approval` of its current stage (a person with the approve permission; four-eyes: not the
  person who started the rollout, stage 1 included);
- `deploy`: the current stage's deploy call is queued, in flight, backing off, or being checked
  against a read-back because its answer was lost;
- `devices` of the current stage to report (read-backs), until its deadline;
- `soak` of the current stage until a time;
- `schedule`: a scheduled rollout waits for its start time;
- `freeze`: its current stage would start now (or its scheduled start is due) but a freeze
  window holds it until `until`, or the kill switch holds it (cause kill_switch). This is the
  one answer that reads rows of its own: services/freezes.py says whether a hold is on.
A paused rollout waits for a `person`, because of its `pause_cause`; the choices offered fit
that cause. Draft and finished rollouts wait for nothing.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from rollouts.models import (
    DONE_STAGE_STATUSES,
    PauseCause,
    Rollout,
    RolloutStage,
    RolloutStatus,
    StageStatus,
)
from rollouts.services import freezes
from rollouts.services.errors import ActionRefused

OPERATE_PERMISSION = "rollouts.operate_rollout"
APPROVE_PERMISSION = "rollouts.approve_rollout"
OPEN_ROLLOUT_STATUSES = (
    RolloutStatus.DRAFT,
    RolloutStatus.SCHEDULED,
    RolloutStatus.RUNNING,
    RolloutStatus.PAUSED,
)


class Awaiting(models.TextChoices):
    NOTHING = "nothing", "Nothing"
    SCHEDULE = "schedule", "Scheduled start"
    APPROVAL = "approval", "Approval"
    DEPLOY = "deploy", "Deploy call"
    DEVICES = "devices", "Devices"
    SOAK = "soak", "Soak time"
    FREEZE = "freeze", "Freeze window"
    PERSON = "person", "A person"


class Action(models.TextChoices):
    APPROVE = "approve", "Approve"
    PAUSE = "pause", "Pause"
    RESUME = "resume", "Resume"
    ABORT = "abort", "Abort"
    RETRY_FAILED = "retry_failed", "Retry failed devices"
    ACCEPT_SHORTFALL = "accept_shortfall", "Accept and continue"
    SEND_AGAIN = "send_again", "Send again"
    CONFIRM_SENT = "confirm_sent", "It was sent"
    EDIT_STAGES = "edit_stages", "Edit remaining stages"


@dataclass(frozen=True)
class Waiting:
    kind: str
    stage: RolloutStage | None = None
    until: datetime | None = None
    cause: str = ""  # a PauseCause when kind is person
    sentence: str = ""

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "stage": self.stage.position if self.stage else None,
            "until": self.until.isoformat() if self.until else None,
            "cause": self.cause,
            "sentence": self.sentence,
        }


def stage_current(stages: list[RolloutStage]) -> RolloutStage | None:
    """The stage the rollout works on: the first that has not succeeded or been skipped."""
    return next((s for s in stages if s.status not in DONE_STAGE_STATUSES), None)


def stage_awaits_approval(stage: RolloutStage) -> bool:
    return stage.status == StageStatus.PENDING and stage.approval_required and not stage.approved_at


def stage_threshold_met(stage: RolloutStage) -> bool:
    base = stage.devices_total
    return not base or stage.count_success * 100 >= stage.success_threshold * base


def stage_soak_until(stage: RolloutStage) -> datetime | None:
    if stage.threshold_met_at is None:
        return None
    minute = settings.ROLLOUT_SOAK_MINUTE_SECONDS
    return stage.threshold_met_at + timedelta(seconds=stage.soak_minutes * minute)


def rollout_waiting(*, rollout: Rollout, stages: list[RolloutStage]) -> Waiting:
    """What the rollout waits for now (see the module docstring)."""
    held = _start_held(rollout=rollout, stages=stages)
    if held is not None:
        return held
    if rollout.status == RolloutStatus.SCHEDULED:
        return Waiting(Awaiting.SCHEDULE, until=rollout.scheduled_at, sentence="Starts by itself.")
    if rollout.status == RolloutStatus.PAUSED:
        stage = stage_current(stages)
        cause = rollout.pause_cause or PauseCause.PERSON
        return Waiting(Awaiting.PERSON, stage, cause=cause, sentence=rollout.status_reason)
    if rollout.status != RolloutStatus.RUNNING:
        return Waiting(Awaiting.NOTHING)
    stage = stage_current(stages)
    if stage is None:
        return Waiting(Awaiting.NOTHING, sentence="Every stage is done; completing.")
    position = stage.position
    if stage_awaits_approval(stage):
        return Waiting(Awaiting.APPROVAL, stage, sentence=f"Stage {position} needs an approval.")
    if stage.status in (StageStatus.PENDING, StageStatus.DEPLOYING):
        return Waiting(Awaiting.DEPLOY, stage, sentence=f"Stage {position} is being deployed.")
    if stage.status == StageStatus.MONITORING and stage.threshold_met_at is not None:
        until = stage_soak_until(stage)
        return Waiting(Awaiting.SOAK, stage, until=until, sentence=f"Stage {position} soaks.")
    if stage.status == StageStatus.MONITORING:
        sentence = f"Waiting for the devices of stage {position} to report."
        return Waiting(Awaiting.DEVICES, stage, until=stage.deadline_at, sentence=sentence)
    # A failed stage of a running rollout cannot go on; the engine pauses it.
    return Waiting(Awaiting.PERSON, stage, cause=PauseCause.REJECTED, sentence=stage.last_error)


def _start_held(*, rollout: Rollout, stages: list[RolloutStage]) -> Waiting | None:
    """A rollout whose current stage would start now (pending and approved, or its scheduled
    start due) waits while a freeze window or the kill switch holds it."""
    now = timezone.now()
    stage = stage_current(stages)
    if rollout.status == RolloutStatus.SCHEDULED:
        due = not rollout.scheduled_at or rollout.scheduled_at <= now
    else:
        due = (
            rollout.status == RolloutStatus.RUNNING
            and stage is not None
            and stage.status == StageStatus.PENDING
            and not stage_awaits_approval(stage)
        )
    hold = freezes.start_hold(rollout=rollout, at=now) if due else None
    if hold is None:
        return None
    return Waiting(
        Awaiting.FREEZE, stage, until=hold.until, cause=hold.cause, sentence=hold.sentence
    )


def may_operate(user) -> bool:
    """None is the engine itself; a person needs the operate permission."""
    return user is None or (user.is_authenticated and user.has_perm(OPERATE_PERMISSION))


def may_approve_any(user) -> bool:
    """None is the engine itself; a person needs the approve permission."""
    return user is None or (user.is_authenticated and user.has_perm(APPROVE_PERMISSION))


def may_approve(*, rollout: Rollout, user) -> bool:
    return may_approve_any(user) and not approves_own(rollout=rollout, user=user)


def approve_refusal(*, rollout: Rollout, user) -> str:
    """Why `user` may not approve this rollout's stages ("" when they may): the page shows it
    next to an inactive button, the API in its 403."""
    if may_approve(rollout=rollout, user=user):
        return ""
    if not may_approve_any(user):
        return "Your role does not allow approving stages (ask an approver or a release manager)."
    return (
        "Four-eyes: you started this rollout, so another person must approve its stages "
        "(stage 1 included)."
    )


def approves_own(*, rollout: Rollout, user) -> bool:
    """Four-eyes: the person who started the rollout may not approve its stages."""
    return bool(rollout.require_different_approver and user and user.pk == rollout.started_by_id)


def retryable_stages(*, rollout: Rollout, stages: list[RolloutStage]) -> list[RolloutStage]:
    """Open stages with failed devices, while the rollout runs or is paused."""
    if rollout.status not in (RolloutStatus.RUNNING, RolloutStatus.PAUSED):
        return []
    return [s for s in stages if s.status == StageStatus.MONITORING and s.count_failed]


def allowed_actions(*, rollout: Rollout, stages: list[RolloutStage], user) -> frozenset[str]:
    """The actions `user` may take on the rollout now (None: every action the state allows).

    Approve needs the approve permission and, under four-eyes, a person other than the starter;
    every other action needs the operate permission."""
    operates, approves = may_operate(user), may_approve(rollout=rollout, user=user)
    if not (operates or approves):
        return frozenset()
    waiting = rollout_waiting(rollout=rollout, stages=stages)
    if not operates:
        awaiting = rollout.status == RolloutStatus.RUNNING and waiting.kind == Awaiting.APPROVAL
        return frozenset((Action.APPROVE,)) if awaiting else frozenset()
    actions: set[str] = set()
    stage = waiting.stage
    if rollout.status in OPEN_ROLLOUT_STATUSES:
        actions.add(Action.ABORT)
    if rollout.status == RolloutStatus.RUNNING:
        actions.add(Action.PAUSE)
        if waiting.kind == Awaiting.APPROVAL and approves:
            actions.add(Action.APPROVE)
    if rollout.status == RolloutStatus.PAUSED:
        actions.add(Action.RESUME)
        if any(s.status == StageStatus.PENDING for s in stages):
            actions.add(Action.EDIT_STAGES)
        if (
            waiting.cause == PauseCause.DEPLOY_UNKNOWN
            and stage
            and stage.status == StageStatus.DEPLOYING
        ):
            actions.update((Action.SEND_AGAIN, Action.CONFIRM_SENT))
        if stage and stage.status == StageStatus.MONITORING and not stage_threshold_met(stage):
            actions.add(Action.ACCEPT_SHORTFALL)
    if retryable_stages(rollout=rollout, stages=stages):
        actions.add(Action.RETRY_FAILED)
    return frozenset(actions)


def action_check(*, rollout: Rollout, action: str, user, stages=None) -> list[RolloutStage]:
    """Raise ActionRefused unless the rollout's state allows `action` now (and, to approve,
    `user` is not the starter of a four-eyes rollout); returns the stages it read. Which
    permission each action needs is checked where the request comes in (the view or the API
    asks `action_permission`)."""
    if stages is None:
        stages = list(rollout.stages.order_by("position"))
    if action in allowed_actions(rollout=rollout, stages=stages, user=None):
        if action == Action.APPROVE and approves_own(rollout=rollout, user=user):
            raise ActionRefused(
                "This plan needs a different person than the one who started it.",
                code="permission_denied",
            )
        return stages
    raise ActionRefused(_refusal(rollout, stages, action))


def action_permission(action: str) -> str:
    """The permission a person needs for `action`: approve apart from every other action."""
    return APPROVE_PERMISSION if action == Action.APPROVE else OPERATE_PERMISSION


def _refusal(rollout: Rollout, stages: list[RolloutStage], action: str) -> str:
    """Why `action` is refused, in words that say what the rollout does instead."""
    pk, status = rollout.pk, rollout.status
    waiting = rollout_waiting(rollout=rollout, stages=stages)
    if action == Action.APPROVE:
        if status != RolloutStatus.RUNNING:
            return f"Rollout {pk} is {status}: nothing to approve."
        return f"No stage is waiting for approval. {waiting.sentence}".strip()
    if action == Action.PAUSE:
        return f"Rollout {pk} is {status}, not running."
    if action == Action.RESUME:
        return f"Rollout {pk} is {status}, not paused."
    if action == Action.ABORT:
        return f"Rollout {pk} is {status}: already over."
    if action == Action.RETRY_FAILED:
        return f"Rollout {pk} is {status}: nothing to retry."
    label = Action(action).label if action in Action.values else action
    return f"{label} is not possible now: rollout {pk} is {status}{_waiting_clause(waiting)}."


def _waiting_clause(waiting: Waiting) -> str:
    if waiting.kind == Awaiting.NOTHING:
        return ""
    return f" and waits for {Awaiting(waiting.kind).label.lower()}"
