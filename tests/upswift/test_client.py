"""UpswiftClient against real HTTP answers (the `responses` library intercepts the transport):
what it sends, how it pages, its session and timeouts."""

import pytest
import requests
import responses

from tests.upswift.fake_api import (
    BASE_URL,
    DEPLOY_URL,
    DETAILS_URL,
    STATE_URL,
    TOKEN,
    deploy,
    sent_body,
)
from upswift.client import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, UpswiftClient
from upswift.errors import Transient
from upswift.filters import DevicesFilter, Filter
from upswift.requests import deploy_update_request


def test_deploy_update_sends_the_seed_example(rsps):
    rsps.add(responses.POST, f"{DEFAULT_BASE_URL}/deploy_update", json={"message": "Success"})
    client = UpswiftClient(DEFAULT_BASE_URL, "<user token>")
    request = deploy_update_request(
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

    response = client.send(request)

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


def test_before_send_sees_each_page_first_and_start_offset_resumes(rsps, client):
    page = {"more": True, "message": [{"device_uuid": "d-1"}, {"device_uuid": "d-2"}]}
    rsps.add(responses.GET, DETAILS_URL, json=page)
    seen = []

    def before_send(request):
        seen.append(request.body["offset"])
        if len(seen) == 2:
            raise RuntimeError("out of budget")

    with pytest.raises(RuntimeError, match="out of budget"):
        list(client.iter_devices_details(project_name="Demo", page_size=2, before_send=before_send))

    assert seen == [0, 2]
    assert len(rsps.calls) == 1  # the second page was stopped before it was sent
    rsps.add(responses.GET, DETAILS_URL, json={"more": False, "message": [{"device_uuid": "d-3"}]})

    rest = list(client.iter_devices_details(project_name="Demo", page_size=2, start_offset=2))

    assert [d["device_uuid"] for d in rest] == ["d-3"]
    assert sent_body(rsps.calls[-1])["offset"] == 2


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
