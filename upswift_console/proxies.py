"""The client's address behind a reverse proxy: one answer for sign-in throttling (axes'
AXES_CLIENT_IP_CALLABLE), the REST API's per-address rate limit and the /metrics allow-list.

Behind a reverse proxy every request comes from the proxy's address. The client's address is
then the right-most hop of `X-Forwarded-For` that is not one of `TRUSTED_PROXIES`, and only
when the connection itself comes from a trusted proxy: a client that reaches the console
directly cannot pick its address by sending the header, and one behind the proxy cannot by
prepending hops to it (the proxy appends the peer it saw). django-ipware, which axes would
use, and DRF's NUM_PROXIES judge the header by its length or its last entry rather than by the
connection's peer address.

This module imports nothing of the apps (only the settings), so axes' system check can import
it before anything else is ready.
"""

import ipaddress
from functools import cache

from django.conf import settings


@cache
def _networks(
    proxies: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or through a trusted proxy the right-most
    untrusted hop of X-Forwarded-For (a Django or a DRF request)."""
    peer = request.META.get("REMOTE_ADDR", "")
    if not _trusted(peer):
        return peer
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a garbled chain: count it against the proxy, not a made-up address
        if not _trusted(hop):
            return hop
    return peer
