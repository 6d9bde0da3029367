"""The polled fragment: regions swap only when they changed; idle polls back off."""

import re

import pytest
from django.urls import reverse

from rollouts.models import RolloutStage, RolloutStatus, StageStatus
from rollouts.views.polling import POLL_BASE_SECONDS, POLL_MAX_SECONDS
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.django_db


def poller_url(html: str) -> str:
    match = re.search(r'id="poller" hx-get="([^"]+)"', html)
    assert match, "the page polls"
    return match.group(1).replace("&amp;", "&")


def interval(html: str) -> int:
    return int(re.search(r'id="poller"[^>]*data-interval="(\d+)"', html).group(1))


@pytest.fixture
def signed_in(client, viewer):
    client.force_login(viewer)
    return client


def test_the_page_polls_only_while_visible(signed_in, release_manager):
    rollout = rollout_built(user=release_manager)

    html = signed_in.get(reverse("rollout_detail", args=[rollout.pk])).content.decode()

    # No [filter]: htmx would have to evaluate it, which the Content-Security-Policy forbids;
    # static/js/console.js drops the poller's requests while the tab is hidden.
    assert f'hx-trigger="every {POLL_BASE_SECONDS}s, visibilitychange from:document"' in html
    assert poller_url(html).startswith(reverse("rollout_live", args=[rollout.pk]))


def test_nothing_changed_returns_only_the_poller_with_a_longer_interval(signed_in, release_manager):
    rollout = rollout_built(user=release_manager)
    html = signed_in.get(reverse("rollout_detail", args=[rollout.pk])).content.decode()

    seen = []
    for _ in range(4):
        html = signed_in.get(poller_url(html), HTTP_HX_REQUEST="true").content.decode()
        seen.append(interval(html))

    assert "hx-swap-oob" not in html and 'id="stages"' not in html
    assert seen == [4, 8, 16, POLL_MAX_SECONDS]
    at_cap = signed_in.get(poller_url(html), HTTP_HX_REQUEST="true")
    assert (at_cap.status_code, at_cap.content) == (204, b"")  # htmx keeps the 30 s poller


def test_an_unchanged_poll_is_answered_without_building_the_page(signed_in, release_manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rollout = rollout_built(user=release_manager, devices=30)
    html = signed_in.get(reverse("rollout_detail", args=[rollout.pk])).content.decode()
    url = poller_url(html)
    signed_in.get(url)  # the session and the person's permissions are warm

    with CaptureQueriesContext(connection) as full:
        signed_in.get(url.replace("v=", "v=stale"))  # as if something changed
    with CaptureQueriesContext(connection) as cheap:
        answer = signed_in.get(url)

    body = answer.content.decode()
    assert answer.status_code == 200 and body.lstrip().startswith('<div id="poller"')
    assert 'id="timeline"' not in body and "hx-swap-oob" not in body
    assert interval(body) == 2 * POLL_BASE_SECONDS
    # the page's five queries (rollout, stages, events, calls, chart) are not run at all
    assert len(full) - len(cheap) >= 5, [q["sql"][:80] for q in cheap.captured_queries]


def test_a_new_event_or_an_hour_passing_makes_the_next_poll_build_the_page(
    signed_in, release_manager, time_machine
):
    from rollouts.models import EventKind
    from rollouts.services.events import event_record

    time_machine.move_to("2026-11-30 10:00:05Z", tick=False)
    rollout = rollout_built(user=release_manager)
    html = signed_in.get(reverse("rollout_detail", args=[rollout.pk])).content.decode()
    event_record(rollout=rollout, kind=EventKind.API_ERROR, reason="Reading progress failed")

    html = signed_in.get(poller_url(html)).content.decode()
    assert 'id="timeline"' in html and "Reading progress failed" in html

    html = signed_in.get(poller_url(html)).content.decode()  # nothing new: the poller alone
    assert 'id="timeline"' not in html
    time_machine.move_to("2026-11-30 10:00:35Z", tick=False)  # what only time moves (a freeze)
    html = signed_in.get(poller_url(html)).content.decode()
    assert "hx-swap-oob" not in html  # the page was built and compared: still nothing changed
    assert poller_url(html).count("v=") == 1 and "v=" in poller_url(html)


def test_a_change_in_counts_swaps_the_data_regions_but_not_the_buttons(signed_in, release_manager):
    rollout = rollout_built(user=release_manager)
    html = signed_in.get(reverse("rollout_detail", args=[rollout.pk])).content.decode()
    html = signed_in.get(poller_url(html)).content.decode()  # backed off to 4 s
    RolloutStage.objects.filter(rollout=rollout, position=2).update(count_success=7)

    html = signed_in.get(poller_url(html)).content.decode()

    assert interval(html) == POLL_BASE_SECONDS
    assert (
        '<section id="stages" class="stages" aria-labelledby="stages-title" hx-swap-oob="true">'
        in html
    )
    assert '<b data-count="success">7</b>' in html
    assert 'id="timeline"' in html and 'id="banner"' in html
    assert 'id="actions"' not in html  # an open confirmation form is left alone


def test_a_stage_awaiting_approval_swaps_the_buttons_in(client, release_manager):
    rollout = rollout_built(user=release_manager, second_stage_approved=False)
    client.force_login(release_manager)
    html = client.get(reverse("rollout_detail", args=[rollout.pk])).content.decode()
    assert "Approve next stage" not in html
    RolloutStage.objects.filter(rollout=rollout, position=2).update(status=StageStatus.SUCCEEDED)
    RolloutStage.objects.filter(rollout=rollout, position=3).update(approved_at=None)

    html = client.get(poller_url(html)).content.decode()

    assert '<div id="actions" class="actions" hx-swap-oob="true">' in html
    assert "Approve next stage" in html and "Confirm: approve stage 3" in html


def test_a_finished_rollout_stops_polling(signed_in, release_manager):
    rollout = rollout_built(user=release_manager)
    html = signed_in.get(reverse("rollout_detail", args=[rollout.pk])).content.decode()
    rollout.status = RolloutStatus.COMPLETED
    rollout.save()

    html = signed_in.get(poller_url(html)).content.decode()

    assert 'data-active="false"' in html and "hx-trigger" not in html.split('id="poller"')[1][:200]
    assert "Completed" in html
