"""The dashboard, and the health check for load balancers."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rollouts.selectors import dashboard as selectors
from rollouts.selectors.workers import worker_heartbeats_recent
from rollouts.views.access import VIEW, console_view


@console_view(VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    in_flight = selectors.rollouts_in_flight()
    approvals = selectors.approvals_pending()
    context = {
        "approvals": approvals,
        "awaiting_ids": {item.stage.rollout_id for item in approvals},
        "in_flight": list(in_flight[: selectors.ACTIVE_LIMIT]),
        "troubles": list(selectors.troubles_recent()[: selectors.TROUBLE_LIMIT]),
        "api": selectors.api_health(),
        "workers": list(worker_heartbeats_recent()),
    }
    return render(request, "rollouts/dashboard.html", context)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and docker compose: the process answers and the DB does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
