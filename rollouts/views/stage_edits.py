"""Editing a stage of a paused rollout that has not started (the plan editor's stage fields)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from rollouts.forms.plans import StageForm
from rollouts.models import Rollout, RolloutStage
from rollouts.services.events import TransitionConflict
from rollouts.services.stage_edits import rollout_stage_edit, stage_edit_check
from rollouts.views.access import OPERATE, console_view

NOT_SAVED = "The stage was not saved"


@console_view(OPERATE, methods=("GET", "POST"))
def stage_edit(request: HttpRequest, pk: int, position: int) -> HttpResponse:
    rollout = get_object_or_404(Rollout.objects.select_related("plan"), pk=pk)
    stage = get_object_or_404(RolloutStage, rollout=rollout, position=position)
    if request.method != "POST":
        try:
            stage_edit_check(rollout=rollout, position=position, actor=request.user)
        except TransitionConflict as exc:
            messages.error(request, f"Stage {position} cannot be edited: {exc}")
            return redirect("rollout_detail", pk=pk)
        form = StageForm(initial=StageForm.initial_of(stage))
        return _page(request, rollout=rollout, stage=stage, form=form)

    form = StageForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"{NOT_SAVED}: see the fields marked below.")
        return _page(request, rollout=rollout, stage=stage, form=form)
    try:
        saved = rollout_stage_edit(
            rollout=rollout, position=position, changes=form.to_stage(), actor=request.user
        )
    except ValidationError as error:
        for key, errors in error.message_dict.items():
            form.add_error(key if key in form.fields else None, errors)
        messages.error(request, f"{NOT_SAVED}: see the fields marked below.")
        return _page(request, rollout=rollout, stage=stage, form=form)
    except TransitionConflict as exc:
        form.add_error(None, str(exc))
        messages.error(request, f"{NOT_SAVED}: {exc}")
        return _page(request, rollout=rollout, stage=stage, form=form)
    messages.success(
        request,
        f"Stage {position} ({saved.target_label}) saved. Resume the rollout to carry on with it.",
    )
    return redirect(f"{reverse('rollout_detail', args=[pk])}#stage-{position}")


def _page(request, *, rollout: Rollout, stage: RolloutStage, form: StageForm) -> HttpResponse:
    context = {"rollout": rollout, "stage": stage, "form": form}
    return render(request, "rollouts/rollout/stage_edit.html", context)
