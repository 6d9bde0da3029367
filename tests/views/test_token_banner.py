"""Every console page says so when Upswift rejected the API token (a rollout paused with cause
token_rejected): the fix is outside the console, in its settings."""

import pytest
from django.urls import reverse

from rollouts.models import RolloutStatus
from tests.support.console_data import TOKEN_REJECTED_REASON, rollout_built

pytestmark = pytest.mark.django_db

BANNER = "Upswift rejected the API token — update UPSWIFT_USER_TOKEN and resume the paused rollouts"


def pages(rollout) -> list[str]:
    return [
        reverse("dashboard"),
        reverse("plan_list"),
        reverse("history"),
        reverse("rollout_detail", args=[rollout.pk]),
        reverse("account-tokens"),
    ]


def paused(user, cause: str, **fields):
    return rollout_built(user=user, status=RolloutStatus.PAUSED, pause_cause=cause, **fields)


def test_every_page_shows_the_banner_while_a_rollout_waits_for_a_new_token(
    client, viewer, release_manager
):
    rollout = paused(release_manager, "token_rejected", status_reason=TOKEN_REJECTED_REASON)
    client.force_login(viewer)

    for url in pages(rollout):
        html = client.get(url).content.decode()
        assert BANNER in html, url
    assert f'href="{reverse("history")}?status=paused"' in html


@pytest.mark.parametrize(
    "state",
    [
        {"status": RolloutStatus.PAUSED, "pause_cause": "deadline"},
        {"status": RolloutStatus.PAUSED, "pause_cause": "api_unavailable"},
        # resumed (or aborted): the cause is cleared with the pause
        {"status": RolloutStatus.RUNNING, "pause_cause": ""},
        {"status": RolloutStatus.ABORTED, "pause_cause": ""},
    ],
)
def test_no_banner_without_a_rollout_paused_for_the_token(client, viewer, release_manager, state):
    rollout = rollout_built(user=release_manager, **state)
    client.force_login(viewer)

    for url in pages(rollout):
        html = client.get(url).content.decode()
        assert BANNER not in html, url
        assert "Upswift rejected the API token" not in html, url


def test_the_banner_goes_once_the_rollout_is_resumed(client, viewer, release_manager):
    rollout = paused(release_manager, "token_rejected")
    client.force_login(viewer)
    assert BANNER in client.get(reverse("dashboard")).content.decode()

    type(rollout).objects.filter(pk=rollout.pk).update(status=RolloutStatus.RUNNING, pause_cause="")

    assert BANNER not in client.get(reverse("dashboard")).content.decode()


def test_not_on_the_sign_in_page_nor_for_a_person_without_a_role(client, outsider, release_manager):
    paused(release_manager, "token_rejected")

    assert BANNER not in client.get(reverse("login")).content.decode()
    client.force_login(outsider)
    assert BANNER not in client.get(reverse("dashboard")).content.decode()
