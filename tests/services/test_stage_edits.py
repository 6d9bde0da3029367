"""Editing a stage of a paused rollout that has not started: allowed only then, checked as a
plan stage is, one conditional update and one event with the values before and after."""

import pytest
from django.core.exceptions import ValidationError

from rollouts.models import Event, EventKind, Rollout, RolloutStage, RolloutStatus, StageStatus
from rollouts.services import stage_edits
from rollouts.services.actions import rollout_create, rollout_pause, rollout_start
from rollouts.services.events import TransitionConflict
from rollouts.services.plans import plan_create
from rollouts.services.stage_edits import rollout_stage_edit

pytestmark = pytest.mark.django_db

# Stage 2's group is misspelt: Upswift has TestGroup1.
STAGES = [
    {"name": "canary", "target": "tag", "tag": "canary"},
    {"name": "group 1", "target": "groups", "groups": ["TestGrup1"]},
    {"name": "group 2", "target": "groups", "groups": ["TestGroup2"]},
    {"name": "everyone", "target": "all"},
]


@pytest.fixture
def running(release_manager) -> Rollout:
    plan = plan_create(name="Weekly", project="Demo", stages=STAGES, actor=release_manager)
    rollout = rollout_create(
        plan=plan, flow_id="73a7-1ft8", app_name="app", app_version="v2", actor=release_manager
    )
    return rollout_start(rollout=rollout, actor=release_manager)


@pytest.fixture
def paused(running, release_manager) -> Rollout:
    return rollout_pause(rollout=running, actor=release_manager, reason="group misspelt")


def stage_at(rollout: Rollout, position: int) -> RolloutStage:
    return RolloutStage.objects.get(rollout=rollout, position=position)


def edits_of(rollout: Rollout):
    return Event.objects.filter(rollout=rollout, kind=EventKind.STAGE_EDITED)


def test_a_pending_stage_of_a_paused_rollout_is_edited(paused, release_manager):
    stage = rollout_stage_edit(
        rollout=paused, position=2, changes={"groups": ["TestGroup1"]}, actor=release_manager
    )

    assert stage.groups == ["TestGroup1"]
    assert stage_at(paused, 2).groups == ["TestGroup1"]
    assert paused.plan.stages.get(position=2).groups == ["TestGrup1"]  # the plan is left alone
    event = edits_of(paused).get()
    assert (event.actor, event.stage_id) == (release_manager, stage.pk)
    assert event.details == {
        "before": {"groups": ["TestGrup1"]},
        "after": {"groups": ["TestGroup1"]},
    }


def test_the_event_holds_only_the_fields_that_changed(paused, release_manager):
    changes = {
        "name": "group one",
        "groups": ["TestGrup1"],  # as it is
        "success_threshold": "90",  # cleaned as a plan stage's: a whole number
        "deadline_minutes": 120,
        "online_only": False,  # as it is
    }

    stage = rollout_stage_edit(rollout=paused, position=2, changes=changes, actor=release_manager)

    assert (stage.name, stage.success_threshold, stage.deadline_minutes) == ("group one", 90, 120)
    assert edits_of(paused).get().details == {
        "before": {"name": "group 1", "success_threshold": 95, "deadline_minutes": 60},
        "after": {"name": "group one", "success_threshold": 90, "deadline_minutes": 120},
    }


def test_changing_the_target_clears_what_the_old_one_needed(paused, release_manager):
    stage = rollout_stage_edit(
        rollout=paused,
        position=2,
        changes={"target": "tag", "tag": " beta "},
        actor=release_manager,
    )

    assert (stage.target, stage.tag, stage.groups) == ("tag", "beta", [])
    details = edits_of(paused).get().details
    assert details["before"] == {"target": "groups", "tag": "", "groups": ["TestGrup1"]}
    assert details["after"] == {"target": "tag", "tag": "beta", "groups": []}


def test_nothing_changed_writes_no_event(paused, release_manager):
    before = stage_at(paused, 2).spec()

    stage = rollout_stage_edit(
        rollout=paused,
        position=2,
        changes={"groups": ["TestGrup1"], "soak_minutes": 0},
        actor=release_manager,
    )

    assert stage.pk == stage_at(paused, 2).pk and stage.spec() == before
    assert not edits_of(paused).exists()


@pytest.mark.parametrize(
    "status",
    [
        RolloutStatus.RUNNING,
        RolloutStatus.SCHEDULED,
        RolloutStatus.COMPLETED,
        RolloutStatus.ABORTED,
    ],
)
def test_only_a_paused_rollout_has_its_stages_edited(running, release_manager, status):
    Rollout.objects.filter(pk=running.pk).update(status=status)

    with pytest.raises(TransitionConflict) as refused:
        rollout_stage_edit(
            rollout=running, position=2, changes={"groups": ["TestGroup1"]}, actor=release_manager
        )

    assert str(running.pk) in str(refused.value) and f"is {status}" in str(refused.value)
    assert stage_at(running, 2).groups == ["TestGrup1"]
    assert not edits_of(running).exists()


