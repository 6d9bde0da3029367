"""Secrets never leak: a whole rollout, run by a real worker and beat against the simulator
with a distinctive Upswift user token, driven over HTTP by a pipeline with a personal API
token and watched by a person in the console, leaves neither token in any page, API answer,
database row, log file or simulator call record."""

import json
import re
import uuid

import pytest
import requests
from django.forms.models import model_to_dict

from rollouts.engine.client import upswift_client
from rollouts.models import ApiCall, ApiToken, Event, Rollout, RolloutStage
from tests.support.processes import wait_for
from tests.support.roles import PASSWORD

pytestmark = pytest.mark.integration

UPSWIFT_TOKEN = f"upswift-user-token-{uuid.uuid4().hex}"
STAGES = [
    {"name": "canary", "target": "tag", "tag": "canary", "success_threshold": 100},
    {"name": "everyone", "target": "all", "success_threshold": 100},
]


class Seen:
    """Every text a person or a pipeline got back, by where it came from."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}

    def add(self, where: str, response: requests.Response) -> requests.Response:
        assert response.status_code < 400, (where, response.status_code, response.text[:500])
        self.texts[f"{where} #{len(self.texts)}"] = response.text
        return response


def console_session(base: str, user, seen: Seen) -> requests.Session:
    """Signed in through the sign-in form, as a browser does."""
    http = requests.Session()
    seen.add("login form", http.get(f"{base}/login/", timeout=10))
    data = {"username": user.username, "password": PASSWORD}
    data["csrfmiddlewaretoken"] = http.cookies["csrftoken"]
    seen.add("sign in", http.post(f"{base}/login/", data=data, timeout=10))
    assert "sessionid" in http.cookies
    return http


def rows_as_text() -> str:
    rows = [
        model_to_dict(row)
        for model in (ApiCall, Event, Rollout, RolloutStage, ApiToken)
        for row in model.objects.all()
    ]
    return json.dumps(rows, default=str, ensure_ascii=False)


def test_no_token_leaks_anywhere(engine_factory, live_server, settings, release_manager, caplog):
    settings.UPSWIFT_USER_TOKEN = UPSWIFT_TOKEN  # what the web process would be configured with
    upswift_client.cache_clear()
    base, seen = live_server.url, Seen()
    person = console_session(base, release_manager, seen)
    created = person.post(
        f"{base}/account/tokens/",
        data={"name": "pipeline", "csrfmiddlewaretoken": person.cookies["csrftoken"]},
        timeout=10,
    )
    api_token = re.search(r'value="(usc_[^"]+)"', created.text).group(1)  # shown this once
    pipeline = requests.Session()
    pipeline.headers["Authorization"] = f"Bearer {api_token}"

    def api(method: str, path: str, **kwargs) -> dict:
        response = pipeline.request(method, f"{base}/api/v1{path}", timeout=10, **kwargs)
        return seen.add(f"API {method} {path}", response).json()

    with engine_factory(
        devices=100, env={"UPSWIFT_USER_TOKEN": UPSWIFT_TOKEN}, tokens=[UPSWIFT_TOKEN]
    ) as engine:
        engine.sim.fault("error_500", count=1)  # an error path too: retried, recorded
        plan = api("POST", "/plans", json={"name": "Secret", "project": "Demo", "stages": STAGES})
        rollout = api(
            "POST",
            "/rollouts",
            json={
                "plan": plan["id"],
                "flow_id": "73a7-1ft8",
                "app_name": "default_app",
                "app_version": "v9",
                "comment": "secrets test",
                "start": True,
            },
        )
        path = f"/rollouts/{rollout['id']}"

        def until(done):
            state = {}

            def check():
                state.update(api("GET", path))
                return done(state)

            wait_for(check, timeout=90, interval=0.5, describe=lambda: f"{state}\n{engine.logs()}")
            return state

        until(lambda r: r["awaiting_approval"] and r["current_stage"] == 2)
        api("POST", f"{path}/approve", json={"comment": "go"})
        finished = until(lambda r: r["status"] in ("completed", "failed", "aborted", "paused"))
        api("GET", f"{path}/events")
        api("GET", f"{path}/calls")
        api("GET", "/rollouts")
        api("GET", "/plans")

        pk = rollout["id"]
        for page in (
            "/",
            "/plans/",
            f"/plans/{plan['id']}/edit/",
            f"/rollouts/{pk}/",
            f"/rollouts/{pk}/live/",
            f"/rollouts/{pk}/calls/",
            f"/rollouts/{pk}/stages/1/devices/",
            f"/rollouts/{pk}/stages/2/devices/",
            "/history/",
            "/history.csv",
            "/account/tokens/",
        ):
            seen.add(f"page {page}", person.get(f"{base}{page}", timeout=10))
        sim_calls = engine.sim.calls()
        logs = {"worker": engine.worker.log(), "beat": engine.beat.log()}

    assert finished["status"] == "completed", finished
    assert any(call["status"] == 500 for call in sim_calls)  # the error path was taken
    assert ApiCall.objects.filter(rollout_id=pk, state="failed").exists()
    assert api_token in created.text and created.headers["Cache-Control"] == "no-store"
    bodies = [call["body"] for call in sim_calls if isinstance(call["body"], dict)]
    assert bodies and all(body.get("user_token") == "***" for body in bodies)
    assert "Upswift" in logs["worker"] or "Task" in logs["worker"]  # a real log, not empty
    places = {
        **seen.texts,
        **logs,
        "database rows": rows_as_text(),
        "simulator call log": json.dumps(sim_calls),
        "this process's log": caplog.text,
    }
    for secret in (UPSWIFT_TOKEN, api_token):
        leaked = [where for where, text in places.items() if secret in text]
        assert leaked == [], f"{secret[:12]}… found in {leaked}"
