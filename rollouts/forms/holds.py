"""The kill switch's confirmations, a freeze window, and a freeze override."""

from django import forms
from django.utils import timezone

from rollouts.limits import REASON_MAX
from rollouts.models import WEEKDAY_LABELS, FreezeWindow, Recurrence


class KillSwitchForm(forms.Form):
    reason = forms.CharField(
        label="Reason (required)",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why every rollout is paused."},
    )


class OverrideForm(forms.Form):
    reason = forms.CharField(
        label="Reason (required)",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why this rollout goes on during the freeze."},
    )


class WallDateTimeField(forms.DateTimeField):
    """A date and time kept as a wall time (naive): the window's time zone places it."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def to_python(self, value):
        result = super().to_python(value)
        if result is not None and timezone.is_aware(result):
            result = timezone.make_naive(result)
        return result


def _viewer_zone() -> str:
    """The zone the page is shown in (the viewer's chosen or browser zone, else TIME_ZONE, as
    PageTimezoneMiddleware activated it): a new window's times are the viewer's by default."""
    return timezone.get_current_timezone_name()


class FreezeWindowForm(forms.Form):
    """The fields' types; the rules of a window are the service's (freeze_window_validate),
    whose errors the view puts on these fields."""

    name = forms.CharField(max_length=FreezeWindow._meta.get_field("name").max_length)
    project = forms.CharField(
        label="Upswift project",
        max_length=FreezeWindow._meta.get_field("project").max_length,
        required=False,
        help_text="Empty: every project.",
    )
    recurrence = forms.ChoiceField(
        choices=Recurrence.choices, initial=Recurrence.ONCE, widget=forms.RadioSelect
    )
    starts_at = WallDateTimeField(label="Starts", required=False, help_text="One-off windows.")
    ends_at = WallDateTimeField(label="Ends", required=False, help_text="One-off windows.")
    weekdays = forms.TypedMultipleChoiceField(
        choices=list(enumerate(WEEKDAY_LABELS)),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Weekly windows.",
    )
    start_time = forms.TimeField(
        label="From",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Weekly windows.",
    )
    end_time = forms.TimeField(
        label="To",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Weekly windows; at or before the start: the next day (00:00 to 00:00 is "
        "the whole day).",
    )
    timezone = forms.CharField(
        label="Time zone",
        max_length=FreezeWindow._meta.get_field("timezone").max_length,
        initial=_viewer_zone,
        help_text="An IANA name, e.g. Europe/Berlin; the times above are in it (yours unless "
        "you change it).",
    )
    reason = forms.CharField(max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2}))
