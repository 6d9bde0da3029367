"""Every page needs sign-in; outsiders get 403; viewers read; only managers act."""

import pytest
from django.urls import reverse

from rollouts.models import RolloutStatus
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.django_db


@pytest.fixture
def rollout(release_manager):
    return rollout_built(user=release_manager)


def read_pages(rollout):
    return [
        reverse("dashboard"),
        reverse("plan_list"),
        reverse("history"),
        reverse("history_csv"),
        reverse("rollout_detail", args=[rollout.pk]),
        reverse("rollout_live", args=[rollout.pk]),
        reverse("rollout_calls", args=[rollout.pk]),
        reverse("stage_devices", args=[rollout.pk, 1]),
        reverse("rollout_preview") + f"?plan={rollout.plan_id}",
    ]


def manager_pages(rollout):
    return [
        reverse("plan_create"),
        reverse("plan_edit", args=[rollout.plan_id]),
        reverse("plan_clone", args=[rollout.plan_id]),
        reverse("rollout_new"),
    ]


def action_urls(rollout):
    return [
        reverse("rollout_approve", args=[rollout.pk]),
        reverse("rollout_pause", args=[rollout.pk]),
        reverse("rollout_resume", args=[rollout.pk]),
        reverse("rollout_abort", args=[rollout.pk]),
        reverse("stage_retry", args=[rollout.pk, 2]),
        reverse("rollout_accept_shortfall", args=[rollout.pk]),
        reverse("rollout_send_again", args=[rollout.pk]),
        reverse("rollout_confirm_sent", args=[rollout.pk]),
    ]


def test_anonymous_visitors_are_sent_to_sign_in(client, rollout):
    for url in read_pages(rollout) + manager_pages(rollout):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_a_poll_after_the_session_ended_redirects_the_whole_page(client, rollout):
    response = client.get(reverse("rollout_live", args=[rollout.pk]), HTTP_HX_REQUEST="true")

    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("login")


def test_a_signed_in_user_without_a_role_is_refused_everywhere(client, outsider, rollout):
    client.force_login(outsider)

    for url in read_pages(rollout) + manager_pages(rollout):
        response = client.get(url)
        assert response.status_code == 403, url
    assert b"no role yet" in client.get(reverse("dashboard")).content


def test_a_viewer_reads_every_page_but_not_the_editors(client, viewer, rollout):
    client.force_login(viewer)

    for url in read_pages(rollout):
        assert client.get(url).status_code == 200, url
    for url in manager_pages(rollout):
        assert client.get(url).status_code == 403, url


def test_a_viewer_posting_an_action_gets_403_and_nothing_changes(client, viewer, rollout):
    client.force_login(viewer)

    for url in action_urls(rollout):
        response = client.post(url, {"reason": "because", "comment": "ok"})
        assert response.status_code == 403, url
    rollout.refresh_from_db()
    assert rollout.status == RolloutStatus.RUNNING
    assert not rollout.events.filter(actor=viewer).exists()


def test_a_viewer_cannot_create_a_plan_by_posting(client, viewer):
    client.force_login(viewer)

    response = client.post(reverse("plan_create"), {"name": "Sneaky", "project": "Demo"})

    assert response.status_code == 403


def test_actions_only_accept_post(client, release_manager, rollout):
    client.force_login(release_manager)

    for url in action_urls(rollout):
        assert client.get(url).status_code == 405, url


def test_a_release_manager_and_an_admin_open_the_editors(
    client, release_manager, console_admin, rollout
):
    for user in (release_manager, console_admin):
        client.force_login(user)
        for url in manager_pages(rollout):
            assert client.get(url).status_code == 200, (user, url)


def test_the_navigation_offers_what_the_role_allows(client, viewer, release_manager, console_admin):
    client.force_login(viewer)
    as_viewer = client.get(reverse("dashboard")).content.decode()
    client.force_login(release_manager)
    as_manager = client.get(reverse("dashboard")).content.decode()
    client.force_login(console_admin)
    as_admin = client.get(reverse("dashboard")).content.decode()

    assert "New rollout" not in as_viewer and "viewer" in as_viewer
    assert "New rollout" in as_manager and reverse("admin:index") not in as_manager
    assert reverse("admin:index") in as_admin
