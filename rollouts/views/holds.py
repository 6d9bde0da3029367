"""Holding the line: the kill switch (the dashboard's admin card), freeze windows (a list for
everyone, create and delete for admins) and an admin's freeze override on a rollout."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from rollouts.forms.holds import FreezeWindowForm, KillSwitchForm, OverrideForm
from rollouts.forms.rollouts import ReasonForm
from rollouts.models import FreezeWindow, Rollout
from rollouts.services import freeze_windows as windows
from rollouts.services import kill_switch
from rollouts.services.events import TransitionConflict
from rollouts.services.freezes import local_label, window_end
from rollouts.services.timezones import local_text
from rollouts.views.access import VIEW, admin_view, console_view


def _form_errors(form) -> str:
    return "; ".join(e for field in form.errors.values() for e in field)


@admin_view(methods=("POST",))
def kill_switch_engage(request: HttpRequest) -> HttpResponse:
    form = KillSwitchForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing was done: {_form_errors(form)}")
        return redirect("dashboard")
    try:
        use = kill_switch.rollouts_pause_all(actor=request.user, reason=form.cleaned_data["reason"])
    except TransitionConflict as exc:
        messages.error(request, f"Nothing was done: {exc}")
    else:
        n = len(use.paused)
        messages.success(
            request,
            f"Kill switch on: {n} running rollout{'s' if n != 1 else ''} paused. No stage and "
            "no scheduled rollout starts until you resume them.",
        )
    return redirect("dashboard")


@admin_view(methods=("POST",))
def kill_switch_release(request: HttpRequest) -> HttpResponse:
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing was done: {_form_errors(form)}")
        return redirect("dashboard")
    try:
        use = kill_switch.rollouts_resume_paused_by_switch(
            actor=request.user, reason=form.cleaned_data["reason"]
        )
    except TransitionConflict as exc:
        messages.error(request, f"Nothing was done: {exc}")
    else:
        n = len(use.resumed)
        messages.success(
            request,
            f"Kill switch released: {n} rollout{'s' if n != 1 else ''} it paused resumed. "
            "Rollouts paused for other reasons stay paused.",
        )
    return redirect("dashboard")


@console_view(VIEW)
def freeze_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = []
    for window in FreezeWindow.objects.select_related("created_by"):
        end = window_end(window, now)
        rows.append((window, local_label(end, window.timezone) if end else ""))
    return render(request, "rollouts/freezes/list.html", {"rows": rows})


@admin_view(methods=("GET", "POST"))
def freeze_create(request: HttpRequest) -> HttpResponse:
    form = FreezeWindowForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            window = windows.freeze_window_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Freeze window “{window.name}” saved.")
            return redirect("freeze_list")
    if request.method == "POST":
        messages.error(request, "The window was not saved: see the fields marked below.")
    return render(request, "rollouts/freezes/new.html", {"form": form})


@admin_view(methods=("POST",))
def freeze_delete(request: HttpRequest, pk: int) -> HttpResponse:
    window = get_object_or_404(FreezeWindow, pk=pk)
    windows.freeze_window_delete(window=window, actor=request.user)
    messages.success(request, f"Freeze window “{window.name}” deleted.")
    return redirect("freeze_list")


@admin_view(methods=("POST",))
def rollout_freeze_override(request: HttpRequest, pk: int) -> HttpResponse:
    rollout = get_object_or_404(Rollout, pk=pk)
    form = OverrideForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing was done: {_form_errors(form)}")
        return redirect("rollout_detail", pk=pk)
    try:
        rollout = windows.rollout_freeze_override(
            rollout=rollout, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except TransitionConflict as exc:
        messages.error(request, f"Nothing was done: {exc}")
    else:
        until = local_text(rollout.freeze_override_until)
        messages.success(request, f"Rollout {pk} goes on through the freeze (until {until}).")
    return redirect("rollout_detail", pk=pk)
