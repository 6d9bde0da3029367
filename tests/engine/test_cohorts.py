"""Cohort filters: each stage excludes every earlier stage's devices, and read-back agrees."""

from types import SimpleNamespace

import pytest

from rollouts.engine.cohorts import (
    EmptyCohort,
    cohort_filter,
    deploy_filter,
    device_matches,
    stage_update_of,
)


def stage(target, *, tag="", groups=(), app="", device="", online_only=False):
    return SimpleNamespace(
        target=target,
        tag=tag,
        groups=list(groups),
        app_filter=app,
        device_filter=device,
        online_only=online_only,
    )


CANARY = stage("tag", tag="canary")
G1 = stage("groups", groups=["TestGroup1"])
G2 = stage("groups", groups=["TestGroup2"])
ALL = stage("all")
PROJECT_GROUPS = {"Production", "TestGroup1", "TestGroup2", "Lab"}


def as_tuples(devices_filter):
    return [(f.type, f.operand, f.value) for f in devices_filter.filters]


def test_canary_stage_targets_the_tag_in_every_group():
    f = cohort_filter(project="Demo", stage=CANARY, earlier=[])

    assert f.groups == [] and as_tuples(f) == [("tag", "is", "canary")]


def test_group_stage_excludes_the_canary_tag():
    f = cohort_filter(project="Demo", stage=G2, earlier=[CANARY, G1])

    assert f.groups == ["TestGroup2"]
    assert as_tuples(f) == [("tag", "is_not", "canary")]


def test_all_stage_lists_the_other_groups_and_excludes_the_canary():
    f = cohort_filter(
        project="Demo", stage=ALL, earlier=[CANARY, G1, G2], project_groups=PROJECT_GROUPS
    )

    assert f.groups == ["Lab", "Production"]
    assert as_tuples(f) == [("tag", "is_not", "canary")]


def test_all_stage_with_no_group_left_is_empty():
    with pytest.raises(EmptyCohort):
        cohort_filter(project="Demo", stage=ALL, earlier=[G1], project_groups={"TestGroup1"})


def test_single_device_stage_is_excluded_exactly_later():
    one = stage("groups", groups=["Lab"], device="d-1")
    f = cohort_filter(project="Demo", stage=ALL, earlier=[one])

    assert f.groups == []  # a device stage does not take its whole group out
    assert ("specific_device", "is_not", "d-1") in as_tuples(f)


def test_deploy_guards_never_interrupt_and_respect_online_only():
    cohort = cohort_filter(project="Demo", stage=CANARY, earlier=[])

    guarded = as_tuples(deploy_filter(cohort=cohort, online_only=True))
    retry = as_tuples(deploy_filter(cohort=cohort, online_only=False, update_status="failed"))

    assert ("update_status", "is_not", "in_progress") in guarded
    assert ("device_state", "is", "online") in guarded
    assert ("update_status", "is", "failed") in retry
    assert ("update_status", "is_not", "in_progress") not in retry
    deploy_filter(cohort=cohort, online_only=True).validate()  # a valid documented filter


@pytest.mark.parametrize(
    ("device", "expected"),
    [
        ({"project": "Demo", "group": "TestGroup2", "tags": []}, True),
        ({"project": "Demo", "group": "TestGroup2", "tags": ["canary"]}, False),
        ({"project": "Demo", "group": "TestGroup1", "tags": []}, False),
        ({"project": "Other", "group": "TestGroup2", "tags": []}, False),
    ],
)
def test_read_back_membership_matches_the_filter(device, expected):
    f = cohort_filter(project="Demo", stage=G2, earlier=[CANARY, G1])

    assert device_matches(f, {"device_uuid": "d-x", **device}) is expected


def test_app_filter_cannot_be_checked_on_read_back():
    f = cohort_filter(project="Demo", stage=stage("all", app="agent"), earlier=[])

    assert device_matches(f, {"project": "Demo", "group": "Lab", "tags": []}) is None


def test_stage_update_is_found_by_marker_and_version_not_by_last_status():
    device = {
        "updates": [
            {"update_id": 1, "update_status": "failed", "update_version": "v2", "comment": "[r 1]"},
            {
                "update_id": 5,
                "update_status": "success",
                "update_version": "v2",
                "comment": "[r 9]",
            },
            {
                "update_id": 3,
                "update_status": "pending",
                "update_version": "v1",
                "comment": "[r 9]",
            },
        ]
    }

    assert stage_update_of(device, marker="[r 9]", version="v2").status == "success"
    assert stage_update_of(device, marker="[r 9]", version="v2").update_id == 5
    assert stage_update_of(device, marker="[r 7]", version="v2").status == "not_reached"
