"""What a release manager does to a rollout. POST only; approve_rollout (approve) or
operate_rollout (every other action) checked here; whether the rollout's state allows the
action is the lifecycle's to say (the services ask it)."""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect

from rollouts.forms.rollouts import AbortForm, ApproveForm, ReasonForm, ShortfallForm
from rollouts.models import Rollout, RolloutStage
from rollouts.services import actions as services
from rollouts.services.actions import NumbersChanged
from rollouts.services.events import TransitionConflict
from rollouts.views.access import APPROVE, OPERATE, console_view
from rollouts.views.rollouts import rollout_page


def _act(
    request: HttpRequest,
    pk: int,
    form_class,
    action: Callable[[Rollout, dict], str],
    reraise: tuple[type[Exception], ...] = (),
):
    """Parse the confirmation form, run the service, say what happened, back to the page
    (the exceptions in `reraise` are the caller's to answer)."""
    rollout = get_object_or_404(Rollout, pk=pk)
    form = form_class(request.POST)
    if not form.is_valid():
        errors = "; ".join(e for field in form.errors.values() for e in field)
        messages.error(request, f"Nothing was done: {errors}")
        return redirect("rollout_detail", pk=pk)
    try:
        done = action(rollout, form.cleaned_data)
    except reraise:
        raise
    except TransitionConflict as exc:  # ActionRefused included: the sentence is for the person
        messages.error(request, f"Nothing was done: {exc}")
    else:
        messages.success(request, done)
    return redirect("rollout_detail", pk=pk)


@console_view(APPROVE, methods=("POST",))
def rollout_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve on the evidence the dialog showed: if what matters changed since, nothing is
    approved and the page comes back (409) with the new numbers."""

    def approve(rollout: Rollout, data: dict) -> str:
        stage = services.stage_approve(
            rollout=rollout,
            actor=request.user,
            comment=data["comment"],
            fingerprint=data["fingerprint"],
        )
        return f"Stage {stage.position} ({stage.target_label}) approved: it starts now."

    try:
        return _act(request, pk, ApproveForm, approve, reraise=(NumbersChanged,))
    except NumbersChanged:
        messages.error(
            request,
            "The numbers changed — review again. Nothing was approved; the dialog below shows "
            "the new numbers.",
        )
        return rollout_page(request, pk, status=409)


@console_view(OPERATE, methods=("POST",))
def rollout_pause(request: HttpRequest, pk: int) -> HttpResponse:
    def pause(rollout: Rollout, data: dict) -> str:
        services.rollout_pause(rollout=rollout, actor=request.user, reason=data["reason"])
        return (
            f"Rollout {rollout.pk} paused: the console sends no more calls. Devices with a "
            "queued update may still apply it (Upswift cannot cancel queued updates)."
        )

    return _act(request, pk, ReasonForm, pause)


@console_view(OPERATE, methods=("POST",))
def rollout_resume(request: HttpRequest, pk: int) -> HttpResponse:
    def resume(rollout: Rollout, data: dict) -> str:
        services.rollout_resume(rollout=rollout, actor=request.user, reason=data["reason"])
        return f"Rollout {rollout.pk} resumed."

    return _act(request, pk, ReasonForm, resume)


@console_view(OPERATE, methods=("POST",))
def rollout_abort(request: HttpRequest, pk: int) -> HttpResponse:
    def abort(rollout: Rollout, data: dict) -> str:
        services.rollout_abort(rollout=rollout, actor=request.user, reason=data["reason"])
        return (
            f"Rollout {rollout.pk} aborted. Devices with a queued update may still apply it "
            "(see the timeline)."
        )

    return _act(request, pk, AbortForm, abort)


@console_view(OPERATE, methods=("POST",))
def stage_retry(request: HttpRequest, pk: int, position: int) -> HttpResponse:
    def retry(rollout: Rollout, data: dict) -> str:
        stage = get_object_or_404(RolloutStage, rollout=rollout, position=position)
        services.stage_retry_failed(rollout=rollout, stage=stage, actor=request.user)
        return f"Retry queued for the {stage.count_failed} failed devices of stage {position}."

    return _act(request, pk, ReasonForm, retry)


@console_view(OPERATE, methods=("POST",))
def rollout_accept_shortfall(request: HttpRequest, pk: int) -> HttpResponse:
    def accept(rollout: Rollout, data: dict) -> str:
        stage = services.stage_accept_shortfall(
            rollout=rollout, actor=request.user, reason=data["reason"]
        )
        return (
            f"Stage {stage.position} accepted below its success threshold: the rollout carries "
            "on with the next stage."
        )

    return _act(request, pk, ShortfallForm, accept)


@console_view(OPERATE, methods=("POST",))
def rollout_send_again(request: HttpRequest, pk: int) -> HttpResponse:
    def send_again(rollout: Rollout, data: dict) -> str:
        stage = services.stage_deploy_resend(
            rollout=rollout, actor=request.user, reason=data["reason"]
        )
        return f"The deploy of stage {stage.position} is sent again: rollout {rollout.pk} resumed."

    return _act(request, pk, ReasonForm, send_again)


@console_view(OPERATE, methods=("POST",))
def rollout_confirm_sent(request: HttpRequest, pk: int) -> HttpResponse:
    def confirm(rollout: Rollout, data: dict) -> str:
        stage = services.stage_deploy_confirm(
            rollout=rollout, actor=request.user, reason=data["reason"]
        )
        return (
            f"The deploy of stage {stage.position} is recorded as sent; nothing is sent again. "
            f"Rollout {rollout.pk} resumed."
        )

    return _act(request, pk, ReasonForm, confirm)
