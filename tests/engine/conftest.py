import pytest
from django.core.cache import cache

from rollouts.engine.client import upswift_client
from upswift_simulator.testing import running_simulator


@pytest.fixture
def sim(settings):
    """A 200-device simulator (all online, time frozen) as the console's API, a local budget."""
    with running_simulator(devices=200, offline_share=0.0) as handle:
        settings.UPSWIFT_API_URL = handle.base_url
        settings.UPSWIFT_USER_TOKEN = handle.token
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        upswift_client.cache_clear()
        cache.clear()  # a fresh API budget: no test spends another's
        yield handle
        upswift_client.cache_clear()
