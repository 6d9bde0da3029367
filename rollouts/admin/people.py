"""People, roles and what they hold, in the admin.

Roles are Django groups (rollouts/roles.py), so the admin's Groups page is the roles page and
a user's groups are their roles; a person's time zone is their Profile. API tokens and
notification channels are listed without their secrets: a token by name and prefix (only its
hash is stored, and it is not shown), a channel by where it sends with no credentials (no
webhook secret, no Apprise URL, and a webhook URL cut to its scheme and host, since a path or
query may carry a token)."""

from urllib.parse import urlsplit

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import Count

from rollouts.admin.base import ReadOnlyAdmin
from rollouts.forms.account import TimeZoneForm
from rollouts.models import ApiToken, Channel, ChannelKind, Profile

User = get_user_model()

admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class ConsoleUserAdmin(UserAdmin):
    list_display = ("username", "email", "roles", "is_superuser", "is_active", "last_login")
    list_filter = ("groups", "is_superuser", "is_staff", "is_active")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="roles")
    def roles(self, user) -> str:
        names = [group.name for group in user.groups.all()]
        if user.is_superuser:
            names.insert(0, "Admin")
        return ", ".join(names) or "—"


@admin.register(Group)
class RoleAdmin(GroupAdmin):
    """A role: its permissions (rollouts/roles.py sets them) and how many people hold it."""

    list_display = ("name", "members")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("user", distinct=True))

    @admin.display(description="people", ordering="member_count")
    def members(self, group) -> int:
        return group.member_count


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Tokens are created and revoked by their owners on the console's token page."""

    list_display = ("name", "user", "prefix_shown", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    list_select_related = ("user",)
    search_fields = ("name", "user__username")
    fields = ("name", "user", "prefix_shown", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields

    @admin.display(description="token")
    def prefix_shown(self, token: ApiToken) -> str:
        return f"{token.prefix}…"


def url_without_credentials(url: str) -> str:
    """scheme://host[:port]/… : no user, password, path or query (any may hold a secret)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "…"
    if not parts.scheme or not host:
        return "…"
    return f"{parts.scheme}://{host}{port}/…"


@admin.register(Channel)
class ChannelAdmin(ReadOnlyAdmin):
    """Channels are set up on the console's Notifications page (which shows a webhook secret
    once); here they are only listed."""

    list_display = ("name", "kind", "enabled", "sends_to", "created_at")
    list_filter = ("kind", "enabled")
    fields = ("name", "kind", "enabled", "sends_to", "kinds", "projects", "created_at")
    readonly_fields = fields

    @admin.display(description="sends to")
    def sends_to(self, channel: Channel) -> str:
        if channel.kind == ChannelKind.WEBHOOK:
            return url_without_credentials(channel.url)
        return channel.target_label  # email addresses, or the Apprise scheme alone


class ProfileForm(forms.ModelForm):
    """The zone from the same list as the person's own time zone page (an unknown name is a
    form error, never saved)."""

    timezone = TimeZoneForm.base_fields["timezone"]

    class Meta:
        model = Profile
        fields = ("user", "timezone")


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    """A person's time zone (what they choose on /account/time-zone/). A change shows on their
    pages from their next sign-in: a session keeps the zone it started with."""

    form = ProfileForm
    list_display = ("user", "zone_shown")
    list_select_related = ("user",)
    search_fields = ("user__username", "timezone")
    autocomplete_fields = ("user",)

    @admin.display(description="time zone", ordering="timezone")
    def zone_shown(self, profile: Profile) -> str:
        return profile.timezone or "the browser's"
