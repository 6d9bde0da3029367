"""The history page's filters (a GET form)."""

from django import forms

from rollouts.models import RolloutStatus
from rollouts.selectors.history import AWAITING, HistoryFilter, history_people
from rollouts.selectors.plans import plan_choices


class HistoryFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)
    status = forms.ChoiceField(
        choices=[("", "Any status"), (AWAITING, "Awaiting approval"), *RolloutStatus.choices],
        required=False,
    )
    plan = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any plan")
    version = forms.CharField(required=False, max_length=100)
    person = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Anyone", to_field_name="username"
    )
    since = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plan_choices()
        self.fields["person"].queryset = history_people()

    def to_filter(self) -> HistoryFilter:
        """The filters that parsed; a bad value is ignored (and shown as an error)."""
        data = self.cleaned_data if self.is_valid() else getattr(self, "cleaned_data", {})
        return HistoryFilter(
            status=data.get("status") or "",
            plan=data.get("plan"),
            version=(data.get("version") or "").strip(),
            person=data.get("person"),
            since=data.get("since"),
            until=data.get("until"),
            q=(data.get("q") or "").strip(),
        )


class EventRangeForm(forms.Form):
    """The event export's days: `?from=YYYY-MM-DD&to=YYYY-MM-DD`, both included, either left
    out for an open end."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # `from` is a Python keyword, so the fields are added here rather than declared.
        self.fields["from"] = forms.DateField(label="From", required=False)
        self.fields["to"] = forms.DateField(label="To", required=False)

    def clean(self):
        data = super().clean()
        if data.get("from") and data.get("to") and data["from"] > data["to"]:
            self.add_error("to", "The last day is before the first day.")
        return data
