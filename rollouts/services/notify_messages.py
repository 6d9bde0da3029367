"""What a message says: derived from an event (or a worker outage), in words a person acts on.

Each message says what happened, to which rollout (with a link to it), and what a person can
do. Nothing here sends anything; rollouts/services/deliveries.py does.
"""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from rollouts.engine import lifecycle
from rollouts.models import (
    Event,
    EventKind,
    NotifyKind,
    PauseCause,
    Rollout,
    RolloutStage,
    WorkerHeartbeat,
)

# Every message key becomes the same idempotency key on every try and every run of a task.
KEY_NAMESPACE = uuid.UUID("6f1c2b0e-4d0a-4a57-9b8e-2f7a3c5d9e11")

# What a person can do about a rollout paused for each cause (README: rollout semantics).
PAUSE_CHOICES = {
    PauseCause.FAILURE_THRESHOLD: "resume (the failures so far are accepted), retry the failed "
    "devices, accept and continue, or abort",
    PauseCause.DEADLINE: "accept and continue (a reason is required and kept), retry the failed "
    "devices, wait longer (resume: a new deadline), or abort",
    PauseCause.DEPLOY_UNKNOWN: "send the deploy again, confirm it was sent, or abort",
    PauseCause.TOKEN_REJECTED: "update UPSWIFT_USER_TOKEN on the console's servers, then resume "
    "the paused rollouts",
    PauseCause.REJECTED: "edit the stages not started yet, then resume; or abort",
    PauseCause.API_UNAVAILABLE: "resume when the Upswift API answers again (it tries again), "
    "or abort",
    PauseCause.PERSON: "resume or abort",
}

# Pauses told about once for all rollouts by whoever caused them (the kill switch: `notify`).
QUIET_PAUSE_CAUSES = frozenset({"kill_switch"})


@dataclass(frozen=True)
class Message:
    kind: str
    subject: str
    text: str
    link: str = ""
    project: str | None = None  # None: about no project (goes to every channel of the kind)
    key: str = ""  # the same key twice is delivered once per channel; empty: always new
    event_id: int | None = None
    rollout: dict | None = None
    details: dict = field(default_factory=dict)

    def idempotency_key(self) -> str:
        if not self.key:
            return uuid.uuid4().hex
        return uuid.uuid5(KEY_NAMESPACE, self.key).hex

    def payload(self, *, idempotency_key: str) -> dict:
        """The JSON a webhook receives (README "Notifications" shows one)."""
        return {
            "id": idempotency_key,
            "kind": self.kind,
            "subject": self.subject,
            "text": self.text,
            "link": self.link,
            "project": self.project,
            "rollout": self.rollout,
            "event": self.event_id,
            "details": self.details,
            "created_at": timezone.now().isoformat(),
        }


