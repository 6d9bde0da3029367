"""The Upswift client this process uses, built once from settings (one requests.Session)."""

from functools import lru_cache

from django.conf import settings

from rollouts.upswift_api import UpswiftClient


@lru_cache(maxsize=1)
def upswift_client() -> UpswiftClient:
    return UpswiftClient(
        settings.UPSWIFT_API_URL,
        settings.UPSWIFT_USER_TOKEN,
        timeout=(3.05, settings.UPSWIFT_TIMEOUT_SECONDS),
    )
