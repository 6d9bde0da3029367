import pytest
from django.urls import reverse

from rollouts.models import Plan
from tests.factories import PlanFactory, PlanStageFactory
from tests.support.console_data import plan_three_stages

pytestmark = pytest.mark.django_db

DEFAULTS = {
    "success_threshold": 95,
    "failure_threshold": 10,
    "soak_minutes": 0,
    "deadline_minutes": 60,
}


def plan_post(*, name="Release", project="Demo", stages, **fields) -> dict:
    """The editor's POST: the plan's fields and a stage formset (ORDER = position)."""
    data = {
        "name": name,
        "project": project,
        "description": fields.get("description", ""),
        "stages-TOTAL_FORMS": str(len(stages)),
        "stages-INITIAL_FORMS": "0",
        "stages-MIN_NUM_FORMS": "0",
        "stages-MAX_NUM_FORMS": "1000",
    }
    for i, stage in enumerate(stages):
        row = {**DEFAULTS, "ORDER": i + 1, "approval_required": "on", **stage}
        for key, value in row.items():
            if value is False:
                continue
            data[f"stages-{i}-{key}"] = "on" if value is True else str(value)
    return data


CANARY = {"name": "Canary", "target": "tag", "tag": "canary", "success_threshold": 100}
GROUP1 = {"name": "Test group", "target": "groups", "groups": "TestGroup1, TestGroup2"}
EVERYONE = {"name": "Everyone", "target": "all", "soak_minutes": 5}


def test_the_list_shows_each_plan_with_its_stages(client, viewer):
    plan_three_stages(name="Weekly release", project="Demo")
    client.force_login(viewer)

    html = client.get(reverse("plan_list")).content.decode()

    assert "Weekly release" in html
    assert html.index("Canary") < html.index("Europe") < html.index("Everyone")
    plan = Plan.objects.get(name="Weekly release")
    assert reverse("plan_edit", args=[plan.pk]) not in html  # a viewer
    assert reverse("plan_clone", args=[plan.pk]) not in html


def test_a_release_manager_creates_a_three_stage_plan(client, release_manager):
    client.force_login(release_manager)

    response = client.post(
        reverse("plan_create"), plan_post(stages=[CANARY, GROUP1, EVERYONE]), follow=True
    )

    plan = Plan.objects.get(name="Release")
    stages = list(plan.stages.order_by("position"))
    assert [s.target for s in stages] == ["tag", "groups", "all"]
    assert stages[0].tag == "canary" and stages[0].success_threshold == 100
    assert stages[1].groups == ["TestGroup1", "TestGroup2"]
    assert stages[2].soak_minutes == 5
    assert plan.created_by == release_manager
    assert "Plan “Release” created with 3 stages." in response.content.decode()


def test_the_position_field_orders_the_stages(client, release_manager):
    client.force_login(release_manager)
    data = plan_post(stages=[EVERYONE, CANARY])
    data["stages-0-ORDER"], data["stages-1-ORDER"] = "2", "1"

    client.post(reverse("plan_create"), data)

    stages = Plan.objects.get(name="Release").stages.order_by("position")
    assert [s.target for s in stages] == ["tag", "all"]


def test_a_stage_marked_for_deletion_is_left_out_even_if_incomplete(client, release_manager):
    client.force_login(release_manager)
    data = plan_post(stages=[CANARY, {"target": "tag", "tag": ""}, EVERYONE])
    data["stages-1-DELETE"] = "on"

    client.post(reverse("plan_create"), data)

    stages = Plan.objects.get(name="Release").stages.order_by("position")
    assert [(s.position, s.target) for s in stages] == [(1, "tag"), (2, "all")]


