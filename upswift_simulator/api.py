"""The Upswift v1 endpoints. Each handler runs with the simulator lock held, after the
lifecycle has caught up to ``now``, and after the user token was checked.

Paging (inferred where the reference is silent):
- ``GET /v1/devices_details``: ``offset`` is a number of devices to skip (default 0), ``limit``
  1..500 (default 100); ``more`` is true while devices remain. Out-of-range values are refused
  with a 400 rather than clamped, so a client never silently skips devices.
- ``GET /v1/get_devices_state``: ``limit`` 1..50 (default 20), ``offset`` is the last
  ``device_uuid`` of the previous page (omit or "" for the first page). The answer also carries
  ``more`` like devices_details.
- Devices are always listed in a stable order (generation order).
- ``device_token`` identifies one device; the simulator takes it to be the device's uuid
  (``d-xxxx-xxxx``), since the fleet has no separate per-device secret.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from .filters import parse_device_filter, select_devices
from .fleet import Device
from .replies import ApiError, Reply
from .state import Simulator

DETAILS_LIMIT = (100, 500)  # (default, max)
STATES_LIMIT = (20, 50)

Handler = Callable[[Simulator, dict[str, Any], float], Reply]

SUCCESS = {"message": "Success"}


def _require(body: dict[str, Any], key: str) -> Any:
    if key not in body or body[key] is None:
        raise ApiError(f"{key} is missing")
    return body[key]


def _require_str(body: dict[str, Any], key: str) -> str:
    value = _require(body, key)
    if not isinstance(value, str) or not value:
        raise ApiError(f"{key} must be a non-empty string")
    return value


def _optional_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise ApiError(f"{key} must be a string")
    return value


def _int_param(body: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = body.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ApiError(f"{key} must be an integer between {low} and {high}")
    return value


def _device(sim: Simulator, body: dict[str, Any]) -> Device:
    token = _require_str(body, "device_token")
    device = sim.fleet.find(token)
    if device is None:
        raise ApiError(f"Device '{token}' not found")
    return device


def deploy_update(
    sim: Simulator, body: dict[str, Any], now: float, *, visible_after: float = 0.0
) -> Reply:
    """``visible_after`` > 0 (real seconds): accept now, show on the devices later (see
    ``Lifecycle.defer_deploy``); the answer then carries ``X-Sim-Visible-At`` (ISO, real)."""
    flow_id = _require(body, "flow_id")
    raw_filter = _require(body, "devices_filter")
    metadata = _require(body, "metadata")
    if not isinstance(flow_id, str) or not flow_id:
        raise ApiError("flow_id must be a non-empty string")
    if not isinstance(metadata, dict):
        raise ApiError("metadata must be an object")
    selection = parse_device_filter(raw_filter, sim.fleet, "devices_filter")
    comment = metadata.get("comment", "")
    if not isinstance(comment, str):
        raise ApiError("metadata.comment must be a string")
    app = metadata.get("app")
    app_name: str | None = None
    version = ""
    if app is not None:
        if not isinstance(app, dict):
            raise ApiError("metadata.app must be an object")
        app_name = app.get("name")
        if not isinstance(app_name, str) or not app_name:
            raise ApiError("metadata.app.name must be a non-empty string")
        version = app.get("version", "")
        if not isinstance(version, str):
            raise ApiError("metadata.app.version must be a string")
    started = time.perf_counter()
    indexes = select_devices(selection, sim.fleet)
    selected = time.perf_counter()
    late: dict[str, str] = {}
    if visible_after > 0:
        sim.lifecycle.defer_deploy(
            indexes,
            now=now,
            visible_after=visible_after,
            version=version,
            comment=comment,
            app_name=app_name,
        )
        visible_at = datetime.now(tz=UTC) + timedelta(seconds=visible_after)
        late["X-Sim-Visible-At"] = visible_at.isoformat(timespec="milliseconds")
    else:
        with sim.bulk_allocation():
            sim.lifecycle.deploy(
                indexes, now=now, version=version, comment=comment, app_name=app_name
            )
    applied = time.perf_counter()
    headers = {
        "X-Sim-Matched": str(len(indexes)),
        "X-Sim-Filter-Ms": f"{(selected - started) * 1000:.3f}",
        "X-Sim-Apply-Ms": f"{(applied - selected) * 1000:.3f}",
        **late,
    }
    return Reply(200, SUCCESS, headers)


def _details_scope(sim: Simulator, body: dict[str, Any]) -> list[int]:
    fleet = sim.fleet
    if body.get("device_token") is not None:
        return [_device(sim, body).index]
    project_name = _optional_str(body, "project_name")
    project = None
    if project_name is not None:
        project = fleet.projects.get(project_name)
        if project is None:
            raise ApiError(f"Project '{project_name}' does not exist")
    if body.get("device_name") is not None:
        name = _require_str(body, "device_name")
        found = fleet.by_name.get(name, [])
        if project is not None:
            found = [i for i in found if fleet.devices[i].project == project.name]
        return sorted(found)
    if body.get("group_name") is not None:
        group = _require_str(body, "group_name")
        if project is None:
            raise ApiError("group_name requires project_name")
        if group not in project.group_members:
            raise ApiError(f"Group '{group}' does not exist in project '{project.name}'")
        return project.group_members[group]
    if project is not None:
        return project.members
    raise ApiError("One of device_token, project_name, group_name or device_name is required")


def devices_details(sim: Simulator, body: dict[str, Any], now: float) -> Reply:
    scope = _details_scope(sim, body)
    limit = _int_param(body, "limit", DETAILS_LIMIT[0], 1, DETAILS_LIMIT[1])
    offset = _int_param(body, "offset", 0, 0, 10**9)
    devices = sim.fleet.devices
    page = [devices[i].to_dict(now) for i in scope[offset : offset + limit]]
    return Reply(200, {"more": offset + limit < len(scope), "message": page})


def get_devices_state(sim: Simulator, body: dict[str, Any], now: float) -> Reply:
    fleet = sim.fleet
    project_name = _require_str(body, "project_name")
    project = fleet.projects.get(project_name)
    if project is None:
        raise ApiError(f"Project '{project_name}' does not exist")
    group = _optional_str(body, "group_name")
    if group:
        if group not in project.group_members:
            raise ApiError(f"Group '{group}' does not exist in project '{project.name}'")
        scope = project.group_members[group]
    else:
        scope = project.members
    limit = _int_param(body, "limit", STATES_LIMIT[0], 1, STATES_LIMIT[1])
    after = _optional_str(body, "offset")
    start = 0
    if after:
        last = fleet.by_uuid.get(after)
        if last is None:
            raise ApiError(f"offset device '{after}' not found")
        start = bisect.bisect_right(scope, last)
    page = [
        {
            "device_status": "online" if fleet.devices[i].online else "offline",
            "device_uuid": fleet.devices[i].uuid,
            "device_name": fleet.devices[i].name,
        }
        for i in scope[start : start + limit]
    ]
    return Reply(200, {"more": start + limit < len(scope), "message": page})


def get_device_state(sim: Simulator, body: dict[str, Any], now: float) -> Reply:
    device = _device(sim, body)
    status = "online" if device.online else "offline"
    return Reply(200, {"message": {"device_status": status, "device_id": device.uuid}})


def change_device(sim: Simulator, body: dict[str, Any], now: float) -> Reply:
    """``POST /v1/devices_details``: validate everything first, then apply all changes."""
    fleet = sim.fleet
    device = _device(sim, body)
    name = _optional_str(body, "device_name")
    group = _optional_str(body, "group")
    tag = _optional_str(body, "tag")
    description = _optional_str(body, "description")
    if name == "":
        raise ApiError("device_name must not be empty")
    if tag == "":
        raise ApiError("tag must not be empty")
    if group is not None and group not in fleet.projects[device.project].group_members:
        raise ApiError(f"Group '{group}' does not exist in project '{device.project}'")
    apps = body.get("apps")
    if apps is not None and not _valid_apps(apps):
        raise ApiError('apps must be a list of {"app_name": str, "version": str}')
    if name is not None:
        fleet.set_name(device.index, name)
    if group is not None:
        fleet.set_group(device.index, group)
    if tag is not None:
        fleet.add_tag(device.index, tag)
    if description is not None:
        device.description = description
    for app in apps or []:
        fleet.set_app(device.index, app["app_name"], app["version"])
    return Reply(200, SUCCESS)


def _valid_apps(apps: Any) -> bool:
    return isinstance(apps, list) and all(
        isinstance(a, dict)
        and isinstance(a.get("app_name"), str)
        and a["app_name"]
        and isinstance(a.get("version"), str)
        for a in apps
    )


def delete_device_tags(sim: Simulator, body: dict[str, Any], now: float) -> Reply:
    tag = _require_str(body, "tag_name")
    selection = parse_device_filter(_require(body, "device_filter"), sim.fleet, "device_filter")
    for index in select_devices(selection, sim.fleet):
        sim.fleet.remove_tag(index, tag)
    return Reply(200, SUCCESS)


def delete_device_apps(sim: Simulator, body: dict[str, Any], now: float) -> Reply:
    app = _require_str(body, "app_name")
    selection = parse_device_filter(_require(body, "device_filter"), sim.fleet, "device_filter")
    for index in select_devices(selection, sim.fleet):
        sim.fleet.remove_app(index, app)
    return Reply(200, SUCCESS)


def set_update_trigger(sim: Simulator, body: dict[str, Any], now: float) -> Reply:
    device = _device(sim, body)
    trigger = _require(body, "trigger_set")
    if not isinstance(trigger, bool):
        raise ApiError("trigger_set must be a boolean")
    sim.lifecycle.set_trigger(device.index, trigger, now)
    return Reply(200, SUCCESS)


ROUTES: dict[str, dict[str, Handler]] = {
    "/v1/deploy_update": {"POST": deploy_update},
    "/v1/devices_details": {"GET": devices_details, "POST": change_device},
    "/v1/get_devices_state": {"GET": get_devices_state},
    "/v1/get_device_state": {"GET": get_device_state},
    "/v1/device_tags": {"DELETE": delete_device_tags},
    "/v1/device_apps": {"DELETE": delete_device_apps},
    "/v1/set_update_trigger": {"POST": set_update_trigger},
}


def check_token(sim: Simulator, body: Any) -> None:
    if not isinstance(body, dict):
        raise ApiError("Request body must be a JSON object")
    token = body.get("user_token")
    if token is None or token == "":
        raise ApiError("user_token is missing")
    if not isinstance(token, str) or token not in sim.tokens:
        raise ApiError("user_token is invalid")
