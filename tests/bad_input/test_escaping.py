"""Hostile text (markup, attribute breakers, htmx attributes, very long unicode) in plans,
rollouts, comments, reasons, events, the Upswift API's error messages and token names is
shown escaped on every page that shows it, and never as markup."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from tests.bad_input.helpers import XSS, injected_markup
from tests.bad_input.scene import (
    IMG,
    SCRIPT,
    SENT_ERROR,
    SVG,
    TEXTAREA,
    hostile_scene,
    hostile_settings,
)
from tests.bad_input.test_login_throttle import LOCKED, fail_until_locked

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(settings, release_manager):
    hostile_settings(settings)
    return hostile_scene(user=release_manager)


@pytest.fixture
def manager(client, release_manager):
    client.force_login(release_manager)
    return client


def assert_escaped(html: str, *, shown: tuple[str, ...] = ()) -> None:
    """No hostile string comes back raw, nothing injected parses as markup, and the strings
    the page is meant to show are there, escaped (so this test cannot pass by showing none)."""
    raw_found = [raw for raw in XSS if raw in html]
    missing = [raw[:60] for raw in shown if escape(raw) not in html]
    assert raw_found == []
    assert injected_markup(html) == []
    assert missing == [], "not shown (escaped)"


def test_the_scene_went_through_the_engine(scene):
    """The API's error message reached every place the engine writes it."""
    recorded = scene.error_message
    assert len(recorded) > 200 and SENT_ERROR.startswith(recorded.removesuffix("…"))
    # A rejected deploy pauses the rollout for a person (it may be fixable), with the reason.
    assert scene.failed.status == "paused" and recorded in scene.failed.status_reason
    assert scene.failed.stages.get(position=1).last_error == recorded


def test_the_dashboard(manager, scene):
    html = manager.get(reverse("dashboard")).content.decode()

    # approvals and active rollouts: app name, version, plan and stage names; troubles: the
    # pause reason; the API panel: the last error message.
    assert_escaped(html, shown=(SCRIPT, SVG, TEXTAREA, f"{SCRIPT} {IMG}"))
    assert escape(scene.error_message[:200]) in html


@pytest.mark.parametrize("view", ["plan_list", "plan_edit", "plan_clone"])
def test_the_plan_pages(manager, scene, view):
    url = reverse(view, args=[scene.plan.pk] if view != "plan_list" else [])

    html = manager.get(url).content.decode()

    assert_escaped(html, shown=(SCRIPT, IMG, TEXTAREA, SVG))


def test_the_new_rollout_form_and_its_preview(manager, scene):
    form = manager.get(reverse("rollout_new"), {"plan": scene.plan.pk}).content.decode()
    preview = manager.get(reverse("rollout_preview"), {"plan": scene.plan.pk}).content.decode()

    assert_escaped(form, shown=(SCRIPT, IMG))
    assert_escaped(preview, shown=(IMG, SCRIPT, TEXTAREA))


@pytest.mark.parametrize("which", ["failed", "paused", "awaiting"])
def test_the_rollout_page_and_its_live_fragment(manager, scene, which):
    rollout = getattr(scene, which)

    page = manager.get(reverse("rollout_detail", args=[rollout.pk])).content.decode()
    live = manager.get(reverse("rollout_live", args=[rollout.pk])).content.decode()

    shown = (SCRIPT, IMG, SVG, " ".join(XSS))  # app, flow, version, comment
    assert_escaped(page, shown=shown)
    assert_escaped(live, shown=(SVG, TEXTAREA))  # stage names
    if which == "failed":
        for html in (page, live):
            assert_escaped(html, shown=(scene.error_message,))  # banner, stages, calls
    if which == "paused":
        assert escape(f"{SCRIPT} {IMG}") in page  # the pause reason
        assert f"“{escape(TEXTAREA)}”" in page  # the approval comment


def test_the_devices_and_calls_pages(manager, scene):
    devices_url = reverse("stage_devices", args=[scene.failed.pk, 1])

    page = manager.get(devices_url).content.decode()
    fragment = manager.get(devices_url, HTTP_HX_REQUEST="true").content.decode()
    calls = manager.get(reverse("rollout_calls", args=[scene.failed.pk])).content.decode()

    assert_escaped(page, shown=(SCRIPT, IMG))
    assert_escaped(fragment, shown=(SCRIPT, IMG))
    assert_escaped(calls, shown=(scene.error_message,))


@pytest.mark.parametrize("query", [{}, {"q": SCRIPT}, {"q": IMG, "version": SVG, "status": IMG}])
def test_the_history_page_and_its_filters(manager, scene, query):
    html = manager.get(reverse("history"), query).content.decode()

    assert_escaped(html, shown=(SCRIPT, SVG))


def test_the_history_csv_is_a_download_not_a_page(manager, scene):
    response = manager.get(reverse("history_csv"))
    text = b"".join(response.streaming_content).decode()

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert SCRIPT in text  # plain text in a CSV cell, never rendered


def test_the_api_answers_json_the_browser_will_not_sniff(scene, release_manager):
    from rollouts.services.tokens import api_token_create

    _, raw = api_token_create(user=release_manager, name="pipeline")
    url = reverse("api-rollout", args=[scene.failed.pk])

    response = Client().get(url, HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.json()["app_name"] == SCRIPT


def test_the_api_tokens_page(manager, scene):
    html = manager.get(reverse("account-tokens")).content.decode()

    assert_escaped(html, shown=(IMG,))


def test_a_hostile_token_name_is_shown_escaped_when_created(manager):
    html = manager.post(reverse("account-tokens"), {"name": SCRIPT}).content.decode()

    assert_escaped(html, shown=(SCRIPT,))


def test_the_sign_in_and_lockout_pages_echo_escaped(client, db):
    login = client.get(reverse("login"), {"next": IMG}).content.decode()
    fail_until_locked(client, SCRIPT)
    locked = client.post(reverse("login"), {"username": SCRIPT, "password": "x"})

    assert_escaped(login, shown=(IMG,))
    assert LOCKED in locked.content.decode()
    assert_escaped(locked.content.decode(), shown=(SCRIPT,))


def test_a_hostile_path_is_not_echoed_raw(manager):
    html = manager.get("/plans/" + SCRIPT + "/").content.decode()

    assert_escaped(html)
