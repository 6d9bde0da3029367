"""The REST API under generated JSON (a release manager's bearer token): any body answers a
2xx, or a 4xx JSON error with a message; never a 5xx, and a 4xx leaves no row behind."""

import json

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from rollouts.models import Plan, Rollout
from rollouts.services.actions import rollout_create, rollout_pause, rollout_start
from rollouts.services.plans import plan_create
from rollouts.services.tokens import api_token_create
from tests.bad_input.helpers import (
    bounded,
    json_text,
    json_values,
    or_anything,
    rolled_back,
    row_counts,
)

pytestmark = pytest.mark.django_db

THREE_STAGES = [
    {"name": "canary", "target": "tag", "tag": "canary"},
    {"name": "group 1", "target": "groups", "groups": ["TestGroup1"]},
    {"name": "everyone", "target": "all"},
]
ACTIONS = ("start", "approve", "pause", "resume", "abort", "retry")


@pytest.fixture
def api(release_manager) -> APIClient:
    _, raw = api_token_create(user=release_manager, name="bad input")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def plan(release_manager) -> Plan:
    return plan_create(name="Weekly", project="Demo", stages=THREE_STAGES, actor=release_manager)


@pytest.fixture
def rollouts(plan, release_manager) -> dict[str, Rollout]:
    def draft():
        return rollout_create(
            plan=plan, flow_id="73a7-1ft8", app_name="app", app_version="v2", actor=release_manager
        )

    return {"draft": draft(), "running": rollout_start(rollout=draft(), actor=release_manager)}


@pytest.fixture
def paused(rollouts, release_manager) -> Rollout:
    return rollout_pause(rollout=rollouts["running"], actor=release_manager, reason="fix a group")


# --- What a pipeline might send -------------------------------------------------------------

numbers = st.one_of(st.integers(-5, 200), st.integers(-(2**80), 2**80), st.floats())
stage_body = st.fixed_dictionaries(
    {},
    optional={
        "name": or_anything(json_text),
        "target": or_anything(st.sampled_from(["tag", "groups", "all"])),
        "tag": or_anything(json_text),
        "groups": or_anything(st.lists(json_text, max_size=4)),
        "app_filter": or_anything(json_text),
        "device_filter": or_anything(json_text),
        "approval_required": or_anything(st.booleans()),
        "success_threshold": or_anything(numbers),
        "failure_threshold": or_anything(numbers),
        "soak_minutes": or_anything(numbers),
        "deadline_minutes": or_anything(numbers),
        "online_only": or_anything(st.booleans()),
        "position": json_values,
    },
)
plan_body = st.fixed_dictionaries(
    {},
    optional={
        "name": or_anything(json_text),
        "project": or_anything(json_text),
        "description": or_anything(json_text),
        "require_different_approver": or_anything(st.booleans()),
        "stages": or_anything(st.lists(stage_body, max_size=4)),
        "id": json_values,
        "created_by": json_values,
    },
)
moments = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.sampled_from(["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "tomorrow"]),
)


def rollout_body(plan_pk: int):
    return st.fixed_dictionaries(
        {},
        optional={
            "plan": or_anything(st.one_of(st.just(plan_pk), numbers)),
            "flow_id": or_anything(json_text),
            "app_name": or_anything(json_text),
            "app_version": or_anything(json_text),
            "comment": or_anything(json_text),
            "start": or_anything(st.booleans()),
            "scheduled_at": or_anything(moments),
        },
    )


action_body = st.fixed_dictionaries(
    {},
    optional={
        "comment": or_anything(json_text),
        "reason": or_anything(json_text),
        "stage": or_anything(numbers),
        "scheduled_at": or_anything(moments),
    },
)
bodies = st.one_of(plan_body, json_values)  # not always an object at all


def send(api: APIClient, method: str, url: str, body) -> object:
    """JSON as a pipeline sends it: `ensure_ascii`, so lone surrogates travel as \\ud800."""
    return getattr(api, method)(url, data=json.dumps(body), content_type="application/json")


def assert_api_answer(response, before: dict[str, int]) -> dict:
    assert response.status_code < 500, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    payload = response.json()
    if response.status_code >= 400:
        assert isinstance(payload.get("detail"), str) and payload["detail"].strip()
        assert isinstance(payload.get("code"), str)
        if response.status_code == 400:
            assert isinstance(payload["errors"], dict) and payload["field"] in payload["errors"]
        assert row_counts() == before
    return payload


# --- Properties -----------------------------------------------------------------------------


@bounded(max_examples=80)
@given(body=st.one_of(plan_body, bodies))
def test_any_plan_body_creates_a_whole_plan_or_answers_an_error(api, body):
    with rolled_back():
        before = row_counts()

        response = send(api, "post", reverse("api-plans"), body)

        payload = assert_api_answer(response, before)
        if response.status_code == 201:
            plan = Plan.objects.get(pk=payload["id"])
            assert plan.stages.count() == len(payload["stages"]) >= 1
            assert row_counts()["Plan"] == before["Plan"] + 1


@bounded(max_examples=60)
@given(body=st.one_of(plan_body, bodies), method=st.sampled_from(["put", "patch"]))
def test_any_plan_update_saves_all_of_it_or_nothing(api, plan, body, method):
    was = json.dumps(api.get(reverse("api-plan", args=[plan.pk])).json(), sort_keys=True)
    with rolled_back():
        before = row_counts()

        response = send(api, method, reverse("api-plan", args=[plan.pk]), body)

        assert_api_answer(response, before)
        now = api.get(reverse("api-plan", args=[plan.pk])).json()
        if response.status_code >= 400:
            assert json.dumps(now, sort_keys=True) == was
        else:
            assert now["stages"]


@bounded(max_examples=60)
@given(data=st.data())
def test_any_rollout_body_creates_one_rollout_or_answers_an_error(api, plan, data):
    body = data.draw(st.one_of(rollout_body(plan.pk), json_values))
    with rolled_back():
        before = row_counts()

        response = send(api, "post", reverse("api-rollouts"), body)

        payload = assert_api_answer(response, before)
        if response.status_code == 201:
            rollout = Rollout.objects.get(pk=payload["id"])
            assert row_counts()["Rollout"] == before["Rollout"] + 1
            started = rollout.status != "draft"
            assert rollout.stages.count() == (plan.stages.count() if started else 0)


@bounded(max_examples=80)
@given(
    which=st.sampled_from(["draft", "running"]),
    action=st.sampled_from(ACTIONS),
    body=st.one_of(action_body, json_values),
)
def test_any_action_body_acts_or_answers_an_error(api, rollouts, which, action, body):
    rollout = rollouts[which]
    with rolled_back():
        before = row_counts()
        status = Rollout.objects.get(pk=rollout.pk).status

        response = send(api, "post", reverse(f"api-rollout-{action}", args=[rollout.pk]), body)

        payload = assert_api_answer(response, before)
        if response.status_code >= 400:
            assert Rollout.objects.get(pk=rollout.pk).status == status
        else:
            assert payload["id"] == rollout.pk


@bounded(max_examples=60)
@given(position=st.sampled_from([1, 2, 3]), body=st.one_of(stage_body, json_values))
def test_any_stage_edit_body_edits_the_stage_or_answers_an_error(api, paused, position, body):
    """A paused rollout: stage 1 approved, all three pending, so each may be edited."""
    rollout = paused
    url = reverse("api-rollout-stage", args=[rollout.pk, position])
    was = [s.spec() for s in rollout.stages.order_by("position")]
    with rolled_back():
        before = row_counts()

        response = send(api, "patch", url, body)

        payload = assert_api_answer(response, before)
        now = [s.spec() for s in rollout.stages.order_by("position")]
        if response.status_code >= 400:
            assert now == was
        else:
            assert payload["position"] == position and payload["status"] == "pending"
            assert now[position - 1] == {k: payload[k] for k in now[position - 1]}
            assert [s for n, s in enumerate(now, 1) if n != position] == [
                s for n, s in enumerate(was, 1) if n != position
            ]


@bounded(max_examples=40)
@given(
    raw=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)),
    content_type=st.sampled_from(
        ["application/json", "application/json; charset=latin-1", "text/plain", ""]
    ),
    url=st.sampled_from(["api-plans", "api-rollouts"]),
)
def test_any_raw_body_answers_an_error_not_a_crash(api, raw, content_type, url):
    with rolled_back():
        before = row_counts()

        response = api.generic("POST", reverse(url), raw, content_type=content_type)

        assert_api_answer(response, before)


