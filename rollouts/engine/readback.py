"""How a stage's progress is read back with the fewest API calls, decided from the fleet
inventory: device by device (one `devices_details` call with `device_token` each), by the groups
that hold the cohort's devices (ceil(group size / page size) calls each), or the whole project
(ceil(project size / page size)), whichever costs least.

A 30-device canary in a 100,000-device project so costs 30 calls a pass instead of 1,000, and a
groups stage ceil(its devices / page size). Without a whole inventory read younger than twice
`FLEET_MAX_AGE_SECONDS` the whole project (or the stage's own groups) is read, as before. The
inventory may miss a device added since its read: the next inventory read brings it in, and the
stage's deadline still waits for every device a pass finds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from rollouts.engine.client import upswift_client
from rollouts.engine.cohorts import device_matches
from rollouts.models import FleetDevice, FleetRead, RolloutStage
from upswift.errors import Transient
from upswift.requests import ApiRequest, devices_details_request

# Above this many devices a device-by-device read is never chosen (a page of 100 costs the same).
DEVICE_READ_MAX = 500


def _fresh_read(project: str) -> bool:
    read = FleetRead.objects.filter(project=project, error="").first()
    if read is None or read.completed_at is None:
        return False
    age = (timezone.now() - read.completed_at).total_seconds()
    return age <= 2 * settings.FLEET_MAX_AGE_SECONDS


def stage_own_groups(stage: RolloutStage) -> list[str]:
    """The groups a groups stage's cohort names ([] for any other target: the whole project)."""
    return list(stage.cohort_filter().groups) if stage.target == "groups" else []


def read_costs(*, project: str, stage: RolloutStage) -> dict[str, dict[str, Any]]:
    """Each way of reading the stage's cohort back: {"devices"|"groups"|"project": {"scopes",
    "calls"}} (a way that does not apply is left out). Two queries on the inventory."""
    page = max(1, settings.UPSWIFT_PAGE_SIZE)
    cohort = stage.cohort_filter()
    own_groups = stage_own_groups(stage)
    sizes = dict(
        FleetDevice.objects.filter(project=project)
        .order_by()
        .values_list("group")
        .annotate(n=Count("id"))
    )
    costs: dict[str, dict[str, Any]] = {}
    if not own_groups:
        total = sum(sizes.values())
        costs["project"] = {"scopes": [], "calls": max(1, math.ceil(total / page))}
    rows = FleetDevice.objects.filter(project=project)
    if cohort.groups:
        rows = rows.filter(group__in=list(cohort.groups))
    members = [
        (uuid, group)
        for uuid, group, tags in rows.values_list("device_uuid", "group", "tags_text")
        if device_matches(
            cohort,
            {
                "project": project,
                "device_uuid": uuid,
                "group": group,
                "tags": [t for t in tags.split("|") if t],
            },
        )
        is not False
    ]
    groups = own_groups or sorted({g for _, g in members if g})
    if groups:
        calls = sum(max(1, math.ceil(sizes.get(g, 0) / page)) for g in groups)
        costs["groups"] = {"scopes": groups, "calls": calls}
    if len(members) <= DEVICE_READ_MAX:
        costs["devices"] = {"scopes": sorted(u for u, _ in members), "calls": len(members)}
    return costs


def read_plan(*, project: str, stage: RolloutStage) -> dict[str, Any]:
    """The cheapest way to read the stage back now: {"by", "scopes", "calls"}. Scopes are
    group names (by groups), device uuids (by devices), or [] (the whole project)."""
    groups = stage_own_groups(stage)
    if not _fresh_read(project):
        return {"by": "groups" if groups else "project", "scopes": groups, "calls": None}
    costs = read_costs(project=project, stage=stage)
    order = {"project": 0, "groups": 1, "devices": 2}  # on a tie, the broader read
    by = min(costs, key=lambda k: (costs[k]["calls"], order[k]))
    if by == "devices" and not costs[by]["scopes"]:  # no known device: look wider
        by = "groups" if groups else "project"
        return {"by": by, "scopes": groups, "calls": None}
    return {"by": by, **costs[by]}


def devices_one_by_one(
    *,
    project_name: str,
    group_name: str,
    before_send: Callable[[ApiRequest], None] | None = None,
    page_size: int = 100,
    start_offset: int = 0,
) -> Iterator[dict]:
    """`pages_of` for `progress._recorded_pass` when reading device by device: each scope's
    name (passed as `group_name`, the pass's scope key) is one device's uuid, read with one
    `devices_details` call naming it as `device_token`."""
    client = upswift_client()
    request = devices_details_request(device_token=group_name)
    if before_send:
        before_send(request)
    page = client.send(request).message
    if not isinstance(page, list):
        raise Transient("GET /devices_details: expected a list of devices in 'message'")
    for device in page:
        if isinstance(device, dict) and device.get("project") in (None, project_name):
            yield device
