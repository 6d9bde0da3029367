"""Bad input is a JSON 4xx that names what is wrong, never a 500."""

import pytest
from django.urls import reverse

from rollouts.models import Plan, Rollout

pytestmark = pytest.mark.django_db

PLANS = reverse("api-plans")


def post_raw(client, url, body: bytes | str, content_type="application/json"):
    return client.generic("POST", url, body, content_type=content_type)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("{", "JSON parse error"),
        ('{"name": "x",}', "JSON parse error"),
        ('{"name": NaN}', "NaN is not valid JSON"),
        (b"\xff\xfe{}", "JSON parse error"),
        ("[" * 100_000 + "]" * 100_000, "JSON parse error"),
    ],
)
def test_malformed_json_is_a_400(manager, api_as, body, words):
    response = post_raw(api_as(manager), PLANS, body)

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert words in response.json()["detail"]


def test_a_body_over_the_upload_limit_is_a_413(manager, api_as, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = post_raw(api_as(manager), PLANS, '{"name": "' + "x" * 2000 + '"}')

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large.", "code": "too_large"}
    assert not Plan.objects.exists()


def test_an_unknown_charset_is_a_400(manager, api_as):
    response = post_raw(
        api_as(manager), PLANS, "{}", content_type="application/json; charset=klingon"
    )

    assert response.status_code == 400


def test_a_form_body_is_a_415(manager, api_as):
    response = post_raw(api_as(manager), PLANS, "name=x", "application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize("body", ["[]", '"plan"', "42", "null"])
def test_a_body_that_is_not_an_object_is_a_400(manager, api_as, body):
    response = post_raw(api_as(manager), reverse("api-rollouts"), body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not Rollout.objects.exists()


def test_wrong_types_and_huge_strings_are_a_400(manager, api_as):
    response = api_as(manager).post(
        PLANS,
        {
            "name": "n" * 1_000_000,
            "project": {"nested": True},
            "require_different_approver": "perhaps",
            "stages": [{"target": "all", "success_threshold": "ninety"}],
        },
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {
        "name",
        "project",
        "require_different_approver",
        "stages.1.success_threshold",
    }
    assert not Plan.objects.exists()


def test_unknown_fields_are_ignored(manager, api_as):
    response = api_as(manager).post(
        PLANS,
        {"name": "P", "project": "Demo", "stages": [{"target": "all", "color": "red"}], "id": 7},
        format="json",
    )

    assert response.status_code == 201
    assert "color" not in response.json()["stages"][0]
    assert Plan.objects.get(name="P").stages.get().target == "all"


def test_a_null_byte_is_a_400(manager, api_as):
    response = api_as(manager).post(
        PLANS, {"name": "bad\x00name", "project": "Demo", "stages": [{"target": "all"}]}, "json"
    )

    assert response.status_code == 400 and response.json()["field"] == "name"


def test_a_datetime_out_of_range_is_a_400(manager, api_as, draft):
    response = api_as(manager).post(
        reverse("api-rollout-start", args=[draft.pk]),
        {"scheduled_at": "0001-01-01T00:00:00+14:00"},
        format="json",
    )

    assert response.status_code == 400 and response.json()["field"] == "scheduled_at"


@pytest.mark.parametrize("pk", [2**63, 10**30])
def test_a_huge_id_is_a_404(viewer, api_as, pk):
    response = api_as(viewer).get(f"/api/v1/rollouts/{pk}")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nope",
        "/api/v1/rollouts/-1",
        "/api/v1/rollouts/abc",
        "/api/v1/plans/",
        "/api/v1/rollouts/%0A%C3%B6/start",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_any_other_path_is_a_json_404(anonymous, path, method):
    response = getattr(anonymous, method)(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("api-rollouts", {"plan": str(2**70)}),
        ("api-rollout-events", {"after": str(2**70)}),
    ],
)
def test_integers_beyond_the_database_range_find_nothing(viewer, api_as, running, name, params):
    url = reverse(name, args=[running.pk]) if name.endswith("events") else reverse(name)

    response = api_as(viewer).get(url, params)

    assert response.status_code == 200
    assert response.json()["count"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"plan": 2**70, "flow_id": "f", "app_name": "a", "app_version": "v"},
        {"plan": 1.5, "flow_id": "f", "app_name": "a", "app_version": "v"},
        {"plan": {"id": 1}, "flow_id": "f", "app_name": "a", "app_version": "v"},
    ],
)
def test_a_plan_that_is_not_a_plan_id_is_a_400(manager, api_as, body):
    response = api_as(manager).post(reverse("api-rollouts"), body, format="json")

    assert response.status_code == 400 and response.json()["field"] == "plan"
