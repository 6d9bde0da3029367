"""The device fleet: devices, their updates, projects, lookup indexes and seeded generation.

Every mutation that touches an index (group, tags, apps, online state) goes through a ``Fleet``
method so the indexes used by filter evaluation never drift from the devices themselves.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from .simclock import format_time

PENDING = "pending"
IN_PROGRESS = "in_progress"
SUCCESS = "success"
FAILED = "failed"
ABORTED = "aborted"
UPDATE_STATUSES = (PENDING, IN_PROGRESS, SUCCESS, FAILED, ABORTED)
ACTIVE_STATUSES = frozenset({PENDING, IN_PROGRESS})

KEEPALIVE_INTERVAL = 60.0  # seconds between keep-alives of an online device
SEED_DEVICE_UUID = "d-4ec7-1be9"  # the device in Upswift's own deploy_update example


class Update:
    """One deploy of an update flow to one device (an entry of the device's ``updates``)."""

    __slots__ = ("update_id", "status", "version", "comment", "scheduled", "app_name")

    def __init__(
        self, update_id: int, version: str, comment: str, scheduled: str, app_name: str | None
    ) -> None:
        self.update_id = update_id
        self.status = PENDING
        self.version = version
        self.comment = comment
        self.scheduled = scheduled
        self.app_name = app_name

    def to_dict(self) -> dict[str, Any]:
        return {
            "update_id": self.update_id,
            "update_status": self.status,
            "update_version": self.version,
            "comment": self.comment,
            "deployment_schedule_time": self.scheduled,
        }


class Device:
    __slots__ = (
        "index",
        "device_id",
        "uuid",
        "name",
        "project",
        "group",
        "ip",
        "upswift_version",
        "cpu",
        "ram",
        "disk",
        "trigger",
        "description",
        "registered",
        "tags",
        "apps",
        "updates",
        "online",
        "keepalive_phase",
        "offline_since",
        "flips",
    )

    def __init__(self, index: int) -> None:
        self.index = index
        self.trigger = False
        self.description = ""
        self.tags: list[str] = []
        self.apps: dict[str, str] = {}
        self.updates: list[Update] = []
        self.online = True
        self.offline_since: float | None = None
        self.flips = 0

    @property
    def last_status(self) -> str | None:
        return self.updates[-1].status if self.updates else None

    def last_keepalive(self, now: float) -> float:
        """Online devices report every minute (at their own phase); offline ones stopped."""
        if not self.online and self.offline_since is not None:
            return min(self.offline_since, now)
        ticks = (now - self.keepalive_phase) // KEEPALIVE_INTERVAL
        return ticks * KEEPALIVE_INTERVAL + self.keepalive_phase

    def to_dict(self, now: float) -> dict[str, Any]:
        """The device exactly as ``GET /v1/devices_details`` shows it."""
        return {
            "device_id": self.device_id,
            "device_uuid": self.uuid,
            "device_name": self.name,
            "upswift_version": self.upswift_version,
            "project": self.project,
            "group": self.group,
            "device_ip": self.ip,
            "last_keepalive": format_time(self.last_keepalive(now)),
            "cpu_usage": self.cpu,
            "ram_usage": self.ram,
            "disk_usage": self.disk,
            "is_update_trigger_set": self.trigger,
            "description": self.description,
            "registered_date": format_time(self.registered),
            "tags": list(self.tags),
            "updates": [update.to_dict() for update in self.updates],
        }

    def to_internal_dict(self, now: float) -> dict[str, Any]:
        """Everything, including state the API does not show (for ``/_sim/device``)."""
        data = self.to_dict(now)
        data["device_status"] = "online" if self.online else "offline"
        data["apps"] = [{"app_name": n, "version": v} for n, v in sorted(self.apps.items())]
        return data


@dataclass
class Project:
    name: str
    groups: tuple[str, ...]
    members: list[int] = field(default_factory=list)  # device indexes, ascending
    group_members: dict[str, list[int]] = field(default_factory=dict)  # ascending lists


class Fleet:
    def __init__(self, devices: list[Device], projects: dict[str, Project]) -> None:
        self.devices = devices
        self.projects = projects
        self.by_uuid: dict[str, int] = {}
        self.by_name: dict[str, list[int]] = {}
        self.tag_index: dict[str, set[int]] = {}
        self.app_index: dict[str, set[int]] = {}
        self.online: set[int] = set()
        self.malformed: set[int] = set()  # see malformed.py: never selected by a filter
        for device in devices:
            i = device.index
            self.by_uuid[device.uuid] = i
            self.by_name.setdefault(device.name, []).append(i)
            project = projects[device.project]
            project.members.append(i)
            project.group_members[device.group].append(i)
            for tag in device.tags:
                self.tag_index.setdefault(tag, set()).add(i)
            for app in device.apps:
                self.app_index.setdefault(app, set()).add(i)
            if device.online:
                self.online.add(i)

    def add_device(self, device: Device) -> None:
        """Append a device built after generation (``device.index`` = ``len(devices)``)."""
        i = device.index
        assert i == len(self.devices) and device.uuid not in self.by_uuid
        self.devices.append(device)
        self.by_uuid[device.uuid] = i
        self.by_name.setdefault(device.name, []).append(i)
        project = self.projects[device.project]
        bisect.insort(project.members, i)
        bisect.insort(project.group_members[device.group], i)
        for tag in device.tags:
            self.tag_index.setdefault(tag, set()).add(i)
        for app in device.apps:
            self.app_index.setdefault(app, set()).add(i)
        if device.online:
            self.online.add(i)

    def delete_group(self, project_name: str, group: str, move_to: str) -> int:
        """Remove ``group`` from the project; its devices join ``move_to``. Returns how many
        moved. The caller checks that both groups exist and differ."""
        project = self.projects[project_name]
        moving = project.group_members.pop(group)
        for index in moving:
            self.devices[index].group = move_to
        project.group_members[move_to] = sorted(project.group_members[move_to] + moving)
        project.groups = tuple(g for g in project.groups if g != group)
        return len(moving)

    def find(self, uuid: str) -> Device | None:
        index = self.by_uuid.get(uuid)
        return None if index is None else self.devices[index]

    def set_online(self, index: int, online: bool, now: float) -> bool:
        """Returns whether the state changed."""
        device = self.devices[index]
        if device.online == online:
            return False
        device.online = online
        if online:
            self.online.add(index)
            device.offline_since = None
        else:
            self.online.discard(index)
            device.offline_since = now
        return True

    def set_group(self, index: int, group: str) -> None:
        device = self.devices[index]
        members = self.projects[device.project].group_members
        old = members[device.group]
        del old[bisect.bisect_left(old, index)]
        bisect.insort(members[group], index)
        device.group = group

    def set_name(self, index: int, name: str) -> None:
        device = self.devices[index]
        self.by_name[device.name].remove(index)
        if not self.by_name[device.name]:
            del self.by_name[device.name]
        self.by_name.setdefault(name, []).append(index)
        device.name = name

    def add_tag(self, index: int, tag: str) -> None:
        device = self.devices[index]
        if tag not in device.tags:
            device.tags.append(tag)
            self.tag_index.setdefault(tag, set()).add(index)

    def remove_tag(self, index: int, tag: str) -> bool:
        device = self.devices[index]
        if tag not in device.tags:
            return False
        device.tags.remove(tag)
        self.tag_index[tag].discard(index)
        return True

    def set_app(self, index: int, app: str, version: str) -> None:
        self.devices[index].apps[app] = version
        self.app_index.setdefault(app, set()).add(index)

    def remove_app(self, index: int, app: str) -> bool:
        if self.devices[index].apps.pop(app, None) is None:
            return False
        self.app_index[app].discard(index)
        return True


# (name, share of the fleet, device name prefix, {group: weight}); weight 0 = empty group.
PROJECT_SPECS: tuple[tuple[str, float, str, dict[str, int]], ...] = (
    (
        "Demo",
        0.70,
        "demo-dev",
        {
            "Production": 40,
            "TestGroup1": 8,
            "TestGroup2": 8,
            "Lab": 4,
            "EU-West": 20,
            "US-East": 20,
            "Staging": 0,
        },
    ),
    ("Greenhouse", 0.15, "gh-sensor", {"Production": 60, "Lab": 10, "EU-West": 30}),
    ("Kiosks", 0.10, "kiosk", {"Production": 50, "US-East": 40, "TestGroup1": 10}),
    ("Test", 0.05, "test-rig", {"TestGroup1": 50, "TestGroup2": 30, "Lab": 20}),
)
VERSIONS = ("5.1", "5.0", "4.9")
VERSION_CUM = (80.0, 95.0, 100.0)
CANARY_SHARE = 0.03
DAY = 86400.0


def _pick(rng: random.Random, items: Sequence[str], cumulative: Sequence[float]) -> str:
    """Weighted choice with precomputed cumulative weights (``random.choices`` redoes them)."""
    return items[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


def _new_uuid(rng: random.Random, taken: set[str]) -> str:
    while True:
        uuid = f"d-{rng.getrandbits(16):04x}-{rng.getrandbits(16):04x}"
        if uuid not in taken:
            taken.add(uuid)
            return uuid


def generate_fleet(seed: int, count: int, offline_share: float, start: float) -> Fleet:
    """The same (seed, count, offline_share, start) always gives the same fleet.

    Device 0 is Upswift's example device ``d-4ec7-1be9``: project Demo, group TestGroup1,
    online, running ``default_app`` v1.0.
    """
    rng = random.Random(seed)
    projects = {
        name: Project(name, tuple(groups), group_members={g: [] for g in groups})
        for name, _, _, groups in PROJECT_SPECS
    }
    project_names = [spec[0] for spec in PROJECT_SPECS]
    project_cum = list(accumulate(spec[1] for spec in PROJECT_SPECS))
    prefixes = {spec[0]: spec[2] for spec in PROJECT_SPECS}
    group_choices = {}
    for name, _, _, weights in PROJECT_SPECS:
        populated = {group: weight for group, weight in weights.items() if weight}
        group_choices[name] = (list(populated), list(accumulate(populated.values())))
    taken = {SEED_DEVICE_UUID}
    device_ids = rng.sample(range(100_000, 10_000_000), count)
    name_counters = dict.fromkeys(project_names, 0)
    devices: list[Device] = []
    for i in range(count):
        device = Device(i)
        if i == 0:
            device.uuid, device.project, device.group = SEED_DEVICE_UUID, "Demo", "TestGroup1"
        else:
            device.uuid = _new_uuid(rng, taken)
            device.project = _pick(rng, project_names, project_cum)
            groups, cum = group_choices[device.project]
            device.group = _pick(rng, groups, cum)
        device.device_id = device_ids[i]
        name_counters[device.project] += 1
        device.name = f"{prefixes[device.project]}-{name_counters[device.project]:05d}"
        device.ip = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
        device.upswift_version = _pick(rng, VERSIONS, VERSION_CUM)
        device.cpu = rng.randint(1, 95)
        device.ram = rng.randint(5, 90)
        device.disk = round(rng.uniform(100.0, 15000.0), 1)
        device.registered = start - rng.uniform(30 * DAY, 730 * DAY)
        device.keepalive_phase = rng.uniform(0.0, KEEPALIVE_INTERVAL)
        offline = rng.random() < offline_share and i != 0
        if offline:
            device.online = False
            device.offline_since = start - rng.uniform(600.0, 14 * DAY)
        if rng.random() < 0.10:
            device.tags.append("beta")
        rack = rng.random()
        if rack < 0.2:
            device.tags.append("rack-a")
        elif rack < 0.4:
            device.tags.append("rack-b")
        if rng.random() < 0.05:
            device.description = "Field unit"
        device.apps["default_app"] = "v1.0" if i == 0 or rng.random() < 0.9 else "v0.9"
        if rng.random() < 0.5:
            device.apps["telemetry-agent"] = "2.3.1"
        if device.project == "Greenhouse":
            device.apps["sensor-reader"] = "1.4.0"
        devices.append(device)
    _assign_canaries(rng, devices, project_names)
    return Fleet(devices, projects)


def _assign_canaries(rng: random.Random, devices: list[Device], project_names: list[str]) -> None:
    """Tag ~3% (at least one) of each project's devices ``canary``."""
    for project in project_names:
        members = [d for d in devices if d.project == project]
        if not members:
            continue
        share = max(1, round(len(members) * CANARY_SHARE))
        for device in rng.sample(members, share):
            device.tags.insert(0, "canary")
