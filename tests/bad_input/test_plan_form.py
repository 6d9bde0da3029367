"""The plan editor (plan form + stage formset) under generated input: any POST answers the
editor again with errors (200) or, for a valid plan, a redirect; never a 500, and an
invalid POST leaves no row behind (nor a changed plan, when editing)."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from rollouts.limits import MAX_STAGES
from rollouts.models import Plan, PlanStage
from rollouts.services.plans import MAX_DEADLINE_MINUTES, MAX_SOAK_MINUTES
from tests.bad_input.helpers import (
    NUMBERISH,
    any_text,
    bounded,
    clean_text,
    form_errors,
    form_post,
    number_text,
    rolled_back,
    row_counts,
)
from tests.support.console_data import plan_three_stages

pytestmark = pytest.mark.django_db

NOT_SAVED = "The plan was not saved"
STAGE_KEYS = (*PlanStage.SPEC_FIELDS, "ORDER", "DELETE")  # the stage formset's fields
TEXT_KEYS = ("name", "tag", "groups", "app_filter", "device_filter")
NUMBER_KEYS = (
    "success_threshold",
    "failure_threshold",
    "soak_minutes",
    "deadline_minutes",
    "ORDER",
)
FLAG_KEYS = ("approval_required", "online_only", "DELETE")
MANAGEMENT = ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")


@st.composite
def any_stage(draw) -> dict[str, str]:
    """A stage form's fields, each missing, plausible or arbitrary."""
    values = {
        **{
            key: st.one_of(any_text, st.sampled_from(["tag", "groups", "all"])) for key in TEXT_KEYS
        },
        "target": st.one_of(st.sampled_from(["tag", "groups", "all", "TAG", ""]), any_text),
        **{key: number_text for key in NUMBER_KEYS},
        **{key: st.one_of(st.just("on"), any_text) for key in FLAG_KEYS},
    }
    keys = draw(st.lists(st.sampled_from(STAGE_KEYS), unique=True))
    return {key: draw(values[key]) for key in keys}


@st.composite
def any_plan_post(draw) -> dict[str, str]:
    """Plan fields and a stage formset, with anything in any field, fields left out, and a
    management form that may lie about the number of stages."""
    stages = draw(st.lists(any_stage(), max_size=4))
    data = {}
    for key in ("name", "project", "description", "require_different_approver"):
        if draw(st.booleans()) or key in ("name", "project"):
            data[key] = draw(st.one_of(clean_text(max_size=120), any_text))
    # A count above the stages sent renders empty stage forms; Django caps it at 1000, which
    # takes seconds to render, so big counts have a test of their own below.
    small_count = st.one_of(st.integers(-3, 8).map(str), st.sampled_from(NUMBERISH), any_text)
    management = {
        "TOTAL_FORMS": st.one_of(st.just(str(len(stages))), small_count),
        "INITIAL_FORMS": st.one_of(st.just("0"), small_count),
        "MIN_NUM_FORMS": st.just("0"),
        "MAX_NUM_FORMS": st.one_of(st.just("1000"), number_text),
    }
    for key in MANAGEMENT:
        if draw(st.integers(0, 9)):  # now and then the management form is incomplete
            data[f"stages-{key}"] = draw(management[key])
    for i, stage in enumerate(stages):
        data.update({f"stages-{i}-{key}": value for key, value in stage.items()})
    return data


# What a plan's project, tags, groups, filters and names accept: no control characters.
PRINTABLE = st.characters(exclude_categories=["Cc", "Cs"])


def printable_text(*, max_size: int, prefix: str = "") -> st.SearchStrategy[str]:
    return clean_text(max_size=max_size, prefix=prefix).filter(
        lambda s: not any(c < " " or c == "\x7f" for c in s)
    )


@st.composite
def valid_plan_post(draw) -> tuple[dict[str, str], int]:
    """A plan the editor must accept: distinct tags and groups, `all` only last, gates in
    range, in any order of positions; any printable text where text is free."""
    count = draw(st.integers(1, 4))
    by_position = draw(st.lists(st.sampled_from(["tag", "groups"]), min_size=count, max_size=count))
    if draw(st.booleans()):
        by_position[-1] = "all"
    positions = draw(st.permutations(range(1, count + 1)))  # form i is stage positions[i]
    targets = [by_position[position - 1] for position in positions]
    data = {
        "name": draw(printable_text(max_size=120)),
        "project": draw(printable_text(max_size=120)),
        "description": draw(st.one_of(st.just(""), clean_text(max_size=3000))),
        "stages-TOTAL_FORMS": str(count),
        "stages-INITIAL_FORMS": "0",
        "stages-MIN_NUM_FORMS": "0",
        "stages-MAX_NUM_FORMS": "1000",
    }
    if draw(st.booleans()):
        data["require_different_approver"] = "on"
    for i, target in enumerate(targets):
        stage = {
            "name": draw(st.one_of(st.just(""), printable_text(max_size=100))),
            "target": target,
            "success_threshold": str(draw(st.integers(0, 100))),
            "failure_threshold": str(draw(st.integers(0, 100))),
            "soak_minutes": str(draw(st.integers(0, MAX_SOAK_MINUTES))),
            "deadline_minutes": str(draw(st.integers(1, MAX_DEADLINE_MINUTES))),
            "app_filter": draw(st.one_of(st.just(""), printable_text(max_size=100))),
            "ORDER": str(positions[i]),
        }
        if target == "tag":
            stage["tag"] = draw(printable_text(max_size=100, prefix=f"t{i}-"))
        if target == "groups":
            names = st.text(PRINTABLE, max_size=15).filter(lambda s: "," not in s)
            groups = draw(
                st.lists(names.map(lambda s, i=i: f"g{i}-{s.strip()}"), min_size=1, max_size=5)
            )
            stage["groups"] = ", ".join(dict.fromkeys(groups))  # 5 x 20 characters at most
        for flag in ("approval_required", "online_only"):
            if draw(st.booleans()):
                stage[flag] = "on"
        data.update({f"stages-{i}-{key}": value for key, value in stage.items()})
    return data, count


