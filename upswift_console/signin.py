"""Sign-in throttling (django-axes): the per-address limit on top of axes' per-(username,
address) lockout. Whose address a failed sign-in counts against is the console's one notion of
the client's address behind a proxy (upswift_console/proxies.py, AXES_CLIENT_IP_CALLABLE).
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


class ConsoleAxesHandler(AxesDatabaseHandler):
    """Axes locks a (username, address) pair after AXES_FAILURE_LIMIT wrong passwords, so a
    guesser elsewhere cannot lock a person out. On top of that, an address with
    AXES_ADDRESS_FAILURE_LIMIT wrong passwords for any usernames within the cool-off is
    refused as a whole (one address trying many accounts)."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        pair = super().get_failures(request, credentials)
        address = getattr(request, "axes_ip_address", None)
        if not address:
            return pair
        failures = (
            AccessAttempt.objects.filter(
                ip_address=address, attempt_time__gte=get_cool_off_threshold(request)
            ).aggregate(n=Sum("failures_since_start"))["n"]
            or 0
        )
        if failures >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return max(pair, get_failure_limit(request, credentials))
        return pair
