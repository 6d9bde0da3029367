"""services/plans.py: the four-eyes flag is an admin's to change, and every save of a plan is
a version (who, when, before and after) that a rollout records when it copies the stages."""

import pytest

from rollouts.models import PlanVersion
from rollouts.selectors.plans import plan_versions
from rollouts.services.actions import rollout_create, rollout_start
from rollouts.services.errors import ActionRefused
from rollouts.services.plans import plan_create, plan_update

pytestmark = pytest.mark.django_db

STAGES = [{"name": "canary", "target": "tag", "tag": "canary"}, {"target": "all"}]


def a_plan(actor, **fields):
    return plan_create(name="Weekly", project="Demo", stages=STAGES, actor=actor, **fields)


def test_a_release_manager_cannot_switch_four_eyes_off(release_manager, console_admin):
    plan = a_plan(console_admin, require_different_approver=True)

    with pytest.raises(ActionRefused) as refused:
        plan_update(plan=plan, actor=release_manager, require_different_approver=False)

    assert refused.value.code == "permission_denied"
    assert "Only an admin" in str(refused.value)
    plan.refresh_from_db()
    assert plan.require_different_approver is True
    assert plan.versions.count() == 1  # nothing recorded either


def test_a_release_manager_cannot_create_a_plan_with_four_eyes_set(release_manager):
    with pytest.raises(ActionRefused):
        a_plan(release_manager, require_different_approver=True)


def test_an_admins_change_is_a_version_with_before_and_after(release_manager, console_admin):
    plan = a_plan(release_manager)

    plan_update(plan=plan, actor=console_admin, require_different_approver=True)

    latest = plan.versions.order_by("-number").first()
    assert (latest.number, latest.actor) == (2, console_admin)
    assert latest.before["require_different_approver"] is False
    assert latest.after["require_different_approver"] is True
    shown = plan_versions(plan=plan)
    assert [v.number for v in shown] == [2, 1]
    assert shown[0].changes == [("require different approver", "no", "yes")]
    assert shown[0].actor == console_admin.username


def test_a_stage_edit_names_the_stage_and_field(release_manager):
    plan = a_plan(release_manager)
    stages = [dict(STAGES[0], success_threshold=80), STAGES[1]]

    plan_update(plan=plan, actor=release_manager, stages=stages)

    assert ("stage 1 success threshold", "95", "80") in plan_versions(plan=plan)[0].changes


def test_a_save_that_changes_nothing_is_no_version(release_manager):
    plan = a_plan(release_manager)

    plan_update(plan=plan, actor=release_manager, description="")

    assert plan.versions.count() == 1


def test_a_rollout_records_the_version_it_copied(release_manager):
    plan = a_plan(release_manager)
    plan_update(plan=plan, actor=release_manager, description="v2")
    rollout = rollout_create(
        plan=plan, flow_id="f", app_name="a", app_version="1", actor=release_manager
    )

    rollout_start(rollout=rollout, actor=release_manager)
    plan_update(plan=plan, actor=release_manager, description="v3")

    rollout.refresh_from_db()
    assert rollout.plan_version.number == 2
    assert rollout.events.get(kind="started").details["plan_version"] == 2
    assert PlanVersion.objects.filter(plan=plan).count() == 3
