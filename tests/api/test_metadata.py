"""OPTIONS answers what `Allow` lists, and every method `Allow` lists is answered."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name, args",
    [("api-plans", []), ("api-rollouts", []), ("api-rollout-pause", [1]), ("api-plan", [1])],
)
def test_options_answers_the_methods_allow_lists(admin, api_as, name, args):
    response = api_as(admin).options(reverse(name, args=args))

    assert response.status_code == 200, response.content
    allowed = [m.strip() for m in response["Allow"].split(",")]
    assert "OPTIONS" in allowed
    assert response.json() == {
        "methods": allowed,
        "renders": ["application/json"],
        "parses": ["application/json"],
        "schema": reverse("api-schema"),
    }


def test_a_method_not_allowed_is_405_with_an_allow_header_that_holds(admin, api_as):
    client = api_as(admin)

    response = client.delete(reverse("api-plans"))

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    allowed = {m.strip() for m in response["Allow"].split(",")}
    assert allowed == {"GET", "POST", "HEAD", "OPTIONS"}
    assert client.head(reverse("api-plans")).status_code == 200
    assert client.options(reverse("api-plans")).status_code == 200


def test_options_needs_a_token(anonymous):
    response = anonymous.options(reverse("api-plans"))

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
