"""BearerTokenAuthentication: no token, a bad token or a revoked one is a 401 with
`WWW-Authenticate: Bearer`; a good one acts as its user."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from rollouts.models import ApiToken
from rollouts.services.tokens import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db

PLANS = reverse("api-plans")


def test_no_token_is_a_401_asking_for_a_bearer_token(anonymous):
    response = anonymous.get(PLANS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }


@pytest.mark.parametrize(
    "header",
    [
        "Bearer usc_not-a-real-token",
        "Bearer",
        "Bearer two parts",
        "bearer ünïcode",
        "Bearer " + "x" * 5000,
    ],
)
def test_a_bad_token_is_a_401(viewer, header):
    api_token_create(user=viewer, name="ci")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(PLANS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == "authentication_failed"


def test_a_revoked_token_is_a_401(viewer, api_as):
    client = api_as(viewer)
    assert client.get(PLANS).status_code == 200
    token = ApiToken.objects.get(user=viewer)

    api_token_revoke(token=token, actor=viewer)
    response = client.get(PLANS)

    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid or revoked API token."


def test_a_token_of_a_deactivated_user_is_a_401(viewer, api_as):
    client = api_as(viewer)
    viewer.is_active = False
    viewer.save()

    assert client.get(PLANS).status_code == 401


def test_a_good_token_acts_as_its_user_and_records_its_use(manager, api_as):
    client = api_as(manager)

    response = client.post(
        PLANS,
        {"name": "Mine", "project": "Demo", "stages": [{"target": "all"}]},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["created_by"] == "rita"
    assert ApiToken.objects.get(user=manager).last_used_at is not None


def test_a_signed_in_browser_session_is_not_enough(client, manager):
    client.force_login(manager)

    response = client.get(PLANS)

    assert response.status_code == 401
