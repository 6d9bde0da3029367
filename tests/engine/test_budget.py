"""The shared API budget: a per-minute window and a cool-down after a 429."""

import pytest

from rollouts.engine.budget import budget_acquire, budget_cooldown, budget_status


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()


def test_calls_within_the_limit_are_granted_then_the_rest_wait(settings):
    settings.UPSWIFT_CALLS_PER_MINUTE = 3
    now = 1_000_040.0  # 20 s into a minute

    granted = [budget_acquire(now=now) for _ in range(3)]
    waited = budget_acquire(now=now)

    assert granted == [0, 0, 0]
    assert waited == pytest.approx(40.0)
    assert budget_acquire(now=now + 41) == 0  # a new minute
    assert budget_status(now=now)["calls_this_minute"] == 4


def test_a_cooldown_holds_every_caller_until_it_ends(settings):
    settings.UPSWIFT_CALLS_PER_MINUTE = 0  # no own limit
    now = 2_000_000.0

    budget_cooldown(seconds=30, now=now)

    assert budget_acquire(now=now + 10) == pytest.approx(20.0)
    assert budget_status(now=now + 10)["cooldown_seconds"] == pytest.approx(20.0)
    assert budget_acquire(now=now + 31) == 0
