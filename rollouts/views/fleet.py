"""The fleet: every device the inventory holds (search, filters, counts), one device's page,
and "Refresh now" for the people who operate rollouts."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from rollouts.engine.inventory import fleet_projects
from rollouts.models import FleetRead
from rollouts.selectors.fleet import fleet_freshness
from rollouts.selectors.fleet_pages import FleetFilters, device_page, fleet_page
from rollouts.views.access import OPERATE, VIEW, console_view


@console_view(VIEW)
def fleet_list(request: HttpRequest) -> HttpResponse:
    filters = FleetFilters.of(request.GET)
    page = fleet_page(filters, page=request.GET.get("page", 1))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "freshness": fleet_freshness(filters.project or None),
        "query": query.urlencode(),
    }
    return render(request, "rollouts/fleet/list.html", context)


@console_view(VIEW)
def fleet_device(request: HttpRequest, project: str, uuid: str) -> HttpResponse:
    found = device_page(project=project, uuid=uuid)
    if found is None:
        raise Http404("No such device in the fleet inventory.")
    return render(request, "rollouts/fleet/device.html", {"page": found})


@console_view(OPERATE, methods=("POST",))
def fleet_refresh(request: HttpRequest) -> HttpResponse:
    """Ask for a fresh read of every project now; the beat task's lock keeps it to one read at
    a time, and the shared API budget paces it."""
    from rollouts.tasks import fleet_refresh as refresh_task

    now = timezone.now()
    with transaction.atomic():
        for project in fleet_projects():
            FleetRead.objects.update_or_create(
                project=project, defaults={"refresh_requested_at": now}
            )
        transaction.on_commit(lambda: refresh_task.delay())
    messages.success(request, "The fleet is being read again; counts update as pages arrive.")
    return redirect("fleet_list")
