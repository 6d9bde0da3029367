"""The person's own settings: their time zone."""

from django import forms

from rollouts.services.freezes import zone_names


def zone_choices() -> list[tuple[str, str]]:
    return [("", "Your browser's time zone"), *((n, n) for n in sorted(zone_names()))]


class TimeZoneForm(forms.Form):
    timezone = forms.ChoiceField(
        label="Time zone",
        required=False,
        choices=zone_choices,
        error_messages={
            "invalid_choice": "“%(value)s” is not a time zone: pick one from the list "
            "(an IANA name such as Europe/Berlin)."
        },
        help_text="Every time on the console's pages is shown in it, with its name. "
        "The CSV export and the REST API stay in UTC.",
    )
