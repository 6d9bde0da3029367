"""The fake Upswift address and token the client's tests use (HTTP answered by `responses`),
and the plain deploy they send."""

import json

from upswift.client import UpswiftClient
from upswift.filters import DevicesFilter
from upswift.requests import ApiResponse, deploy_update_request

TOKEN = "tok-SECRET-6f1c9a"
BASE_URL = "https://api.example.test/v1"
DEPLOY_URL = f"{BASE_URL}/deploy_update"
DETAILS_URL = f"{BASE_URL}/devices_details"
STATE_URL = f"{BASE_URL}/get_devices_state"


def sent_body(call) -> dict:
    return json.loads(call.request.body)


def deploy(client: UpswiftClient) -> ApiResponse:
    request = deploy_update_request(flow_id="f-1", devices_filter=DevicesFilter(project="Demo"))
    return client.send(request)
