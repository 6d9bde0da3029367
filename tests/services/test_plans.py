import pytest
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

from rollouts.models import PlanStage, RolloutStage
from rollouts.services.plans import (
    MAX_DEADLINE_MINUTES,
    MIN_DEADLINE_MINUTES,
    plan_create,
    plan_stages_validate,
    plan_update,
)

pytestmark = pytest.mark.django_db


def errors_of(stages) -> dict:
    with pytest.raises(ValidationError) as info:
        plan_stages_validate(stages)
    return info.value.message_dict


@pytest.mark.parametrize(
    ("stages", "field", "text"),
    [
        ([], "stages", "at least one stage"),
        ([{"target": "tag"}], "stages.1.tag", "needs a tag"),
        ([{"target": "groups", "groups": []}], "stages.1.groups", "at least one group"),
        ([{"target": "all"}, {"target": "tag", "tag": "x"}], "stages.1.target", "last stage"),
        ([{"target": "everyone"}], "stages.1.target", "Choose one of"),
        ([{"target": "all", "success_threshold": 101}], "stages.1.success_threshold", "0 and 100"),
        ([{"target": "all", "failure_threshold": -1}], "stages.1.failure_threshold", "0 and 100"),
        ([{"target": "all", "soak_minutes": "soon"}], "stages.1.soak_minutes", "whole number"),
        ([{"target": "all", "soak_minutes": 10081}], "stages.1.soak_minutes", "0 and 10080"),
        ([{"target": "all", "deadline_minutes": 0}], "stages.1.deadline_minutes", "1 and 10080"),
        (
            [{"target": "all", "deadline_minutes": 10081}],
            "stages.1.deadline_minutes",
            "1 and 10080",
        ),
        (
            [{"target": "all", "deadline_minutes": "1h"}],
            "stages.1.deadline_minutes",
            "whole number",
        ),
        (
            [{"target": "groups", "groups": ["A"]}, {"target": "groups", "groups": ["A"]}],
            "stages.2.groups",
            "already in stage 1",
        ),
        (
            [{"target": "tag", "tag": "c"}, {"target": "tag", "tag": "c"}],
            "stages.2.tag",
            "already targeted",
        ),
        ([{"target": "groups", "groups": [1, 2]}], "stages.1.groups", "list of names"),
    ],
)
def test_bad_stages_are_rejected_with_the_field_named(stages, field, text):
    errors = errors_of(stages)

    assert field in errors
    assert text in " ".join(errors[field])


def test_valid_plan_is_saved_with_ordered_stages():
    plan = plan_create(
        name=" Canary first ",
        project="Demo",
        stages=[
            {"target": "tag", "tag": " canary ", "success_threshold": "90"},
            {"target": "groups", "groups": "TestGroup1, TestGroup2"},
            {"target": "all", "approval_required": False, "soak_minutes": 5},
        ],
    )

    stages = list(plan.stages.all())
    assert plan.name == "Canary first"
    assert [(s.position, s.target) for s in stages] == [(1, "tag"), (2, "groups"), (3, "all")]
    assert stages[0].tag == "canary" and stages[0].success_threshold == 90
    assert stages[1].groups == ["TestGroup1", "TestGroup2"]
    assert stages[2].approval_required is False and stages[2].soak_minutes == 5


def test_editing_a_plan_replaces_its_stages_and_keeps_bad_edits_out():
    plan = plan_create(name="p", project="Demo", stages=[{"target": "all"}])

    with pytest.raises(ValidationError):
        plan_update(plan=plan, stages=[{"target": "tag"}])
    assert [s.target for s in plan.stages.all()] == ["all"]

    plan_update(plan=plan, stages=[{"target": "tag", "tag": "canary"}, {"target": "all"}])
    assert [s.target for s in plan.stages.all()] == ["tag", "all"]


def test_a_plan_whose_author_left_can_still_be_edited():
    from tests.factories import UserFactory

    author = UserFactory()
    plan = plan_create(name="Left", project="Demo", stages=[{"target": "all"}], actor=author)
    author.delete()
    plan.refresh_from_db()

    plan_update(plan=plan, description="kept going")

    plan.refresh_from_db()
    assert (plan.created_by, plan.description) == (None, "kept going")


def test_a_stage_deadline_is_kept_and_defaults_to_an_hour():
    plan = plan_create(
        name="Deadlines",
        project="Demo",
        stages=[{"target": "tag", "tag": "canary", "deadline_minutes": "15"}, {"target": "all"}],
    )

    assert [s.deadline_minutes for s in plan.stages.order_by("position")] == [15, 60]


@pytest.mark.parametrize("model", [PlanStage, RolloutStage])
def test_the_models_deadline_bounds_are_the_ones_forms_and_the_api_use(model):
    """The model's validators spell the bounds out; they must agree with plans.py's."""
    field = model._meta.get_field("deadline_minutes")
    lows = [v.limit_value for v in field.validators if isinstance(v, MinValueValidator)]
    tops = [v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)]

    assert max(lows) == MIN_DEADLINE_MINUTES
    assert min(tops) == MAX_DEADLINE_MINUTES


@pytest.mark.parametrize(
    ("stage", "field"),
    [
        ({"target": "tag", "tag": "can\x1bary"}, "stages.1.tag"),
        ({"target": "groups", "groups": ["ok", "Test\x00Group"]}, "stages.1.groups"),
        ({"target": "all", "name": "every\x7fone"}, "stages.1.name"),
        ({"target": "all", "app_filter": "app\x08"}, "stages.1.app_filter"),
        ({"target": "all", "device_filter": "d-\r\nX-Injected: 1"}, "stages.1.device_filter"),
    ],
)
def test_stage_names_refuse_control_characters(stage, field):
    assert errors_of([stage])[field] == ["Control characters are not allowed."]


@pytest.mark.parametrize("field", ["name", "project"])
def test_a_plan_name_or_project_with_control_characters_is_refused(field, release_manager):
    fields = {"name": "Weekly", "project": "Demo", field: "De\x1b[31mmo"}

    with pytest.raises(ValidationError) as info:
        plan_create(**fields, stages=[{"target": "all"}], actor=release_manager)

    assert info.value.message_dict[field] == ["Control characters are not allowed."]
    plan = plan_create(name="Weekly", project="Demo", stages=[{"target": "all"}])
    with pytest.raises(ValidationError):
        plan_update(plan=plan, **{field: "tab\there"})
    plan.refresh_from_db()
    assert (plan.name, plan.project) == ("Weekly", "Demo")
