"""Every rollout: filter, search, paginate, export as CSV (with the audit record); every event
of a date range as CSV."""

import csv
import json
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from rollouts.forms.history import EventRangeForm, HistoryFilterForm
from rollouts.selectors.audit import (
    EXPORT_CHUNK,
    approvals_text,
    approvers_text,
    events_in_range,
    stage_lines,
    with_record,
)
from rollouts.selectors.history import rollout_history
from rollouts.selectors.outcome import annotated_outcome
from rollouts.views.access import VIEW, VIEW_EVENTS, console_view
from upswift import redact

PAGE_SIZE = 25
CSV_COLUMNS = [
    "id",
    "status",
    "awaiting_approval",
    "status_reason",
    "plan",
    "project",
    "flow_id",
    "app_name",
    "app_version",
    "comment",
    "stages_done",
    "stages_total",
    "created_by",
    "started_by",
    "created_at",
    "started_at",
    "finished_at",
    # The audit record (rollouts/selectors/audit.py): honest outcome, who approved each stage,
    # what each approver was shown, and each started stage's counts and passes.
    "outcome",
    "approvers",
    "approvals",
    "stage_counts",
]


@console_view(VIEW)
def history(request: HttpRequest) -> HttpResponse:
    form = HistoryFilterForm(request.GET)
    filters = form.to_filter()
    rollouts = with_record(rollout_history(filters=filters))
    page = Paginator(rollouts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    # the event export covers the days the history is filtered to
    days = {"from": filters.since or "", "to": filters.until or ""}
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "events_query": urlencode(days),
        "now": timezone.now(),
    }
    return render(request, "rollouts/history.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_cell(value) -> str:
    """Plain text; a cell that a spreadsheet would run as a formula is quoted with '."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@console_view(VIEW)
def history_csv(request: HttpRequest) -> StreamingHttpResponse:
    form = HistoryFilterForm(request.GET)
    rollouts = with_record(rollout_history(filters=form.to_filter()))
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(CSV_COLUMNS)
        for r in rollouts.iterator(chunk_size=EXPORT_CHUNK):
            values = [
                r.pk,
                r.status,
                "true" if r.awaiting_approval else "false",
                r.status_reason,
                r.plan.name,
                r.project,
                r.flow_id,
                r.app_name,
                r.app_version,
                r.comment,
                r.stages_done,
                r.stages_total,
                r.created_by.get_username() if r.created_by else "",
                r.started_by.get_username() if r.started_by else "",
                r.created_at.isoformat(),
                r.started_at.isoformat() if r.started_at else "",
                r.finished_at.isoformat() if r.finished_at else "",
                annotated_outcome(r),
                approvers_text(r),
                approvals_text(r),
                stage_lines(r),
            ]
            yield writer.writerow([_csv_cell(v) for v in values])

    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rollouts-{stamp}.csv"'
    return response


EVENT_COLUMNS = [
    "id",
    "created_at",
    "rollout",
    "stage",
    "kind",
    "actor",
    "from_status",
    "to_status",
    "reason",
    "details",
]


@console_view(VIEW, VIEW_EVENTS)
def events_csv(request: HttpRequest) -> HttpResponse:
    """Every event of `?from=&to=` (days, both included), oldest first, streamed: the whole
    range, however long. Bad days are a 400 that says which."""
    form = EventRangeForm(request.GET)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errs)}" for name, errs in form.errors.items())
        return HttpResponse(
            f"Bad date range ({problems}). Use ?from=YYYY-MM-DD&to=YYYY-MM-DD.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    events = events_in_range(since=form.cleaned_data.get("from"), until=form.cleaned_data.get("to"))
    writer = csv.writer(_Echo())
    token = settings.UPSWIFT_USER_TOKEN or None

    def rows():
        yield writer.writerow(EVENT_COLUMNS)
        for e in events.iterator(chunk_size=EXPORT_CHUNK):
            values = [
                e.pk,
                e.created_at.isoformat(),
                e.rollout_id,
                e.stage.position if e.stage else "",
                e.kind,
                e.actor.get_username() if e.actor else "",
                e.from_status,
                e.to_status,
                redact(e.reason, token),
                json.dumps(redact(e.details or {}, token), sort_keys=True, ensure_ascii=False),
            ]
            yield writer.writerow([_csv_cell(v) for v in values])

    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="events-{stamp}.csv"'
    return response
