"""/account/tokens/: a person lists, creates (raw token shown once) and revokes their tokens."""

import pytest
from django.urls import reverse

from rollouts.models import ApiToken
from rollouts.services.tokens import api_token_authenticate, api_token_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("account-tokens")


@pytest.fixture
def signed_in(client, viewer):
    client.force_login(viewer)
    return client


def test_the_page_needs_sign_in(client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_page_lists_only_my_tokens(signed_in, viewer):
    mine, _ = api_token_create(user=viewer, name="GitHub Actions")
    api_token_create(user=UserFactory(), name="Someone else's")

    response = signed_in.get(PAGE)

    page = response.content.decode()
    assert "GitHub Actions" in page and mine.prefix in page
    assert "Someone else" not in page
    assert "never" in page  # not used yet


def test_creating_shows_the_raw_token_once(signed_in, viewer):
    response = signed_in.post(PAGE, {"name": "GitLab CI"})

    assert response.status_code == 200
    token = ApiToken.objects.get(user=viewer)
    raw = response.context["raw_token"]
    assert raw in response.content.decode() and "shown only this once" in response.content.decode()
    assert api_token_authenticate(raw) == viewer
    assert token.name == "GitLab CI"
    assert "no-store" in response["Cache-Control"]

    again = signed_in.get(PAGE)
    assert raw not in again.content.decode()
    assert token.prefix in again.content.decode()


def test_a_name_is_required(signed_in, viewer):
    response = signed_in.post(PAGE, {"name": "  "})

    assert response.status_code == 200
    assert response.context["raw_token"] is None
    assert not ApiToken.objects.exists()
    assert "required" in response.content.decode()


def test_revoke_my_token(signed_in, viewer):
    token, raw = api_token_create(user=viewer, name="old")

    response = signed_in.post(reverse("account-token-revoke", args=[token.pk]), follow=True)

    assert "revoked" in response.content.decode()
    assert api_token_authenticate(raw) is None
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_i_cannot_revoke_someone_elses_token(signed_in):
    token, raw = api_token_create(user=UserFactory(), name="theirs")

    response = signed_in.post(reverse("account-token-revoke", args=[token.pk]))

    assert response.status_code == 404
    assert api_token_authenticate(raw) is not None


def test_revoke_is_post_only(signed_in, viewer):
    token, raw = api_token_create(user=viewer, name="mine")

    response = signed_in.get(reverse("account-token-revoke", args=[token.pk]))

    assert response.status_code == 405
    assert api_token_authenticate(raw) == viewer
