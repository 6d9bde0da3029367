"""API rate limits: per bearer token and per client address, each a sliding window kept in the
cache (Redis in production, so every web process shares it). Over either: 429 with
`Retry-After`; every answer says where the tighter of the two stands (`X-RateLimit-*`).

Both are checked before the token is (see `ApiView` in base.py), so guessing tokens from one
address is throttled like any other traffic. The per-token key is the token's SHA-256, what the
database already stores, never the token itself.

The address is the console's one notion of the client's address (upswift_console/proxies.py):
REMOTE_ADDR, or through a proxy listed in TRUSTED_PROXIES the client it forwards, the same
address sign-in throttling counts. DRF's own NUM_PROXIES is not used: it believes as many
X-Forwarded-For hops as it is told, whoever connects.

Rates are `API_RATE_PER_TOKEN` and `API_RATE_PER_ADDRESS` ("600/minute"; s, m, h or d), read
on each request so a test can change them.
"""

from rest_framework.authentication import get_authorization_header
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from rollouts.api.authentication import KEYWORD
from rollouts.models.tokens import token_hash
from upswift_console.proxies import client_address


class _SettingsRateThrottle(SimpleRateThrottle):
    """DRF's throttle, its rate read from the settings of now, not of import time."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def state(self) -> tuple[int, int, int] | None:
        """(limit, remaining, seconds until the window frees a request), once checked."""
        if getattr(self, "history", None) is None:
            return None
        oldest = self.history[-1] if self.history else self.now
        reset = max(0, round(self.duration - (self.now - oldest)))
        return self.num_requests, max(0, self.num_requests - len(self.history)), reset


class AddressRateThrottle(_SettingsRateThrottle):
    """Every request, by client address (X-Forwarded-For only through TRUSTED_PROXIES)."""

    scope = "address"

    def get_ident(self, request) -> str:
        return client_address(request)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenRateThrottle(_SettingsRateThrottle):
    """Requests that present a bearer token, by that token (known or not)."""

    scope = "token"

    def get_cache_key(self, request, view):
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != KEYWORD.lower().encode():
            return None
        ident = token_hash(parts[1].decode("latin-1"))
        return self.cache_format % {"scope": self.scope, "ident": ident}


def rate_limit_headers(throttles) -> dict[str, str]:
    """The headers of the throttle with the fewest requests left (none when none was checked)."""
    states = [state for throttle in throttles if (state := throttle.state()) is not None]
    if not states:
        return {}
    limit, remaining, reset = min(states, key=lambda s: (s[1], -s[2]))
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(reset),
    }
