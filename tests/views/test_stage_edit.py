"""The rollout page's "Edit stage" for a paused rollout's stages that have not started: the
form comes prefilled, a save goes through the service and back to the rollout, an error shows
the form again with everything typed, and only release managers get there."""

import pytest
from django.urls import reverse

from rollouts.forms.plans import StageForm
from rollouts.models import EventKind, RolloutStage, RolloutStatus, StageStatus
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.django_db

TWO_LEFT = (StageStatus.SUCCEEDED, StageStatus.PENDING, StageStatus.PENDING)
NOT_SAVED = "The stage was not saved"


@pytest.fixture
def paused(release_manager):
    return rollout_built(
        user=release_manager,
        status=RolloutStatus.PAUSED,
        stage_statuses=TWO_LEFT,
        second_stage_approved=False,
    )


def edit_url(rollout, position: int = 2) -> str:
    return reverse("stage_edit", args=[rollout.pk, position])


def stage_at(rollout, position: int = 2) -> RolloutStage:
    return RolloutStage.objects.get(rollout=rollout, position=position)


def form_data(stage: RolloutStage, **changes) -> dict:
    """What the browser posts for the prefilled form, with `changes` typed in."""
    data = {}
    for key, value in {**StageForm.initial_of(stage), **changes}.items():
        if value is True:
            data[key] = "on"
        elif value is not False:
            data[key] = str(value)
    return data


def test_the_rollout_page_links_the_stages_that_can_be_edited(client, release_manager, paused):
    client.force_login(release_manager)

    html = client.get(reverse("rollout_detail", args=[paused.pk])).content.decode()

    assert f'href="{edit_url(paused, 2)}"' in html and f'href="{edit_url(paused, 3)}"' in html
    assert f'href="{edit_url(paused, 1)}"' not in html  # succeeded
    card = html[html.index('id="stage-2"') : html.index('id="stage-3"')]
    assert "deadline 60 min" in card


@pytest.mark.parametrize("who", ["viewer", "running"])
def test_no_edit_link_for_a_viewer_or_a_running_rollout(client, release_manager, viewer, who):
    status = RolloutStatus.RUNNING if who == "running" else RolloutStatus.PAUSED
    rollout = rollout_built(user=release_manager, status=status, stage_statuses=TWO_LEFT)
    client.force_login(viewer if who == "viewer" else release_manager)

    html = client.get(reverse("rollout_detail", args=[rollout.pk])).content.decode()

    assert 'id="stage-2"' in html
    assert "Edit stage" not in html
    assert edit_url(rollout, 2) not in html


def test_the_form_comes_prefilled(client, release_manager, paused):
    client.force_login(release_manager)

    response = client.get(edit_url(paused))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'action="{edit_url(paused)}"' in html and "csrfmiddlewaretoken" in html
    assert 'name="groups" value="EU-West"' in html
    assert 'name="success_threshold" value="90"' in html
    assert 'name="deadline_minutes" value="60"' in html
    assert "Stop waiting after (minutes)" in html
    assert '<option value="groups" selected>' in html


def test_a_save_goes_through_and_back_to_the_rollout(client, release_manager, paused):
    client.force_login(release_manager)
    data = form_data(stage_at(paused), groups="EU-Central, EU-North", deadline_minutes="45")

    response = client.post(edit_url(paused), data)

    assert response.status_code == 302
    assert response["Location"] == reverse("rollout_detail", args=[paused.pk]) + "#stage-2"
    stage = stage_at(paused)
    assert (stage.groups, stage.deadline_minutes) == (["EU-Central", "EU-North"], 45)
    event = paused.events.get(kind=EventKind.STAGE_EDITED)
    assert event.actor == release_manager
    assert event.details["after"] == {"groups": ["EU-Central", "EU-North"], "deadline_minutes": 45}
    html = client.get(response["Location"]).content.decode()
    assert "Stage 2 (groups EU-Central, EU-North) saved." in html
    assert "groups: EU-West → EU-Central, EU-North" in html  # the timeline


def test_a_form_error_shows_the_form_again_with_what_was_typed(client, release_manager, paused):
    client.force_login(release_manager)
    data = form_data(
        stage_at(paused), name="Typed name", groups="Typed-Group", deadline_minutes="0"
    )

    response = client.post(edit_url(paused), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert NOT_SAVED in html
    assert "Ensure this value is greater than or equal to 1." in html
    assert 'value="Typed name"' in html and 'value="Typed-Group"' in html
    assert 'name="deadline_minutes" value="0"' in html
    assert stage_at(paused).groups == ["EU-West"]
    assert not paused.events.filter(kind=EventKind.STAGE_EDITED).exists()


def test_a_plan_rule_shows_next_to_its_field(client, release_manager, paused):
    client.force_login(release_manager)
    data = form_data(stage_at(paused), target="all", name="Typed name")

    response = client.post(edit_url(paused), data)

    html = response.content.decode()
    assert response.status_code == 200
    field = html[html.index('data-field="target"') : html.index('data-field="tag"')]
    assert "An all-devices stage can only be the last stage." in field
    assert 'value="Typed name"' in html
    assert stage_at(paused).target == "groups"


def test_a_rollout_resumed_meanwhile_keeps_the_form_and_says_why(client, release_manager, paused):
    client.force_login(release_manager)
    data = form_data(stage_at(paused), groups="Typed-Group")
    type(paused).objects.filter(pk=paused.pk).update(status=RolloutStatus.RUNNING)

    response = client.post(edit_url(paused), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert NOT_SAVED in html and "is running" in html
    assert 'value="Typed-Group"' in html
    assert stage_at(paused).groups == ["EU-West"]


def test_opening_a_stage_that_started_goes_back_with_a_message(client, release_manager, paused):
    client.force_login(release_manager)
    RolloutStage.objects.filter(pk=stage_at(paused).pk).update(status=StageStatus.DEPLOYING)

    response = client.get(edit_url(paused), follow=True)

    assert response.redirect_chain[-1][0] == reverse("rollout_detail", args=[paused.pk])
    assert "Stage 2 cannot be edited: Stage 2 is deploying" in response.content.decode()


def test_a_viewer_is_refused(client, viewer, paused):
    client.force_login(viewer)
    data = form_data(stage_at(paused), groups="Typed-Group")

    assert client.get(edit_url(paused)).status_code == 403
    assert client.post(edit_url(paused), data).status_code == 403
    assert stage_at(paused).groups == ["EU-West"]


def test_an_unknown_stage_is_a_404(client, release_manager, paused):
    client.force_login(release_manager)

    assert client.get(edit_url(paused, 4)).status_code == 404
