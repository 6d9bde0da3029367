"""Rules for every request: a chunked body is refused (411), sessions end when idle and after
an absolute lifetime, and bidirectional controls in data never reorder a page's text."""

import http.client
import json
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from rollouts.models import Plan, Rollout
from rollouts.services.actions import rollout_create
from rollouts.services.plans import plan_create
from rollouts.services.tokens import api_token_create
from tests.support.roles import PASSWORD

pytestmark = pytest.mark.django_db


# --- 411 for a body without Content-Length ---------------------------------------------------


def chunked_post(live_server, path: str, body: bytes, headers: dict) -> tuple[int, dict, bytes]:
    """POST `body` as `Transfer-Encoding: chunked` over a real socket (the test client always
    sends a Content-Length)."""
    url = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.putrequest("POST", path)
        for name, value in {**headers, "Transfer-Encoding": "chunked"}.items():
            connection.putheader(name, value)
        connection.endheaders()
        connection.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.fixture
def draft(release_manager) -> Rollout:
    plan = plan_create(name="Weekly", project="Demo", stages=[{"target": "all"}])
    return rollout_create(
        plan=plan, flow_id="73a7-1ft8", app_name="app", app_version="v2", actor=release_manager
    )


@pytest.mark.django_db(transaction=True)
def test_an_api_action_sent_chunked_is_refused_with_411_json(live_server, release_manager, draft):
    _, raw = api_token_create(user=release_manager, name="pipeline")
    body = json.dumps({"comment": "go"}).encode()

    status, headers, answer = chunked_post(
        live_server,
        reverse("api-rollout-start", args=[draft.pk]),
        body,
        {"Authorization": f"Bearer {raw}", "Content-Type": "application/json"},
    )

    assert status == 411
    assert headers["Content-Type"] == "application/json"
    assert json.loads(answer)["code"] == "length_required"
    assert "Content-Length" in json.loads(answer)["detail"]
    draft.refresh_from_db()
    assert draft.status == "draft"  # not started with an empty body


@pytest.mark.django_db(transaction=True)
def test_a_console_form_sent_chunked_is_refused_with_411(live_server, draft):
    status, _, answer = chunked_post(
        live_server,
        reverse("rollout_pause", args=[draft.pk]),
        b"reason=why",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert status == 411
    assert b"Content-Length" in answer


def test_a_body_with_content_length_is_read_as_usual(client, release_manager):
    response = client.post(reverse("login"), {"username": "rita", "password": PASSWORD})

    assert response.status_code == 302


# --- Session lifetime -------------------------------------------------------------------------


def sign_in(client) -> None:
    response = client.post(reverse("login"), {"username": "rita", "password": PASSWORD})
    assert response.status_code == 302


def signed_in(client) -> bool:
    return client.get(reverse("dashboard")).status_code == 200


def test_a_session_idle_longer_than_the_limit_ends(client, release_manager):
    idle = timedelta(seconds=settings.SESSION_IDLE_SECONDS)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        sign_in(client)
        traveller.shift(idle - timedelta(minutes=1))
        assert signed_in(client)  # activity moves the limit
        traveller.shift(idle - timedelta(minutes=1))
        assert signed_in(client)

        traveller.shift(idle + timedelta(seconds=1))

        response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_live_pages_polls_do_not_keep_a_session_alive(client, release_manager):
    idle = timedelta(seconds=settings.SESSION_IDLE_SECONDS)
    poll = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TRIGGER": "poller"}
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        sign_in(client)
        for _ in range(3):
            traveller.shift(idle / 3 - timedelta(seconds=5))
            client.get(reverse("dashboard"), **poll)
        traveller.shift(timedelta(seconds=30))

        assert not signed_in(client)


def test_a_busy_session_still_ends_after_the_absolute_lifetime(client, release_manager):
    step = timedelta(seconds=settings.SESSION_IDLE_SECONDS) / 2
    lifetime = timedelta(seconds=settings.SESSION_MAX_SECONDS)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        sign_in(client)
        elapsed = timedelta(0)
        while elapsed + step < lifetime:
            traveller.shift(step)
            elapsed += step
            assert signed_in(client), elapsed

        traveller.shift(lifetime - elapsed + timedelta(seconds=1))

        assert not signed_in(client)


def test_the_limits_come_from_the_environment_defaults():
    assert settings.SESSION_IDLE_SECONDS == 30 * 60
    assert settings.SESSION_MAX_SECONDS == 12 * 3600
    assert settings.SESSION_COOKIE_AGE == 12 * 3600


# --- Bidirectional controls -------------------------------------------------------------------

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


def test_bidirectional_controls_in_names_are_shown_as_replacement_characters(
    client, viewer, release_manager
):
    name = "Weekly " + "".join(BIDI) + "gpj.exe"
    plan_create(name=name, project="Demo", stages=[{"target": "all"}])
    client.force_login(viewer)

    html = client.get(reverse("plan_list")).content.decode()

    assert not any(c in html for c in BIDI)
    assert "Weekly " + "\ufffd" * len(BIDI) + "gpj.exe" in html
    assert Plan.objects.get().name == name  # stored as given; only the page neutralises it
