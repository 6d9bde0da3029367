"""/metrics: off until configured, then only for the token or an allowed address."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from prometheus_client.parser import text_string_to_metric_families

from tests.support.console_data import rollout_built
from tests.test_settings import PRODUCTION_ENV, manage

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-0123456789"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []
    return TOKEN


def names(response) -> set[str]:
    text = response.content.decode()
    return {family.name for family in text_string_to_metric_families(text)}


def test_off_without_a_token_or_an_allow_list(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []

    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_refused_without_the_token(client, token):
    response = client.get("/metrics")

    assert response.status_code == 403
    assert b"upswift_console" not in response.content


@pytest.mark.parametrize(
    "header",
    [f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN, "Bearer"],
)
def test_refused_with_a_wrong_token(client, token, header):
    assert client.get("/metrics", HTTP_AUTHORIZATION=header).status_code == 403


def test_a_signed_in_admin_is_not_enough(client, token, console_admin):
    """Metrics are for the scraper: a session does not open them."""
    client.force_login(console_admin)

    assert client.get("/metrics").status_code == 403


def test_the_token_opens_it(client, token, release_manager):
    rollout_built(user=release_manager)

    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "no-cache" in response["Cache-Control"]
    assert "upswift_console_rollouts" in names(response)
    assert 'upswift_console_rollouts{status="running"} 1.0' in response.content.decode()


def test_only_get(client, token):
    response = client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 405


def test_an_allowed_address_needs_no_token(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["10.1.0.0/16", "192.0.2.7"]

    assert client.get("/metrics", REMOTE_ADDR="10.1.200.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.2.0.1").status_code == 403


@pytest.mark.parametrize("trusted_proxies", [[], ["198.51.100.0/24"]])
def test_a_forwarded_header_from_an_untrusted_peer_is_ignored(client, settings, trusted_proxies):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["10.1.0.0/16"]
    settings.TRUSTED_PROXIES = trusted_proxies

    forwarded = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.1.0.1")

    assert forwarded.status_code == 403


def test_through_a_trusted_proxy_the_forwarded_client_is_checked(client, settings):
    """Behind the console's own proxy the client it forwards is what the allow-list judges,
    not the proxy (which forwards everyone), and not a hop the client prepended."""
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["10.1.0.0/16"]
    settings.TRUSTED_PROXIES = ["198.51.100.0/24"]
    proxy = {"REMOTE_ADDR": "198.51.100.4"}

    scraper = client.get("/metrics", HTTP_X_FORWARDED_FOR="10.1.0.1", **proxy)
    outsider = client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
    prepended = client.get("/metrics", HTTP_X_FORWARDED_FOR="10.1.0.1, 203.0.113.9", **proxy)

    assert scraper.status_code == 200
    assert (outsider.status_code, prepended.status_code) == (403, 403)


def test_a_wrong_allow_list_says_which_entry(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8", "intranet"]

    with pytest.raises(ImproperlyConfigured, match="'intranet'"):
        client.get("/metrics", REMOTE_ADDR="10.0.0.1")


def test_the_console_refuses_to_start_with_a_wrong_allow_list():
    env = {**PRODUCTION_ENV, "METRICS_ALLOWED_IPS": "10.0.0.0/8,intranet"}

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "METRICS_ALLOWED_IPS" in result.stderr and "intranet" in result.stderr
    assert manage("check", env={**env, "METRICS_ALLOWED_IPS": "10.0.0.0/8"}).returncode == 0