@pytest.fixture
def weekly(db):
    return plan_three_stages(name="Weekly")


def stages_of(plan: Plan) -> list[dict]:
    return [s.spec() for s in plan.stages.order_by("position")]


def assert_answered(response, before: dict[str, int]) -> None:
    """A 200 re-shows the editor with the error message and saved nothing; a 302 saved one
    plan with at least one stage."""
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        assert NOT_SAVED in response.content.decode()
        assert row_counts() == before


@bounded(max_examples=40)
@given(data=any_plan_post())
def test_any_plan_post_answers_the_editor_or_saves_a_whole_plan(manager_client, data):
    with rolled_back():
        before = row_counts()

        response = form_post(manager_client, reverse("plan_create"), data)

        assert_answered(response, before)
        if response.status_code == 302:
            plan = Plan.objects.latest("pk")
            assert plan.name == data["name"].strip()
            assert Plan.objects.count() == before["Plan"] + 1
            assert PlanStage.objects.count() == before["PlanStage"] + plan.stages.count()
            assert plan.stages.count() >= 1


@bounded(max_examples=25)
@given(post=valid_plan_post())
def test_a_valid_plan_in_any_text_is_saved_as_given(manager_client, post):
    data, count = post
    with rolled_back():
        response = form_post(manager_client, reverse("plan_create"), data)

        assert response.status_code == 302, form_errors(response.content.decode())
        plan = Plan.objects.get(name=data["name"].strip())
        assert plan.project == data["project"].strip()
        assert plan.stages.count() == count
        by_position = {int(data[f"stages-{i}-ORDER"]): i for i in range(count)}
        for stage in plan.stages.order_by("position"):
            i = by_position[stage.position]
            assert stage.target == data[f"stages-{i}-target"]
            assert stage.name == data[f"stages-{i}-name"].strip()
            assert stage.soak_minutes == int(data[f"stages-{i}-soak_minutes"])
            assert stage.deadline_minutes == int(data[f"stages-{i}-deadline_minutes"])


@bounded(max_examples=30)
@given(data=any_plan_post())
def test_any_edit_post_leaves_the_plan_as_it_was_unless_saved(manager_client, weekly, data):
    plan = weekly
    fields = Plan.objects.values("name", "project", "description").get(pk=plan.pk)
    stages = stages_of(plan)
    with rolled_back():
        before = row_counts()

        response = form_post(manager_client, reverse("plan_edit", args=[plan.pk]), data)

        assert_answered(response, before)
        plan.refresh_from_db()
        if response.status_code == 200:
            assert Plan.objects.values("name", "project", "description").get(pk=plan.pk) == fields
            assert stages_of(plan) == stages
        else:
            assert Plan.objects.count() == before["Plan"]
            assert plan.name == data["name"].strip() and plan.stages.count() >= 1


def test_a_superscript_digit_in_a_position_re_shows_the_editor(manager_client):
    """'²'.isdigit() is True but int('²') fails: the editor once crashed re-showing it."""
    data = {
        "name": "Plan",
        "project": "Demo",
        "stages-TOTAL_FORMS": "2",
        "stages-INITIAL_FORMS": "0",
        "stages-0-target": "all",
        "stages-0-ORDER": "²",
        "stages-1-target": "tag",
        "stages-1-tag": "canary",
        "stages-1-ORDER": "1",
    }

    response = form_post(manager_client, reverse("plan_create"), data)

    assert response.status_code == 200
    assert NOT_SAVED in response.content.decode()
    assert not Plan.objects.exists()


@pytest.mark.parametrize("total", ["51", "1001", str(10**20), "-1", "", "²"])
def test_a_lying_stage_count_re_shows_the_editor(manager_client, total):
    """A forged count builds at most 50 stage forms (Django's default cap, 1000, once made
    this one request take seconds)."""
    data = {"name": "Plan", "project": "Demo", "stages-TOTAL_FORMS": total}
    data["stages-INITIAL_FORMS"] = "0"

    response = form_post(manager_client, reverse("plan_create"), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert NOT_SAVED in html
    assert html.count("<fieldset") <= MAX_STAGES + 1  # the stages, and the template's
    assert not Plan.objects.exists()


def test_more_stages_than_the_limit_are_refused(manager_client):
    data = {"name": "Plan", "project": "Demo", "stages-TOTAL_FORMS": str(MAX_STAGES + 1)}
    for i in range(MAX_STAGES + 1):
        data.update({f"stages-{i}-target": "tag", f"stages-{i}-tag": f"t{i}"})
        data.update({f"stages-{i}-success_threshold": "95", f"stages-{i}-failure_threshold": "5"})
        data[f"stages-{i}-soak_minutes"] = "0"
        data[f"stages-{i}-deadline_minutes"] = "60"

    response = form_post(manager_client, reverse("plan_create"), data)

    assert response.status_code == 200
    assert f"Please submit at most {MAX_STAGES} forms." in response.content.decode()
    assert not Plan.objects.exists()
