"""The Upswift API budget, shared by every worker through the cache (Redis in production).

A sliding window: a call is granted only while fewer than `UPSWIFT_CALLS_PER_MINUTE` calls
were granted in the last `WINDOW_SECONDS`, so over *any* 60 s the console sends at most the
budget. (A per-calendar-minute counter lets a burst at :59 and another at :00 through, and
Upswift, which counts a sliding minute, answers the second with 429s.) In Redis the window is
a sorted set of grant times changed by one Lua script, so workers on any machine never
over-grant; other caches (the laptop's file cache, tests' locmem) keep the same log under one
key, exact within a process. Refused requests are not recorded: they are not calls.

After a 429 every worker honours a cool-down (the answer's Retry-After). Upswift does not
publish its account limit, so the console stays under its own and backs off when told to.
"""

import time
import uuid

from django.conf import settings
from django.core.cache import cache

COOLDOWN_KEY = "upswift:cooldown-until"
LAST_ERROR_KEY = "upswift:last-error"
WINDOW_KEY = "upswift:calls-window"

# A second longer than Upswift's minute: a request reaches the API a little after its grant,
# and not always after the same delay, so two calls 60.0 s apart here may be 59.9 s apart there.
WINDOW_SECONDS = 61.0

# KEYS[1] the window; ARGV now, window, limit, member. '0' when granted, else the seconds until
# the oldest grant leaves the window (a string: Redis would truncate a Lua number).
_ACQUIRE = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000) + 1000)
  return '0'
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + window - now)
"""


def _redis():
    """The redis-py client behind the cache, or None when the cache is not Redis."""
    backend = getattr(cache, "_cache", None)  # django.core.cache.backends.redis.RedisCache
    if backend is not None and hasattr(backend, "get_client"):
        return backend.get_client(write=True)
    client = getattr(cache, "client", None)  # django-redis
    if client is not None and hasattr(client, "get_client"):
        return client.get_client(write=True)
    return None


def _key() -> str:
    return cache.make_and_validate_key(WINDOW_KEY)


def _cooldown_left(now: float) -> float:
    return max(0.0, (cache.get(COOLDOWN_KEY) or 0) - now)


def budget_acquire(*, now: float | None = None) -> float:
    """Take one call from the budget: 0 when granted, else the seconds to wait (nothing taken)."""
    now = time.time() if now is None else now
    cooldown = _cooldown_left(now)
    if cooldown > 0:
        return cooldown
    limit = settings.UPSWIFT_CALLS_PER_MINUTE
    if limit <= 0:
        return 0.0
    member = f"{now:.6f}:{uuid.uuid4().hex[:8]}"
    redis = _redis()
    if redis is not None:
        wait = redis.eval(_ACQUIRE, 1, _key(), repr(now), repr(WINDOW_SECONDS), limit, member)
        return max(0.0, float(wait))
    grants = _local_window(now)
    if len(grants) >= limit:
        return max(0.0, grants[0] + WINDOW_SECONDS - now)
    cache.set(WINDOW_KEY, [*grants, now], timeout=int(WINDOW_SECONDS) + 1)
    return 0.0


def budget_wait(*, now: float | None = None, reserve: int = 0) -> float:
    """How long until a call would be granted (0: now), without taking one. Advisory: another
    worker may take the call first, so a caller still asks `budget_acquire`. With `reserve`,
    until that many calls would still be left after this one (for work that can wait)."""
    now = time.time() if now is None else now
    limit = settings.UPSWIFT_CALLS_PER_MINUTE
    wait = 0.0
    if limit > 0:
        allowed = max(limit - reserve, 1)
        grants = _grants(now)
        if len(grants) >= allowed:
            wait = grants[len(grants) - allowed] + WINDOW_SECONDS - now
    return max(wait, _cooldown_left(now), 0.0)


def _local_window(now: float) -> list[float]:
    return sorted(t for t in cache.get(WINDOW_KEY) or [] if t > now - WINDOW_SECONDS)


def _grants(now: float) -> list[float]:
    """The grant times still in the window, oldest first."""
    redis = _redis()
    if redis is None:
        return _local_window(now)
    rows = redis.zrangebyscore(_key(), f"({now - WINDOW_SECONDS!r}", "+inf", withscores=True)
    return [score for _, score in rows]


def budget_cooldown(*, seconds: float, now: float | None = None) -> float:
    """Every worker waits `seconds` (e.g. a 429's Retry-After); returns the end time."""
    now = time.time() if now is None else now
    until = now + seconds
    current = cache.get(COOLDOWN_KEY) or 0
    if until > current:
        cache.set(COOLDOWN_KEY, until, timeout=int(seconds) + 5)
    return max(until, current)


def budget_status(*, now: float | None = None) -> dict:
    """For the dashboard and the metrics: calls granted in the sliding window (refused ones
    are not calls), the limit, any cool-down left, and how soon the next call may go."""
    now = time.time() if now is None else now
    return {
        "calls_this_minute": len(_grants(now)),
        "limit_per_minute": settings.UPSWIFT_CALLS_PER_MINUTE,
        "cooldown_seconds": _cooldown_left(now),
        "next_call_in_seconds": budget_wait(now=now),
        "window_seconds": WINDOW_SECONDS,
    }
