"""The Upswift API budget, shared by every worker through the cache (Redis in production).

A fixed one-minute window of `UPSWIFT_CALLS_PER_MINUTE` calls, and a cool-down that every
worker honours after a 429. Upswift does not publish its account limit, so the console stays
under its own and backs off as soon as the API says so.
"""

import time

from django.conf import settings
from django.core.cache import cache

COOLDOWN_KEY = "upswift:cooldown-until"
LAST_ERROR_KEY = "upswift:last-error"


def _window_key(now: float) -> str:
    return f"upswift:calls:{int(now // 60)}"


def budget_acquire(*, now: float | None = None) -> float:
    """Take one call from the budget: 0 when granted, else the seconds to wait."""
    now = time.time() if now is None else now
    cooldown_until = cache.get(COOLDOWN_KEY) or 0
    if cooldown_until > now:
        return cooldown_until - now
    limit = settings.UPSWIFT_CALLS_PER_MINUTE
    if limit <= 0:
        return 0.0
    key = _window_key(now)
    cache.add(key, 0, timeout=120)
    try:
        used = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=120)
        used = 1
    if used > limit:
        return 60 - (now % 60)
    return 0.0


def budget_cooldown(*, seconds: float, now: float | None = None) -> float:
    """Every worker waits `seconds` (e.g. a 429's Retry-After); returns the end time."""
    now = time.time() if now is None else now
    until = now + seconds
    current = cache.get(COOLDOWN_KEY) or 0
    if until > current:
        cache.set(COOLDOWN_KEY, until, timeout=int(seconds) + 5)
    return max(until, current)


def budget_status(*, now: float | None = None) -> dict:
    """For the dashboard: calls in this minute, the limit, and any cool-down left."""
    now = time.time() if now is None else now
    cooldown_until = cache.get(COOLDOWN_KEY) or 0
    return {
        "calls_this_minute": cache.get(_window_key(now)) or 0,
        "limit_per_minute": settings.UPSWIFT_CALLS_PER_MINUTE,
        "cooldown_seconds": max(0.0, cooldown_until - now),
    }
