"""Client for the Upswift REST API (v1): no Django imports, so it can be read and tested alone.

Every call is first built as an `ApiRequest` by a pure builder (no I/O, no token), so the
rollout engine can record it before `UpswiftClient.send` adds the token and sends it.
Failures raise an `UpswiftError` subclass whose `retryable` says whether a retry can help.
The API facts this relies on: docs/upswift-api.md.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.upswift.io/v1"
DEFAULT_TIMEOUT = (3.05, 20)  # (connect, read) seconds
REDACTED = "***"

# Filter type -> (allowed operands, allowed values; None means any non-empty string).
FILTER_RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...] | None]] = {
    "specific_device": (("is", "is_not"), None),
    "tag": (("is", "is_not"), None),
    "app": (("is", "is_not"), None),
    "device_state": (("is",), ("online", "offline")),
    "update_status": (("is", "is_not"), ("pending", "in_progress", "success", "failed", "aborted")),
}


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


# --- Errors


class InvalidRequest(ValueError):
    """Raised by a builder, before anything is sent; the message starts with the bad field."""

    def __init__(self, *, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InvalidFilter(InvalidRequest):
    """A bad devices filter: project, a group, or one of the filters."""


class UpswiftError(Exception):
    """A call that failed. The message, like every attribute, never holds the user token."""

    retryable: bool = True

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        duration_ms: float | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.duration_ms = duration_ms
        if retryable is not None:
            self.retryable = retryable


class RateLimited(UpswiftError):
    """HTTP 429. `retry_after` is the server's Retry-After in seconds, when it sent one."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Rejected(UpswiftError):
    """A 4xx answer (400 bad request, 401/403 token, 404): sending it again will not help."""

    retryable = False

    def __init__(self, message: str, *, error_message: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.error_message = error_message

    @property
    def token_rejected(self) -> bool:
        """The account token was refused: 401/403, or Upswift's usual 400 naming the token."""
        return self.status in (401, 403) or "token" in self.error_message.lower()


class Transient(UpswiftError):
    """5xx or 408, timeout, connection error, or an answer that is not the JSON we expect.

    `outcome_unknown` is true when the request may have been carried out but its answer was
    lost (a read timeout, a connection dropped mid-answer, a 2xx with a broken body): such a
    call must be checked before it is sent again."""

    retryable = True

    def __init__(self, message: str, *, outcome_unknown: bool = False, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.outcome_unknown = outcome_unknown


# --- Requests and responses


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


# --- Devices filter


@dataclass(frozen=True)
class Filter:
    type: str
    operand: str
    value: str

    def validate(self, where: str = "filter") -> None:
        """Raise InvalidFilter naming the bad part, e.g. `devices_filter.filters[1].operand`."""
        if not isinstance(self.type, str) or self.type not in FILTER_RULES:
            allowed = ", ".join(FILTER_RULES)
            message = f"{self.type!r} is not a known filter type (allowed: {allowed})"
            raise InvalidFilter(field=f"{where}.type", message=message)
        operands, values = FILTER_RULES[self.type]
        if self.operand not in operands:
            raise self._not_allowed(f"{where}.operand", self.operand, operands)
        if not isinstance(self.value, str):
            message = f"must be a string, got {type(self.value).__name__} {self.value!r}"
            raise InvalidFilter(field=f"{where}.value", message=message)
        if values is None and not self.value.strip():
            raise InvalidFilter(field=f"{where}.value", message="must be a non-empty string")
        if values is not None and self.value not in values:
            raise self._not_allowed(f"{where}.value", self.value, values)

    def _not_allowed(self, where: str, got: Any, allowed: tuple[str, ...]) -> InvalidFilter:
        message = f"{got!r} is not allowed for type {self.type!r} (allowed: {', '.join(allowed)})"
        return InvalidFilter(field=where, message=message)

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "operand": self.operand, "value": self.value}


@dataclass
class DevicesFilter:
    """Which devices a call targets. Inferred: filters AND together; groups OR; [] = all groups."""

    project: str
    groups: list[str] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)

    def validate(self, where: str = "devices_filter") -> None:
        if not isinstance(self.project, str) or not self.project.strip():
            raise InvalidFilter(field=f"{where}.project.name", message="must be a non-empty string")
        if not isinstance(self.groups, list | tuple):
            raise InvalidFilter(field=f"{where}.groups", message="must be a list of group names")
        for i, group in enumerate(self.groups):
            if not isinstance(group, str) or not group.strip():
                raise InvalidFilter(
                    field=f"{where}.groups[{i}].name",
                    message=f"must be a non-empty string, got {group!r}",
                )
        if not isinstance(self.filters, list | tuple):
            raise InvalidFilter(field=f"{where}.filters", message="must be a list of Filter")
        for i, item in enumerate(self.filters):
            if not isinstance(item, Filter):
                raise InvalidFilter(
                    field=f"{where}.filters[{i}]",
                    message=f"must be a Filter, got {type(item).__name__}",
                )
            item.validate(f"{where}.filters[{i}]")

    def to_json(self) -> dict[str, Any]:
        return {
            "project": {"name": self.project},
            "groups": [{"name": group} for group in self.groups],
            "filters": [item.to_json() for item in self.filters],
        }


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


