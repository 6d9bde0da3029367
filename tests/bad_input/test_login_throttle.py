"""Sign-in throttling (django-axes): five wrong passwords for a username from one address
lock that pair out for the cool-off, even for the right password; others sign in as usual,
API tokens keep working, and after the cool-off the right password works again."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rollouts.services.tokens import api_token_create
from tests.support.roles import PASSWORD

pytestmark = pytest.mark.django_db

LOCKED = "Too many sign-in attempts"


def sign_in(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def fail_until_locked(client: Client, username: str) -> None:
    """Wrong passwords up to the limit: the form says so each time, and the last one already
    answers the lockout page."""
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = sign_in(client, username, "wrong-password")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    response = sign_in(client, username, "wrong-password")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()


def test_the_defaults_are_five_attempts_and_fifteen_minutes():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_the_sixth_attempt_is_refused_even_with_the_right_password(client, release_manager):
    fail_until_locked(client, release_manager.username)

    response = sign_in(client, release_manager.username, PASSWORD)

    html = response.content.decode()
    assert response.status_code == 429
    assert LOCKED in html
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    assert f"for {minutes} minutes" in " ".join(html.split())
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("dashboard")).status_code == 302  # still signed out


def test_another_person_is_not_affected(client, release_manager, other_manager):
    fail_until_locked(client, release_manager.username)

    response = sign_in(client, other_manager.username, PASSWORD)

    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


def test_after_the_cool_off_the_right_password_works(client, release_manager):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        fail_until_locked(client, release_manager.username)
        assert sign_in(client, release_manager.username, PASSWORD).status_code == 429

        traveller.shift(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
        response = sign_in(client, release_manager.username, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


def test_a_success_before_the_limit_starts_the_count_again(client, release_manager):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, release_manager.username, "wrong-password")
    assert sign_in(client, release_manager.username, PASSWORD).status_code == 302
    client.post(reverse("logout"))

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, release_manager.username, "wrong-password")
    response = sign_in(client, release_manager.username, PASSWORD)

    assert response.status_code == 302


def test_the_api_token_of_a_locked_out_person_keeps_working(client, release_manager):
    """Bearer tokens never call authenticate(): a guesser cannot stop a person's pipeline."""
    _, raw = api_token_create(user=release_manager, name="pipeline")
    fail_until_locked(client, release_manager.username)
    assert sign_in(client, release_manager.username, PASSWORD).status_code == 429

    response = Client().get(reverse("api-plans"), HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 200


def test_wrong_api_tokens_do_not_lock_anyone_out(client, release_manager):
    api = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        response = api.get(reverse("api-plans"), HTTP_AUTHORIZATION="Bearer usc_wrong")
        assert response.status_code == 401

    assert sign_in(client, release_manager.username, PASSWORD).status_code == 302
