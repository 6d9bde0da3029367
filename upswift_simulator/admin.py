"""Control endpoints that reshape the fleet or the accepted token (routed by ``control.py``,
documented in its docstring): malformed devices, deleting a group, replacing the token."""

from __future__ import annotations

from typing import Any

from .fleet import Project
from .malformed import KINDS, add_malformed
from .replies import ApiError, Reply
from .state import Simulator

MAX_MALFORMED = 1000  # per call
MAX_TOKEN_LENGTH = 500

Query = dict[str, list[str]]


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError("Body must be a JSON object")
    return body


def _name(data: dict[str, Any], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value:
        raise ApiError(f"{key} must be a non-empty string")
    return value


def _project(sim: Simulator, data: dict[str, Any]) -> Project:
    name = _name(data, "project", "Demo")
    project = sim.fleet.projects.get(name)
    if project is None:
        raise ApiError(f"Project '{name}' does not exist")
    return project


def _group(project: Project, name: str) -> str:
    if name not in project.group_members:
        raise ApiError(f"Group '{name}' does not exist in project '{project.name}'")
    return name


def malformed_devices(sim: Simulator, body: Any, query: Query) -> Reply:
    """``POST /_sim/devices/malformed {"project": "Demo", "kind", "count": 1, "group"}``."""
    data = _object(body)
    kind = data.get("kind")
    if kind not in KINDS:
        raise ApiError(f"kind must be one of {', '.join(KINDS)}")
    count = data.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_MALFORMED:
        raise ApiError(f"count must be an integer between 1 and {MAX_MALFORMED}")
    with sim.lock:
        now = sim.lifecycle.catch_up()
        project = _project(sim, data)
        group = _group(project, _name(data, "group", project.groups[0]))
        uuids = add_malformed(
            sim.fleet, kind=kind, count=count, project=project.name, group=group, now=now
        )
    return Reply(200, {"added": len(uuids), "uuids": uuids, "project": project.name})


def delete_group(sim: Simulator, body: Any, query: Query) -> Reply:
    """``POST /_sim/groups/delete {"project": "Demo", "group", "move_to"}``."""
    data = _object(body)
    with sim.lock:
        sim.lifecycle.catch_up()
        project = _project(sim, data)
        group = _group(project, _name(data, "group"))
        move_to = _group(project, _name(data, "move_to"))
        if move_to == group:
            raise ApiError("move_to must be another group than the one deleted")
        moved = sim.fleet.delete_group(project.name, group, move_to)
    payload = {"deleted": group, "move_to": move_to, "moved": moved, "project": project.name}
    return Reply(200, payload)


def set_token(sim: Simulator, body: Any, query: Query) -> Reply:
    """``POST /_sim/token {"token": "new-token"}``."""
    token = _object(body).get("token")
    if not isinstance(token, str) or not token or token.strip() != token:
        raise ApiError("token must be a non-empty string without surrounding whitespace")
    if len(token) > MAX_TOKEN_LENGTH:
        raise ApiError(f"token must be at most {MAX_TOKEN_LENGTH} characters")
    sim.set_token(token)
    return Reply(200, {"accepted_tokens": 1})


ROUTES = {
    "/_sim/devices/malformed": {"POST": malformed_devices},
    "/_sim/groups/delete": {"POST": delete_group},
    "/_sim/token": {"POST": set_token},
}
