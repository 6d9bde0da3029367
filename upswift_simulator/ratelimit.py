"""Sliding-window rate limit: at most N API calls per 60 real seconds per token."""

from __future__ import annotations

import math
import threading
import time
from collections import deque

WINDOW_SECONDS = 60.0


class RateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._calls: dict[str, deque[float]] = {}

    def check(self, key: str) -> float | None:
        """Record a call; ``None`` if allowed, else seconds until one would be allowed.

        Refused calls are not counted, so a client that backs off gets through again.
        """
        if self.per_minute <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            window = self._calls.setdefault(key, deque())
            while window and window[0] <= now - WINDOW_SECONDS:
                window.popleft()
            if len(window) >= self.per_minute:
                return max(0.0, window[0] + WINDOW_SECONDS - now)
            window.append(now)
            return None

    def configure(self, per_minute: int) -> None:
        with self._lock:
            self.per_minute = per_minute
            self._calls.clear()

    @staticmethod
    def retry_after_header(seconds: float) -> str:
        return str(max(1, math.ceil(seconds)))
