"""The new-rollout form under generated input: the form again with errors (200) or, for a
valid rollout, a redirect to its page; never a 500, and an invalid POST starts nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from rollouts.models import Rollout, RolloutStatus
from tests.bad_input.helpers import (
    NUMBERISH,
    any_text,
    bounded,
    clean_text,
    form_errors,
    form_post,
    rolled_back,
    row_counts,
)
from tests.support.console_data import plan_three_stages

pytestmark = pytest.mark.django_db

NOT_STARTED = "The rollout was not started"
FIELDS = ("plan", "flow_id", "app_name", "app_version", "comment", "start", "start_at")


@pytest.fixture
def plan(db):
    return plan_three_stages(name="Weekly")


def datetimes_text():
    now = timezone.now()
    return st.one_of(
        st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
        st.just((now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")),
        st.just((now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")),
        st.sampled_from(["9999-12-31T23:59", "0001-01-01T00:00", "2025-02-30T10:00", "now"]),
        any_text,
    )


@st.composite
def any_rollout_post(draw, plan_pk: int) -> dict[str, str]:
    values = {
        "plan": st.one_of(
            st.just(str(plan_pk)),
            st.integers(-(2**70), 2**70).map(str),
            st.sampled_from(NUMBERISH),
            any_text,
        ),
        "flow_id": st.one_of(clean_text(max_size=100), any_text),
        "app_name": st.one_of(clean_text(max_size=100), any_text),
        "app_version": st.one_of(clean_text(max_size=100), any_text),
        "comment": any_text,
        "start": st.one_of(st.sampled_from(["now", "at"]), any_text),
        "start_at": datetimes_text(),
    }
    keys = draw(st.lists(st.sampled_from(FIELDS), unique=True, min_size=3))
    return {key: draw(values[key]) for key in keys}


printable = st.characters(exclude_categories=["Cc", "Cs"])


@st.composite
def valid_rollout_post(draw, plan_pk: int) -> dict[str, str]:
    def identifier():
        return st.text(printable, max_size=100).filter(lambda s: s.strip())

    return {
        "plan": str(plan_pk),
        "flow_id": draw(identifier()),
        "app_name": draw(identifier()),
        "app_version": draw(identifier()),
        "comment": draw(st.text(printable, max_size=400)),
        "start": "now",
    }


@bounded(max_examples=50)
@given(data=st.data())
def test_any_rollout_post_answers_the_form_or_starts_one_rollout(manager_client, plan, data):
    post = data.draw(any_rollout_post(plan.pk))
    with rolled_back():
        before = row_counts()

        response = form_post(manager_client, reverse("rollout_new"), post)

        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert NOT_STARTED in response.content.decode()
            assert row_counts() == before
        else:
            rollout = Rollout.objects.latest("pk")
            assert response["Location"] == reverse("rollout_detail", args=[rollout.pk])
            assert rollout.status in (RolloutStatus.RUNNING, RolloutStatus.SCHEDULED)
            assert rollout.stages.count() == plan.stages.count()
            for field in ("flow_id", "app_name", "app_version"):  # what Upswift will be sent
                value = getattr(rollout, field)
                assert value.strip() and not any(ord(c) < 32 or ord(c) == 127 for c in value)


@bounded(max_examples=25)
@given(data=st.data())
def test_a_valid_rollout_in_any_text_is_started_as_given(manager_client, plan, data):
    post = data.draw(valid_rollout_post(plan.pk))
    with rolled_back():
        response = form_post(manager_client, reverse("rollout_new"), post)

        assert response.status_code == 302, form_errors(response.content.decode())
        rollout = Rollout.objects.latest("pk")
        assert rollout.status == RolloutStatus.RUNNING
        assert rollout.app_version == post["app_version"].strip()
        assert rollout.comment == post["comment"].strip()


@pytest.mark.parametrize("value", ["²", "9" * 30, "-1", "x"])
def test_a_strange_plan_id_answers_the_form_and_the_preview(manager_client, plan, value):
    """'²'.isdigit() is True but int('²') fails: both views once answered a 500."""
    post = {"plan": value, "flow_id": "f", "app_name": "a", "app_version": "1", "start": "now"}

    page = form_post(manager_client, reverse("rollout_new"), post)
    form = manager_client.get(reverse("rollout_new"), {"plan": value})
    preview = manager_client.get(reverse("rollout_preview"), {"plan": value})

    assert page.status_code == 200 and NOT_STARTED in page.content.decode()
    assert form.status_code == 200
    assert preview.status_code in (200, 404)
    assert not Rollout.objects.exists()


@pytest.mark.parametrize("field", ["flow_id", "app_name", "app_version"])
def test_control_characters_in_what_upswift_is_sent_are_refused(manager_client, plan, field):
    """As the REST API refuses them: the form once started a rollout with them."""
    post = {"plan": plan.pk, "flow_id": "73a7-1ft8", "app_name": "app", "app_version": "1"}
    post.update({"start": "now", field: "v2\x1b[31m"})

    response = form_post(manager_client, reverse("rollout_new"), post)

    assert response.status_code == 200
    assert "Control characters are not allowed." in form_errors(response.content.decode())
    assert not Rollout.objects.exists()
