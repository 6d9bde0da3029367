"""A canary -> two groups -> all plan, run by a real worker against the simulator."""

import pytest

from rollouts.models import ApiCall, CallKind, Event, EventKind, RolloutStatus
from rollouts.services.actions import stage_approve
from tests.factories import UserFactory
from tests.process.helpers import (
    CANARY_GROUPS_ALL,
    deploy_calls,
    rollout_updates_per_device,
    start_rollout,
    wait_awaiting_approval,
    wait_status,
)

pytestmark = pytest.mark.integration


def filters_of(call: dict) -> list[tuple[str, str, str]]:
    devices_filter = call["body"]["devices_filter"]
    return [(f["type"], f["operand"], f["value"]) for f in devices_filter["filters"]]


def test_staged_rollout_completes_with_one_deploy_per_stage(engine_factory):
    manager = UserFactory(username="rm")
    with engine_factory(devices=200) as engine:
        rollout = start_rollout(user=manager, stages=CANARY_GROUPS_ALL)

        for position in (2, 3, 4):
            wait_awaiting_approval(rollout, position, engine=engine)
            stage_approve(rollout=rollout, actor=manager, comment=f"go {position}")
        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine)

        deploys = deploy_calls(engine.sim)
        per_device = rollout_updates_per_device(engine.sim, rollout)
        truths = [
            engine.sim.truth(project="Demo", comment=f"[rollout {rollout.pk} · stage {n}/4]")
            for n in (1, 2, 3, 4)
        ]

    # One accepted deploy per stage, each a valid documented body.
    assert [c["status"] for c in deploys] == [200, 200, 200, 200]
    assert all(c["body"]["user_token"] == "***" for c in deploys)
    canary, group1, group2, everyone = deploys
    assert ("tag", "is", "canary") in filters_of(canary)
    assert canary["body"]["devices_filter"]["groups"] == []
    assert [g["name"] for g in group1["body"]["devices_filter"]["groups"]] == ["TestGroup1"]
    assert ("tag", "is_not", "canary") in filters_of(group1)
    assert [g["name"] for g in group2["body"]["devices_filter"]["groups"]] == ["TestGroup2"]
    all_groups = {g["name"] for g in everyone["body"]["devices_filter"]["groups"]}
    assert all_groups and not all_groups & {"TestGroup1", "TestGroup2"}
    assert ("tag", "is_not", "canary") in filters_of(everyone)
    for call in deploys:
        assert ("update_status", "is_not", "in_progress") in filters_of(call)
        assert call["body"]["metadata"]["app"] == {"name": "default_app", "version": "v2.0"}
        assert call["body"]["metadata"]["comment"].startswith(f"[rollout {rollout.pk} · stage ")

    # No device was updated twice by the rollout, and every Demo device was reached once.
    assert set(per_device.values()) == {1}

    # Counts shown for each stage equal the simulator's truth for that cohort.
    rollout.refresh_from_db()
    for stage, truth in zip(rollout.stages.order_by("position"), truths, strict=True):
        assert stage.devices_total == truth["devices"] - truth["counts"].get("none", 0)
        assert stage.count_success == truth["counts"]["success"]
    assert rollout.stages.get(position=1).devices_total >= 1

    # The history says who approved what, and every deploy is recorded.
    approvals = Event.objects.filter(rollout=rollout, kind=EventKind.STAGE_APPROVED)
    assert [(e.actor.username, e.reason) for e in approvals] == [
        ("rm", "go 2"),
        ("rm", "go 3"),
        ("rm", "go 4"),
    ]
    recorded = ApiCall.objects.filter(rollout=rollout, kind=CallKind.DEPLOY)
    assert recorded.count() == 4
    assert all(c.request["body"]["user_token"] == "***" for c in recorded)
