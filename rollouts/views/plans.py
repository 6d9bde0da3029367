"""Plans: list, create, edit, clone (a plan form and its stage editor)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from rollouts.forms.plans import PLAN_FIELDS, PlanForm, plan_errors_apply, stage_formset
from rollouts.models import Plan
from rollouts.selectors.fleet import fleet_pickers, plan_target_counts
from rollouts.selectors.plans import plan_list as plans_selector
from rollouts.selectors.plans import plan_versions
from rollouts.services import plans as services
from rollouts.services.errors import ActionRefused
from rollouts.services.fleet_names import names_check
from rollouts.views.access import ADD_PLAN, CHANGE_PLAN, VIEW_PLANS, console_view

EDIT_TEMPLATE = "rollouts/plans/edit.html"


@console_view(VIEW_PLANS)
def plan_list(request: HttpRequest) -> HttpResponse:
    return render(request, "rollouts/plans/list.html", {"plans": plans_selector()})


@console_view(ADD_PLAN, methods=("GET", "POST"))
def plan_create(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _editor(request, form=_plan_form(request), formset=stage_formset())

    def save(fields: dict, stages: list[dict]) -> Plan:
        return services.plan_create(**fields, stages=stages, actor=request.user)

    return _submit(request, save=save, verb="created")


@console_view(CHANGE_PLAN, methods=("GET", "POST"))
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(Plan, pk=pk)
    if request.method != "POST":
        form = _plan_form(request, initial=PlanForm.initial_of(plan))
        formset = stage_formset(stages=plan.stages.order_by("position"))
        return _editor(request, form=form, formset=formset, plan=plan)

    def save(fields: dict, stages: list[dict]) -> Plan:
        return services.plan_update(plan=plan, stages=stages, actor=request.user, **fields)

    return _submit(request, save=save, verb="saved", plan=plan)


@console_view(ADD_PLAN)
def plan_clone(request: HttpRequest, pk: int) -> HttpResponse:
    """A new plan's form filled from an existing plan; it is saved as a new plan."""
    source = get_object_or_404(Plan, pk=pk)
    initial = PlanForm.initial_of(source, name=f"{source.name} (copy)")
    if not request.user.is_superuser:  # a copy starts with the default; only admins set it
        initial.pop("require_different_approver")
    form = _plan_form(request, initial=initial)
    formset = stage_formset(stages=source.stages.order_by("position"))
    return _editor(request, form=form, formset=formset, source=source)


def _plan_form(request: HttpRequest, *args, **kwargs) -> PlanForm:
    """The plan form; its four-eyes box is an admin's to change (for anyone else it shows the
    plan's setting and what is posted for it is ignored)."""
    form = PlanForm(*args, **kwargs)
    if not request.user.is_superuser:
        field = form.fields["require_different_approver"]
        field.disabled = True
        field.help_text += " Only an admin can change it."
    return form


def _submit(request: HttpRequest, *, save, verb: str, plan: Plan | None = None) -> HttpResponse:
    initial = PlanForm.initial_of(plan) if plan else None
    form = _plan_form(request, request.POST, initial=initial)
    formset = stage_formset(data=request.POST)
    if not (form.is_valid() and formset.is_valid()):
        messages.error(request, "The plan was not saved: see the fields marked below.")
        return _editor(request, form=form, formset=formset, plan=plan)
    fields = {name: form.cleaned_data[name] for name in PLAN_FIELDS}
    try:
        saved = save(fields, formset.stages())
    except ActionRefused as refused:
        form.add_error(refused.field or None, str(refused))
        messages.error(request, "The plan was not saved: see the fields marked below.")
        return _editor(request, form=form, formset=formset, plan=plan)
    except ValidationError as error:
        rest = plan_errors_apply(form=form, formset=formset, error=error)
        messages.error(request, "The plan was not saved: see the fields marked below.")
        return _editor(request, form=form, formset=formset, plan=plan, errors=rest)
    messages.success(request, f"Plan “{saved.name}” {verb} with {saved.stages.count()} stages.")
    stages = list(saved.stages.order_by("position"))
    for warning in names_check(project=saved.project, stages=stages).warnings:
        messages.warning(request, warning)  # e.g. a tag no device has now
    return redirect(f"{reverse('plan_list')}#plan-{saved.pk}")


def _editor(request, *, form, formset, plan=None, source=None, errors=()):
    context = {
        "form": form,
        "formset": formset,
        "plan": plan,
        "source": source,
        "stage_errors": [*formset.non_form_errors(), *errors] if formset.is_bound else errors,
        "action": reverse("plan_edit", args=[plan.pk]) if plan else reverse("plan_create"),
        "versions": plan_versions(plan=plan) if plan else [],
        "pickers": fleet_pickers(),
        "counts": plan_target_counts(plan) if plan else None,
    }
    return render(request, EDIT_TEMPLATE, context)
