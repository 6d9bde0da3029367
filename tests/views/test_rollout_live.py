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

    assert f"every {POLL_BASE_SECONDS}s [document.visibilityState === 'visible']" in html
    assert "visibilitychange from:document" in html
    assert poller_url(html).startswith(reverse("rollout_live", args=[rollout.pk]))


def test_nothing_changed_returns_only_the_poller_with_a_longer_interval(signed_in, release_manager):
    rollout = rollout_built(user=release_manager)
    html = signed_in.get(reverse("rollout_detail", args=[rollout.pk])).content.decode()

    seen = []
    for _ in range(6):
        html = signed_in.get(poller_url(html), HTTP_HX_REQUEST="true").content.decode()
        seen.append(interval(html))

    assert "hx-swap-oob" not in html and 'id="stages"' not in html
    assert seen == [4, 8, 16, POLL_MAX_SECONDS, POLL_MAX_SECONDS, POLL_MAX_SECONDS]


def test_a_change_in_counts_swaps_the_data_regions_but_not_the_buttons(signed_in, release_manager):
    rollout = rollout_built(user=release_manager)
    html = signed_in.get(reverse("rollout_detail", args=[rollout.pk])).content.decode()
    html = signed_in.get(poller_url(html)).content.decode()  # backed off to 4 s
    RolloutStage.objects.filter(rollout=rollout, position=2).update(count_success=7)

    html = signed_in.get(poller_url(html)).content.decode()

    assert interval(html) == POLL_BASE_SECONDS
    assert '<section id="stages" class="stages" aria-label="Stages" hx-swap-oob="true">' in html
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
