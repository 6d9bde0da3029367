"""Calls as data: `ApiRequest` (built by a pure builder: no I/O, never the token), `ApiResponse`,
and `redact`, which masks the token wherever it could show. The engine records a request
before the client adds the token and sends it."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from upswift.errors import InvalidFilter, InvalidRequest
from upswift.filters import DevicesFilter

REDACTED = "***"


def redact(obj: Any, token: str | None) -> Any:
    """Deep copy of `obj` with every `user_token` value and every occurrence of `token` as "***"."""
    if isinstance(obj, str):
        return obj.replace(token, REDACTED) if token else obj
    if isinstance(obj, bytes):
        return obj.replace(token.encode(), REDACTED.encode()) if token else obj
    if isinstance(obj, Mapping):
        return {
            redact(key, token): REDACTED if key == "user_token" else redact(value, token)
            for key, value in obj.items()
        }
    if isinstance(obj, list | tuple):
        return [redact(item, token) for item in obj]
    return copy.deepcopy(obj)


@dataclass(frozen=True)
class ApiRequest:
    """One call as it will be sent, minus the user token (added only by `UpswiftClient.send`)."""

    method: str
    path: str
    body: dict[str, Any]

    def __post_init__(self) -> None:
        if "user_token" in self.body:
            raise ValueError("ApiRequest.body must not hold user_token; the client adds it")
        object.__setattr__(self, "body", copy.deepcopy(self.body))

    def redacted(self) -> dict[str, Any]:
        """The call as it is sent, with the token shown as "***": safe to store and display."""
        body = {"user_token": REDACTED, **copy.deepcopy(self.body)}
        return {"method": self.method, "path": self.path, "body": body}


@dataclass(frozen=True)
class ApiResponse:
    status: int
    payload: Any
    duration_ms: float

    @property
    def message(self) -> Any:
        """The `message` of the answer: "Success" for writes, the data for reads."""
        return self.payload.get("message") if isinstance(self.payload, dict) else None


# --- Builders: pure, validate, never see the token


def _str(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(field=name, message=f"must be a non-empty string, got {value!r}")
    return value


def _int(value: Any, name: str, *, minimum: int, maximum: int | None = None) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= minimum
    if not ok or (maximum is not None and value > maximum):
        bounds = f"{minimum}..{maximum}" if maximum is not None else f">= {minimum}"
        raise InvalidRequest(field=name, message=f"must be an integer {bounds}, got {value!r}")
    return value


def _filter_json(devices_filter: Any) -> dict[str, Any]:
    if not isinstance(devices_filter, DevicesFilter):
        raise InvalidFilter(field="devices_filter", message="must be a DevicesFilter")
    devices_filter.validate()
    return devices_filter.to_json()


def deploy_update_request(
    *,
    flow_id: str,
    devices_filter: DevicesFilter,
    comment: str = "",
    app_name: str | None = None,
    app_version: str | None = None,
) -> ApiRequest:
    body: dict[str, Any] = {"flow_id": _str(flow_id, "flow_id")}
    body["devices_filter"] = _filter_json(devices_filter)
    metadata: dict[str, Any] = {}
    if comment:
        metadata["comment"] = _str(comment, "metadata.comment")
    if app_name is not None:
        metadata["app"] = {"name": _str(app_name, "metadata.app.name")}
        if app_version is not None:
            metadata["app"]["version"] = _str(app_version, "metadata.app.version")
    elif app_version is not None:
        raise InvalidRequest(field="metadata.app.version", message="needs app_name")
    body["metadata"] = metadata
    return ApiRequest("POST", "/deploy_update", body)


def devices_details_request(
    *,
    project_name: str | None = None,
    group_name: str | None = None,
    device_token: str | None = None,
    device_name: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> ApiRequest:
    selectors = {"project_name": project_name, "device_token": device_token}
    selectors["device_name"] = device_name
    given = [name for name, value in selectors.items() if value is not None]
    if len(given) != 1:
        got = ", ".join(given) or "none"
        raise InvalidRequest(
            field="selector",
            message=f"give exactly one of project_name, device_token, device_name (got {got})",
        )
    if group_name is not None and project_name is None:
        raise InvalidRequest(field="group_name", message="needs project_name")
    body = {name: _str(value, name) for name, value in selectors.items() if value is not None}
    if group_name is not None:
        body["group_name"] = _str(group_name, "group_name")
    if limit is not None:
        body["limit"] = _int(limit, "limit", minimum=1)
    if offset is not None:
        body["offset"] = _int(offset, "offset", minimum=0)
    return ApiRequest("GET", "/devices_details", body)


def get_devices_state_request(
    *, project_name: str, group_name: str | None = None, limit: int = 50, offset: str | None = None
) -> ApiRequest:
    body: dict[str, Any] = {"project_name": _str(project_name, "project_name")}
    if group_name is not None:
        body["group_name"] = _str(group_name, "group_name")
    body["limit"] = _int(limit, "limit", minimum=1, maximum=50)
    if offset is not None:
        body["offset"] = _str(offset, "offset")
    return ApiRequest("GET", "/get_devices_state", body)
