"""Every rollout: filter, search, paginate, export as CSV."""

import csv

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from rollouts.forms.history import HistoryFilterForm
from rollouts.selectors.history import rollout_history
from rollouts.views.access import VIEW, console_view

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
]


@console_view(VIEW)
def history(request: HttpRequest) -> HttpResponse:
    form = HistoryFilterForm(request.GET)
    rollouts = rollout_history(filters=form.to_filter())
    page = Paginator(rollouts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "now": timezone.now()}
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
    rollouts = rollout_history(filters=form.to_filter())
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(CSV_COLUMNS)
        for r in rollouts.iterator(chunk_size=500):
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
            ]
            yield writer.writerow([_csv_cell(v) for v in values])

    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rollouts-{stamp}.csv"'
    return response
