"""How the client turns answers and transport failures into typed errors: which are
retryable, which left the outcome unknown, which rejected the token, and Retry-After."""

import pickle
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
import responses
import time_machine

from tests.upswift.fake_api import DEPLOY_URL, DETAILS_URL, TOKEN, deploy
from upswift.client import UpswiftClient, parse_retry_after
from upswift.errors import RateLimited, Rejected, Transient, UpswiftError


def test_429_without_retry_after_is_rate_limited(rsps, client):
    rsps.add(responses.POST, DEPLOY_URL, status=429, json={})

    with pytest.raises(RateLimited) as caught:
        deploy(client)

    error = caught.value
    assert (error.status, error.retryable, error.retry_after) == (429, True, None)
    assert "API limit reached" in str(error)
    assert error.duration_ms >= 0


def test_429_with_retry_after_seconds(rsps, client):
    rsps.add(responses.POST, DEPLOY_URL, status=429, json={}, headers={"Retry-After": "30"})

    with pytest.raises(RateLimited) as caught:
        deploy(client)

    assert caught.value.retry_after == 30.0


def test_429_with_retry_after_http_date(rsps, client):
    now = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    retry_at = format_datetime(now + timedelta(seconds=90), usegmt=True)
    rsps.add(responses.POST, DEPLOY_URL, status=429, json={}, headers={"Retry-After": retry_at})

    with time_machine.travel(now, tick=False), pytest.raises(RateLimited) as caught:
        deploy(client)

    assert caught.value.retry_after == 90.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 0.0), ("2.5", 2.5), ("-4", 0.0), ("soon", None), ("", None), (None, None)],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value) == expected


def test_400_is_rejected_with_the_error_message(rsps, client):
    rsps.add(responses.POST, DEPLOY_URL, status=400, json={"error_message": "Flow not found"})

    with pytest.raises(Rejected) as caught:
        deploy(client)

    error = caught.value
    assert (error.status, error.retryable, error.error_message) == (400, False, "Flow not found")
    assert "Flow not found" in str(error)


@pytest.mark.parametrize("status", [401, 403, 404])
def test_other_4xx_are_rejected_and_not_retryable(rsps, client, status):
    rsps.add(responses.POST, DEPLOY_URL, status=status, json={"message": "Invalid token"})

    with pytest.raises(Rejected) as caught:
        deploy(client)

    assert (caught.value.status, caught.value.retryable) == (status, False)
    assert caught.value.error_message == "Invalid token"


@pytest.mark.parametrize(
    ("status", "error_message", "token_rejected"),
    [
        (400, "Invalid user_token", True),
        (400, "Flow not found", False),
        (401, "", True),
        (403, "Forbidden", True),
        (404, "Not found", False),
    ],
)
def test_token_rejected_is_a_401_403_or_an_error_naming_the_token(
    status, error_message, token_rejected
):
    error = Rejected("x", status=status, error_message=error_message)

    assert error.token_rejected is token_rejected


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
def test_5xx_and_408_are_transient(rsps, client, status):
    rsps.add(responses.POST, DEPLOY_URL, status=status, body="<html>Bad Gateway</html>")

    with pytest.raises(Transient) as caught:
        deploy(client)

    assert (caught.value.status, caught.value.retryable) == (status, True)
    assert caught.value.outcome_unknown is False  # an answer came: Upswift said what it did


def test_connection_error_is_transient(rsps, client):
    rsps.add(responses.POST, DEPLOY_URL, body=requests.ConnectionError("connection refused"))

    with pytest.raises(Transient) as caught:
        deploy(client)

    assert (caught.value.status, caught.value.retryable) == (None, True)
    assert "ConnectionError" in str(caught.value)


@pytest.mark.parametrize("timeout", [requests.ReadTimeout, requests.ConnectTimeout])
def test_timeout_is_transient(rsps, client, timeout):
    rsps.add(responses.POST, DEPLOY_URL, body=timeout("timed out"))

    with pytest.raises(Transient, match="timed out") as caught:
        deploy(client)

    assert caught.value.retryable is True


@pytest.mark.parametrize(
    ("failure", "unknown"),
    [
        (requests.ReadTimeout("timed out"), True),
        (requests.ConnectTimeout("timed out"), False),
        (requests.ConnectionError("Connection aborted: reset by peer"), True),
        (requests.ConnectionError("[Errno 111] Connection refused"), False),
    ],
    ids=["read-timeout", "connect-timeout", "dropped", "refused"],
)
def test_outcome_is_unknown_only_when_the_request_may_have_arrived(rsps, client, failure, unknown):
    rsps.add(responses.POST, DEPLOY_URL, body=failure)

    with pytest.raises(Transient) as caught:
        deploy(client)

    assert caught.value.outcome_unknown is unknown


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<html>maintenance</html>", "text/html"),
        ("", "application/json"),
        ('["not", "an", "object"]', "application/json"),
        ('{"no_message": true}', "application/json"),
    ],
)
def test_success_status_with_an_unexpected_body_is_transient(rsps, client, body, content_type):
    rsps.add(responses.POST, DEPLOY_URL, status=200, body=body, content_type=content_type)

    with pytest.raises(Transient) as caught:
        deploy(client)

    assert (caught.value.status, caught.value.retryable) == (200, True)
    assert caught.value.outcome_unknown is True


def test_page_that_is_not_a_list_is_transient(rsps, client):
    rsps.add(responses.GET, DETAILS_URL, json={"more": False, "message": "Success"})

    with pytest.raises(Transient, match="list of devices"):
        list(client.iter_devices_details(project_name="Demo"))


def test_bad_base_url_is_a_permanent_error():
    client = UpswiftClient("not-a-url", TOKEN)

    with pytest.raises(UpswiftError) as caught:
        deploy(client)

    assert caught.value.retryable is False


def test_errors_survive_pickling(rsps, client):
    rsps.add(responses.POST, DEPLOY_URL, status=429, json={}, headers={"Retry-After": "5"})

    with pytest.raises(RateLimited) as caught:
        deploy(client)
    copy = pickle.loads(pickle.dumps(caught.value))  # noqa: S301 (our own bytes)

    assert type(copy) is RateLimited
    assert (str(copy), copy.status, copy.retry_after) == (str(caught.value), 429, 5.0)
