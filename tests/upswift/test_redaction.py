"""The user token never leaves the client: not in records, errors, repr or logs."""

import json
import logging
import traceback

import pytest
import requests
import responses

from tests.upswift.fake_api import BASE_URL, DEPLOY_URL, TOKEN
from upswift.client import UpswiftClient
from upswift.errors import RateLimited, Rejected, Transient, UpswiftError
from upswift.filters import DevicesFilter, Filter
from upswift.requests import deploy_update_request, redact

ECHO = f"invalid user_token {TOKEN}"


def deploy(client: UpswiftClient):
    request = deploy_update_request(
        flow_id="f-1",
        devices_filter=DevicesFilter("Demo", filters=[Filter("tag", "is", "canary")]),
        comment="rollout 7 stage 1",
    )
    return client.send(request)


def everything_about(error: Exception) -> str:
    return "\n".join(
        [
            str(error),
            repr(error),
            repr(vars(error)),
            "".join(traceback.format_exception(error)),
        ]
    )


def test_redact_masks_user_token_keys_and_the_token_inside_strings():
    original = {
        "user_token": TOKEN,
        "url": f"https://x.test/?t={TOKEN}",
        "nested": [{"user_token": "other"}, f"echo {TOKEN} echo", 5, None],
        "tuple": (TOKEN,),
    }

    cleaned = redact(original, TOKEN)

    assert cleaned == {
        "user_token": "***",
        "url": "https://x.test/?t=***",
        "nested": [{"user_token": "***"}, "echo *** echo", 5, None],
        "tuple": ["***"],
    }
    assert original["user_token"] == TOKEN  # the input is left alone
    assert redact(f"a {TOKEN} b", TOKEN) == "a *** b"
    assert redact("nothing to hide", "") == "nothing to hide"


def test_recorded_request_never_shows_the_token():
    request = deploy_update_request(flow_id="f-1", devices_filter=DevicesFilter("Demo"))

    record = json.dumps(request.redacted())

    assert TOKEN not in record
    assert json.loads(record)["body"]["user_token"] == "***"


def test_client_repr_hides_the_token(client):
    assert TOKEN not in repr(client)
    assert "***" in repr(client)


ERROR_ANSWERS = [
    pytest.param({"status": 400, "json": {"error_message": ECHO}}, Rejected, id="400"),
    pytest.param({"status": 401, "json": {"message": ECHO}}, Rejected, id="401"),
    pytest.param({"status": 429, "json": {"echo": ECHO}}, RateLimited, id="429"),
    pytest.param({"status": 500, "body": f"<pre>{ECHO}</pre>"}, Transient, id="500-text"),
    pytest.param({"status": 503, "json": {"error_message": ECHO}}, Transient, id="503-json"),
    pytest.param({"status": 200, "body": f"oops {ECHO}"}, Transient, id="200-not-json"),
    pytest.param({"status": 200, "json": {"data": ECHO}}, Transient, id="200-bad-shape"),
    pytest.param({"body": requests.ConnectionError(ECHO)}, Transient, id="connection-error"),
    pytest.param({"body": requests.ReadTimeout(ECHO)}, Transient, id="timeout"),
    pytest.param({"body": requests.exceptions.InvalidURL(ECHO)}, UpswiftError, id="invalid-url"),
]


@pytest.mark.parametrize(("answer", "error_type"), ERROR_ANSWERS)
def test_errors_never_show_the_token(rsps, client, answer, error_type):
    rsps.add(responses.POST, DEPLOY_URL, **answer)

    with pytest.raises(error_type) as caught:
        deploy(client)

    assert TOKEN not in everything_about(caught.value)


def test_long_error_bodies_are_redacted_before_they_are_cut(rsps, client):
    body = "x" * 290 + TOKEN + "y" * 100
    rsps.add(responses.POST, DEPLOY_URL, status=400, json={"error_message": body})

    with pytest.raises(Rejected) as caught:
        deploy(client)

    assert TOKEN[:8] not in caught.value.error_message
    assert TOKEN[:8] not in str(caught.value)


def test_logs_never_show_the_token(rsps, client, caplog):
    caplog.set_level(logging.DEBUG)
    details = f"{BASE_URL}/devices_details"
    rsps.add(responses.POST, DEPLOY_URL, json={"message": "Success"})
    rsps.add(responses.POST, DEPLOY_URL, status=400, json={"error_message": ECHO})
    rsps.add(responses.POST, DEPLOY_URL, status=429, json={}, headers={"Retry-After": "3"})
    rsps.add(responses.POST, DEPLOY_URL, status=502, body=ECHO)
    rsps.add(responses.POST, DEPLOY_URL, body=requests.ConnectionError(ECHO))
    rsps.add(responses.GET, details, json={"more": True, "message": [{"device_uuid": "d-1"}]})
    rsps.add(responses.GET, details, json={"more": False, "message": [{"device_uuid": "d-2"}]})
    rsps.add(responses.GET, f"{BASE_URL}/get_devices_state", json={"message": []})

    deploy(client)
    for error_type in (Rejected, RateLimited, Transient, Transient):
        with pytest.raises(error_type):
            deploy(client)
    list(client.iter_devices_details(project_name="Demo"))
    list(client.iter_devices_state(project_name="Demo"))

    ours = [r for r in caplog.records if r.name == "upswift.client"]
    assert len(ours) >= 10  # the calls were logged, so the check below means something
    for record in caplog.records:
        text = f"{record.getMessage()} {record.args!r} {record.exc_text or ''}"
        assert TOKEN not in text
    assert TOKEN not in caplog.text
