"""Pages in the viewer's own time zone (rollouts/services/timezones.py says which)."""

from django.http import HttpRequest
from django.utils import timezone

from rollouts.services.timezones import COOKIE, page_zone, session_zone

# The REST API keeps ISO-8601 in UTC for every caller: DRF renders times in the active zone.
UTC_PREFIXES = ("/api/",)


class PageTimezoneMiddleware:
    """Activate the viewer's zone for the request (after AuthenticationMiddleware); the zone
    and where it came from are `request.page_zone`, for the time zone page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if request.path_info.startswith(UTC_PREFIXES):
            return self.get_response(request)
        request.page_zone = page_zone(session_zone(request), request.COOKIES.get(COOKIE))
        with timezone.override(request.page_zone.zone):
            return self.get_response(request)
