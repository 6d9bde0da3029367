"""UpswiftClient against real HTTP answers (the `responses` library intercepts the transport)."""

import json
import pickle
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
import responses
import time_machine

from rollouts.upswift_api import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    DevicesFilter,
    Filter,
    RateLimited,
    Rejected,
    Transient,
    UpswiftClient,
    UpswiftError,
    deploy_update_request,
    parse_retry_after,
)
from tests.upswift_api.fake_api import BASE_URL, DEPLOY_URL, DETAILS_URL, STATE_URL, TOKEN


def sent_body(call) -> dict:
    return json.loads(call.request.body)


def deploy(client: UpswiftClient):
    return client.deploy_update(flow_id="f-1", devices_filter=DevicesFilter(project="Demo"))


def test_deploy_update_sends_the_seed_example(rsps):
    rsps.add(responses.POST, f"{DEFAULT_BASE_URL}/deploy_update", json={"message": "Success"})
    client = UpswiftClient(DEFAULT_BASE_URL, "<user token>")

    response = client.deploy_update(
        flow_id="73a7-1ft8",
        devices_filter=DevicesFilter(
            project="Demo",
            groups=["TestGroup1", "TestGroup2"],
            filters=[Filter("specific_device", "is", "d-4ec7-1be9")],
        ),
        comment="test webhook 1",
        app_name="default_app",
        app_version="v1.1",
    )

    assert len(rsps.calls) == 1
    call = rsps.calls[0]
    assert call.request.method == "POST"
    assert call.request.url == "https://api.upswift.io/v1/deploy_update"
    assert call.request.headers["Content-Type"] == "application/json"
    assert sent_body(call) == {
        "user_token": "<user token>",
        "flow_id": "73a7-1ft8",
        "devices_filter": {
            "project": {"name": "Demo"},
            "groups": [{"name": "TestGroup1"}, {"name": "TestGroup2"}],
            "filters": [{"type": "specific_device", "operand": "is", "value": "d-4ec7-1be9"}],
        },
        "metadata": {
            "comment": "test webhook 1",
            "app": {"name": "default_app", "version": "v1.1"},
        },
    }
    assert response.status == 200
    assert response.message == "Success"
    assert response.duration_ms >= 0


def test_base_url_trailing_slash_is_tolerated(rsps):
    rsps.add(responses.POST, DEPLOY_URL, json={"message": "Success"})

    deploy(UpswiftClient(BASE_URL + "/", TOKEN))

    assert rsps.calls[0].request.url == DEPLOY_URL


def test_get_sends_a_json_body(rsps, client):
    rsps.add(
        responses.GET,
        f"{BASE_URL}/get_device_state",
        json={"message": {"device_status": "online", "device_id": "d-1234-abcd"}},
    )

    response = client.get_device_state("dt-1")

    call = rsps.calls[0]
    assert call.request.method == "GET"
    assert sent_body(call) == {"user_token": TOKEN, "device_token": "dt-1"}
    assert response.message == {"device_status": "online", "device_id": "d-1234-abcd"}


def test_iter_devices_details_follows_more_across_pages(rsps, client):
    pages = [
        {"more": True, "message": [{"device_uuid": "d-1"}, {"device_uuid": "d-2"}]},
        {"more": True, "message": [{"device_uuid": "d-3"}, {"device_uuid": "d-4"}]},
        {"more": False, "message": [{"device_uuid": "d-5"}]},
    ]
    for page in pages:
        rsps.add(responses.GET, DETAILS_URL, json=page)

    devices = list(
        client.iter_devices_details(project_name="Demo", group_name="Production", page_size=2)
    )

    assert [d["device_uuid"] for d in devices] == ["d-1", "d-2", "d-3", "d-4", "d-5"]
    assert [call.request.method for call in rsps.calls] == ["GET"] * 3
    assert [sent_body(call) for call in rsps.calls] == [
        {
            "user_token": TOKEN,
            "project_name": "Demo",
            "group_name": "Production",
            "limit": 2,
            "offset": offset,
        }
        for offset in (0, 2, 4)
    ]


def test_iter_devices_details_refuses_more_with_an_empty_page(rsps, client):
    rsps.add(responses.GET, DETAILS_URL, json={"more": True, "message": []})

    with pytest.raises(Transient, match="empty page"):
        list(client.iter_devices_details(project_name="Demo"))


