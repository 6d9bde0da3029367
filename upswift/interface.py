"""What the rollout engine needs from an Upswift API version, as a `typing.Protocol`.

`UpswiftClient` (v1) satisfies `DeployApi`; the engine reaches it through
`rollouts.engine.client.upswift_client` and uses nothing else of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol, runtime_checkable

from upswift.requests import ApiRequest, ApiResponse

BeforeSend = Callable[[ApiRequest], None]


@runtime_checkable
class DeployApi(Protocol):
    """Send a built request; page through the devices' details and online states.

    How a v2 client would fit: JFrog Connect v2 (docs/upswift-api.md, last section) deploys with
    a Bearer token to `POST /api/v2/{project_key}/deployments`, with the same filter shape, and
    answers with a deployment id. A v2 client would implement these three methods. Its own pure
    builders would still return `ApiRequest`s (method, path, body, never the token), so the engine
    records each call before it is sent, as today. Its `send` would put the token in an
    `Authorization: Bearer` header instead of the body, return answers as `ApiResponse`, and raise
    failures as the same `UpswiftError` subclasses with the attributes the engine reads
    (`retryable`, `status`, `duration_ms`, `Rejected.token_rejected`,
    `Transient.outcome_unknown`, `RateLimited.retry_after`). Its iterators would page v2's device
    listings, call `before_send` before each page, and yield device dicts in the v1 shape the
    engine reads (`device_uuid`, `updates` with their `comment` marker, `device_status`). The
    engine would then choose the client in `rollouts/engine/client.py`, and the deploy builder
    in `rollouts/engine/cohorts.py`, by API version. What v2 adds (deployment ids, abort) would
    be new methods, outside this protocol.
    """

    def send(self, request: ApiRequest) -> ApiResponse:
        """Send one call; a 2xx answer or an `UpswiftError`."""
        ...

    def iter_devices_details(
        self,
        *,
        project_name: str | None = None,
        group_name: str | None = None,
        page_size: int = 100,
        before_send: BeforeSend | None = None,
        start_offset: int = 0,
    ) -> Iterator[dict[str, Any]]:
        """Every device of the project (or group) with its updates; `before_send` sees each
        page's request first and may raise to stop, and `start_offset` resumes there."""
        ...

    def iter_devices_state(
        self,
        *,
        project_name: str,
        group_name: str | None = None,
        page_size: int = 50,
        before_send: BeforeSend | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every device's online/offline state (`device_uuid`, `device_status`)."""
        ...
