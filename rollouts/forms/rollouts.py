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
    )

    overlap_reason = forms.CharField(
        label="Start although it overlaps another rollout, because",
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when another active rollout targets some of the same devices: a release "
        "manager's reason, kept in the rollout's history.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read in the viewer's zone (the middleware activated it), so say which.
        self.fields["start_at"].help_text = f"Time zone: {timezone.get_current_timezone_name()}"

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
    # The fingerprint of the evidence the dialog showed (rollouts/selectors/evidence.py).
    fingerprint = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AbortForm(forms.Form):
    reason = forms.CharField(
        label="Reason (required)", max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


class ShortfallForm(forms.Form):
    reason = forms.CharField(
        label="Reason (required)",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the stage is accepted below its threshold."},
    )


def action_forms() -> dict[str, forms.Form]:
    """The unbound forms the rollout page renders, one per action, each with ids of its own
    (`pause-reason`, `abort-reason`, …): the page shows the limits these forms enforce."""
    from rollouts.forms.holds import OverrideForm

    return {
        "pause": ReasonForm(auto_id="pause-%s"),
        "resume": ReasonForm(auto_id="resume-%s"),
        "abort": AbortForm(auto_id="abort-%s"),
        "accept_shortfall": ShortfallForm(auto_id="shortfall-%s"),
        "send_again": ReasonForm(auto_id="resend-%s"),
        "confirm_sent": ReasonForm(auto_id="confirm-%s"),
        "override": OverrideForm(auto_id="override-%s"),
    }


def approve_form(*, evidence: dict) -> ApproveForm:
    """The approve dialog's form: its comment is required under four-eyes or after a stage
    that fell short (the service refuses an approval without one then)."""
    form = ApproveForm(auto_id="approve-%s", initial={"fingerprint": evidence["fingerprint"]})
    comment = form.fields["comment"]
    comment.required = evidence["comment_required"]
    if not comment.required:
        comment.label = "Comment (optional)"
    elif evidence["four_eyes"]:
        comment.label = "Comment (required: four-eyes)"
    else:
        comment.label = f"Comment (required: stage {evidence['stage']['position'] - 1} fell short)"
    return form
