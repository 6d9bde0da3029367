"""`UpswiftClient`: sends `ApiRequest`s to the Upswift v1 API with the token, a timeout and typed
errors, and pages through the device reads. The API facts it relies on: docs/upswift-api.md."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from upswift.errors import RateLimited, Rejected, Transient, UpswiftError
from upswift.requests import (
    ApiRequest,
    ApiResponse,
    devices_details_request,
    get_devices_state_request,
    redact,
)

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.upswift.io/v1"
DEFAULT_TIMEOUT = (3.05, 20)  # (connect, read) seconds


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

    # --- Paging: build each page's request, then send it

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
