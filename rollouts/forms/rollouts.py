"""Starting a rollout, and the confirmations of the actions on it."""

from django import forms
from django.utils import timezone

from rollouts.limits import COMMENT_MAX, REASON_MAX, RELEASE_FIELD_MAX, printable
from rollouts.models import Plan

START_NOW, START_AT = "now", "at"


class RolloutForm(forms.Form):
    plan = forms.ModelChoiceField(queryset=Plan.objects.order_by("name"), empty_label="Choose…")
    flow_id = forms.CharField(
        label="Update flow id",
        max_length=RELEASE_FIELD_MAX,
        validators=[printable],
        help_text="The Upswift update flow, e.g. 73a7-1ft8",
    )
    app_name = forms.CharField(
        label="App name", max_length=RELEASE_FIELD_MAX, validators=[printable]
    )
    app_version = forms.CharField(
        label="App version", max_length=RELEASE_FIELD_MAX, validators=[printable]
    )
    comment = forms.CharField(
        max_length=COMMENT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Sent with every deploy call, after the rollout's own marker.",
    )
    start = forms.ChoiceField(
        choices=[(START_NOW, "Start now"), (START_AT, "Start at a time")],
        initial=START_NOW,
        widget=forms.RadioSelect,
    )
    start_at = forms.DateTimeField(
        label="Start at",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=f"Time zone: {timezone.get_default_timezone_name()}",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") == START_AT:
            at = cleaned.get("start_at")
            if at is None:
                self.add_error("start_at", "Say when the rollout starts.")
            elif at <= timezone.now():
                self.add_error("start_at", "Pick a time in the future, or start now.")
        else:
            cleaned["start_at"] = None
        return cleaned


class ApproveForm(forms.Form):
    comment = forms.CharField(
        max_length=REASON_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AbortForm(forms.Form):
    reason = forms.CharField(max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2}))


class ShortfallForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the stage is accepted below its threshold."},
    )
