"""What the fleet inventory says: device counts of a plan's or a rollout's stages, the names a
project has (for the pickers and the names check), and how fresh the inventory is.

The counts use the engine's own cohort rules (`engine/cohorts.py`: `cohort_filter` with every
earlier stage excluded, then `device_matches` on each device), so a preview counts exactly the
devices the engine would target if the stage started now. A stage already started counts its
fixed cohort.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.utils import timezone

from rollouts.engine.cohorts import EmptyCohort, cohort_filter, device_matches
from rollouts.models import FleetDevice, FleetRead

STAGE_DEFAULTS = {
    "target": "all",
    "tag": "",
    "groups": [],
    "app_filter": "",
    "device_filter": "",
    "online_only": False,
    "name": "",
}


@dataclass
class StageCount:
    """The devices one stage would target now."""

    position: int
    label: str
    devices: int = 0
    online: int = 0
    offline: int = 0
    # An app filter cannot be checked against the inventory (v1 reads do not list apps): the
    # count is then "at most".
    app_unchecked: bool = False
    empty_reason: str = ""

    def as_dict(self) -> dict:
        return {
            "position": self.position,
            "target": self.label,
            "devices": self.devices,
            "online": self.online,
            "offline": self.offline,
            "at_most": self.app_unchecked,
            "empty_reason": self.empty_reason,
        }


@dataclass
class TargetCounts:
    project: str
    read_at: Any  # when the inventory was last read whole (None: never)
    stages: list[StageCount] = field(default_factory=list)

    @property
    def known(self) -> bool:
        return self.read_at is not None

    @property
    def total(self) -> int:
        return sum(s.devices for s in self.stages)

    @property
    def total_online(self) -> int:
        return sum(s.online for s in self.stages)

    @property
    def total_offline(self) -> int:
        return sum(s.offline for s in self.stages)

    @property
    def by_position(self) -> dict[int, StageCount]:
        return {s.position: s for s in self.stages}

    def as_dict(self) -> dict:
        return {
            "project": self.project,
            "fleet_read_at": self.read_at.isoformat() if self.read_at else None,
            "stages": [s.as_dict() for s in self.stages],
            "total": self.total,
            "total_online": self.total_online,
            "total_offline": self.total_offline,
        }


def _stage_like(stage: Any) -> Any:
    """A model stage as is; a dict (form or API input) with the missing fields defaulted."""
    if isinstance(stage, dict):
        return SimpleNamespace(**{**STAGE_DEFAULTS, **stage, "cohort": {}})
    return stage


def _label(stage: Any) -> str:
    if stage.target == "tag":
        return f"tag {stage.tag}"
    if stage.target == "groups":
        return "groups " + ", ".join(stage.groups)
    return "all devices"


def _tags(text: str) -> list[str]:
    """The tags of a stored `tags_text` (`|a|b|`)."""
    return [t for t in text.split("|") if t]


def inventory_devices(project: str) -> list[dict]:
    """The project's devices in the shape `device_matches` reads, plus their online state."""
    rows = FleetDevice.objects.filter(project=project).values_list(
        "device_uuid", "group", "tags_text", "online"
    )
    return [
        {
            "project": project,
            "device_uuid": uuid,
            "group": group,
            "tags": _tags(tags),
            "online": online,
        }
        for uuid, group, tags, online in rows.iterator(chunk_size=10_000)
    ]


def fleet_read_at(project: str):
    return (
        FleetRead.objects.filter(project=project, error="")
        .values_list("completed_at", flat=True)
        .first()
    )


def _cohorts(project: str, stages: list[Any], groups: set[str]) -> list:
    """Each stage's cohort filter as the engine would build it now (an EmptyCohort instead
    when every device it could target belongs to an earlier stage)."""
    cohorts = []
    for index, stage in enumerate(stages):
        try:
            if getattr(stage, "cohort", None):
                cohorts.append(stage.cohort_filter())
            else:
                cohorts.append(
                    cohort_filter(
                        project=project, stage=stage, earlier=stages[:index], project_groups=groups
                    )
                )
        except EmptyCohort as exc:
            cohorts.append(exc)
    return cohorts


