"""Plans in the admin: admins (superusers) create and edit them, stages included, through the
plan service, so the admin checks a plan exactly as the console's editor and the REST API do
(rollouts/services/plans.py: the stage rules, the four-eyes flag) and every save is a plan
version with its author. Nobody deletes a plan here: rollouts and versions point at it."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count

from rollouts.admin.base import ReadOnlyInline
from rollouts.models import Plan, PlanStage, PlanVersion
from rollouts.services.plans import plan_create, plan_stages_validate, plan_update

PLAN_FIELDS = ("name", "project", "description", "require_different_approver")


class PlanStageFormSet(forms.BaseInlineFormSet):
    """Checks the stages as one list with the plan service's rules; keeps the clean list for
    PlanAdmin.save_related (the service writes the stages, not this formset)."""

    def clean(self) -> None:
        super().clean()
        kept = [
            form
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE", False)
        ]
        kept.sort(key=lambda form: form.cleaned_data.get("position") or 0)
        raw = [
            {field: form.cleaned_data.get(field) for field in PlanStage.SPEC_FIELDS}
            for form in kept
        ]
        try:
            self.stages = plan_stages_validate(raw)
        except ValidationError as error:
            raise ValidationError(_messages(error)) from error


def _messages(error: ValidationError) -> list[str]:
    """`stages.2.tag: A tag stage needs a tag` as "Stage 2, tag: A tag stage needs a tag"."""
    if not hasattr(error, "error_dict"):
        return error.messages
    out = []
    for key, errors in error.message_dict.items():
        parts = key.split(".")
        where = f"Stage {parts[1]}, {parts[2]}" if len(parts) == 3 else "Stages"
        out.extend(f"{where}: {message}" for message in errors)
    return out


class PlanStageInline(admin.TabularInline):
    model = PlanStage
    formset = PlanStageFormSet
    fields = ("position", *PlanStage.SPEC_FIELDS)
    ordering = ("position",)
    extra = 0
    min_num = 1


class PlanVersionInline(ReadOnlyInline):
    model = PlanVersion
    fields = ("number", "actor", "created_at")
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = "versions (who saved the plan, when)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "project",
        "require_different_approver",
        "stage_count",
        "created_by",
        "updated_at",
    )
    list_filter = ("project", "require_different_approver")
    list_select_related = ("created_by",)
    search_fields = ("name", "project", "description")
    fields = (*PLAN_FIELDS, "created_by", "created_at", "updated_at")
    readonly_fields = ("created_by", "created_at", "updated_at")
    inlines = [PlanStageInline, PlanVersionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(stage_count=Count("stages"))

    @admin.display(description="stages", ordering="stage_count")
    def stage_count(self, plan: Plan) -> int:
        return plan.stage_count

    # Admins only: a release manager's change_plan permission is for the console's editor.
    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        """Nothing yet: the plan is saved with its stages, by the service, in save_related."""

    def save_related(self, request, form, formsets, change) -> None:
        (stages_formset,) = [f for f in formsets if isinstance(f, PlanStageFormSet)]
        for formset in formsets:  # the admin's change message reads what a save() would set
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        fields = {name: form.cleaned_data[name] for name in PLAN_FIELDS}
        if change:
            plan = Plan.objects.get(pk=form.instance.pk)
            plan_update(plan=plan, stages=stages_formset.stages, actor=request.user, **fields)
        else:
            plan = plan_create(stages=stages_formset.stages, actor=request.user, **fields)
            # The admin logs and redirects to the object its form holds.
            form.instance.pk = plan.pk
            form.instance._state.adding = False
