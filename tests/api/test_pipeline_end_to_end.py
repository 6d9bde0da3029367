"""A CI pipeline's whole rollout through the API alone, over HTTP, against a real Celery
worker + beat and the Upswift simulator: create a plan, create and start a rollout, poll,
approve each stage, completed."""

import pytest
import requests

from rollouts.models import Rollout
from rollouts.services.tokens import api_token_create
from tests.process.helpers import rollout_updates_per_device
from tests.support.processes import wait_for

pytestmark = pytest.mark.integration

STAGES = [
    {"name": "canary", "target": "tag", "tag": "canary", "success_threshold": 100},
    {"name": "group 1", "target": "groups", "groups": ["TestGroup1"], "success_threshold": 100},
    {"name": "everyone", "target": "all", "success_threshold": 100},
]


class Pipeline:
    """What a CI job does with curl: JSON over HTTP with a bearer token."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base = f"{base_url}/api/v1"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, expect: int = 200, **kwargs) -> dict:
        response = self.http.request(method, self.base + path, timeout=10, **kwargs)
        assert response.status_code == expect, (method, path, response.text)
        return response.json()

    def all_pages(self, path: str) -> list[dict]:
        rows, url = [], self.base + path
        while url:
            page = self.http.get(url, timeout=10).json()
            rows += page["results"]
            url = page["next"]
        return rows


def test_a_pipeline_runs_a_staged_rollout_through_the_api(engine_factory, live_server, manager):
    _, token = api_token_create(user=manager, name="pipeline")
    ci = Pipeline(live_server.url, token)

    with engine_factory(devices=200) as engine:
        plan = ci.call(
            "POST", "/plans", 201, json={"name": "CI", "project": "Demo", "stages": STAGES}
        )
        rollout = ci.call(
            "POST",
            "/rollouts",
            201,
            json={
                "plan": plan["id"],
                "flow_id": "73a7-1ft8",
                "app_name": "default_app",
                "app_version": "v3.0",
                "comment": "pipeline 77",
                "start": True,
            },
        )
        path = f"/rollouts/{rollout['id']}"
        assert rollout["status"] == "running"

        def poll(done):
            state = {}

            def check():
                state.update(ci.call("GET", path))
                return done(state)

            wait_for(check, timeout=90, interval=0.5, describe=lambda: f"{state}\n{engine.logs()}")
            return state

        for position in (2, 3):
            waiting = poll(lambda r, p=position: r["awaiting_approval"] and r["current_stage"] == p)
            assert waiting["stages"][position - 2]["status"] == "succeeded"
            ci.call("POST", f"{path}/approve", json={"comment": f"go {position}"})
        finished = poll(lambda r: r["status"] in ("completed", "failed", "aborted", "paused"))

        events = ci.all_pages(f"{path}/events")
        calls = ci.all_pages(f"{path}/calls")
        conflict = ci.http.post(f"{ci.base}{path}/approve", json={}, timeout=10)
        per_device = rollout_updates_per_device(engine.sim, Rollout(pk=rollout["id"]))

    assert finished["status"] == "completed", finished
    assert [s["status"] for s in finished["stages"]] == ["succeeded"] * 3
    for stage in finished["stages"]:
        assert stage["devices_total"] >= 1
        assert stage["counts"]["success"] == stage["devices_total"]
        assert stage["counts"]["failed"] == 0
    # Every Demo device was updated by this rollout exactly once, and the stages say so.
    assert set(per_device.values()) == {1}
    assert sum(s["devices_total"] for s in finished["stages"]) == len(per_device)
    approvals = [
        (e["actor"], e["stage"], e["reason"]) for e in events if e["kind"] == "stage_approved"
    ]
    assert approvals == [("rita", 2, "go 2"), ("rita", 3, "go 3")]
    assert events[-1]["kind"] == "completed"
    deploys = [c for c in calls if c["kind"] == "deploy"]
    assert [(c["stage"], c["state"], c["http_status"]) for c in deploys] == [
        (1, "succeeded", 200),
        (2, "succeeded", 200),
        (3, "succeeded", 200),
    ]
    assert all(c["request"]["body"]["user_token"] == "***" for c in calls if c["request"])
    assert conflict.status_code == 409
