"""Plans: list, create, edit, clone (a plan form and its stage editor)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from rollouts.forms.plans import PLAN_FIELDS, PlanForm, plan_errors_apply, stage_formset
from rollouts.models import Plan
from rollouts.selectors.plans import plan_list as plans_selector
from rollouts.services import plans as services
from rollouts.views.access import ADD_PLAN, CHANGE_PLAN, VIEW_PLANS, console_view

EDIT_TEMPLATE = "rollouts/plans/edit.html"


@console_view(VIEW_PLANS)
def plan_list(request: HttpRequest) -> HttpResponse:
    return render(request, "rollouts/plans/list.html", {"plans": plans_selector()})


@console_view(ADD_PLAN, methods=("GET", "POST"))
def plan_create(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _editor(request, form=PlanForm(), formset=stage_formset())

    def save(fields: dict, stages: list[dict]) -> Plan:
        return services.plan_create(**fields, stages=stages, actor=request.user)

    return _submit(request, save=save, verb="created")


@console_view(CHANGE_PLAN, methods=("GET", "POST"))
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(Plan, pk=pk)
    if request.method != "POST":
        form = PlanForm(initial=PlanForm.initial_of(plan))
        formset = stage_formset(stages=plan.stages.order_by("position"))
        return _editor(request, form=form, formset=formset, plan=plan)

    def save(fields: dict, stages: list[dict]) -> Plan:
        return services.plan_update(plan=plan, stages=stages, **fields)

    return _submit(request, save=save, verb="saved", plan=plan)


@console_view(ADD_PLAN)
def plan_clone(request: HttpRequest, pk: int) -> HttpResponse:
    """A new plan's form filled from an existing plan; it is saved as a new plan."""
    source = get_object_or_404(Plan, pk=pk)
    form = PlanForm(initial=PlanForm.initial_of(source, name=f"{source.name} (copy)"))
    formset = stage_formset(stages=source.stages.order_by("position"))
    return _editor(request, form=form, formset=formset, source=source)


def _submit(request: HttpRequest, *, save, verb: str, plan: Plan | None = None) -> HttpResponse:
    form = PlanForm(request.POST)
    formset = stage_formset(data=request.POST)
    if not (form.is_valid() and formset.is_valid()):
        messages.error(request, "The plan was not saved: see the fields marked below.")
        return _editor(request, form=form, formset=formset, plan=plan)
    fields = {name: form.cleaned_data[name] for name in PLAN_FIELDS}
    try:
        saved = save(fields, formset.stages())
    except ValidationError as error:
        rest = plan_errors_apply(form=form, formset=formset, error=error)
        messages.error(request, "The plan was not saved: see the fields marked below.")
        return _editor(request, form=form, formset=formset, plan=plan, errors=rest)
    messages.success(request, f"Plan “{saved.name}” {verb} with {saved.stages.count()} stages.")
    return redirect(f"{reverse('plan_list')}#plan-{saved.pk}")


def _editor(request, *, form, formset, plan=None, source=None, errors=()):
    context = {
        "form": form,
        "formset": formset,
        "plan": plan,
        "source": source,
        "stage_errors": [*formset.non_form_errors(), *errors] if formset.is_bound else errors,
        "action": reverse("plan_edit", args=[plan.pk]) if plan else reverse("plan_create"),
    }
    return render(request, EDIT_TEMPLATE, context)
