"""The shared API budget: a sliding window of grants, and a cool-down after a 429.

Each test runs on the laptop's kind of cache (locmem) and, when the suite's CACHE_URL is Redis,
on Redis through the Lua script the workers share."""

import os
import random
import threading
import uuid

import pytest

from rollouts.engine.budget import (
    WINDOW_SECONDS,
    budget_acquire,
    budget_cooldown,
    budget_status,
    budget_wait,
)

REDIS_URL = os.environ.get("CACHE_URL", "")


@pytest.fixture(params=["locmem", "redis"])
def backend(request, settings):
    if request.param == "redis":
        if not REDIS_URL.startswith("redis://"):
            pytest.skip("CACHE_URL is not Redis")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
                "KEY_PREFIX": f"test-budget-{uuid.uuid4().hex[:8]}",
            }
        }
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        from django.core.cache import cache

        cache.clear()  # never on Redis: a fresh key prefix instead, others share the server
    return request.param


def test_calls_within_the_limit_are_granted_then_the_rest_wait_for_the_oldest(settings, backend):
    settings.UPSWIFT_CALLS_PER_MINUTE = 3
    t = 1_000_040.0

    granted = [budget_acquire(now=t), budget_acquire(now=t + 10), budget_acquire(now=t + 20)]
    waited = budget_acquire(now=t + 30)

    assert granted == [0, 0, 0]
    assert waited == pytest.approx(WINDOW_SECONDS - 30)  # until the first grant leaves
    assert budget_acquire(now=t + WINDOW_SECONDS - 1) > 0  # no calendar minute resets it
    assert budget_acquire(now=t + WINDOW_SECONDS) == 0
    assert budget_acquire(now=t + WINDOW_SECONDS + 1) > 0  # the t+10 grant still counts


def test_refused_requests_are_not_counted_as_calls(settings, backend):
    settings.UPSWIFT_CALLS_PER_MINUTE = 2
    t = 3_000_000.0
    assert budget_acquire(now=t) == budget_acquire(now=t) == 0

    refused = [budget_acquire(now=t + 1) for _ in range(10)]

    assert all(wait > 0 for wait in refused)
    status = budget_status(now=t + 1)
    assert status["calls_this_minute"] == 2
    assert status["next_call_in_seconds"] == pytest.approx(WINDOW_SECONDS - 1)
    assert budget_acquire(now=t + WINDOW_SECONDS) == 0  # the refusals did not push it back


def test_over_any_60_seconds_no_more_than_the_budget_is_granted(settings, backend):
    """Callers asking at random moments, in bursts and at minute boundaries: count the grants
    in every 60 s window that starts at a grant."""
    settings.UPSWIFT_CALLS_PER_MINUTE = 10
    rng = random.Random(7)
    t = 5_000_000.0 - 1  # a second before a calendar minute
    grants, refusals = [], []
    for _ in range(400):
        t += rng.choice([0.0, 0.01, 0.5, 3.0, 11.0])
        (grants if budget_acquire(now=t) == 0 else refusals).append(t)

    busiest = max(sum(start <= g < start + 60 for g in grants) for start in grants)
    assert busiest == 10
    assert refusals  # the budget was tested, and each refusal had a full window behind it
    assert all(sum(r - WINDOW_SECONDS < g <= r for g in grants) == 10 for r in refusals)


def test_budget_wait_tells_how_soon_without_taking_a_call(settings, backend):
    settings.UPSWIFT_CALLS_PER_MINUTE = 2
    t = 7_000_000.0

    assert budget_wait(now=t) == 0
    assert budget_wait(now=t) == 0  # peeking took nothing
    budget_acquire(now=t)
    budget_acquire(now=t + 5)

    assert budget_wait(now=t + 10) == pytest.approx(WINDOW_SECONDS - 10)
    assert budget_status(now=t + 10)["calls_this_minute"] == 2


@pytest.mark.parametrize("backend", ["redis"], indirect=True)  # the one shared between workers
def test_workers_taking_calls_at_once_never_over_grant(settings, backend):
    settings.UPSWIFT_CALLS_PER_MINUTE = 25
    t = 9_000_000.0
    results = []

    def take():
        for _ in range(10):
            results.append(budget_acquire(now=t))

    threads = [threading.Thread(target=take) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results.count(0) == 25
    assert budget_status(now=t)["calls_this_minute"] == 25


def test_a_cooldown_holds_every_caller_until_it_ends(settings, backend):
    settings.UPSWIFT_CALLS_PER_MINUTE = 0  # no own limit
    now = 2_000_000.0

    budget_cooldown(seconds=30, now=now)

    assert budget_acquire(now=now + 10) == pytest.approx(20.0)
    assert budget_status(now=now + 10)["cooldown_seconds"] == pytest.approx(20.0)
    assert budget_wait(now=now + 10) == pytest.approx(20.0)
    assert budget_acquire(now=now + 31) == 0
