import pytest

from rollouts.selectors.plans import OTHER_GROUPS, plan_list, plan_preview
from tests.factories import PlanFactory
from tests.support.console_data import plan_three_stages, rollout_built

pytestmark = pytest.mark.django_db


def filters(preview) -> list[tuple[str, str, str]]:
    return [(f.type, f.operand, f.value) for f in preview.devices_filter.filters]


def test_the_preview_shows_each_stage_cohort_with_deploy_guards():
    plan = plan_three_stages()

    canary, europe, everyone = plan_preview(plan=plan)

    assert canary.devices_filter.groups == []
    assert ("tag", "is", "canary") in filters(canary)
    assert europe.devices_filter.groups == ["EU-West"]
    assert ("tag", "is_not", "canary") in filters(europe)
    assert everyone.devices_filter.groups == [OTHER_GROUPS]
    assert everyone.excluded_groups == ["EU-West"]
    for preview in (canary, europe, everyone):
        assert ("update_status", "is_not", "in_progress") in filters(preview)


def test_a_single_device_stage_does_not_exclude_its_group():
    plan = PlanFactory()
    plan.stages.create(position=1, target="groups", groups=["Lab"], device_filter="d-1")
    plan.stages.create(position=2, target="all")

    first, everyone = plan_preview(plan=plan)

    assert everyone.devices_filter.groups == []
    assert everyone.excluded_groups == []
    assert ("specific_device", "is_not", "d-1") in filters(everyone)


def test_an_empty_cohort_is_reported_not_raised():
    plan = PlanFactory()
    plan.stages.create(position=1, target="groups", groups=["Lab"])
    plan.stages.create(position=2, target="groups", groups=["Lab"])

    _, second = plan_preview(plan=plan)

    assert second.devices_filter is None
    assert "earlier stage" in second.empty_reason


def test_the_plan_list_counts_rollouts(release_manager):
    plan = plan_three_stages(name="Used")
    rollout_built(user=release_manager, plan=plan)
    rollout_built(user=release_manager, plan=plan)
    plan_three_stages(name="Unused")

    assert {p.name: p.rollouts_total for p in plan_list()} == {"Unused": 0, "Used": 2}