def test_iter_devices_state_pages_on_the_last_uuid(rsps, client):
    def device(uuid):
        return {"device_uuid": uuid, "device_status": "online", "device_name": uuid.upper()}

    pages = [[device("d-a"), device("d-b")], [device("d-c"), device("d-d")], [device("d-e")]]
    for page in pages:
        rsps.add(responses.GET, STATE_URL, json={"message": page})

    devices = list(client.iter_devices_state(project_name="Demo", page_size=2))

    assert [d["device_uuid"] for d in devices] == ["d-a", "d-b", "d-c", "d-d", "d-e"]
    bodies = [sent_body(call) for call in rsps.calls]
    assert [body.get("offset") for body in bodies] == [None, "d-b", "d-d"]
    assert "offset" not in bodies[0]
    assert all(body["limit"] == 2 and body["project_name"] == "Demo" for body in bodies)


def test_iter_devices_state_stops_on_an_empty_page(rsps, client):
    rsps.add(responses.GET, STATE_URL, json={"message": [{"device_uuid": "d-a"}]})
    rsps.add(responses.GET, STATE_URL, json={"message": []})

    devices = list(client.iter_devices_state(project_name="Demo", page_size=1))

    assert devices == [{"device_uuid": "d-a"}]
    assert len(rsps.calls) == 2


def test_write_calls_use_the_documented_methods_and_paths(rsps, client):
    devices_filter = DevicesFilter(project="Demo", filters=[Filter("tag", "is", "canary")])
    rsps.add(responses.POST, DETAILS_URL, json={"message": "Success"})
    rsps.add(responses.DELETE, f"{BASE_URL}/device_tags", json={"message": "Success"})
    rsps.add(responses.DELETE, f"{BASE_URL}/device_apps", json={"message": "Success"})
    rsps.add(responses.POST, f"{BASE_URL}/set_update_trigger", json={"message": "Success"})

    client.change_device_details(device_token="dt-1", tag="canary")
    client.delete_device_tag(tag_name="canary", devices_filter=devices_filter)
    client.delete_device_app(app_name="default_app", devices_filter=devices_filter)
    client.set_update_trigger(device_token="dt-1", trigger_set=True)

    bodies = [sent_body(call) for call in rsps.calls]
    assert bodies == [
        {"user_token": TOKEN, "device_token": "dt-1", "tag": "canary"},
        {"user_token": TOKEN, "tag_name": "canary", "device_filter": devices_filter.to_json()},
        {"user_token": TOKEN, "app_name": "default_app", "device_filter": devices_filter.to_json()},
        {"user_token": TOKEN, "device_token": "dt-1", "trigger_set": True},
    ]


# --- Errors


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


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
def test_5xx_and_408_are_transient(rsps, client, status):
    rsps.add(responses.POST, DEPLOY_URL, status=status, body="<html>Bad Gateway</html>")

    with pytest.raises(Transient) as caught:
        deploy(client)

    assert (caught.value.status, caught.value.retryable) == (status, True)


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


# --- Timeouts and session


class RecordingSession(requests.Session):
    def __init__(self):
        super().__init__()
        self.calls: list[tuple[str, str, dict]] = []

    def request(self, method, url, **kwargs):
        self.calls.append((method, url, kwargs))
        return super().request(method, url, **kwargs)


def test_every_request_goes_through_the_given_session_with_a_timeout(rsps):
    session = RecordingSession()
    client = UpswiftClient(BASE_URL, TOKEN, timeout=(1.5, 7), session=session)
    rsps.add(responses.POST, DEPLOY_URL, json={"message": "Success"})
    rsps.add(responses.GET, DETAILS_URL, json={"more": False, "message": []})
    rsps.add(responses.GET, STATE_URL, json={"message": []})

    deploy(client)
    list(client.iter_devices_details(project_name="Demo"))
    list(client.iter_devices_state(project_name="Demo"))

    assert len(session.calls) == 3
    assert all(kwargs["timeout"] == (1.5, 7) for _, _, kwargs in session.calls)
    assert all(call.request.req_kwargs["timeout"] == (1.5, 7) for call in rsps.calls)


def test_default_client_reuses_one_session_and_default_timeout(rsps, client, monkeypatch):
    used = []
    original = requests.Session.request

    def spy(self, method, url, **kwargs):
        used.append(self)
        return original(self, method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request", spy)
    rsps.add(responses.POST, DEPLOY_URL, json={"message": "Success"})

    for _ in range(3):
        deploy(client)

    assert all(session is client.session for session in used) and len(used) == 3
    assert all(call.request.req_kwargs["timeout"] == DEFAULT_TIMEOUT for call in rsps.calls)


def test_send_takes_a_prebuilt_request(rsps, client):
    rsps.add(responses.POST, DEPLOY_URL, json={"message": "Success"})
    request = deploy_update_request(flow_id="f-1", devices_filter=DevicesFilter(project="Demo"))

    response = client.send(request)

    assert response.status == 200
    assert sent_body(rsps.calls[0]) == {"user_token": TOKEN, **request.body}
