"""A plan and its stage editor (a formset: add, remove, reorder; progressive JS on top)."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory

from rollouts.limits import MAX_STAGES
from rollouts.models import Plan, PlanStage, Target
from rollouts.services.plans import MAX_DEADLINE_MINUTES, MAX_SOAK_MINUTES, MIN_DEADLINE_MINUTES

STAGE_FIELDS = PlanStage.SPEC_FIELDS


class PlanForm(forms.Form):
    name = forms.CharField(max_length=120)
    project = forms.CharField(
        label="Upswift project",
        max_length=120,
        help_text="The project's name in Upswift.",
        widget=forms.TextInput(attrs={"list": "fleet-projects", "autocomplete": "off"}),
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    require_different_approver = forms.BooleanField(
        label="A different person must approve",
        required=False,
        help_text="The person who starts a rollout may not approve its later stages.",
    )

    @classmethod
    def initial_of(cls, plan: Plan, **overrides) -> dict:
        return {
            "name": plan.name,
            "project": plan.project,
            "description": plan.description,
            "require_different_approver": plan.require_different_approver,
            **overrides,
        }


class StageForm(forms.Form):
    name = forms.CharField(label="Stage name", max_length=100, required=False)
    target = forms.ChoiceField(choices=Target.choices, initial=Target.TAG)
    tag = forms.CharField(
        max_length=100,
        required=False,
        help_text="e.g. canary",
        widget=forms.TextInput(attrs={"list": "fleet-tags", "autocomplete": "off"}),
    )
    groups = forms.CharField(
        max_length=500,
        required=False,
        help_text="Comma-separated, e.g. EU-West, US-East",
        widget=forms.TextInput(attrs={"list": "fleet-groups", "autocomplete": "off"}),
    )
    app_filter = forms.CharField(label="Only devices with app", max_length=100, required=False)
    device_filter = forms.CharField(label="Only device", max_length=100, required=False)
    approval_required = forms.BooleanField(
        label="A person approves before it starts", required=False, initial=True
    )
    success_threshold = forms.IntegerField(
        label="Success threshold %", min_value=0, max_value=100, initial=95
    )
    failure_threshold = forms.IntegerField(
        label="Pause at failures %", min_value=0, max_value=100, initial=10
    )
    soak_minutes = forms.IntegerField(
        label="Soak minutes", min_value=0, max_value=MAX_SOAK_MINUTES, initial=0
    )
    deadline_minutes = forms.IntegerField(
        label="Stop waiting after (minutes)",
        min_value=MIN_DEADLINE_MINUTES,
        max_value=MAX_DEADLINE_MINUTES,
        initial=60,
        help_text="If the success threshold isn't met this long after the stage's deploy, the "
        "rollout pauses and asks a person.",
    )
    online_only = forms.BooleanField(label="Online devices only", required=False)

    @staticmethod
    def initial_of(stage: PlanStage) -> dict:
        initial = {field: getattr(stage, field) for field in STAGE_FIELDS}
        initial["groups"] = ", ".join(stage.groups)
        return initial

    def to_stage(self) -> dict:
        return {field: self.cleaned_data.get(field) for field in STAGE_FIELDS}


class BaseStageFormSet(forms.BaseFormSet):
    """Every stage form is checked, even one just added (no silently dropped stage)."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.empty_permitted = False
        form.use_required_attribute = False
        return form

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["ORDER"].label = "Position"
        form.fields["DELETE"].label = "Delete this stage"

    def forms_in_order(self) -> list[StageForm]:
        """The stages kept, by their position field (blank last), then as shown."""
        kept = [
            (index, form)
            for index, form in enumerate(self.forms)
            if not self._should_delete_form(form)
        ]

        def position(item):
            index, form = item
            order = form.cleaned_data.get("ORDER") if hasattr(form, "cleaned_data") else None
            return (order is None, order or 0, index)

        return [form for _, form in sorted(kept, key=position)]

    def display_forms(self) -> list[StageForm]:
        """Forms in the order the person arranged them (a re-shown form keeps that order)."""
        if not self.is_bound:
            return list(self.forms)

        def position(item):
            index, form = item
            try:  # whatever was typed: "²" passes isdigit() but not int() (a 500 once)
                return (False, int(str(form["ORDER"].value())), index)
            except ValueError:
                return (True, 0, index)

        return [form for _, form in sorted(enumerate(self.forms), key=position)]

    def stages(self) -> list[dict]:
        return [form.to_stage() for form in self.forms_in_order()]

    def apply_errors(self, error: ValidationError) -> list[str]:
        """Put a service's `stages.N.field` errors next to their fields; return the rest."""
        ordered = self.forms_in_order()
        rest: list[str] = []
        for key, messages in error.message_dict.items():
            parts = key.split(".")
            if len(parts) == 3 and parts[0] == "stages" and parts[1].isdigit():
                n, field = int(parts[1]), parts[2]
                if 1 <= n <= len(ordered):
                    form = ordered[n - 1]
                    form.add_error(field if field in form.fields else None, messages)
                    continue
            rest.extend(messages)
        return rest


# As many stages as the API allows. It also caps the forms built from a posted stage count
# (Django's own cap, 1000, made one forged POST take seconds to answer).
StageFormSet = formset_factory(
    StageForm,
    formset=BaseStageFormSet,
    extra=0,
    can_order=True,
    can_delete=True,
    max_num=MAX_STAGES,
    validate_max=True,
    absolute_max=MAX_STAGES,
)


def stage_formset(*, data=None, stages=None) -> BaseStageFormSet:
    """Bound to POST data, or filled from existing stages, or one canary stage to begin."""
    if data is not None:
        return StageFormSet(data, prefix="stages")
    if stages:
        initial = [StageForm.initial_of(s) for s in stages]
    else:
        initial = [{"name": "Canary", "target": Target.TAG, "tag": "canary"}]
    for n, row in enumerate(initial, start=1):
        row["ORDER"] = n
    return StageFormSet(initial=initial, prefix="stages")


PLAN_FIELDS = ("name", "project", "description", "require_different_approver")


def plan_errors_apply(*, form: PlanForm, formset: BaseStageFormSet, error: ValidationError):
    """Spread a service ValidationError over the plan form and the stage forms."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return []
    stage_keys = {k: v for k, v in error.error_dict.items() if k.startswith("stages")}
    rest = formset.apply_errors(ValidationError(stage_keys)) if stage_keys else []
    for key, errors in error.error_dict.items():
        if key.startswith("stages"):
            continue
        form.add_error(key if key in form.fields else None, errors)
    return rest
