"""Channels, a rollout to tell about, and the receivers (tests/notifications/receivers.py)."""

import pytest

from rollouts.models import SUBSCRIBABLE_KINDS, ChannelKind
from rollouts.services.notifications import channel_create
from tests.api.conftest import admin, anonymous, api_as  # noqa: F401  (fixtures)
from tests.notifications.receivers import http_receiver, smtp_server


@pytest.fixture(autouse=True)
def _notify_settings(settings):
    settings.SITE_URL = "https://console.example.com"
    settings.NOTIFY_TIMEOUT_SECONDS = 2.0
    settings.NOTIFY_MAX_ATTEMPTS = 4


@pytest.fixture
def receiver():
    with http_receiver() as running:
        yield running


@pytest.fixture
def smtp(settings):
    with smtp_server() as (port, mailbox):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        yield mailbox


def webhook(url: str, *, name: str = "Ops webhook", **fields):
    """A webhook channel and its signing secret."""
    fields.setdefault("kinds", SUBSCRIBABLE_KINDS)
    return channel_create(kind=ChannelKind.WEBHOOK, name=name, url=url, **fields)