def site_link(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def rollout_link(rollout: Rollout | int) -> str:
    pk = rollout if isinstance(rollout, int) else rollout.pk
    return site_link(reverse("rollout_detail", args=[pk]))


def rollout_summary(rollout: Rollout, stage: RolloutStage | None = None) -> dict:
    return {
        "id": rollout.pk,
        "project": rollout.project,
        "flow_id": rollout.flow_id,
        "app_name": rollout.app_name,
        "app_version": rollout.app_version,
        "status": rollout.status,
        "pause_cause": rollout.pause_cause,
        "status_reason": rollout.status_reason,
        "stage": stage.position if stage else None,
        "stage_count": rollout.stage_count,
        "link": rollout_link(rollout),
    }


def _title(rollout: Rollout) -> str:
    return f"Rollout #{rollout.pk} ({rollout.app_name} {rollout.app_version}, {rollout.project})"


def stage_numbers(stage: RolloutStage) -> str:
    """`Stage 2 (group TestGroup1) succeeded: 48 of 50 devices, 1 failed, 1 pending.`"""
    counts = stage.counts
    pending = counts["pending"] + counts["in_progress"] + counts["not_reached"]
    failed = counts["failed"] + counts["aborted"]
    return (
        f"Stage {stage.position} ({stage.target_label}) {stage.get_status_display().lower()}: "
        f"{counts['success']} of {stage.devices_total} devices, {failed} failed, "
        f"{pending} pending."
    )


def message_for_event(event: Event) -> Message | None:
    """The message an event calls for now, or None (the event needs none, or the rollout has
    moved on: an approval already given is not asked for)."""
    rollout = event.rollout
    stages = list(rollout.stages.order_by("position"))
    rollout._stage_count = len(stages)
    if event.kind == EventKind.PAUSED and event.actor_id is None:
        cause = (event.details or {}).get("cause") or rollout.pause_cause
        if cause in QUIET_PAUSE_CAUSES:
            return None
        return _paused(event, rollout, stages, cause or PauseCause.PERSON)
    if event.kind in (
        EventKind.STARTED,
        EventKind.STAGE_SUCCEEDED,
        EventKind.STAGE_SKIPPED,
        EventKind.RESUMED,
    ):
        return _approval_needed(event, rollout, stages)
    if event.kind == EventKind.FAILED:
        reason = event.reason or rollout.status_reason or rollout.last_error or "see its timeline"
        return _message(
            event,
            rollout,
            NotifyKind.FAILED,
            subject=f"{_title(rollout)} failed",
            text=f"{_title(rollout)} failed: {reason}\nIt cannot go on; start a new rollout "
            "when the cause is fixed.",
        )
    if event.kind == EventKind.COMPLETED:
        done = [stage_numbers(s) for s in stages]
        return _message(
            event,
            rollout,
            NotifyKind.COMPLETED,
            subject=f"{_title(rollout)} completed",
            text="\n".join([f"{_title(rollout)} completed: every stage is done.", *done]),
        )
    return None


def _paused(event: Event, rollout: Rollout, stages: list[RolloutStage], cause: str) -> Message:
    stage = event.stage or lifecycle.stage_current(stages)
    reason = event.reason or rollout.status_reason
    choices = PAUSE_CHOICES.get(cause, PAUSE_CHOICES[PauseCause.PERSON])
    label = PauseCause(cause).label if cause in PauseCause.values else cause
    kind = {
        PauseCause.DEADLINE: NotifyKind.DEADLINE,
        PauseCause.TOKEN_REJECTED: NotifyKind.TOKEN_REJECTED,
    }.get(cause, NotifyKind.PAUSED)
    if kind == NotifyKind.DEADLINE:
        subject = f"{_title(rollout)}: stage {stage.position if stage else '?'} deadline passed"
    elif kind == NotifyKind.TOKEN_REJECTED:
        subject = f"Upswift rejected the API token: {_title(rollout)} paused"
    else:
        subject = f"{_title(rollout)} paused itself: {label.lower()}"
    text = f"{_title(rollout)} paused itself ({label.lower()}): {reason}"
    text += f"\nWhat you can do: {choices}."
    return _message(event, rollout, kind, subject=subject, text=text, stage=stage, cause=cause)


def _approval_needed(event: Event, rollout: Rollout, stages: list[RolloutStage]) -> Message | None:
    waiting = lifecycle.rollout_waiting(rollout=rollout, stages=stages)
    if waiting.kind != lifecycle.Awaiting.APPROVAL or waiting.stage is None:
        return None
    stage = waiting.stage
    before = [s for s in stages if s.position < stage.position]
    lines = [f"{_title(rollout)}: stage {stage.position} of {len(stages)} ({stage.target_label}) "]
    lines[0] += "waits for an approval."
    if before:
        lines.append(stage_numbers(before[-1]))
    who = "someone with the release manager role"
    if rollout.require_different_approver and rollout.started_by:
        who += f" other than {rollout.started_by.get_username()} (who started it)"
    lines.append(f"What you can do: {who} approves, pauses or aborts it.")
    return _message(
        event,
        rollout,
        NotifyKind.APPROVAL_NEEDED,
        subject=f"{_title(rollout)}: stage {stage.position} awaits approval",
        text="\n".join(lines),
        stage=stage,
        key=f"approval:{stage.pk}",
    )


def _message(event, rollout, kind, *, subject, text, stage=None, key="", **details) -> Message:
    link = rollout_link(rollout)
    return Message(
        kind=kind,
        subject=subject,
        text=f"{text}\n{link}",
        link=link,
        project=rollout.project,
        key=key or f"event:{event.pk}",
        event_id=event.pk,
        rollout=rollout_summary(rollout, stage or event.stage),
        details={"event_kind": event.kind, **details},
    )


def workers_silent_message(*, now=None) -> Message | None:
    """No worker has sent a heartbeat for NOTIFY_HEARTBEAT_MINUTES: one message per outage
    (its key is the last heartbeat seen). None before any worker ever reported."""
    now = now or timezone.now()
    latest = WorkerHeartbeat.objects.aggregate(last=Max("last_seen"))["last"]
    minutes = settings.NOTIFY_HEARTBEAT_MINUTES
    if latest is None or now - latest < timedelta(minutes=minutes):
        return None
    silent = int((now - latest).total_seconds() // 60)
    link = site_link(reverse("dashboard"))
    return Message(
        kind=NotifyKind.WORKERS_SILENT,
        subject=f"No Celery worker has reported for {silent} minutes",
        text=(
            f"No worker has sent a heartbeat since {latest:%Y-%m-%d %H:%M:%S %Z}: rollouts are "
            "not moving forward (no deploys, no read-backs, no pauses).\nWhat you can do: check "
            "the worker and beat processes (docker compose ps; their logs), and restart them. "
            f"Rollouts go on from where they stopped.\n{link}"
        ),
        link=link,
        key=f"workers-silent:{latest.isoformat()}",
        details={"last_heartbeat": latest.isoformat(), "minutes": silent},
    )