def get_device_state_request(*, device_token: str) -> ApiRequest:
    return ApiRequest(
        "GET", "/get_device_state", {"device_token": _str(device_token, "device_token")}
    )


def change_device_details_request(
    *,
    device_token: str,
    device_name: str | None = None,
    group: str | None = None,
    tag: str | None = None,
    apps: list[Mapping[str, str]] | None = None,
    description: str | None = None,
) -> ApiRequest:
    """`apps` is `[{"app_name": ..., "version": ...}]`; `tag` adds one tag; `group` must exist."""
    body: dict[str, Any] = {"device_token": _str(device_token, "device_token")}
    for name, value in (("device_name", device_name), ("group", group), ("tag", tag)):
        if value is not None:
            body[name] = _str(value, name)
    if apps is not None:
        if not isinstance(apps, list | tuple):
            raise InvalidRequest(field="apps", message="must be a list")
        body["apps"] = []
        for i, app in enumerate(apps):
            if not isinstance(app, Mapping) or set(app) != {"app_name", "version"}:
                raise InvalidRequest(field=f"apps[{i}]", message="needs exactly app_name, version")
            body["apps"].append(
                {
                    "app_name": _str(app["app_name"], f"apps[{i}].app_name"),
                    "version": _str(app["version"], f"apps[{i}].version"),
                }
            )
    if description is not None:
        if not isinstance(description, str):
            raise InvalidRequest(field="description", message="must be a string")
        body["description"] = description
    if len(body) == 1:
        raise InvalidRequest(field="device_token", message="nothing to change")
    return ApiRequest("POST", "/devices_details", body)


def delete_device_tag_request(*, tag_name: str, devices_filter: DevicesFilter) -> ApiRequest:
    body = {"tag_name": _str(tag_name, "tag_name"), "device_filter": _filter_json(devices_filter)}
    return ApiRequest("DELETE", "/device_tags", body)


def delete_device_app_request(*, app_name: str, devices_filter: DevicesFilter) -> ApiRequest:
    body = {"app_name": _str(app_name, "app_name"), "device_filter": _filter_json(devices_filter)}
    return ApiRequest("DELETE", "/device_apps", body)


def set_update_trigger_request(*, device_token: str, trigger_set: bool) -> ApiRequest:
    if not isinstance(trigger_set, bool):
        raise InvalidRequest(field="trigger_set", message="must be true or false")
    body = {"device_token": _str(device_token, "device_token"), "trigger_set": trigger_set}
    return ApiRequest("POST", "/set_update_trigger", body)