def _targets(project: str, stages: list[Any], devices: list[dict]) -> list[tuple]:
    """Per stage: (stage, its cohort or EmptyCohort, the uuids of the devices it would target
    now), each cohort built once."""
    stages = [_stage_like(s) for s in stages]
    groups = {d["group"] for d in devices if d["group"]}
    found = []
    for stage, cohort in zip(stages, _cohorts(project, stages, groups), strict=True):
        uuids: set[str] = set()
        if not isinstance(cohort, EmptyCohort):
            uuids = {
                d["device_uuid"]
                for d in devices
                if device_matches(cohort, d) is not False and (d["online"] or not stage.online_only)
            }
        found.append((stage, cohort, uuids))
    return found


def stage_target_uuids(project: str, stages: list[Any], *, devices=None) -> list[set[str]]:
    """Per stage, the uuids of the devices it would target now (see `stage_target_counts`)."""
    devices = inventory_devices(project) if devices is None else devices
    return [uuids for _, _, uuids in _targets(project, stages, devices)]


def stage_target_counts(project: str, stages: list[Any], *, devices=None) -> TargetCounts:
    """Per stage (in order), the devices it would target now with the online/offline split,
    excluding every earlier stage's devices exactly as the engine does. `stages` are plan
    stages, rollout stages or dicts of their fields; a rollout stage that has started counts
    its fixed cohort; an online-only stage counts its online devices. Stable: the approve
    dialog calls it."""
    devices = inventory_devices(project) if devices is None else devices
    online = {d["device_uuid"] for d in devices if d["online"]}
    counts = TargetCounts(project=project, read_at=fleet_read_at(project))
    for index, (stage, cohort, uuids) in enumerate(_targets(project, stages, devices)):
        count = StageCount(position=index + 1, label=_label(stage))
        counts.stages.append(count)
        if isinstance(cohort, EmptyCohort):
            count.empty_reason = str(cohort)
            continue
        count.app_unchecked = any(f.type == "app" for f in cohort.filters)
        count.devices = len(uuids)
        count.online = len(uuids & online)
        count.offline = count.devices - count.online
    return counts


def plan_target_counts(plan) -> TargetCounts:
    """The preview's counts for a plan's stages."""
    return stage_target_counts(plan.project, list(plan.stages.order_by("position")))


def project_names() -> list[str]:
    """Projects the inventory has read (and found), for the project picker."""
    return list(
        FleetRead.objects.filter(error="", completed_at__isnull=False)
        .order_by("project")
        .values_list("project", flat=True)
    )


def project_groups(project: str) -> list[str]:
    return list(
        FleetDevice.objects.filter(project=project)
        .exclude(group="")
        .order_by("group")
        .values_list("group", flat=True)
        .distinct()
    )


def project_tags(project: str) -> list[str]:
    tags: set[str] = set()
    for text in (
        FleetDevice.objects.filter(project=project)
        .exclude(tags_text="")
        .values_list("tags_text", flat=True)
    ).distinct():
        tags.update(_tags(text))
    return sorted(tags)


def fleet_freshness(project: str | None = None) -> dict:
    """ "fleet read 3 min ago": the oldest whole read of the project (or of every project), and
    whether a read is under way."""
    reads = FleetRead.objects.all()
    if project:
        reads = reads.filter(project=project)
    rows = list(reads.values("project", "completed_at", "cursor", "error", "devices"))
    done = [r["completed_at"] for r in rows if r["completed_at"]]
    oldest = min(done) if done else None
    return {
        "read_at": oldest,
        "age_seconds": (timezone.now() - oldest).total_seconds() if oldest else None,
        "reading": any(r["cursor"] for r in rows),
        "projects": rows,
    }


def rows_with_fleet_state(project: str, rows) -> None:
    """Give each device row of a page (DeviceProgress) its inventory row as `fleet` (None when
    the inventory does not hold it): online state and last keep-alive, one query per page."""
    rows = list(rows)
    found = {
        d.device_uuid: d
        for d in FleetDevice.objects.filter(
            project=project, device_uuid__in=[r.device_uuid for r in rows]
        ).only("device_uuid", "online", "last_keepalive")
    }
    for row in rows:
        row.fleet = found.get(row.device_uuid)


def fleet_pickers() -> dict[str, list[str]]:
    """Every project, group and tag the inventory holds, for the editors' pickers (datalists):
    three queries whatever the fleet's size."""
    tags: set[str] = set()
    for text in (
        FleetDevice.objects.exclude(tags_text="").order_by().values_list("tags_text", flat=True)
    ).distinct():
        tags.update(_tags(text))
    groups = (
        FleetDevice.objects.exclude(group="")
        .order_by("group")
        .values_list("group", flat=True)
        .distinct()
    )
    return {"projects": project_names(), "groups": list(groups), "tags": sorted(tags)}
