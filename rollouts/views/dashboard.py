"""The dashboard (it refreshes itself like a rollout's page), and the health check for load
balancers."""

import hashlib

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rollouts.forms.holds import KillSwitchForm
from rollouts.forms.rollouts import ReasonForm
from rollouts.selectors import dashboard as selectors
from rollouts.selectors.outcome import annotated_outcome
from rollouts.selectors.workers import worker_heartbeats_recent
from rollouts.views.access import VIEW, console_view
from rollouts.views.polling import poll_first, poll_next


@console_view(VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    in_flight = selectors.rollouts_in_flight()
    approvals = selectors.approvals_pending()
    context = {
        "approvals": approvals,
        "awaiting_ids": {item.stage.rollout_id for item in approvals},
        "in_flight": list(in_flight[: selectors.ACTIVE_LIMIT]),
        "finished": list(selectors.rollouts_finished_recent()[: selectors.FINISHED_LIMIT]),
        "troubles": list(selectors.troubles_recent()[: selectors.TROUBLE_LIMIT]),
        "api": selectors.api_health(),
        "workers": list(worker_heartbeats_recent()),
    }
    fingerprints = {"d": _fingerprint(context)}
    if request.headers.get("HX-Request"):
        poll = poll_next(request, fingerprints=fingerprints, active=True)
        if not poll.changed:
            return render(request, "rollouts/_dashboard_poller.html", {"poll": poll})
    else:
        poll = poll_first(fingerprints=fingerprints, active=True)
    # The kill switch's two confirmations (shown to admins by the template).
    forms = {"kill": KillSwitchForm(auto_id="kill-%s"), "release": ReasonForm(auto_id="release-%s")}
    return render(request, "rollouts/dashboard.html", {**context, "poll": poll, "forms": forms})


def _fingerprint(context: dict) -> str:
    """Changes when anything the live sections show changes (not with the clock: "seen 5 s
    ago" alone does not make a poll swap the sections)."""
    api = context["api"]
    key = (
        [(a.stage.pk, a.stage.status, [p.pk for p in a.approvers]) for a in context["approvals"]],
        [
            (
                r.pk,
                r.status,
                r.pk in context["awaiting_ids"],
                [
                    (s.status, s.devices_total, s.count_success, s.count_failed)
                    for s in r.stages.all()
                ],
            )
            for r in context["in_flight"]
        ],
        [(r.pk, r.status, annotated_outcome(r)) for r in context["finished"]],
        [e.pk for e in context["troubles"]],
        [
            api[k]
            for k in ("state", "requests_last_minute", "calls_this_minute", "limit_per_minute")
        ],
        round(api["cooldown_seconds"] or 0),
        getattr(api["last_error"], "pk", None),
        sorted(w.hostname for w in context["workers"]),
    )
    return hashlib.sha256(repr(key).encode()).hexdigest()[:16]


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and docker compose: the process answers and the DB does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
