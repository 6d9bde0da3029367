"""Validation and evaluation of Upswift device filters.

The shape is the ``devices_filter`` of ``POST /v1/deploy_update`` (also ``device_filter`` of the
``DELETE`` calls)::

    {"project": {"name": "Demo"},
     "groups": [{"name": "TestGroup1"}],          # required, may be [] (= every group)
     "filters": [{"type": "tag", "operand": "is", "value": "canary"}]}   # optional

Semantics (documented or, where marked, inferred in ``docs/upswift-api.md``):
- filters combine with AND (inferred);
- ``groups`` matches a device in ANY listed group; ``[]`` means every group (inferred);
- ``update_status`` looks at the device's LAST update only; a device without updates has no
  status, so ``is X`` is false and ``is_not X`` is true for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .fleet import UPDATE_STATUSES, Fleet, Project
from .replies import ApiError

# type -> (allowed operands, allowed values or None for free text)
FILTER_TYPES: dict[str, tuple[tuple[str, ...], tuple[str, ...] | None]] = {
    "specific_device": (("is", "is_not"), None),
    "tag": (("is", "is_not"), None),
    "app": (("is", "is_not"), None),
    "device_state": (("is",), ("online", "offline")),
    "update_status": (("is", "is_not"), UPDATE_STATUSES),
}


@dataclass(frozen=True)
class Condition:
    type: str
    operand: str
    value: str


@dataclass(frozen=True)
class Selection:
    """A validated device filter."""

    project: Project
    groups: tuple[str, ...]
    conditions: tuple[Condition, ...]


def parse_device_filter(raw: Any, fleet: Fleet, field: str = "devices_filter") -> Selection:
    """Validate a filter object like the real API; raise ``ApiError`` naming the problem."""
    if not isinstance(raw, dict):
        raise ApiError(f"{field} must be an object")
    project_obj = raw.get("project")
    if project_obj is None:
        raise ApiError(f"{field}.project is missing")
    if not isinstance(project_obj, dict) or "name" not in project_obj:
        raise ApiError(f"{field}.project.name is missing")
    project_name = project_obj["name"]
    if not isinstance(project_name, str):
        raise ApiError(f"{field}.project.name must be a string")
    project = fleet.projects.get(project_name)
    if project is None:
        raise ApiError(f"Project '{project_name}' does not exist")
    if "groups" not in raw:
        raise ApiError(f"{field}.groups is missing (send [] for every group)")
    groups = _parse_groups(raw["groups"], project, field)
    raw_filters = raw.get("filters", [])
    if raw_filters is None:
        raw_filters = []
    if not isinstance(raw_filters, list):
        raise ApiError(f"{field}.filters must be a list")
    conditions = tuple(_parse_condition(item, field) for item in raw_filters)
    return Selection(project, groups, conditions)


def _parse_groups(raw: Any, project: Project, field: str) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise ApiError(f"{field}.groups must be a list")
    names: list[str] = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ApiError(f'Each entry of {field}.groups must be an object with a string "name"')
        name = item["name"]
        if name not in project.group_members:
            raise ApiError(f"Group '{name}' does not exist in project '{project.name}'")
        names.append(name)
    return tuple(names)


def _parse_condition(item: Any, field: str) -> Condition:
    if not isinstance(item, dict):
        raise ApiError(f"Each entry of {field}.filters must be an object")
    for key in ("type", "operand", "value"):
        if key not in item:
            raise ApiError(f"Filter is missing '{key}'")
    kind, operand, value = item["type"], item["operand"], item["value"]
    if not isinstance(kind, str) or kind not in FILTER_TYPES:
        raise ApiError(f"Unknown filter type '{kind}' (allowed: {', '.join(FILTER_TYPES)})")
    operands, values = FILTER_TYPES[kind]
    if not isinstance(operand, str) or operand not in operands:
        raise ApiError(
            f"Operand '{operand}' is not allowed for filter type '{kind}' "
            f"(allowed: {', '.join(operands)})"
        )
    if not isinstance(value, str):
        raise ApiError(f"Filter value must be a string (filter type '{kind}')")
    if values is not None and value not in values:
        raise ApiError(
            f"Value '{value}' is not allowed for filter type '{kind}' "
            f"(allowed: {', '.join(values)})"
        )
    return Condition(kind, operand, value)


def select_devices(selection: Selection, fleet: Fleet) -> list[int]:
    """Indexes of the matching devices, ascending. Set algebra over the fleet's indexes."""
    project = selection.project
    if selection.groups:
        candidates: set[int] = set()
        for group in dict.fromkeys(selection.groups):
            candidates.update(project.group_members[group])
    else:
        candidates = set(project.members)
    if fleet.malformed:
        candidates -= fleet.malformed  # malformed devices (malformed.py) are never selected
    for condition in selection.conditions:
        if not candidates:
            break
        matching = _matching(condition, candidates, fleet)
        if condition.operand == "is":
            candidates &= matching
        else:
            candidates -= matching
    return sorted(candidates)


def _matching(condition: Condition, candidates: set[int], fleet: Fleet) -> set[int]:
    """Devices (among the candidates, or a superset of them) for which "is value" holds."""
    kind, value = condition.type, condition.value
    if kind == "specific_device":
        index = fleet.by_uuid.get(value)
        return set() if index is None else {index}
    if kind == "tag":
        return fleet.tag_index.get(value, set())
    if kind == "app":
        return fleet.app_index.get(value, set())
    if kind == "device_state":
        return fleet.online if value == "online" else candidates - fleet.online
    devices = fleet.devices
    return {i for i in candidates if devices[i].updates and devices[i].updates[-1].status == value}
