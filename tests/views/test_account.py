"""Time zones: pages in the viewer's zone with the zone said; the browser's zone (its `tz`
cookie) until the person chooses one; a refused zone is a form error; CSV and API stay UTC."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from rollouts.models import Event, Profile, Rollout, RolloutStatus
from rollouts.services.timezones import SESSION_KEY
from rollouts.services.tokens import api_token_create
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.django_db

# 14:03:05 UTC is 23:03:05 in Tokyo (UTC+9, no daylight saving) and 15:03:05 in Berlin (CET).
AT = datetime(2026, 12, 1, 14, 3, 5, tzinfo=UTC)
TOKYO_TEXT = "Dec 1, 2026 23:03 JST"
TOKYO_ISO = "2026-12-01T23:03:05+09:00"


@pytest.fixture
def rollout(release_manager):
    rollout = rollout_built(user=release_manager, status=RolloutStatus.COMPLETED)
    Rollout.objects.filter(pk=rollout.pk).update(created_at=AT, started_at=AT, finished_at=AT)
    Event.objects.filter(rollout=rollout).update(created_at=AT)
    return rollout


def history_html(client) -> str:
    response = client.get(reverse("history"))
    assert response.status_code == 200
    return response.content.decode()


def test_a_page_for_a_person_in_tokyo_shows_tokyo_time_with_its_zone(client, viewer, rollout):
    Profile.objects.create(user=viewer, timezone="Asia/Tokyo")
    client.force_login(viewer)

    html = history_html(client)

    assert TOKYO_TEXT in html
    assert f'<time datetime="{TOKYO_ISO}" title="{TOKYO_ISO} Asia/Tokyo">' in html
    assert "14:03" not in html  # not the UTC wall time
    detail = client.get(reverse("rollout_detail", args=[rollout.pk])).content.decode()
    assert "Dec 1, 23:03:05 JST" in detail  # the timeline's events
    assert "Dec 1, 23:03 JST" in detail  # started, completed
    assert 'aria-label="JST: your time zone, Asia/Tokyo">JST</a>' in detail  # the account menu


def test_a_session_from_before_the_choice_was_kept_in_it_reads_it_once(client, viewer, rollout):
    client.force_login(viewer)
    Profile.objects.create(user=viewer, timezone="Asia/Tokyo")
    session = client.session
    del session[SESSION_KEY]
    session.save()

    assert TOKYO_TEXT in history_html(client)
    assert client.session[SESSION_KEY] == "Asia/Tokyo"


def test_without_a_choice_the_browser_zone_cookie_is_used(client, viewer, rollout):
    client.force_login(viewer)
    client.cookies["tz"] = "Asia/Tokyo"

    assert TOKYO_TEXT in history_html(client)
    page = client.get(reverse("account-timezone")).content.decode()
    assert "Asia/Tokyo</strong>\n  (your browser's)" in page


def test_without_choice_or_cookie_pages_use_the_console_default(client, viewer, rollout, settings):
    settings.TIME_ZONE = "UTC"
    client.force_login(viewer)

    assert "Dec 1, 2026 14:03 UTC" in history_html(client)


def test_a_cookie_that_names_no_zone_is_ignored(client, viewer, rollout):
    client.force_login(viewer)
    client.cookies["tz"] = "Mars/Olympus_Mons"

    assert "Dec 1, 2026 14:03 UTC" in history_html(client)


def test_the_chosen_zone_wins_over_the_browser(client, viewer, rollout):
    client.force_login(viewer)
    client.cookies["tz"] = "Europe/Berlin"
    assert "Dec 1, 2026 15:03 CET" in history_html(client)

    response = client.post(reverse("account-timezone"), {"timezone": "Asia/Tokyo"}, follow=True)

    assert "Times are now shown in Asia/Tokyo." in response.content.decode()
    assert Profile.objects.get(user=viewer).timezone == "Asia/Tokyo"
    assert TOKYO_TEXT in history_html(client)


def test_choosing_the_browser_again_clears_the_choice(client, viewer, rollout):
    Profile.objects.create(user=viewer, timezone="Asia/Tokyo")
    client.force_login(viewer)
    client.cookies["tz"] = "Europe/Berlin"

    client.post(reverse("account-timezone"), {"timezone": ""})

    assert Profile.objects.get(user=viewer).timezone == ""
    assert "Dec 1, 2026 15:03 CET" in history_html(client)


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "asia/tokyo", "Asia/Tokyo\x00", "x" * 300])
def test_an_unknown_zone_is_a_form_error_and_keeps_the_choice(client, viewer, bad):
    Profile.objects.create(user=viewer, timezone="Europe/Berlin")
    client.force_login(viewer)

    response = client.post(reverse("account-timezone"), {"timezone": bad})

    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="field-error"' in html
    assert "is not a time zone: pick one from the list" in html
    assert Profile.objects.get(user=viewer).timezone == "Europe/Berlin"


def test_the_time_zone_page_needs_a_sign_in(client):
    response = client.get(reverse("account-timezone"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_start_at_field_says_the_zone_it_is_read_in(client, release_manager):
    Profile.objects.create(user=release_manager, timezone="Asia/Tokyo")
    client.force_login(release_manager)

    html = client.get(reverse("rollout_new")).content.decode()

    assert "Time zone: Asia/Tokyo" in html


def test_csv_and_api_stay_iso_utc_whatever_the_zone(client, viewer, rollout):
    Profile.objects.create(user=viewer, timezone="Asia/Tokyo")
    client.force_login(viewer)
    client.cookies["tz"] = "Asia/Tokyo"

    response = client.get(reverse("history_csv"))
    body = b"".join(response.streaming_content) if response.streaming else response.content
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    mine = next(r for r in rows if r["id"] == str(rollout.pk))
    assert mine["created_at"] == "2026-12-01T14:03:05+00:00"

    _, raw = api_token_create(user=viewer, name="tz")
    api = APIClient()
    api.cookies["tz"] = "Asia/Tokyo"
    answer = api.get(
        reverse("api-rollout", args=[rollout.pk]), HTTP_AUTHORIZATION=f"Bearer {raw}"
    ).json()
    assert answer["created_at"] in ("2026-12-01T14:03:05Z", "2026-12-01T14:03:05+00:00")
