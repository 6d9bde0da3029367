"""Plans in the admin: an admin edits a plan and its stages through the plan service (its
rules, a version with the admin as author); others cannot; nobody deletes one here."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rollouts.models import Plan, PlanVersion
from rollouts.services.plans import plan_create
from tests.support.console_data import plan_three_stages

pytestmark = pytest.mark.django_db


def stage_rows(stages: list[dict], *, initial: int = 0, plan=None) -> dict:
    """The inline formset's POST data for `stages` (the first `initial` are existing rows)."""
    data = {
        "stages-TOTAL_FORMS": str(len(stages)),
        "stages-INITIAL_FORMS": str(initial),
        "stages-MIN_NUM_FORMS": "1",
        "stages-MAX_NUM_FORMS": "1000",
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "1000",
    }
    for n, stage in enumerate(stages):
        row = {
            "position": n + 1,
            "groups": "[]",
            "success_threshold": 95,
            "failure_threshold": 10,
            "soak_minutes": 0,
            "deadline_minutes": 60,
            **stage,
        }
        data.update({f"stages-{n}-{key}": str(value) for key, value in row.items()})
        data[f"stages-{n}-approval_required"] = "on"  # a checkbox: absent is off
        if plan is not None:
            data[f"stages-{n}-plan"] = str(plan.pk)
    return data


def plan_post(**fields) -> dict:
    return {
        "name": "Firmware",
        "project": "Demo",
        "description": "",
        **fields,
    }


@pytest.fixture
def admin(client, console_admin):
    client.force_login(console_admin)
    return client


def test_an_admin_creates_a_plan_with_its_stages_and_a_first_version(admin, console_admin):
    data = {
        **plan_post(require_different_approver="on"),
        **stage_rows(
            [
                {"target": "tag", "tag": "canary", "success_threshold": 100},
                {"target": "groups", "groups": '["EU-West"]'},
                {"target": "all"},
            ]
        ),
    }

    response = admin.post(reverse("admin:rollouts_plan_add"), data)

    assert response.status_code == 302, response.content.decode()[-3000:]
    plan = Plan.objects.get(name="Firmware")
    assert plan.require_different_approver
    assert [(s.position, s.target, s.tag, s.groups) for s in plan.stages.order_by("position")] == [
        (1, "tag", "canary", []),
        (2, "groups", "", ["EU-West"]),
        (3, "all", "", []),
    ]
    version = PlanVersion.objects.get(plan=plan)
    assert version.actor == console_admin


def test_an_admin_edits_stages_and_the_service_records_the_version(admin, console_admin):
    plan = plan_create(
        name="Firmware",
        project="Demo",
        stages=[{"target": "tag", "tag": "canary"}, {"target": "all"}],
    )
    first, second = plan.stages.order_by("position")
    data = {
        **plan_post(description="now with a soak"),
        **stage_rows(
            [
                {"id": first.pk, "target": "tag", "tag": "canary", "soak_minutes": 30},
                {"id": second.pk, "target": "all", "success_threshold": 90},
            ],
            initial=2,
            plan=plan,
        ),
    }

    response = admin.post(reverse("admin:rollouts_plan_change", args=[plan.pk]), data)

    assert response.status_code == 302, response.content.decode()[-3000:]
    plan.refresh_from_db()
    assert plan.description == "now with a soak"
    stages = list(plan.stages.order_by("position"))
    assert [(s.target, s.soak_minutes, s.success_threshold) for s in stages] == [
        ("tag", 30, 95),
        ("all", 0, 90),
    ]
    latest = PlanVersion.objects.filter(plan=plan).order_by("-number").first()
    assert latest.actor == console_admin
    assert latest.before["description"] == "" and latest.after["description"] == "now with a soak"


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        ([{"target": "tag", "tag": ""}], "Stage 1, tag: A tag stage needs a tag"),
        ([{"target": "all"}, {"target": "tag", "tag": "x"}], "Stage 1, target: An all-devices"),
        (
            [
                {"target": "groups", "groups": '["A"]'},
                {"target": "groups", "groups": '["A"]'},
            ],
            "Stage 2, groups: Group A is already in stage 1",
        ),
    ],
)
def test_the_service_rules_refuse_a_bad_plan_and_keep_nothing(admin, stages, message):
    data = {**plan_post(), **stage_rows(stages)}

    response = admin.post(reverse("admin:rollouts_plan_add"), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Plan.objects.exists()


def test_a_plan_without_stages_is_refused(admin):
    data = {**plan_post(), **stage_rows([])}

    response = admin.post(reverse("admin:rollouts_plan_add"), data)

    assert response.status_code == 200
    assert not Plan.objects.exists()


def test_no_one_deletes_a_plan_here(admin):
    plan = plan_three_stages()

    page = admin.get(reverse("admin:rollouts_plan_change", args=[plan.pk])).content.decode()

    assert 'name="_save"' in page  # editable
    assert reverse("admin:rollouts_plan_delete", args=[plan.pk]) not in page
    assert admin.post(reverse("admin:rollouts_plan_delete", args=[plan.pk]), {"post": "yes"})
    assert Plan.objects.filter(pk=plan.pk).exists()


def test_a_release_manager_in_the_admin_can_look_but_not_edit(client, release_manager):
    release_manager.is_staff = True
    release_manager.save()
    plan = plan_three_stages()
    client.force_login(release_manager)

    page = client.get(reverse("admin:rollouts_plan_change", args=[plan.pk]))
    posted = client.post(
        reverse("admin:rollouts_plan_change", args=[plan.pk]),
        {**plan_post(name="Renamed"), **stage_rows([{"target": "all"}])},
    )

    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert posted.status_code == 403
    assert client.get(reverse("admin:rollouts_plan_add")).status_code == 403
    plan.refresh_from_db()
    assert plan.name != "Renamed"


def test_the_plan_list_runs_the_same_queries_at_any_size(admin):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin.get(reverse("admin:rollouts_plan_changelist")).status_code == 200
        return len(captured.captured_queries)

    plan_three_stages()
    queries()  # a session's first request writes it once (SessionLifetime)
    small = queries()
    for _ in range(8):
        plan_three_stages()
    large = queries()

    assert small == large
