import logging

import pytest
from django.urls import reverse

from upswift_console.logging import RedactSecretsFilter


def test_login_page_renders_a_form(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b"csrfmiddlewaretoken" in response.content


def test_dashboard_requires_sign_in(client):
    response = client.get(reverse("dashboard"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_signed_in_user_sees_the_dashboard(client, viewer):
    client.force_login(viewer)

    response = client.get(reverse("dashboard"))

    assert response.status_code == 200
    assert b"No worker has reported" in response.content


@pytest.mark.django_db
def test_healthz_answers_with_the_database_up(client):
    response = client.get(reverse("healthz"))

    assert response.json() == {"status": "ok"}


def test_log_filter_scrubs_the_upswift_token(settings):
    settings.UPSWIFT_USER_TOKEN = "tok-very-secret"
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "sent %s", ("tok-very-secret",), None
    )

    RedactSecretsFilter().filter(record)

    assert record.getMessage() == "sent ***"