def test_service_errors_appear_next_to_their_stage_field(client, release_manager):
    client.force_login(release_manager)
    data = plan_post(stages=[{"target": "tag", "tag": ""}, EVERYONE, GROUP1])

    response = client.post(reverse("plan_create"), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert not Plan.objects.exists()
    tag_field = html.index('id="id_stages-0-tag"')
    tag_error = html.index("A tag stage needs a tag (e.g. canary).")
    assert tag_field < tag_error < html.index('id="id_stages-1-name"')
    target_error = html.index("An all-devices stage can only be the last stage.")
    assert (
        html.index('id="id_stages-1-target"') < target_error < html.index('id="id_stages-2-name"')
    )
    assert "The plan was not saved" in html


def test_form_errors_and_duplicate_names_are_shown(client, release_manager):
    PlanFactory(name="Taken")
    client.force_login(release_manager)
    data = plan_post(name="Taken", stages=[{**CANARY, "success_threshold": "150"}])

    html = client.post(reverse("plan_create"), data).content.decode()

    assert "Ensure this value is less than or equal to 100." in html
    data["stages-0-success_threshold"] = "100"
    html = client.post(reverse("plan_create"), data).content.decode()
    assert "Plan with this Name already exists." in html
    assert Plan.objects.count() == 1


def test_a_plan_without_stages_is_refused(client, release_manager):
    client.force_login(release_manager)

    html = client.post(reverse("plan_create"), plan_post(stages=[])).content.decode()

    assert "A plan needs at least one stage." in html
    assert not Plan.objects.exists()


def test_editing_replaces_the_stages(client, release_manager):
    plan = plan_three_stages(name="Old name")
    client.force_login(release_manager)
    page = client.get(reverse("plan_edit", args=[plan.pk])).content.decode()
    assert 'value="Old name"' in page and 'value="EU-West"' in page

    client.post(
        reverse("plan_edit", args=[plan.pk]),
        plan_post(name="New name", stages=[CANARY, EVERYONE]),
    )

    plan.refresh_from_db()
    assert plan.name == "New name"
    assert [s.target for s in plan.stages.order_by("position")] == ["tag", "all"]


def test_clone_fills_a_new_plan_from_an_existing_one(client, release_manager):
    plan = plan_three_stages(name="Original")
    client.force_login(release_manager)

    html = client.get(reverse("plan_clone", args=[plan.pk])).content.decode()

    assert 'value="Original (copy)"' in html
    assert f'action="{reverse("plan_create")}"' in html
    assert 'value="canary"' in html and 'value="EU-West"' in html
    client.post(reverse("plan_create"), plan_post(name="Original (copy)", stages=[CANARY]))
    assert Plan.objects.filter(name__in=["Original", "Original (copy)"]).count() == 2


def test_the_new_plan_form_starts_with_a_canary_stage_and_a_template(client, release_manager):
    client.force_login(release_manager)

    html = client.get(reverse("plan_create")).content.decode()

    assert 'name="stages-0-tag"' in html and 'value="canary"' in html
    assert '<template id="stage-template">' in html and "stages-__prefix__-target" in html
    assert "js/stage-editor.js" in html


def test_an_admin_can_edit_a_plan_made_by_someone_else(client, console_admin):
    plan = PlanFactory(name="Theirs")
    PlanStageFactory(plan=plan, position=1, target="all")
    client.force_login(console_admin)

    response = client.post(
        reverse("plan_edit", args=[plan.pk]), plan_post(name="Theirs", stages=[CANARY])
    )

    assert response.status_code == 302
    assert plan.stages.get().target == "tag"


def test_a_form_shown_again_keeps_the_order_the_person_chose(client, release_manager):
    client.force_login(release_manager)
    data = plan_post(stages=[EVERYONE, {"target": "tag", "tag": ""}])
    data["stages-0-ORDER"], data["stages-1-ORDER"] = "2", "1"

    html = client.post(reverse("plan_create"), data).content.decode()

    assert html.index('name="stages-1-target"') < html.index('name="stages-0-target"')
    assert "A tag stage needs a tag" in html


def test_a_stage_deadline_is_saved_and_shown_with_the_gates(client, release_manager):
    client.force_login(release_manager)
    new = client.get(reverse("plan_create")).content.decode()
    assert 'name="stages-0-deadline_minutes" value="60"' in new
    assert "Stop waiting after (minutes)" in new

    client.post(
        reverse("plan_create"), plan_post(stages=[{**CANARY, "deadline_minutes": 30}, EVERYONE])
    )

    plan = Plan.objects.get(name="Release")
    assert [s.deadline_minutes for s in plan.stages.order_by("position")] == [30, 60]
    listed = client.get(reverse("plan_list")).content.decode()
    assert "deadline 30 min" in listed and "deadline 60 min" in listed
    preview = client.get(reverse("rollout_preview") + f"?plan={plan.pk}").content.decode()
    assert "deadline 30 min" in preview


@pytest.mark.parametrize(
    ("value", "words"),
    [("0", "greater than or equal to 1"), ("10081", "less than or equal to 10080")],
)
def test_a_deadline_out_of_bounds_is_refused(client, release_manager, value, words):
    client.force_login(release_manager)

    response = client.post(
        reverse("plan_create"), plan_post(stages=[{**CANARY, "deadline_minutes": value}])
    )

    html = response.content.decode()
    assert response.status_code == 200 and words in html
    assert not Plan.objects.exists()
