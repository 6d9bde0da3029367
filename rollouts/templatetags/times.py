"""Every time a page shows goes through `when`: in the viewer's zone, with the zone said."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html

from rollouts.services.timezones import local_text

register = template.Library()


@register.filter
def when(moment: datetime | None, fmt: str = "M j, H:i") -> str:
    """`<time datetime="2026-12-01T23:03:00+09:00" title="2026-12-01T23:03:00+09:00 Asia/Tokyo">
    Dec 1, 23:03 JST</time>`: the text in the zone the middleware activated, with its
    abbreviation; the exact instant with its offset, and the zone's name, in the attributes."""
    if not moment:
        return ""
    local = timezone.localtime(moment)
    stamp = local.isoformat(timespec="seconds")
    return format_html(
        '<time datetime="{}" title="{} {}">{}</time>',
        stamp,
        stamp,
        timezone.get_current_timezone_name(),
        local_text(moment, fmt),
    )
