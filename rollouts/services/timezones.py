"""Whose clock a page shows: the person's chosen time zone, else their browser's, else the
console's TIME_ZONE.

Pages only: the CSV export and the REST API always speak ISO-8601 in UTC, whoever asks
(README "Time zones"). The browser's zone arrives in the `tz` cookie, which
static/js/timezone.js sets from `Intl.DateTimeFormat().resolvedOptions().timeZone`; it is a
hint anyone can forge, so it is used only when it names a real zone, and only until the
person chooses one on /account/time-zone/.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.dateformat import format as date_format

from rollouts.models import Profile
from rollouts.services.freezes import zone_valid

COOKIE = "tz"
SESSION_KEY = "console_time_zone"


class Source:
    CHOSEN = "chosen"
    BROWSER = "browser"
    DEFAULT = "default"


@dataclass(frozen=True)
class PageZone:
    name: str
    source: str  # a Source

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.name)


def chosen_zone(user) -> str:
    """The zone the person chose, or "" (not chosen, or no longer a known zone)."""
    if not getattr(user, "is_authenticated", False):
        return ""
    name = Profile.objects.filter(user_id=user.pk).values_list("timezone", flat=True).first()
    return name if name and zone_valid(name) else ""


def session_zone(request) -> str:
    """The person's chosen zone, kept in their session from sign-in on (zone_remember) so a
    page costs no query for it; a session older than that reads it once."""
    if not request.user.is_authenticated:
        return ""
    if SESSION_KEY not in request.session:
        request.session[SESSION_KEY] = chosen_zone(request.user)
    name = request.session[SESSION_KEY]
    return name if isinstance(name, str) and zone_valid(name) else ""


def zone_remember(sender, request, user, **kwargs) -> None:
    """user_logged_in: keep the chosen zone in the new session (every way of signing in)."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = chosen_zone(user)


def page_zone(chosen: str, cookie: str | None) -> PageZone:
    """The zone a page is shown in, and where it came from."""
    if chosen:
        return PageZone(chosen, Source.CHOSEN)
    if cookie and zone_valid(cookie):
        return PageZone(cookie, Source.BROWSER)
    return PageZone(settings.TIME_ZONE, Source.DEFAULT)


def zone_choose(*, request, name: str) -> None:
    """Keep the person's zone ("" goes back to the browser's), for this session at once and
    for the others from their next sign-in. The caller validated it."""
    if name and not zone_valid(name):
        raise ValueError(f"unknown time zone {name!r}")
    Profile.objects.update_or_create(user=request.user, defaults={"timezone": name})
    request.session[SESSION_KEY] = name


def local_text(moment: datetime, fmt: str = "M j, H:i") -> str:
    """`moment` in the active zone, with the zone's abbreviation: "Dec 1, 23:03 JST".

    A zone without an abbreviation prints its offset ("+04"), so the zone is always said."""
    local = timezone.localtime(moment)
    return f"{date_format(local, fmt)} {local.tzname()}"
