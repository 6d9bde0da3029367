"""The Upswift client this process uses, built once from settings (one requests.Session).

The engine needs only `upswift.DeployApi` of it; a second API version would be chosen here."""

from functools import lru_cache

from django.conf import settings

from upswift import DeployApi, UpswiftClient


@lru_cache(maxsize=1)
def upswift_client() -> DeployApi:
    return UpswiftClient(
        settings.UPSWIFT_API_URL,
        settings.UPSWIFT_USER_TOKEN,
        timeout=(3.05, settings.UPSWIFT_TIMEOUT_SECONDS),
    )
