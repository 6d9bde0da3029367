"""A simulator as the console's Upswift API, with part of its fleet offline, and the fleet
inventory read from it: what the names checks, preview counts and overlap guard read."""

import pytest
from django.core.cache import cache

from rollouts.engine.client import upswift_client
from rollouts.engine.inventory import inventory_refresh
from upswift_simulator.testing import running_simulator


@pytest.fixture
def fleet_sim(settings):
    """A 300-device simulator (a fifth offline, time frozen) as the API, a local budget."""
    with running_simulator(devices=300, offline_share=0.2) as handle:
        settings.UPSWIFT_API_URL = handle.base_url
        settings.UPSWIFT_USER_TOKEN = handle.token
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        upswift_client.cache_clear()
        cache.clear()
        yield handle
        upswift_client.cache_clear()


def inventory_read(project: str = "Demo") -> None:
    """The project's inventory read whole (a local budget: nothing else spends it)."""
    cache.clear()
    assert inventory_refresh(project=project)
