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


ODD_SEARCHES = [
    "²",  # "²".isdigit() is True, int("²") fails: a 500 once
    "#²",
    "٣",  # an Arabic-Indic digit: isdigit() again
    "#" + "9" * 30,  # no bigint holds it
    "9" * 19,
    "#-1",
    "#",
    "%_\\'\"",
    "a\u202ebuild",
    "🚀",
    "x" * 201,  # longer than the field allows: a form error, not a 500
]


@pytest.mark.parametrize("q", ODD_SEARCHES)
def test_odd_search_text_never_answers_500(client, viewer, history, q):
    client.force_login(viewer)

    page = client.get(reverse("history"), {"q": q})
    export = client.get(reverse("history_csv"), {"q": q})

    assert page.status_code == 200
    assert export.status_code == 200
    body = b"".join(export.streaming_content).decode()
    assert body.startswith("id,status,")


def test_a_nul_in_the_search_is_an_error_on_the_form(client, viewer, history):
    client.force_login(viewer)

    page = client.get(reverse("history"), {"q": "spring\x00"})
    export = client.get(reverse("history_csv"), {"q": "spring\x00"})

    assert page.status_code == 200 and "Null characters are not allowed." in page.content.decode()
    assert export.status_code == 200


def test_a_number_still_finds_the_rollout_by_id(client, viewer, history):
    pk = history["done"].pk

    assert f'id="rollout-{pk}"' in rows(client, viewer, q=str(pk))
    assert "No rollout matches." in rows(client, viewer, q="²")


@pytest.mark.parametrize("field", ["plan", "person", "status", "since", "until", "page", "version"])
@pytest.mark.parametrize("value", ["²", "9" * 30, "-1", "\x00", "%00", "[]"])
def test_odd_values_in_any_filter_never_answer_500(client, viewer, history, field, value):
    client.force_login(viewer)

    page = client.get(reverse("history"), {field: value})
    export = client.get(reverse("history_csv"), {field: value})

    assert page.status_code == 200
    assert export.status_code == 200
    assert b"".join(export.streaming_content).decode().startswith("id,status,")


# --- The audit record and the event export (issue 12) ----------------------------------------


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_csv_carries_outcome_approvers_evidence_and_stage_counts(
    client, viewer, release_manager
):
    from rollouts.engine.passes import pass_begin_retry
    from rollouts.models import Event, EventKind

    rollout = rollout_built(
        user=release_manager,
        status=RolloutStatus.COMPLETED,
        stage_statuses=(StageStatus.SUCCEEDED, StageStatus.SUCCEEDED, StageStatus.PENDING),
    )
    stage = rollout.stages.get(position=2)
    type(stage).objects.filter(pk=stage.pk).update(count_success=3, count_failed=8)
    pass_begin_retry(stage=stage, actor=release_manager)
    Event.objects.create(
        rollout=rollout,
        stage=stage,
        kind=EventKind.STAGE_APPROVED,
        actor=release_manager,
        reason="=cmd|' /C calc'!A0",
        details={"evidence": {"stage": {"position": 2, "devices": 11}, "earlier": []}},
    )
    client.force_login(viewer)

    row = _csv(client.get(reverse("history_csv")))[0]

    assert row["outcome"] == "Completed with 8 failed"
    assert row["approvers"] == "stage 1: rita; stage 2: rita"
    assert row["approvals"].startswith("stage 2 by rita at ")
    assert row["approvals"].endswith(": start stage 2 (11 devices)")
    assert "\"=cmd|' /C calc'!A0\"" in row["approvals"]  # quoted inside, not a cell's start
    assert "2 Europe: succeeded, 4 devices, 3 succeeded, 8 failed" in row["stage_counts"]
    assert (
        "(first pass 3/4 succeeded, 8 failed; retry 0/8 succeeded, 8 failed)"
        in (row["stage_counts"])
    )


def test_the_history_page_shows_the_outcome_and_a_retried_stage_passes(
    client, viewer, release_manager
):
    from rollouts.engine.passes import pass_begin_retry

    rollout = rollout_built(user=release_manager, status=RolloutStatus.PAUSED, devices=6)
    pass_begin_retry(stage=rollout.stages.get(position=2), actor=release_manager)
    done = rollout_built(
        user=release_manager,
        status=RolloutStatus.COMPLETED,
        stage_statuses=(StageStatus.SUCCEEDED, StageStatus.MONITORING, StageStatus.SUCCEEDED),
    )
    client.force_login(viewer)

    html = client.get(reverse("history")).content.decode()

    assert "Completed with 1 failed, 3 pending" in html
    row = html[html.index(f'id="rollout-{rollout.pk}"') :]
    assert "Stage 2: first pass 6/10 succeeded, 1 failed, 3 pending; retry 0/1" in row
    assert f'id="rollout-{done.pk}"' in html


def _event_at(rollout, when, **fields):
    from tests.factories import EventFactory

    event = EventFactory(rollout=rollout, **fields)
    type(event).objects.filter(pk=event.pk).update(created_at=when)
    return event


def test_the_event_export_is_the_whole_range_escaped_and_without_the_token(
    client, viewer, release_manager, settings, monkeypatch
):
    from rollouts.selectors import audit

    monkeypatch.setattr(audit, "EXPORT_CHUNK", 7)  # several chunks: none lost between them
    settings.UPSWIFT_USER_TOKEN = "tok-secret-123"
    rollout = rollout_built(user=release_manager, events=0, calls=0)
    day = timezone.now().replace(year=2026, month=3, day=10, hour=12)
    for n in range(30):
        _event_at(rollout, day + timedelta(minutes=n), kind="sweep", reason=f"sweep {n}")
    _event_at(rollout, day - timedelta(days=1), kind="sweep", reason="the day before")
    _event_at(
        rollout,
        day,
        kind="paused",
        actor=release_manager,
        reason="@SUM(A1) token tok-secret-123",
        details={"user_token": "tok-secret-123", "note": "+1"},
    )
    client.force_login(viewer)

    response = client.get(reverse("events_csv"), {"from": "2026-03-10", "to": "2026-03-10"})

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert len(rows) == 31
    assert [r["reason"] for r in rows].count("the day before") == 0
    paused = next(r for r in rows if r["kind"] == "paused")
    assert paused["reason"].startswith("'@SUM(A1)")
    assert paused["actor"] == "rita" and paused["rollout"] == str(rollout.pk)
    body = "".join(",".join(r.values()) for r in rows)
    assert "tok-secret-123" not in body


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2026-13-01"}, "from: Enter a valid date."),
        ({"from": "2026-03-11", "to": "2026-03-10"}, "to: The last day is before the first day."),
    ],
)
def test_a_bad_event_range_is_a_400_that_says_why(client, viewer, query, message):
    client.force_login(viewer)

    response = client.get(reverse("events_csv"), query)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_event_export_needs_the_view_event_permission(client, viewer):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    reader = UserFactory(username="reader")
    reader.user_permissions.add(Permission.objects.get(codename="view_rollout"))
    client.force_login(reader)
    assert client.get(reverse("events_csv")).status_code == 403
    client.force_login(viewer)
    html = client.get(reverse("history"), {"since": "2026-03-01"}).content.decode()
    assert 'href="/history/events.csv?from=2026-03-01&amp;to="' in html
