import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rollouts.models import Rollout, RolloutStatus, StageStatus
from tests.factories import RolloutFactory
from tests.support.console_data import plan_three_stages, rollout_built
from tests.support.roles import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(release_manager, other_manager):
    plan_a = plan_three_stages(name="Weekly")
    plan_b = plan_three_stages(name="Hotfix")
    done = rollout_built(
        user=release_manager,
        plan=plan_a,
        status=RolloutStatus.COMPLETED,
        app_version="v3.1",
        comment="spring release",
        stage_statuses=(StageStatus.SUCCEEDED,) * 3,
    )
    aborted = rollout_built(
        user=other_manager,
        plan=plan_b,
        status=RolloutStatus.ABORTED,
        app_version="v3.2-hotfix",
        status_reason="bad build",
    )
    old = rollout_built(user=other_manager, plan=plan_a, app_version="v2.9")
    Rollout.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    return {"done": done, "aborted": aborted, "old": old, "weekly": plan_a}


def rows(client, user, **params) -> str:
    client.force_login(user)
    response = client.get(reverse("history"), params)
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('id="results-title"') :]


def test_every_rollout_newest_first(client, viewer, history):
    html = rows(client, viewer)

    assert "3 rollouts" in html
    ids = [history[k].pk for k in ("aborted", "done", "old")]
    positions = [html.index(f'id="rollout-{pk}"') for pk in ids]
    assert positions == sorted(positions)
    assert "3 / 3" in html  # stages done of the completed one


def test_filters_by_status_plan_version_person_and_date(client, viewer, history):
    weekly = history["weekly"].pk
    since = (timezone.localdate() - timedelta(days=7)).isoformat()

    assert f'id="rollout-{history["aborted"].pk}"' in rows(client, viewer, status="aborted")
    assert "1 rollout<" in rows(client, viewer, status="aborted")
    assert "2 rollouts" in rows(client, viewer, plan=weekly)
    assert "1 rollout<" in rows(client, viewer, version="hotfix")
    by_otto = rows(client, viewer, person="otto")
    assert "2 rollouts" in by_otto and f'id="rollout-{history["done"].pk}"' not in by_otto
    assert f'id="rollout-{history["old"].pk}"' not in rows(client, viewer, since=since)
    assert "1 rollout<" in rows(client, viewer, until=since)


def test_a_person_who_only_approved_a_stage_finds_the_rollout(client, viewer, history):
    approver = user_with_role("april", "Release manager")
    history["old"].stages.filter(position=2).update(approved_by=approver)

    html = rows(client, viewer, person="april")

    assert "1 rollout<" in html and f'id="rollout-{history["old"].pk}"' in html


def test_search_matches_comment_reason_and_id(client, viewer, history):
    assert "1 rollout<" in rows(client, viewer, q="spring")
    assert "1 rollout<" in rows(client, viewer, q="bad build")
    assert f'id="rollout-{history["old"].pk}"' in rows(client, viewer, q=f"#{history['old'].pk}")
    assert "No rollout matches." in rows(client, viewer, q="nothing-like-this")


def test_pages_keep_the_filters(client, viewer, release_manager):
    plan = plan_three_stages(name="Busy")
    RolloutFactory.create_batch(30, plan=plan, created_by=release_manager)

    first = rows(client, viewer, plan=plan.pk)
    second = rows(client, viewer, plan=plan.pk, page=2)

    assert "1–25 of 30" in first and f"?plan={plan.pk}&amp;page=2" in first
    assert "26–30 of 30" in second


def test_a_bad_filter_value_is_shown_and_ignored(client, viewer, history):
    client.force_login(viewer)

    html = client.get(reverse("history"), {"since": "not-a-date"}).content.decode()

    assert "Enter a valid date." in html and "3 rollouts" in html


def test_csv_export_has_the_filtered_rows(client, viewer, history):
    client.force_login(viewer)

    response = client.get(reverse("history_csv"), {"status": "aborted"})

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["id"], r["status"], r["status_reason"]) for r in table] == [
        (str(history["aborted"].pk), "aborted", "bad build")
    ]
    assert table[0]["plan"] == "Hotfix" and table[0]["created_by"] == "otto"


def test_csv_cells_cannot_run_as_spreadsheet_formulas(client, viewer, release_manager):
    rollout_built(user=release_manager, comment="=HYPERLINK(1)")
    client.force_login(viewer)

    body = b"".join(client.get(reverse("history_csv")).streaming_content).decode()

    assert "'=HYPERLINK(1)" in body


def test_a_rollout_waiting_for_a_person_says_so_and_can_be_filtered(client, viewer, history):
    waiting = rollout_built(
        user=history["done"].created_by,
        plan=history["weekly"],
        app_version="v3.3",
        stage_statuses=(StageStatus.SUCCEEDED, StageStatus.SUCCEEDED, StageStatus.PENDING),
    )
    row = f'id="rollout-{waiting.pk}"'
    running = f'id="rollout-{history["old"].pk}"'  # running, its stage 2 still monitoring

    everything = rows(client, viewer)
    awaiting = rows(client, viewer, status="awaiting")

    mark = everything[everything.index(row) :]
    assert "Awaiting approval" in mark[: mark.index("</tr>")]
    other = everything[everything.index(running) :]
    assert "Awaiting approval" not in other[: other.index("</tr>")]
    assert "1 rollout<" in awaiting and row in awaiting
    assert "2 rollouts" in rows(client, viewer, status="running")  # still running, both
    body = b"".join(client.get(reverse("history_csv")).streaming_content).decode()
    table = {r["id"]: r["awaiting_approval"] for r in csv.DictReader(io.StringIO(body))}
    assert table[str(waiting.pk)] == "true" and table[str(history["old"].pk)] == "false"
