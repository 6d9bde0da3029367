"""The OpenAPI schema, the docs pages, and schemathesis: generated requests against every
operation, with a release manager's token, find no 5xx and no answer that breaks the schema."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from openapi_spec_validator import validate as openapi_validate
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from rollouts.models import Rollout
from rollouts.services.actions import rollout_create, rollout_pause, rollout_start
from rollouts.services.plans import plan_create
from tests.api.conftest import THREE_STAGES, client_for

EXAMPLES_PER_OPERATION = 20  # x 20 operations, plus schemathesis' own edge cases: ~45 s


def test_the_schema_is_openapi_3_with_every_endpoint(api_as, viewer):
    response = api_as(viewer).get(reverse("api-schema"))

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/v1/plans",
        "/api/v1/plans/{id}",
        "/api/v1/plans/{id}/preview",
        "/api/v1/fleet/devices",
        "/api/v1/fleet/refresh",
        "/api/v1/rollouts",
        "/api/v1/rollouts/{id}",
        *(
            f"/api/v1/rollouts/{{id}}/{action}"
            for action in (
                *("start", "approve", "pause", "resume", "abort", "retry"),
                *("accept-shortfall", "send-again", "confirm-sent"),
            )
        ),
        "/api/v1/rollouts/{id}/approval",
        "/api/v1/rollouts/{id}/stages/{position}",
        "/api/v1/rollouts/{id}/events",
        "/api/v1/rollouts/{id}/calls",
        "/api/v1/events",
        "/api/v1/rollouts/{id}/freeze-override",
        "/api/v1/kill-switch",
        "/api/v1/kill-switch/release",
        "/api/v1/freeze-windows",
        "/api/v1/freeze-windows/{id}",
        "/api/v1/notifications/channels",
        "/api/v1/notifications/channels/{id}",
        *(
            f"/api/v1/notifications/channels/{{id}}/{what}"
            for what in ("test", "rotate-secret", "deliveries")
        ),
    }
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    for action in ("approve", "accept-shortfall", "send-again", "confirm-sent"):
        post = schema["paths"][f"/api/v1/rollouts/{{id}}/{action}"]["post"]
        assert {"200", "400", "401", "403", "404", "409"} <= set(post["responses"]), action
    shortfall = schema["paths"]["/api/v1/rollouts/{id}/accept-shortfall"]["post"]
    body = shortfall["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert schema["components"]["schemas"][body.rsplit("/", 1)[1]]["required"] == ["reason"]
    rollout = schema["components"]["schemas"]["RolloutDetail"]["properties"]
    waiting_ref = rollout["waiting"]["allOf"][0]["$ref"].rsplit("/", 1)[1]
    waiting = schema["components"]["schemas"][waiting_ref]
    assert set(waiting["properties"]) == {"kind", "stage", "until", "cause", "sentence"}
    assert rollout["actions"]["type"] == "array"


@pytest.mark.parametrize("name", ["api-docs", "api-redoc"])
def test_the_docs_pages_use_no_cdn(client, viewer, name):
    client.force_login(viewer)
    response = client.get(reverse(name))

    page = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/" in page
    assert "cdn." not in page and "unpkg" not in page
    assert reverse("api-schema") in page


# --- conventions: Spectral's OpenAPI rules, the OpenAPI validator, what the hook documents

BASE_DIR = Path(__file__).resolve().parents[2]
SPECTRAL_INSTALL = "bash scripts/install-system-deps.sh (npm: @stoplight/spectral-cli into .tools/)"


def spectral() -> str:
    """Spectral from SPECTRAL, .tools/ (where scripts/install-system-deps.sh puts it) or PATH."""
    for candidate in (
        os.environ.get("SPECTRAL", ""),
        str(BASE_DIR / ".tools" / "node_modules" / ".bin" / "spectral"),
        shutil.which("spectral") or "",
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(f"Spectral is not installed: run {SPECTRAL_INSTALL}.", pytrace=False)


def test_spectral_oas_rules_find_nothing(tmp_path):
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps(_generated_schema()))
    ruleset = tmp_path / ".spectral.yaml"
    ruleset.write_text('extends: ["spectral:oas"]\n')

    done = subprocess.run(
        [spectral(), "lint", "--ruleset", str(ruleset), "--format", "json"]
        + ["--fail-severity", "hint", str(schema_file)],
        capture_output=True,
        text=True,
        timeout=120,
    )

    start = done.stdout.find("[")  # the JSON list, then (with none) a sentence
    assert start >= 0, done.stdout + done.stderr
    problems, _ = json.JSONDecoder().raw_decode(done.stdout[start:])
    assert problems == [], json.dumps(problems, indent=1)[:4000]
    assert done.returncode == 0, done.stderr


def test_openapi_spec_validator_accepts_the_schema():
    openapi_validate(_generated_schema())  # raises on the first problem


def test_every_operation_documents_its_headers_and_errors():
    schema = _generated_schema()
    paths = schema["paths"]

    def codes(path, method):
        return set(paths[path][method]["responses"])

    def headers(path, method, code):
        return set(paths[path][method]["responses"][code].get("headers", {}))

    def header_params(path, method):
        return {p["name"] for p in paths[path][method].get("parameters", []) if p["in"] == "header"}

    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation["tags"] and operation["description"], (path, method)
            assert {"401", "403", "406", "429"} <= codes(path, method), (path, method)
            assert "Retry-After" in headers(path, method, "429")
            assert "WWW-Authenticate" in headers(path, method, "401")
            assert "X-RateLimit-Remaining" in headers(
                path,
                method,
                "200" if "200" in codes(path, method) else sorted(codes(path, method))[0],
            )
            if "requestBody" in operation:
                assert {"413", "415"} <= codes(path, method), (path, method)
            if "201" in codes(path, method):
                assert "Location" in headers(path, method, "201"), (path, method)
    assert {"304", "404"} <= codes("/api/v1/plans/{id}", "get")
    assert "ETag" in headers("/api/v1/plans/{id}", "get", "200")
    assert header_params("/api/v1/plans/{id}", "get") == {"If-None-Match"}
    for method in ("put", "patch"):
        assert "412" in codes("/api/v1/plans/{id}", method)
        assert header_params("/api/v1/plans/{id}", method) == {"If-Match"}
    assert "304" in codes("/api/v1/rollouts/{id}", "get")
    assert "ETag" in headers("/api/v1/rollouts/{id}/approve", "post", "200")
    assert "412" in codes("/api/v1/rollouts/{id}/stages/{position}", "patch")
    assert "412" not in codes("/api/v1/rollouts/{id}/events", "get")
    assert {tag["name"] for tag in schema["tags"]} == {
        t for ops in paths.values() for op in ops.values() for t in op["tags"]
    }
    assert schema["servers"] and schema["info"]["contact"]
    status = next(
        p for p in paths["/api/v1/rollouts"]["get"]["parameters"] if p["name"] == "status"
    )
    assert "" not in status["schema"]["enum"] and "running" in status["schema"]["enum"]


# --- schemathesis, in-process against Django's WSGI app, inside this test's transaction


def _generated_schema() -> dict:
    """The schema as /api/v1/schema serves it, built without a request (at collection)."""
    generator = SchemaGenerator()
    return json.loads(OpenApiJsonRenderer().render(generator.get_schema(request=None, public=True)))


schema = schemathesis.openapi.from_dict(_generated_schema())
schema.app = WSGIHandler()


@pytest.fixture
def in_process_app(settings):
    """The app answers in this test's transaction: keep Django from closing the connection
    at the start and end of each request, as its own test client does."""
    settings.ALLOWED_HOSTS = ["localhost"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def targets(manager, other_manager, in_process_app):
    """Rows to act on: a plan, and rollouts that are a draft, running, paused and completed."""
    plan = plan_create(name="Fuzz plan", project="Demo", stages=THREE_STAGES, actor=other_manager)
    rollouts = []
    for status in ("draft", "running", "paused", "completed"):
        rollout = rollout_create(
            plan=plan, flow_id="f", app_name="a", app_version="v1", actor=other_manager
        )
        if status != "draft":
            rollout_start(rollout=rollout, actor=other_manager)
        if status == "paused":
            rollout_pause(rollout=rollout, actor=other_manager)
        if status == "completed":
            Rollout.objects.filter(pk=rollout.pk).update(status=status)
        rollouts.append(rollout.pk)
    token = client_for(manager).raw_token  # a release manager's, acting on them
    return {"plans": [plan.pk], "rollouts": rollouts, "token": token}


def aim(case, targets) -> None:
    """Generated ids rarely name a row. Swap the even, non-negative ones (in the path, and a
    new rollout's `plan`) for rows that exist, so requests meet real objects in real states
    (and their 2xx and 409s), not only 404s and 400s."""

    def aimed(pk, ids):
        if isinstance(pk, int) and not isinstance(pk, bool) and pk >= 0 and pk % 2 == 0:
            return ids[(pk // 2) % len(ids)]
        return pk

    if case.path_parameters and "id" in case.path_parameters:
        ids = targets["plans" if case.path.startswith("/api/v1/plans") else "rollouts"]
        case.path_parameters["id"] = aimed(case.path_parameters["id"], ids)
    if case.path_parameters and "position" in case.path_parameters:  # the plan's 3 stages
        case.path_parameters["position"] = aimed(case.path_parameters["position"], [1, 2, 3])
    if case.path == "/api/v1/rollouts" and isinstance(case.body, dict) and "plan" in case.body:
        case.body["plan"] = aimed(case.body["plan"], targets["plans"])


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, targets):
    """Every check but two heuristics about leniency: the API may coerce `"tag": 0` to "0"
    and cap `page_size` instead of refusing them (negative_data_rejection), and a well-formed
    id of a plan that does not exist is a 400, not a 2xx (positive_data_acceptance)."""
    aim(case, targets)
    case.call_and_validate(
        headers={"Authorization": f"Bearer {targets['token']}"},
        excluded_checks=[negative_data_rejection, positive_data_acceptance],
    )
