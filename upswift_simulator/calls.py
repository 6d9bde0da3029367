"""The log of every API call received, with the user token redacted."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

REDACTED = "***"
MAX_ENTRIES = 50_000  # a long-running demo keeps the newest calls only
SECRET_KEYS = frozenset({"user_token"})


def redact(value: Any) -> Any:
    """A copy of a JSON value with every ``user_token`` replaced by ``"***"``."""
    if isinstance(value, dict):
        return {k: REDACTED if k in SECRET_KEYS else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


class CallLog:
    """Entries are appended when a call arrives and completed before the answer is sent,
    so a client that has its answer always finds its call in the log. Indexes count every
    call since the last reset, also when the oldest entries have been dropped."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        self._dropped = 0
        self._max_entries = max_entries

    def open(self, method: str, path: str, body: Any, body_error: str | None) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "index": -1,
            "method": method,
            "path": path,
            "body": redact(body),
            "status": None,
            "fault": None,
            "time": datetime.now(tz=UTC).isoformat(timespec="milliseconds"),
            "sim_time": None,
            "duration_ms": None,
        }
        if body_error:
            entry["body_error"] = body_error
        with self._lock:
            entry["index"] = self._dropped + len(self._entries)
            self._entries.append(entry)
            if len(self._entries) > self._max_entries:
                excess = len(self._entries) - self._max_entries
                del self._entries[:excess]
                self._dropped += excess
        return entry

    def close(
        self,
        entry: dict[str, Any],
        *,
        status: int | None,
        duration_ms: float,
        sim_time: str | None,
        fault: str | None = None,
        visible_at: str | None = None,
    ) -> None:
        """``visible_at``: for a deploy shown on the devices late, when (ISO, real time)."""
        with self._lock:
            entry["status"] = status
            entry["duration_ms"] = round(duration_ms, 3)
            entry["sim_time"] = sim_time
            entry["fault"] = fault
            if visible_at is not None:
                entry["visible_at"] = visible_at

    def since(self, index: int) -> list[dict[str, Any]]:
        with self._lock:
            start = max(index - self._dropped, 0)
            return [dict(entry) for entry in self._entries[start:]]

    def __len__(self) -> int:
        """Calls received since the last reset (including dropped old entries)."""
        with self._lock:
            return self._dropped + len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._dropped = 0
