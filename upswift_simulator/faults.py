"""Injected faults: the next N API calls answer with an error instead of normally.

Kinds (``POST /_sim/faults {"kind", "count", "delay", "apply", "visible_after"}``):
- ``error_500``   answer ``500 {"error_message": "Simulated internal server error"}``;
- ``timeout``     hang for ``delay`` seconds (default 10), then close the connection without an
                  answer: pick a delay longer than the client's read timeout;
- ``slow``        wait ``delay`` seconds (default 2), then answer correctly;
- ``broken_json`` answer 200 with a truncated JSON body;
- ``rate_limit``  answer ``429 {}`` with ``Retry-After: <delay or 1>``.

``apply`` (default false) makes the simulator carry the call out before answering with the
fault (error_500, timeout, broken_json): the "did my deploy happen?" case. ``slow`` always
applies it; ``rate_limit`` never does. Faults queue up in the order they were posted.

``visible_after`` (seconds of REAL time, 0..600; only with ``apply: true``, or with ``slow``)
makes a ``deploy_update`` that the simulator carries out show on the devices only that long
after it was carried out: "the deploy reached Upswift, but a read-back soon after does not
show it yet". Left out, the simulator's ``--deploy-visible-after`` applies (0 by default);
``0`` makes this call's deploy visible at once whatever the command line says. It has no
effect on calls other than deploy_update. See ``Lifecycle.defer_deploy`` for the semantics.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from .replies import ApiError

FAULT_KINDS = ("error_500", "timeout", "slow", "broken_json", "rate_limit")
DEFAULT_DELAYS = {"timeout": 10.0, "slow": 2.0, "rate_limit": 1.0}
MAX_DELAY = 600.0
APPLYING_KINDS = ("error_500", "timeout", "broken_json")  # apply: true is allowed


@dataclass
class Fault:
    kind: str
    remaining: int
    delay: float
    apply: bool
    visible_after: float | None = None  # None: the simulator's --deploy-visible-after

    @property
    def runs_call(self) -> bool:
        """Whether the simulator carries the faulted call out."""
        return self.kind == "slow" or (self.apply and self.kind in APPLYING_KINDS)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "remaining": self.remaining,
            "delay": self.delay,
            "apply": self.apply,
            "visible_after": self.visible_after,
        }


def _seconds(value: Any) -> bool:
    """A JSON number (not a boolean) between 0 and MAX_DELAY; NaN and infinities fail."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and 0 <= value <= MAX_DELAY


def parse_fault(body: Any) -> Fault:
    if not isinstance(body, dict):
        raise ApiError("Body must be a JSON object")
    kind = body.get("kind")
    if kind not in FAULT_KINDS:
        raise ApiError(f"kind must be one of {', '.join(FAULT_KINDS)}")
    count = body.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ApiError("count must be a positive integer")
    delay = body.get("delay")
    if delay is None:
        delay = DEFAULT_DELAYS.get(kind, 0.0)
    if not _seconds(delay):
        raise ApiError(f"delay must be a number of seconds between 0 and {MAX_DELAY:g}")
    apply = body.get("apply", False)
    if not isinstance(apply, bool):
        raise ApiError("apply must be a boolean")
    visible_after = body.get("visible_after")
    if visible_after is not None:
        if not _seconds(visible_after):
            raise ApiError(f"visible_after must be a number of seconds between 0 and {MAX_DELAY:g}")
        if kind == "rate_limit":
            raise ApiError("visible_after cannot be used with rate_limit (the call never runs)")
        if kind != "slow" and not apply:
            raise ApiError(f"visible_after with {kind} needs apply: true (nothing is deployed)")
        visible_after = float(visible_after)
    return Fault(kind, count, float(delay), apply, visible_after)


class FaultQueue:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Fault] = deque()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._queue.append(fault)

    def take(self) -> Fault | None:
        """Consume one call's worth of the oldest fault, if any."""
        with self._lock:
            if not self._queue:
                return None
            head = self._queue[0]
            head.remaining -= 1
            if head.remaining <= 0:
                self._queue.popleft()
            return Fault(head.kind, 1, head.delay, head.apply, head.visible_after)

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.to_dict() for fault in self._queue]

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
