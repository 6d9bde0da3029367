"""A rollout: start one (with a preview), its live page, its devices and its API calls."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from rollouts.engine.lifecycle import allowed_actions
from rollouts.forms.rollouts import AbortForm, ApproveForm, ReasonForm, RolloutForm
from rollouts.models import DeviceStatus, Plan
from rollouts.selectors import rollouts as selectors
from rollouts.selectors.plans import plan_preview
from rollouts.services.actions import rollout_launch
from rollouts.services.events import TransitionConflict
from rollouts.views.access import ADD_ROLLOUT, OPERATE, VIEW, VIEW_PLANS, console_view
from rollouts.views.polling import poll_first, poll_next


@console_view(ADD_ROLLOUT, OPERATE, methods=("GET", "POST"))
def rollout_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = RolloutForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                rollout = rollout_launch(
                    plan=data["plan"],
                    flow_id=data["flow_id"],
                    app_name=data["app_name"],
                    app_version=data["app_version"],
                    comment=data["comment"],
                    actor=request.user,
                    at=data["start_at"],
                )
            except TransitionConflict as exc:
                messages.error(request, f"The rollout was not started: {exc}")
            else:
                verb = "scheduled" if data["start_at"] else "started"
                messages.success(request, f"Rollout {rollout.pk} {verb}: stage 1 is approved.")
                return redirect("rollout_detail", pk=rollout.pk)
        else:
            messages.error(request, "The rollout was not started: see the fields marked below.")
    else:
        form = RolloutForm(initial={"plan": request.GET.get("plan")})
    plan = _plan_of(form)
    context = {"form": form, "plan": plan, "previews": plan_preview(plan=plan) if plan else []}
    return render(request, "rollouts/rollout/new.html", context)


def _plan_of(form: RolloutForm) -> Plan | None:
    value = str(form["plan"].value() or "")
    if not _is_id(value):
        return None
    return Plan.objects.filter(pk=value).first()


def _is_id(value: str) -> bool:
    """ASCII digits only: "²".isdigit() is True but it is no id (a 500 once)."""
    return value.isascii() and value.isdigit()


@console_view(VIEW_PLANS)
def rollout_preview(request: HttpRequest) -> HttpResponse:
    """The preview fragment for the plan chosen on the new-rollout form (htmx)."""
    value = request.GET.get("plan", "")
    plan = get_object_or_404(Plan, pk=value) if _is_id(value) else None
    context = {"plan": plan, "previews": plan_preview(plan=plan) if plan else []}
    return render(request, "rollouts/rollout/_preview.html", context)


def _fingerprints(page: selectors.RolloutPage) -> dict[str, str]:
    return {"a": page.actions_fingerprint, "d": page.data_fingerprint}


def _page_context(request: HttpRequest, page: selectors.RolloutPage, poll) -> dict:
    """`actions`: what this person may do now (the lifecycle decides; every form on the page is
    shown only for an action in it). No query: console_view loaded the person's permissions."""
    actions = allowed_actions(rollout=page.rollout, stages=page.stages, user=request.user)
    return {
        "page": page,
        "rollout": page.rollout,
        "poll": poll,
        "actions": actions,
        "approve_form": ApproveForm(),
        "reason_form": ReasonForm(),
        "abort_form": AbortForm(),
    }


@console_view(VIEW)
def rollout_detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = selectors.rollout_page(rollout_id=pk)
    poll = poll_first(fingerprints=_fingerprints(page), active=not page.finished)
    return render(request, "rollouts/rollout/detail.html", _page_context(request, page, poll))


@console_view(VIEW)
def rollout_live(request: HttpRequest, pk: int) -> HttpResponse:
    """The polled fragment: the next poller, plus the regions that changed (out of band)."""
    page = selectors.rollout_page(rollout_id=pk)
    poll = poll_next(request, fingerprints=_fingerprints(page), active=not page.finished)
    return render(request, "rollouts/rollout/_live.html", _page_context(request, page, poll))


@console_view(VIEW)
def stage_devices(request: HttpRequest, pk: int, position: int) -> HttpResponse:
    """A stage's devices, filtered by status and paginated (a fragment for htmx)."""
    rollout = selectors.rollout_get(rollout_id=pk)
    stage = selectors.stage_get(rollout=rollout, position=position)
    status = request.GET.get("status", "")
    if status not in DeviceStatus.values:
        status = ""
    context = {
        "rollout": rollout,
        "stage": stage,
        "status": status,
        "statuses": DeviceStatus.choices,
        "devices": selectors.stage_devices_page(
            stage=stage, status=status, page=request.GET.get("page", 1)
        ),
    }
    template = "_devices.html" if request.headers.get("HX-Request") else "devices.html"
    return render(request, f"rollouts/rollout/{template}", context)


@console_view(VIEW)
def rollout_calls(request: HttpRequest, pk: int) -> HttpResponse:
    rollout = selectors.rollout_get(rollout_id=pk)
    calls = selectors.rollout_calls_page(rollout=rollout, page=request.GET.get("page", 1))
    return render(request, "rollouts/rollout/calls.html", {"rollout": rollout, "calls": calls})