@pytest.mark.parametrize(
    "status",
    [
        StageStatus.DEPLOYING,
        StageStatus.MONITORING,
        StageStatus.SUCCEEDED,
        StageStatus.FAILED,
        StageStatus.SKIPPED,
    ],
)
def test_only_a_stage_that_has_not_started_is_edited(paused, release_manager, status):
    RolloutStage.objects.filter(rollout=paused, position=2).update(status=status)

    with pytest.raises(TransitionConflict) as refused:
        rollout_stage_edit(
            rollout=paused, position=2, changes={"groups": ["TestGroup1"]}, actor=release_manager
        )

    assert str(refused.value).startswith(f"Stage 2 is {status}: only a stage that has not started")
    assert stage_at(paused, 2).groups == ["TestGrup1"]
    assert not edits_of(paused).exists()


def test_a_later_stage_is_edited_while_an_earlier_one_runs(paused, release_manager):
    RolloutStage.objects.filter(rollout=paused, position=1).update(status=StageStatus.MONITORING)

    stage = rollout_stage_edit(
        rollout=paused, position=3, changes={"soak_minutes": 15}, actor=release_manager
    )

    assert stage_at(paused, 3).soak_minutes == 15 == stage.soak_minutes
    assert edits_of(paused).count() == 1


def resumed_meanwhile(monkeypatch, rollout: Rollout, **stage_fields) -> None:
    """Between the service's checks and its write, someone resumes the rollout (or the engine
    starts the stage): only the conditional update can notice."""
    validate = stage_edits.plan_stages_validate

    def then_changed(stages):
        cleaned = validate(stages)
        if stage_fields:
            RolloutStage.objects.filter(rollout=rollout, position=2).update(**stage_fields)
        else:
            Rollout.objects.filter(pk=rollout.pk).update(status=RolloutStatus.RUNNING)
        return cleaned

    monkeypatch.setattr(stage_edits, "plan_stages_validate", then_changed)


@pytest.mark.parametrize("stage_fields", [{}, {"status": StageStatus.DEPLOYING}])
def test_the_write_is_conditional(paused, release_manager, monkeypatch, stage_fields):
    resumed_meanwhile(monkeypatch, paused, **stage_fields)

    with pytest.raises(TransitionConflict) as refused:
        rollout_stage_edit(
            rollout=paused, position=2, changes={"groups": ["TestGroup1"]}, actor=release_manager
        )

    assert "changed a moment ago" in str(refused.value)
    assert stage_at(paused, 2).groups == ["TestGrup1"]
    assert not edits_of(paused).exists()


@pytest.mark.parametrize(
    ("position", "changes", "field", "words"),
    [
        (2, {"target": "tag"}, "tag", "A tag stage needs a tag"),
        (2, {"target": "groups", "groups": []}, "groups", "at least one group"),
        (2, {"target": "tag", "tag": "canary"}, "tag", "Tag already targeted by stage 1."),
        (2, {"target": "all"}, "target", "can only be the last stage"),
        (2, {"target": "everyone"}, "target", "Choose one of"),
        (
            2,
            {"groups": ["TestGroup2"]},
            "groups",
            "Stage 3: Group TestGroup2 is already in stage 2",
        ),
        (2, {"success_threshold": 101}, "success_threshold", "Must be between 0 and 100."),
        (2, {"soak_minutes": "soon"}, "soak_minutes", "Must be a whole number."),
        (2, {"deadline_minutes": 0}, "deadline_minutes", "Must be between 1 and 10080."),
        (4, {"deadline_minutes": 10081}, "deadline_minutes", "Must be between 1 and 10080."),
        (2, {"target": "tag", "tag": "t" * 101}, "tag", "at most 100 characters"),
        (2, {"approval_required": "perhaps"}, "approval_required", "must be either True or False"),
        (2, {"status": "succeeded"}, "status", "cannot be edited"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    paused, release_manager, position, changes, field, words
):
    before = [s.spec() for s in paused.stages.order_by("position")]

    with pytest.raises(ValidationError) as refused:
        rollout_stage_edit(
            rollout=paused,
            position=position,
            changes={"name": "renamed", **changes},
            actor=release_manager,
        )

    errors = refused.value.message_dict
    assert words in " ".join(errors[field]), errors
    assert [s.spec() for s in paused.stages.order_by("position")] == before
    assert not edits_of(paused).exists()


def test_every_field_at_fault_is_named_at_once(paused, release_manager):
    with pytest.raises(ValidationError) as refused:
        rollout_stage_edit(
            rollout=paused,
            position=2,
            changes={"target": "tag", "failure_threshold": -1, "deadline_minutes": "x"},
            actor=release_manager,
        )

    assert set(refused.value.message_dict) == {"tag", "failure_threshold", "deadline_minutes"}
