"""Control endpoints under ``/_sim`` (not Upswift's API; no token, never rate-limited).

- ``GET  /_sim/health`` -> ``{"status": "ok", "devices", "seed", "sim_time", "speedup", ...,
  "deploys_not_visible", "malformed_devices"}`` (deploys accepted but not yet shown on their
  devices; ``devices`` includes the malformed ones).
- ``POST /_sim/reset`` -> the seeded fleet at the start time again (malformed devices and
  group deletions gone); calls, faults, failure-rate overrides, the rate-limit setting and
  the accepted tokens back to the command line's.
- ``POST /_sim/advance {"minutes": N}`` (or ``"seconds"``) -> ``{"sim_time", "sim_timestamp"}``:
  move simulated time forward at once and apply everything that became due.
- ``POST /_sim/faults {"kind", "count": 1, "delay": s, "apply": false, "visible_after": s}``;
  ``GET`` lists the queued faults, ``DELETE`` clears them (see ``faults.py`` for the kinds;
  ``visible_after`` needs ``apply: true`` or ``slow``: the deploy shows on devices late).
- ``POST /_sim/devices/state {"state": "online"|"offline", <selectors>}`` with selectors
  combined by AND: ``"device_uuids": [...]``, ``"project"``, ``"group"``, ``"tag"``, or
  ``"all": true`` (needed when no other selector is given) -> ``{"matched", "changed"}``.
- ``GET  /_sim/device?uuid=d-...`` -> the device as devices_details shows it plus
  ``device_status`` and ``apps`` (which the v1 read calls do not show).
- ``POST /_sim/failure_rates {"default": 0.02, "tags": {"canary": 0.5}, "groups": {...}}``:
  keys given replace the current setting; ``GET`` shows it. Applied when an update finishes.
- ``POST /_sim/rate_limit {"per_minute": N}`` (0 = off) for the running simulator.
- ``GET  /_sim/calls?since=I`` -> ``{"calls": [...], "next": J}``: API calls with index >= I;
  each has ``index, method, path, body`` (user_token "***"), ``status`` (null for a timeout),
  ``fault``, ``time`` (real, ISO), ``sim_time``, ``duration_ms``; a deploy shown on the
  devices late also has ``visible_at`` (real, ISO).
- ``GET  /_sim/truth?project=Demo&group=A&group=B&tag=canary&comment=rollout 4&version=v1.1``
  (all optional; ``devices=1`` adds uuids) -> ground truth for the devices in scope (project AND
  any listed group AND tag): ``{"devices", "online", "offline", "counts": {"pending",
  "in_progress", "success", "failed", "aborted", "none"}, "pending_offline",
  "pending_trigger"}``. Each device is counted once, by the status of its LAST update whose
  comment contains ``comment`` (and whose version equals ``version``); ``none`` = no such update.
  Truth is what the devices show: a deploy not yet visible (``visible_after``) is not in it.
  Malformed devices (below) are not in ``devices``/``online``/``offline``/``counts``/
  ``device_uuids``; ``"malformed"`` counts those in scope.
- ``POST /_sim/devices/malformed {"project": "Demo", "kind": "long_uuid"|"nul_name"|
  "bad_updates", "count": 1, "group": <first group>}`` -> ``{"added", "uuids", "project"}``:
  ``count`` (1-1000) devices whose read shape is broken: a 100-character ``device_uuid``, a
  ``device_name`` containing NUL, or ``updates`` = the string ``"unavailable"``. Read calls
  page through them (after the seeded devices); no device filter ever selects them (deploys
  and the DELETE calls skip them); ``/_sim/truth`` counts them apart (see ``malformed.py``).
- ``POST /_sim/groups/delete {"project": "Demo", "group": "A", "move_to": "B"}`` ->
  ``{"deleted", "move_to", "moved", "project"}``: group A no longer exists in the project
  (filters and ``group_name`` naming it get the usual 400 "Group 'A' does not exist in
  project 'Demo'"); its devices join B (must exist and differ from A).
- ``POST /_sim/token {"token": "new-token"}`` -> ``{"accepted_tokens": 1}``: from now on the
  API accepts only this user token; any other (the old ones included) is answered like any
  wrong token: ``400 {"error_message": "user_token is invalid"}``. A reset restores the
  command line's tokens.

Every ``/_sim`` endpoint answers bad input with ``400 {"error_message": ...}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import admin
from .faults import parse_fault
from .fleet import PENDING, UPDATE_STATUSES, Device
from .replies import ApiError, Reply
from .simclock import format_time
from .state import Simulator

Query = dict[str, list[str]]
ControlHandler = Callable[[Simulator, Any, Query], Reply]


def _object(body: Any) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiError("Body must be a JSON object")
    return body


def _one(query: Query, key: str) -> str | None:
    values = query.get(key)
    return values[-1] if values else None


def health(sim: Simulator, body: Any, query: Query) -> Reply:
    with sim.lock:
        now = sim.lifecycle.catch_up()
        payload = {
            "status": "ok",
            "devices": len(sim.fleet.devices),
            "seed": sim.options.seed,
            "speedup": sim.options.speedup,
            "sim_time": format_time(now),
            "sim_timestamp": now,
            "queued_events": sim.lifecycle.pending_event_count(),
            "calls": len(sim.calls),
            "deploys_not_visible": sim.lifecycle.deferred_count(),
            "malformed_devices": len(sim.fleet.malformed),
        }
    return Reply(200, payload)


def reset(sim: Simulator, body: Any, query: Query) -> Reply:
    sim.reset()
    return health(sim, None, query)


def advance(sim: Simulator, body: Any, query: Query) -> Reply:
    data = _object(body)
    parts = [data.get("seconds", 0), data.get("minutes", 0)]
    valid = all(isinstance(p, int | float) and not isinstance(p, bool) and p >= 0 for p in parts)
    if not data or not valid:
        raise ApiError('Send {"minutes": N} or {"seconds": N} with N >= 0')
    seconds = parts[0] + 60 * parts[1]
    with sim.lock:
        sim.clock.advance(float(seconds))
        now = sim.lifecycle.catch_up()
    return Reply(200, {"sim_time": format_time(now), "sim_timestamp": now})


def add_fault(sim: Simulator, body: Any, query: Query) -> Reply:
    sim.faults.add(parse_fault(body))
    return Reply(200, {"faults": sim.faults.pending()})


def list_faults(sim: Simulator, body: Any, query: Query) -> Reply:
    return Reply(200, {"faults": sim.faults.pending()})


def clear_faults(sim: Simulator, body: Any, query: Query) -> Reply:
    sim.faults.clear()
    return Reply(200, {"faults": []})


def _select(sim: Simulator, data: dict[str, Any]) -> list[int]:
    """Indexes chosen by the selectors of ``/_sim/devices/state`` (AND-combined)."""
    fleet = sim.fleet
    uuids = data.get("device_uuids")
    project, group, tag = data.get("project"), data.get("group"), data.get("tag")
    no_selector = uuids is None and project is None and group is None and tag is None
    if no_selector and data.get("all") is not True:
        raise ApiError('Give device_uuids, project, group or tag (or "all": true)')
    if uuids is not None:
        if not isinstance(uuids, list) or not all(isinstance(u, str) for u in uuids):
            raise ApiError("device_uuids must be a list of strings")
        unknown = [u for u in uuids if u not in fleet.by_uuid]
        if unknown:
            raise ApiError(f"Unknown devices: {', '.join(unknown)}")
        chosen: list[Device] = [fleet.devices[fleet.by_uuid[u]] for u in uuids]
    else:
        chosen = fleet.devices
    if project is not None and project not in fleet.projects:
        raise ApiError(f"Project '{project}' does not exist")
    return [
        d.index
        for d in chosen
        if (project is None or d.project == project)
        and (group is None or d.group == group)
        and (tag is None or tag in d.tags)
    ]


def set_device_state(sim: Simulator, body: Any, query: Query) -> Reply:
    data = _object(body)
    state = data.get("state")
    if state not in ("online", "offline"):
        raise ApiError('state must be "online" or "offline"')
    with sim.lock:
        now = sim.lifecycle.catch_up()
        indexes = _select(sim, data)
        changed = sum(sim.lifecycle.set_online(i, state == "online", now) for i in indexes)
    return Reply(200, {"matched": len(indexes), "changed": changed})


def device(sim: Simulator, body: Any, query: Query) -> Reply:
    uuid = _one(query, "uuid")
    with sim.lock:
        now = sim.lifecycle.catch_up()
        found = sim.fleet.find(uuid or "")
        if found is None:
            raise ApiError(f"Device '{uuid}' not found", status=404)
        return Reply(200, found.to_internal_dict(now))


def _rate(value: Any, what: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
        raise ApiError(f"{what} must be a number between 0 and 1")
    return float(value)


def set_failure_rates(sim: Simulator, body: Any, query: Query) -> Reply:
    data = _object(body)
    parsed: dict[str, Any] = {}
    if "default" in data:
        parsed["default"] = _rate(data["default"], "default")
    for key in ("tags", "groups"):
        if key in data:
            if not isinstance(data[key], dict):
                raise ApiError(f"{key} must be an object of name -> rate")
            parsed[key] = {str(k): _rate(v, f"{key}.{k}") for k, v in data[key].items()}
    with sim.lock:
        sim.lifecycle.catch_up()
        rates = sim.lifecycle.rates
        rates.default = parsed.get("default", rates.default)
        rates.tags = parsed.get("tags", rates.tags)
        rates.groups = parsed.get("groups", rates.groups)
        return Reply(200, rates.to_dict())


def get_failure_rates(sim: Simulator, body: Any, query: Query) -> Reply:
    with sim.lock:
        return Reply(200, sim.lifecycle.rates.to_dict())


def set_rate_limit(sim: Simulator, body: Any, query: Query) -> Reply:
    per_minute = _object(body).get("per_minute")
    if not isinstance(per_minute, int) or isinstance(per_minute, bool) or per_minute < 0:
        raise ApiError("per_minute must be an integer >= 0 (0 = no limit)")
    sim.rate_limiter.configure(per_minute)
    return Reply(200, {"per_minute": per_minute})


def calls(sim: Simulator, body: Any, query: Query) -> Reply:
    since_text = _one(query, "since") or "0"
    if not since_text.isdigit():
        raise ApiError("since must be a non-negative integer")
    entries = sim.calls.since(int(since_text))
    next_index = entries[-1]["index"] + 1 if entries else max(int(since_text), len(sim.calls))
    return Reply(200, {"calls": entries, "next": next_index})


def truth(sim: Simulator, body: Any, query: Query) -> Reply:
    project, tag = _one(query, "project"), _one(query, "tag")
    groups = set(query.get("group", []))
    comment, version = _one(query, "comment"), _one(query, "version")
    with_devices = _one(query, "devices") in ("1", "true", "yes")
    counts = dict.fromkeys((*UPDATE_STATUSES, "none"), 0)
    uuids: dict[str, list[str]] = {status: [] for status in counts}
    online = pending_offline = pending_trigger = malformed = 0
    with sim.lock:
        sim.lifecycle.catch_up()
        fleet = sim.fleet
        if project is not None and project not in fleet.projects:
            raise ApiError(f"Project '{project}' does not exist")
        scope = fleet.projects[project].members if project else range(len(fleet.devices))
        for index in scope:
            dev = fleet.devices[index]
            if (groups and dev.group not in groups) or (tag and tag not in dev.tags):
                continue
            if index in fleet.malformed:
                malformed += 1
                continue
            status = "none"
            for update in reversed(dev.updates):
                if (comment is None or comment in update.comment) and (
                    version is None or update.version == version
                ):
                    status = update.status
                    break
            counts[status] += 1
            online += dev.online
            if status == PENDING:
                pending_offline += not dev.online
                pending_trigger += dev.trigger
            if with_devices:
                uuids[status].append(dev.uuid)
    total = sum(counts.values())
    payload: dict[str, Any] = {
        "devices": total,
        "online": online,
        "offline": total - online,
        "counts": counts,
        "pending_offline": pending_offline,
        "pending_trigger": pending_trigger,
        "malformed": malformed,
    }
    if with_devices:
        payload["device_uuids"] = uuids
    return Reply(200, payload)


ROUTES: dict[str, dict[str, ControlHandler]] = {
    "/_sim/health": {"GET": health},
    "/_sim/reset": {"POST": reset},
    "/_sim/advance": {"POST": advance},
    "/_sim/faults": {"POST": add_fault, "GET": list_faults, "DELETE": clear_faults},
    "/_sim/devices/state": {"POST": set_device_state},
    "/_sim/device": {"GET": device},
    "/_sim/failure_rates": {"POST": set_failure_rates, "GET": get_failure_rates},
    "/_sim/rate_limit": {"POST": set_rate_limit},
    "/_sim/calls": {"GET": calls},
    "/_sim/truth": {"GET": truth},
    **admin.ROUTES,
}
