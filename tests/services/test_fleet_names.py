"""Names checked against the fleet inventory: a misspelt group is refused with the nearest
names by the plan service, the plan editor, the REST API and at rollout start; an unused tag
is a warning; a project never read passes with a warning."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from rollouts.engine.inventory import inventory_refresh
from rollouts.models import Plan, Rollout
from rollouts.services.fleet_names import names_check
from rollouts.services.plans import plan_create
from tests.api.conftest import client_for
from tests.support.fleet import inventory_read
from tests.views.test_plans import CANARY, plan_post

pytestmark = pytest.mark.django_db(transaction=True)

MISSPELT = [{"target": "tag", "tag": "canary"}, {"target": "groups", "groups": ["TestGrup1"]}]


def test_a_misspelt_group_is_an_error_naming_it_with_the_nearest_name(fleet_sim):
    inventory_read("Demo")

    report = names_check(project="Demo", stages=MISSPELT)

    (message,) = report.errors["stages.2.groups"]
    assert "'TestGrup1'" in message and "Did you mean 'TestGroup1'" in message


def test_a_tag_no_device_has_is_a_warning_and_a_known_one_passes(fleet_sim):
    inventory_read("Demo")

    report = names_check(project="Demo", stages=[{"target": "tag", "tag": "canry"}])
    assert report.errors == {}
    assert ["Stage 1" in w and "'canry'" in w and "'canary'" in w for w in report.warnings] == [
        True
    ]
    assert names_check(project="Demo", stages=[{"target": "tag", "tag": "canary"}]).warnings == []


def test_an_unknown_project_is_refused_with_the_nearest_read_project(fleet_sim):
    inventory_read("Demo")
    assert inventory_refresh(project="Dmeo")  # Upswift refuses it: recorded

    (message,) = names_check(project="Dmeo", stages=[]).errors["project"]
    assert "Unknown project 'Dmeo'" in message and "Did you mean 'Demo'" in message
    with pytest.raises(ValidationError) as refused:
        plan_create(name="p", project="Dmeo", stages=[{"target": "all"}])
    assert "project" in refused.value.message_dict


def test_a_project_never_read_passes_with_a_warning_that_says_so(fleet_sim):
    report = names_check(project="Demo", stages=MISSPELT)

    assert report.errors == {}
    assert "have not been read yet" in report.warnings[0]


def test_the_plan_editor_refuses_a_misspelt_group_next_to_the_field(
    fleet_sim, client, release_manager
):
    inventory_read("Demo")
    client.force_login(release_manager)
    stage = {"name": "Test group", "target": "groups", "groups": "TestGrup1"}

    response = client.post(reverse("plan_create"), plan_post(stages=[CANARY, stage]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Unknown group &#x27;TestGrup1&#x27;" in html
    assert "Did you mean &#x27;TestGroup1&#x27;" in html
    assert not Plan.objects.exists()


def test_the_api_refuses_a_misspelt_group_with_400_naming_it(fleet_sim, release_manager):
    inventory_read("Demo")
    body = {"name": "Typo", "project": "Demo", "stages": MISSPELT}

    response = client_for(release_manager).post(reverse("api-plans"), body, format="json")

    assert response.status_code == 400
    text = str(response.json())
    assert "TestGrup1" in text and "Did you mean 'TestGroup1'" in text
    assert not Plan.objects.exists()


def test_a_rollout_of_a_plan_saved_before_the_read_is_refused_at_start(fleet_sim, release_manager):
    plan = plan_create(name="Old", project="Demo", stages=MISSPELT)  # never read: passes
    inventory_read("Demo")
    body = {
        "plan": plan.pk,
        "flow_id": "73a7-1ft8",
        "app_name": "default_app",
        "app_version": "v2",
        "start": True,
    }

    response = client_for(release_manager).post(reverse("api-rollouts"), body, format="json")

    assert response.status_code == 400
    assert "TestGrup1" in str(response.json()) and "TestGroup1" in str(response.json())
    assert not Rollout.objects.exists()


def test_the_new_rollout_form_refuses_it_too_and_shows_the_counts(
    fleet_sim, client, release_manager
):
    plan = plan_create(name="Old", project="Demo", stages=MISSPELT)
    inventory_read("Demo")
    client.force_login(release_manager)
    data = {
        "plan": plan.pk,
        "flow_id": "73a7-1ft8",
        "app_name": "default_app",
        "app_version": "v2",
        "start": "now",
    }

    response = client.post(reverse("rollout_new"), data)

    html = response.content.decode()
    assert response.status_code == 200 and not Rollout.objects.exists()
    assert "Unknown group &#x27;TestGrup1&#x27;" in html
    canary = fleet_sim.truth(project="Demo", tag="canary")["devices"]
    assert f'data-devices="{canary}"' in html


def test_an_empty_group_is_confirmed_with_upswift_and_passes(fleet_sim):
    inventory_read("Demo")
    since = len(fleet_sim.calls())
    stages = [{"target": "groups", "groups": ["Staging"]}]  # exists in Upswift, no device

    assert names_check(project="Demo", stages=stages).errors  # the preview spends no call
    assert fleet_sim.calls(since) == []
    plan_create(name="empty", project="Demo", stages=stages)

    (confirm,) = fleet_sim.calls(since)
    assert (confirm["body"]["group_name"], confirm["status"]) == ("Staging", 200)


def test_the_plan_editor_saves_a_plan_with_an_unused_tag_and_warns(
    fleet_sim, client, release_manager
):
    inventory_read("Demo")
    client.force_login(release_manager)
    stage = {"name": "Pilot", "target": "tag", "tag": "pilot"}

    response = client.post(reverse("plan_create"), plan_post(stages=[stage]), follow=True)

    assert Plan.objects.filter(name="Release").exists()
    assert "no device of project &#x27;Demo&#x27; has the tag &#x27;pilot&#x27;" in (
        response.content.decode()
    )