# --- Examples worth keeping whatever hypothesis draws ---------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000,  # deeper than Python's JSON parser can go
        b'{"name": NaN}',
        b'{"name": Infinity}',
        b'{"name": "\\ud800"}',  # a lone surrogate: valid JSON, no UTF-8 for PostgreSQL
        b'{"name": "nul\\u0000", "project": "Demo", "stages": [{"target": "all"}]}',
        b"\xff\xfe{}",
        b'{"stages": 1e999}',
    ],
)
def test_hostile_json_answers_an_error(api, raw):
    before = row_counts()

    response = api.generic("POST", reverse("api-plans"), raw, content_type="application/json")

    assert 400 <= response.status_code < 500
    assert_api_answer(response, before)


def test_a_lone_surrogate_in_any_text_field_answers_400(api, plan, rollouts):
    """JSON may carry "\\ud800"; PostgreSQL text may not: it must be refused, not a 500."""
    before = row_counts()
    stage = {"target": "tag", "tag": "canary\ud800", "name": "\udfff"}
    bodies = [
        ("post", reverse("api-plans"), {"name": "P\ud800", "project": "Demo", "stages": [stage]}),
        ("patch", reverse("api-plan", args=[plan.pk]), {"description": "\ud83d"}),
        (
            "post",
            reverse("api-rollouts"),
            {
                "plan": plan.pk,
                "flow_id": "f",
                "app_name": "a",
                "app_version": "1",
                "comment": "\ud800",
            },
        ),
        ("post", reverse("api-rollout-pause", args=[rollouts["running"].pk]), {"reason": "\ud800"}),
    ]
    for method, url, body in bodies:
        response = send(api, method, url, body)

        assert response.status_code == 400, (url, response.content[:300])
        assert_api_answer(response, before)
