"""/account/time-zone/: the person chooses the zone their pages are shown in."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from rollouts.forms.account import TimeZoneForm
from rollouts.services.timezones import Source, chosen_zone, zone_choose


@login_required
@require_http_methods(["GET", "POST"])
def time_zone(request: HttpRequest) -> HttpResponse:
    """A refused zone is a form error (400) and keeps the one chosen before."""
    form = TimeZoneForm(request.POST or None, initial={"timezone": chosen_zone(request.user)})
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["timezone"]
        zone_choose(request=request, name=name)
        shown = name or "your browser's time zone"
        messages.success(request, f"Times are now shown in {shown}.")
        return redirect("account-timezone")
    status = 400 if form.errors else 200
    return render(
        request,
        "account/time_zone.html",
        {"form": form, "page_zone": request.page_zone, "Source": Source},
        status=status,
    )
