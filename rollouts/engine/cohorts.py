"""Which devices a stage targets: as an Upswift filter, and as a test on a read-back device.

A stage's cohort is its target (a tag, groups, or all), narrowed by its extra filters, minus
every earlier stage's target, so no device is deployed twice by one rollout. Exclusions:
- an earlier tag stage: `tag is_not <tag>`;
- an earlier groups stage: its groups are left out of this stage's `groups` list (Upswift has no
  "group is_not" filter, so a tag or all stage after a groups stage lists the project's other
  groups by name, read back from the fleet);
- an earlier single-device stage: `specific_device is_not <device>`.
An earlier stage's app filter narrows only that stage: later stages still exclude its whole
target, so a device is never reached twice (it may be left for a person to update by hand).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from upswift import ApiRequest, DevicesFilter, Filter, deploy_update_request


class StageLike(Protocol):
    target: str
    tag: str
    groups: list
    app_filter: str
    device_filter: str
    online_only: bool


class EmptyCohort(Exception):
    """Every device this stage could target belongs to an earlier stage."""


def _excluded_groups(earlier: Iterable[StageLike]) -> set[str]:
    return {
        g
        for stage in earlier
        if stage.target == "groups" and not stage.device_filter
        for g in stage.groups
    }


def needs_project_groups(*, stage: StageLike, earlier: Sequence[StageLike]) -> bool:
    """True when the deploy filter must list the project's groups by name (see module doc)."""
    return stage.target in ("tag", "all") and bool(_excluded_groups(earlier))


def cohort_filter(
    *,
    project: str,
    stage: StageLike,
    earlier: Sequence[StageLike],
    project_groups: Iterable[str] = (),
) -> DevicesFilter:
    """The static filter of a stage's cohort (no device_state / update_status guards)."""
    excluded = _excluded_groups(earlier)
    if stage.target == "groups":
        groups = [g for g in stage.groups if g not in excluded]
        if not groups:
            raise EmptyCohort("every group of this stage belongs to an earlier stage")
    elif excluded:
        groups = sorted(set(project_groups) - excluded)
        if not groups:
            raise EmptyCohort("every group of the project belongs to an earlier stage")
    else:
        groups = []
    filters: list[Filter] = []
    if stage.target == "tag":
        filters.append(Filter("tag", "is", stage.tag))
    if stage.app_filter:
        filters.append(Filter("app", "is", stage.app_filter))
    if stage.device_filter:
        filters.append(Filter("specific_device", "is", stage.device_filter))
    for previous in earlier:
        if previous.device_filter:
            filters.append(Filter("specific_device", "is_not", previous.device_filter))
        elif previous.target == "tag" and previous.tag != stage.tag:
            filters.append(Filter("tag", "is_not", previous.tag))
    return DevicesFilter(project=project, groups=groups, filters=filters)


def deploy_filter(
    *,
    cohort: DevicesFilter,
    online_only: bool,
    update_status: str | None = None,
    busy_statuses: Sequence[str] = ("in_progress",),
) -> DevicesFilter:
    """The cohort with the deploy-time guards: never interrupt a device mid-update (a sweep
    also leaves alone a device with an update queued: `busy_statuses`)."""
    guards = [Filter("update_status", "is_not", status) for status in busy_statuses]
    if update_status:
        guards = [Filter("update_status", "is", update_status)]
    if online_only:
        guards.append(Filter("device_state", "is", "online"))
    return DevicesFilter(
        project=cohort.project, groups=list(cohort.groups), filters=[*cohort.filters, *guards]
    )


def stage_deploy_request(*, rollout: Any, stage: Any, devices_filter: DevicesFilter) -> ApiRequest:
    """The one builder of a stage's deploy call (first deploy, sweep or retry): the rollout's
    release, and a comment that starts with the stage's marker so read-backs can find it."""
    return deploy_update_request(
        flow_id=rollout.flow_id,
        devices_filter=devices_filter,
        comment=f"{rollout.marker(stage)} {rollout.comment}".strip(),
        app_name=rollout.app_name,
        app_version=rollout.app_version,
    )


def device_matches(cohort: DevicesFilter, device: dict[str, Any]) -> bool | None:
    """Whether a read-back device (devices_details) is in the cohort; None when unknowable.

    devices_details does not list a device's apps, so an app filter cannot be checked here.
    """
    if device.get("project") != cohort.project:
        return False
    if cohort.groups and device.get("group") not in cohort.groups:
        return False
    unknowable = False
    for f in cohort.filters:
        if f.type == "tag":
            hit = f.value in (device.get("tags") or [])
        elif f.type == "specific_device":
            hit = device.get("device_uuid") == f.value
        elif f.type == "app":
            unknowable = True
            continue
        else:
            continue
        if hit != (f.operand == "is"):
            return False
    return None if unknowable else True


@dataclass(frozen=True)
class DeviceUpdate:
    """The state of one stage's update on one device, from its `updates[]`."""

    status: str  # pending / in_progress / success / failed / aborted, or not_reached
    update_id: int | None = None


def stage_update_of(device: dict[str, Any], *, marker: str, version: str) -> DeviceUpdate:
    """The newest update on the device that this stage sent (matched on marker and version)."""
    ours = [
        u
        for u in device.get("updates") or []
        if str(u.get("comment", "")).startswith(marker) and u.get("update_version") == version
    ]
    if not ours:
        return DeviceUpdate("not_reached")
    newest = max(ours, key=lambda u: u.get("update_id") or 0)
    return DeviceUpdate(newest.get("update_status", "pending"), newest.get("update_id"))
