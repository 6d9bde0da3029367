"""The overlap guard: a rollout does not start while another active rollout of the same project
targets some of the same devices (Upswift keeps one pending update per device, so the newer
deploy would abort the older one's), unless a release manager confirms it with a reason, which
is kept as an event.

Devices are compared through the fleet inventory (`selectors/fleet.py`); a project whose
inventory was never read has nothing to compare, so no overlap is found there (the names check
warns that the project was not read).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from django.db import connection

from rollouts.models import EventKind, Plan, Rollout, RolloutStatus, StageStatus
from rollouts.selectors.fleet import inventory_devices, stage_target_uuids
from rollouts.services.errors import ActionRefused
from rollouts.services.events import event_record

# Rollouts whose deploys may still reach devices.
OVERLAP_STATUSES = (RolloutStatus.SCHEDULED, RolloutStatus.RUNNING, RolloutStatus.PAUSED)
CONFIRM_PERMS = ("rollouts.operate_rollout", "rollouts.approve_rollout")  # a release manager


@dataclass(frozen=True)
class Overlap:
    rollout_id: int
    label: str
    devices: int

    def sentence(self) -> str:
        return (
            f"rollout {self.rollout_id} ({self.label}) targets {self.devices} of the same devices"
        )


def _label(rollout: Rollout) -> str:
    return f"{rollout.plan.name} {rollout.app_version}, {rollout.status}"


def rollout_overlaps(*, plan: Plan, exclude_id: int | None = None) -> list[Overlap]:
    """Active rollouts of the plan's project whose devices meet the plan's."""
    others = (
        Rollout.objects.filter(project=plan.project, status__in=OVERLAP_STATUSES)
        .exclude(pk=exclude_id)
        .select_related("plan")
        .prefetch_related("stages")
        .order_by("id")
    )
    others = list(others)
    if not others:
        return []
    devices = inventory_devices(plan.project)
    if not devices:
        return []
    ours = set().union(
        *stage_target_uuids(plan.project, list(plan.stages.order_by("position")), devices=devices)
    )
    found = []
    for other in others:
        stages = [s for s in other.stages.all() if s.status != StageStatus.SKIPPED]
        theirs = set().union(*stage_target_uuids(other.project, stages, devices=devices))
        shared = len(ours & theirs)
        if shared:
            found.append(Overlap(other.pk, _label(other), shared))
    return found


START_LOCK_SPACE = 0x5057  # the first key of this app's PostgreSQL advisory locks


def project_start_lock(project: str) -> None:
    """Take, until the transaction ends, the right to start rollouts in `project`: two starts
    that each looked for overlaps before the other started would otherwise both go ahead.
    PostgreSQL: a transaction-level advisory lock on the project's name. SQLite: every write
    transaction is IMMEDIATE (settings), so it is alone already."""
    if not connection.in_atomic_block:
        raise RuntimeError("project_start_lock is held until a transaction ends: take it in one.")
    if connection.vendor == "postgresql":
        key = zlib.crc32(project.encode()) - 2**31  # a signed 32-bit int
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [START_LOCK_SPACE, key])


def overlap_guard(
    *, plan: Plan, actor, reason: str = "", exclude_id: int | None = None
) -> list[Overlap]:
    """Refuse (409) a start that overlaps an active rollout, naming it; with a reason from a
    release manager, let it through and return the overlaps to record (`overlap_record`)."""
    overlaps = rollout_overlaps(plan=plan, exclude_id=exclude_id)
    if not overlaps:
        return []
    what = "; ".join(o.sentence() for o in overlaps)
    if not reason.strip():
        raise ActionRefused(
            f"Not started: {what} in project {plan.project}. A newer deploy would abort their "
            "pending updates. A release manager can start it anyway with a reason.",
            code="conflict",
            field="overlap_reason",
        )
    if not actor.has_perms(CONFIRM_PERMS):
        raise ActionRefused(
            f"Only a release manager can start a rollout that overlaps another ({what}).",
            code="permission_denied",
            field="overlap_reason",
        )
    return overlaps


def overlap_record(*, rollout: Rollout, overlaps: list[Overlap], actor, reason: str) -> None:
    if overlaps:
        event_record(
            rollout=rollout,
            kind=EventKind.OVERLAP_CONFIRMED,
            actor=actor,
            reason=reason.strip(),
            details={
                "overlaps": [
                    {"rollout": o.rollout_id, "label": o.label, "devices": o.devices}
                    for o in overlaps
                ]
            },
        )
