"""The notification channel form: it collects the fields; the service checks them (one set of
rules with the REST API) and its errors are put back on the fields."""

from django import forms
from django.core.exceptions import ValidationError

from rollouts.models import SUBSCRIBABLE_KINDS, ChannelKind, NotifyKind
from rollouts.services import notifications as services


class ChannelForm(forms.Form):
    name = forms.CharField(max_length=services.NAME_MAX, help_text="e.g. “#releases on Slack”.")
    kind = forms.ChoiceField(choices=ChannelKind.choices, initial=ChannelKind.WEBHOOK)
    url = forms.CharField(
        label="Webhook URL",
        required=False,
        max_length=services.URL_MAX,
        help_text="Webhook: the receiver's http(s) address; it gets a signed JSON body.",
    )
    recipients = forms.CharField(
        label="Email addresses",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Email: separated by commas or new lines.",
    )
    apprise_url = forms.CharField(
        label="Apprise URL",
        required=False,
        max_length=services.APPRISE_URL_MAX,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Chat: e.g. slack://TokenA/TokenB/TokenC/#releases or msteams://…. It holds "
        "the service's credentials: kept secret, never shown again.",
    )
    kinds = forms.MultipleChoiceField(
        label="Tell about",
        required=False,
        choices=[(k, NotifyKind(k).label) for k in SUBSCRIBABLE_KINDS],
        widget=forms.CheckboxSelectMultiple,
        initial=SUBSCRIBABLE_KINDS,
    )
    projects = forms.CharField(
        required=False,
        help_text="Upswift projects, separated by commas; empty: all projects.",
    )
    enabled = forms.BooleanField(label="On", required=False, initial=True)

    def __init__(self, *args, channel=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel = channel
        if channel is not None:
            self.fields["kind"].disabled = True
            self.fields["apprise_url"].help_text = "Leave empty to keep the stored one."

    @staticmethod
    def initial_of(channel) -> dict:
        return {
            "name": channel.name,
            "kind": channel.kind,
            "url": channel.url,
            "recipients": "\n".join(channel.recipients),
            "kinds": channel.kinds,
            "projects": ", ".join(channel.projects),
            "enabled": channel.enabled,
        }

    def service_fields(self) -> dict:
        """What the service takes for this channel's kind."""
        data = dict(self.cleaned_data)
        kind = self.channel.kind if self.channel else data["kind"]
        fields = {k: data[k] for k in ("name", "kinds", "projects", "enabled")}
        if kind == ChannelKind.WEBHOOK:
            fields["url"] = data["url"]
        elif kind == ChannelKind.EMAIL:
            fields["recipients"] = data["recipients"]
        else:
            fields["apprise_url"] = data["apprise_url"]
        if self.channel is None:
            fields["kind"] = kind
        return fields

    def errors_apply(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for field, errors in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, errors)
