"""The kill switch on the dashboard: an admin-only card with two confirmations, and a red
banner on every page while it is on."""

import pytest
from django.test import Client
from django.urls import reverse

from rollouts.models import KillSwitchUse, Rollout, RolloutStatus
from rollouts.services.kill_switch import rollouts_pause_all, rollouts_resume_paused_by_switch
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.django_db

BANNER = 'id="kill-switch-on"'


def pages(rollout) -> list[str]:
    return [
        reverse("dashboard"),
        reverse("plan_list"),
        reverse("history"),
        reverse("freeze_list"),
        reverse("rollout_detail", args=[rollout.pk]),
        reverse("account-tokens"),
    ]


def statuses(*rollouts) -> list[tuple[str, str]]:
    return [
        tuple(Rollout.objects.values_list("status", "pause_cause").get(pk=r.pk)) for r in rollouts
    ]


def test_the_card_is_for_admins_only(client, console_admin, release_manager, viewer):
    client.force_login(console_admin)
    html = client.get(reverse("dashboard")).content.decode()
    assert 'id="kill-switch"' in html and "Pause every rollout" in html
    assert f'action="{reverse("kill_switch_engage")}"' in html
    assert "csrfmiddlewaretoken" in html

    for user in (release_manager, viewer):
        client.force_login(user)
        html = client.get(reverse("dashboard")).content.decode()
        assert 'id="kill-switch"' not in html and "Pause every rollout" not in html


@pytest.mark.parametrize("name", ["kill_switch_engage", "kill_switch_release"])
def test_viewers_and_managers_get_403(client, release_manager, viewer, console_admin, name):
    rollout = rollout_built(user=release_manager)
    if name == "kill_switch_release":
        rollouts_pause_all(actor=console_admin, reason="incident")
    before = statuses(rollout)

    for user in (release_manager, viewer):
        client.force_login(user)
        response = client.post(reverse(name), {"reason": "mine now"})
        assert response.status_code == 403

    assert statuses(rollout) == before
    assert KillSwitchUse.objects.filter(engaged=True).count() == (name == "kill_switch_release")


def test_an_admin_pauses_every_rollout_then_resumes_those(client, console_admin, release_manager):
    running = [rollout_built(user=release_manager) for _ in range(2)]
    person = rollout_built(user=release_manager, status=RolloutStatus.PAUSED, pause_cause="person")
    client.force_login(console_admin)

    response = client.post(reverse("kill_switch_engage"), {"reason": "bad build"}, follow=True)

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert "Kill switch on: 2 running rollouts paused." in html
    assert statuses(*running, person) == [("paused", "kill_switch")] * 2 + [("paused", "person")]
    assert BANNER in html and "Resume those" in html

    response = client.post(reverse("kill_switch_release"), {"reason": ""}, follow=True)

    html = response.content.decode()
    assert "Kill switch released: 2 rollouts it paused resumed." in html
    assert statuses(*running, person) == [("running", "")] * 2 + [("paused", "person")]
    assert BANNER not in html and "Pause every rollout" in html


def test_a_reason_is_required_and_a_second_use_is_refused(client, console_admin, release_manager):
    rollout_built(user=release_manager)
    client.force_login(console_admin)

    html = client.post(reverse("kill_switch_engage"), {"reason": " "}, follow=True).content
    assert "Nothing was done: Say why every rollout is paused." in html.decode()
    assert not KillSwitchUse.objects.exists()

    client.post(reverse("kill_switch_engage"), {"reason": "incident"})
    html = client.post(reverse("kill_switch_engage"), {"reason": "again"}, follow=True).content
    assert "Nothing was done: The kill switch is already on" in html.decode()
    client.post(reverse("kill_switch_release"), {})
    html = client.post(reverse("kill_switch_release"), {}, follow=True).content
    assert "Nothing was done: The kill switch is not on." in html.decode()


def test_the_forms_need_the_csrf_token(console_admin, release_manager):
    rollout = rollout_built(user=release_manager)
    client = Client(enforce_csrf_checks=True)
    client.force_login(console_admin)

    response = client.post(reverse("kill_switch_engage"), {"reason": "no token"})

    assert response.status_code == 403
    assert statuses(rollout) == [("running", "")]
    assert not KillSwitchUse.objects.exists()


def test_every_page_shows_the_banner_while_it_is_on(client, console_admin, viewer):
    rollout = rollout_built(user=viewer)
    rollouts_pause_all(actor=console_admin, reason="incident 42")
    client.force_login(viewer)

    for url in pages(rollout):
        html = client.get(url).content.decode()
        assert BANNER in html, url
        assert "Kill switch on" in html and "incident 42" in html and "(ada)" in html, url
        assert "Resume those</a>" not in html, url  # the link is for admins

    rollouts_resume_paused_by_switch(actor=console_admin)
    for url in pages(rollout):
        assert BANNER not in client.get(url).content.decode(), url


def test_no_banner_on_the_sign_in_page_nor_for_a_person_without_a_role(
    client, console_admin, outsider
):
    rollouts_pause_all(actor=console_admin, reason="incident")

    assert BANNER not in client.get(reverse("login")).content.decode()
    client.force_login(outsider)
    assert BANNER not in client.get(reverse("dashboard")).content.decode()


def test_a_paused_rollouts_page_says_the_kill_switch_paused_it(
    client, console_admin, release_manager
):
    rollout = rollout_built(user=release_manager)
    rollouts_pause_all(actor=console_admin, reason="incident 7")
    client.force_login(release_manager)

    html = client.get(reverse("rollout_detail", args=[rollout.pk])).content.decode()

    assert 'data-cause="kill_switch"' in html
    assert "Paused by the kill switch: incident 7" in html