def _refused(exc: Exception) -> bool:
    """A connection that was never made (refused, no route, DNS): the request was not sent."""
    text = repr(exc)
    return any(
        sign in text for sign in ("NewConnectionError", "Connection refused", "NameResolutionError")
    )


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Retry-After as seconds from now: either delta-seconds or an HTTP-date."""
    if not value or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value.strip())
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


# --- Client


class UpswiftClient:
    """Sends `ApiRequest`s over one reused `requests.Session`, always with a timeout."""

    def __init__(
        self,
        base_url: str,
        user_token: str,
        *,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        if not isinstance(user_token, str) or not user_token.strip():
            raise ValueError("user_token must be a non-empty string")
        self._token = user_token
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.timeout = timeout
        self.session = session if session is not None else requests.Session()

    def __repr__(self) -> str:
        return f"UpswiftClient(base_url={self.redact(self.base_url)!r}, user_token='***')"

    def redact(self, obj: Any) -> Any:
        return redact(obj, self._token)

    def close(self) -> None:
        self.session.close()

    def send(self, request: ApiRequest) -> ApiResponse:
        """Send one call; returns a 2xx answer whose body is a JSON object with a `message`."""
        where = f"{request.method} {request.path}"
        logger.debug("Upswift call %s", json.dumps(self.redact(request.redacted())))
        started = time.monotonic()
        try:
            response = self.session.request(
                request.method,
                self.base_url + request.path,
                json={"user_token": self._token, **request.body},
                timeout=self.timeout,
            )
        except requests.ConnectTimeout as exc:  # never connected: nothing was sent
            raise self._fail(Transient, f"{where}: timed out: {exc}", started) from None
        except requests.Timeout as exc:
            message = f"{where}: timed out: {exc}"
            raise self._fail(Transient, message, started, outcome_unknown=True) from None
        except (
            requests.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as exc:
            message = f"{where}: {type(exc).__name__}: {exc}"
            unknown = not _refused(exc)
            raise self._fail(Transient, message, started, outcome_unknown=unknown) from None
        except requests.RequestException as exc:  # bad URL or similar: our configuration is wrong
            message = f"{where}: {type(exc).__name__}: {exc}"
            raise self._fail(UpswiftError, message, started, retryable=False) from None
        duration_ms = (time.monotonic() - started) * 1000
        return self._answer(where, response, started, duration_ms)

    def _answer(
        self, where: str, response: requests.Response, started: float, duration_ms: float
    ) -> ApiResponse:
        status = response.status_code
        try:
            payload = response.json()
        except ValueError:
            payload = None
        logger.debug("Upswift %s -> HTTP %s in %.0f ms", where, status, duration_ms)
        if 200 <= status < 300 and isinstance(payload, dict) and "message" in payload:
            return ApiResponse(status=status, payload=payload, duration_ms=duration_ms)
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            message = f"{where}: HTTP 429: API limit reached (retry after {retry_after} s)"
            raise self._fail(RateLimited, message, started, status=status, retry_after=retry_after)
        detail = self._detail(payload, response.text)
        if 200 <= status < 300:
            message = f"{where}: HTTP {status} with an unexpected body: {detail}"
            raise self._fail(Transient, message, started, status=status, outcome_unknown=True)
        if 400 <= status < 500 and status != 408:
            message = f"{where}: HTTP {status}: {detail}"
            raise self._fail(Rejected, message, started, status=status, error_message=detail)
        raise self._fail(Transient, f"{where}: HTTP {status}: {detail}", started, status=status)

    def _detail(self, payload: Any, text: str) -> str:
        """The answer's error text, redacted, then cut (so no cut can leave part of the token)."""
        if isinstance(payload, dict) and isinstance(payload.get("error_message"), str):
            detail = payload["error_message"]
        elif isinstance(payload, dict) and isinstance(payload.get("message"), str):
            detail = payload["message"]
        else:
            detail = json.dumps(payload) if payload is not None else text
        return self.redact(detail)[:300]

    def _fail(
        self, cls: type[UpswiftError], message: str, started: float, **kwargs: Any
    ) -> UpswiftError:
        duration_ms = (time.monotonic() - started) * 1000
        error = cls(self.redact(message), duration_ms=duration_ms, **kwargs)
        logger.info("Upswift call failed (%s): %s", cls.__name__, error.message)
        return error

    def _page(self, where: str, response: ApiResponse) -> list[dict[str, Any]]:
        page = response.message
        if not isinstance(page, list) or not all(isinstance(item, dict) for item in page):
            message = f"{where}: expected a list of devices in 'message'"
            raise Transient(message, status=response.status, duration_ms=response.duration_ms)
        return page

    # --- Convenience: build, then send

    def deploy_update(
        self,
        *,
        flow_id: str,
        devices_filter: DevicesFilter,
        comment: str = "",
        app_name: str | None = None,
        app_version: str | None = None,
    ) -> ApiResponse:
        request = deploy_update_request(
            flow_id=flow_id,
            devices_filter=devices_filter,
            comment=comment,
            app_name=app_name,
            app_version=app_version,
        )
        return self.send(request)

    def iter_devices_details(
        self,
        *,
        project_name: str | None = None,
        group_name: str | None = None,
        page_size: int = 100,
        before_send: Callable[[ApiRequest], None] | None = None,
        start_offset: int = 0,
    ) -> Iterator[dict[str, Any]]:
        """Every device of the project (or group), following `more` page by page.

        `before_send` is called with each page's request before it goes out (to take it from
        a rate budget, or to record it); it may raise to stop the scan, which `start_offset`
        can later resume.
        """
        offset = start_offset
        while True:
            request = devices_details_request(
                project_name=project_name, group_name=group_name, limit=page_size, offset=offset
            )
            if before_send:
                before_send(request)
            response = self.send(request)
            page = self._page("GET /devices_details", response)
            yield from page
            if response.payload.get("more") is not True:
                return
            if not page:
                raise Transient("GET /devices_details: more=true with an empty page", status=200)
            offset += len(page)

    def iter_devices_state(
        self,
        *,
        project_name: str,
        group_name: str | None = None,
        page_size: int = 50,
        before_send: Callable[[ApiRequest], None] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every device's online/offline state; the offset is the previous page's last uuid."""
        offset: str | None = None
        while True:
            request = get_devices_state_request(
                project_name=project_name, group_name=group_name, limit=page_size, offset=offset
            )
            if before_send:
                before_send(request)
            response = self.send(request)
            page = self._page("GET /get_devices_state", response)
            yield from page
            if len(page) < page_size or response.payload.get("more") is False:
                return
            last = page[-1].get("device_uuid")
            if not isinstance(last, str) or not last or last == offset:
                raise Transient("GET /get_devices_state: no new device_uuid to page on", status=200)
            offset = last

    def get_device_state(self, device_token: str) -> ApiResponse:
        return self.send(get_device_state_request(device_token=device_token))

    def change_device_details(
        self,
        *,
        device_token: str,
        device_name: str | None = None,
        group: str | None = None,
        tag: str | None = None,
        apps: list[Mapping[str, str]] | None = None,
        description: str | None = None,
    ) -> ApiResponse:
        request = change_device_details_request(
            device_token=device_token,
            device_name=device_name,
            group=group,
            tag=tag,
            apps=apps,
            description=description,
        )
        return self.send(request)

    def delete_device_tag(self, *, tag_name: str, devices_filter: DevicesFilter) -> ApiResponse:
        return self.send(
            delete_device_tag_request(tag_name=tag_name, devices_filter=devices_filter)
        )

    def delete_device_app(self, *, app_name: str, devices_filter: DevicesFilter) -> ApiResponse:
        return self.send(
            delete_device_app_request(app_name=app_name, devices_filter=devices_filter)
        )

    def set_update_trigger(self, *, device_token: str, trigger_set: bool) -> ApiResponse:
        return self.send(
            set_update_trigger_request(device_token=device_token, trigger_set=trigger_set)
        )
