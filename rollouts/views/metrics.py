"""The Prometheus endpoint. Not a console page: no session, no sign-in redirect. It answers
404 until METRICS_TOKEN or METRICS_ALLOWED_IPS is set (nothing is exposed by accident), then
200 to a scraper with the token or from an allowed address, and 403 to anyone else."""

import hmac
import ipaddress
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from rollouts.metrics import metrics_text
from upswift_console.proxies import client_address


@cache
def _allowed_networks(entries: tuple[str, ...]) -> tuple:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"METRICS_ALLOWED_IPS: {entry!r} is not an address or network ({exc})"
            ) from exc
    return tuple(networks)


def _token_given(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return bool(
        expected
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.strip().encode(), expected.encode())
    )


def _address_allowed(request: HttpRequest) -> bool:
    """The client's address as sign-in throttling sees it: the peer's, or through a proxy
    listed in TRUSTED_PROXIES the client it forwards. A forwarded header from anyone else is
    ignored, so a scraper cannot claim an allowed address by writing it."""
    networks = _allowed_networks(tuple(settings.METRICS_ALLOWED_IPS))
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in network for network in networks)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_TOKEN and not settings.METRICS_ALLOWED_IPS:
        raise Http404("Metrics are off: set METRICS_TOKEN or METRICS_ALLOWED_IPS.")
    if not (_token_given(request) or _address_allowed(request)):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
