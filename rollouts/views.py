from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rollouts import selectors


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    workers = list(selectors.worker_heartbeats_recent())
    return render(request, "rollouts/dashboard.html", {"workers": workers})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and docker compose: the process answers and the DB does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
