"""The schema and the docs pages need a signed-in person or an API token; API_DOCS_PUBLIC
opens them. A browser that is not signed in is sent to sign in and comes back."""

import json

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = ["api-docs", "api-redoc"]


def test_the_schema_without_a_token_is_a_json_401(anonymous):
    response = anonymous.get(reverse("api-schema"))

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "json" in response["Content-Type"]
    assert json.loads(response.content)["detail"]
    assert "paths" not in response.content.decode()


def test_the_schema_with_a_token_or_a_session(api_as, viewer, client):
    assert api_as(viewer).get(reverse("api-schema")).json()["openapi"].startswith("3.")
    client.force_login(viewer)
    assert client.get(reverse("api-schema")).status_code == 200


def test_a_wrong_token_is_refused(anonymous):
    anonymous.credentials(HTTP_AUTHORIZATION="Bearer usc_not-a-token")

    assert anonymous.get(reverse("api-schema")).status_code == 401


@pytest.mark.parametrize("name", PAGES)
def test_a_docs_page_sends_a_visitor_to_sign_in_and_back(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse(name)}"


def test_the_swagger_start_up_script_is_closed_too(client, viewer):
    url = reverse("api-docs") + "?script="

    assert client.get(url).status_code == 302
    client.force_login(viewer)
    script = client.get(url)
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert reverse("api-schema") in script.content.decode()


@pytest.mark.parametrize("name", PAGES)
def test_a_signed_in_person_reads_the_docs(client, viewer, name):
    client.force_login(viewer)

    response = client.get(reverse(name))

    assert response.status_code == 200
    assert reverse("api-schema") in response.content.decode()


def test_api_docs_public_opens_them(settings, anonymous, client):
    settings.API_DOCS_PUBLIC = True

    assert anonymous.get(reverse("api-schema")).status_code == 200
    assert client.get(reverse("api-docs")).status_code == 200
    assert client.get(reverse("api-redoc")).status_code == 200


def test_closed_by_default():
    from django.conf import settings

    assert settings.API_DOCS_PUBLIC is False
