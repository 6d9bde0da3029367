"""Simulated time: a start instant, an acceleration factor and manual advances."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def format_time(sim_seconds: float) -> str:
    """``YYYY-MM-DD HH:MM:SS`` (UTC), the format Upswift uses in device data."""
    return datetime.fromtimestamp(int(sim_seconds), tz=UTC).strftime(TIME_FORMAT)


def iso_time(sim_seconds: float) -> str:
    return datetime.fromtimestamp(sim_seconds, tz=UTC).isoformat(timespec="milliseconds")


def parse_start_time(text: str | None) -> float:
    """Parse ``--start-time`` (ISO, UTC assumed); ``None`` means now, whole seconds."""
    if not text:
        return float(int(time.time()))
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


class SimClock:
    """Simulated seconds since the epoch.

    ``now = start + advanced + real_elapsed * speedup``. A speedup of 0 freezes time so that
    only ``advance()`` moves it, which makes tests fully deterministic.
    """

    def __init__(self, start: float, speedup: float) -> None:
        self.start = start
        self.speedup = speedup
        self._lock = threading.Lock()
        self._advanced = 0.0
        self._real_origin = time.monotonic()

    def now(self) -> float:
        with self._lock:
            elapsed = (time.monotonic() - self._real_origin) * self.speedup
            return self.start + self._advanced + elapsed

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._advanced += seconds
        return self.now()

    def reset(self) -> None:
        with self._lock:
            self._advanced = 0.0
            self._real_origin = time.monotonic()
