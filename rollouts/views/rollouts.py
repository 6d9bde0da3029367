"""A rollout: start one (with a preview), its live page, its devices and its API calls."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from rollouts.engine.lifecycle import allowed_actions, approve_refusal
from rollouts.forms.rollouts import RolloutForm, action_forms, approve_form
from rollouts.models import DeviceStatus, Plan
from rollouts.selectors import rollouts as selectors
from rollouts.selectors.evidence import approval_evidence
from rollouts.selectors.fleet import rows_with_fleet_state, stage_target_counts
from rollouts.selectors.plans import plan_preview
from rollouts.selectors.stamp import rollout_stamp
from rollouts.services.actions import rollout_launch
from rollouts.services.errors import ActionRefused
from rollouts.services.events import TransitionConflict
from rollouts.services.fleet_names import names_check
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
                    overlap_reason=data["overlap_reason"],
                )
            except ActionRefused as exc:  # names or overlap: said next to the field concerned
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
                messages.error(request, f"The rollout was not started: {exc}")
            except TransitionConflict as exc:
                messages.error(request, f"The rollout was not started: {exc}")
            else:
                verb = "scheduled" if data["start_at"] else "started"
                first = (
                    "stage 1 waits for another person's approval (four-eyes)"
                    if rollout.require_different_approver
                    else "stage 1 is approved"
                )
                messages.success(request, f"Rollout {rollout.pk} {verb}: {first}.")
                return redirect("rollout_detail", pk=rollout.pk)
        else:
            messages.error(request, "The rollout was not started: see the fields marked below.")
    else:
        form = RolloutForm(initial={"plan": request.GET.get("plan")})
    plan = _plan_of(form)
    context = {"form": form, "plan": plan, **_preview_context(plan)}
    return render(request, "rollouts/rollout/new.html", context)


def _preview_context(plan: Plan | None) -> dict:
    """The stages' filters, their device counts now, and the names check's warnings."""
    if plan is None:
        return {"previews": []}
    stages = list(plan.stages.order_by("position"))
    return {
        "previews": plan_preview(plan=plan, stages=stages),
        "counts": stage_target_counts(plan.project, stages),
        "names": names_check(project=plan.project, stages=stages),
    }


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
    context = {"plan": plan, **_preview_context(plan)}
    return render(request, "rollouts/rollout/_preview.html", context)


def _fingerprints(page: selectors.RolloutPage, stamp: str) -> dict[str, str]:
    return {"a": page.actions_fingerprint, "d": page.data_fingerprint, "v": stamp}


def approval_context(page: selectors.RolloutPage, user) -> dict | None:
    """The approve dialog's evidence and whether this person may approve (why not, if not),
    while a stage waits for approval."""
    if page.awaiting is None:
        return None
    evidence = approval_evidence(
        rollout=page.rollout, stages=page.stages, stage=page.awaiting, passes=page.passes
    )
    return {
        **evidence,
        "why_not": approve_refusal(rollout=page.rollout, user=user),
        "form": approve_form(evidence=evidence),
    }


def _page_context(request: HttpRequest, page: selectors.RolloutPage, poll) -> dict:
    """`actions`: what this person may do now (the lifecycle decides; every form on the page is
    shown only for an action in it). No query: console_view loaded the person's permissions."""
    actions = allowed_actions(rollout=page.rollout, stages=page.stages, user=request.user)
    return {
        "page": page,
        "rollout": page.rollout,
        "poll": poll,
        "actions": actions,
        "approval": approval_context(page, request.user),
        "forms": action_forms(),
    }


@console_view(VIEW)
def rollout_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return rollout_page(request, pk)


def rollout_page(request: HttpRequest, pk: int, *, status: int = 200) -> HttpResponse:
    """The rollout's page (also the answer to an approval refused because the numbers changed,
    with status 409)."""
    stamp = rollout_stamp(rollout_id=pk)  # first: a change after it shows next poll
    page = selectors.rollout_page(rollout_id=pk)
    poll = poll_first(fingerprints=_fingerprints(page, stamp), active=not page.finished)
    context = _page_context(request, page, poll)
    return render(request, "rollouts/rollout/detail.html", context, status=status)


@console_view(VIEW)
def rollout_live(request: HttpRequest, pk: int) -> HttpResponse:
    """The polled fragment: the next poller, plus the regions that changed (out of band).

    While the cheap stamp is the one the page was built at, nothing it shows can have changed:
    the answer is the next poller alone (no page built or rendered), or 204 once the interval
    is at its cap (htmx keeps the poller it has). Many open pages cost a query or two each."""
    stamp = rollout_stamp(rollout_id=pk)  # first: a change after it shows next poll
    if request.GET.get("v") == stamp:
        known = {name: request.GET.get(name, "") for name in ("a", "d")}
        poll = poll_next(request, fingerprints={**known, "v": stamp}, active=True)
        if str(poll.interval) == request.GET.get("i"):
            return HttpResponse(status=204)
        return render(
            request, "rollouts/rollout/_poller.html", {"poll": poll, "rollout": {"pk": pk}}
        )
    page = selectors.rollout_page(rollout_id=pk)
    poll = poll_next(request, fingerprints=_fingerprints(page, stamp), active=not page.finished)
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
    rows_with_fleet_state(rollout.project, context["devices"].object_list)
    template = "_devices.html" if request.headers.get("HX-Request") else "devices.html"
    return render(request, f"rollouts/rollout/{template}", context)


@console_view(VIEW)
def rollout_calls(request: HttpRequest, pk: int) -> HttpResponse:
    rollout = selectors.rollout_get(rollout_id=pk)
    calls = selectors.rollout_calls_page(rollout=rollout, page=request.GET.get("page", 1))
    return render(request, "rollouts/rollout/calls.html", {"rollout": rollout, "calls": calls})
