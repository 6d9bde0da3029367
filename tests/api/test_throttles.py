"""Rate limits per token and per address: 429 JSON with Retry-After, X-RateLimit-* on every
answer, and guesses without a valid token counted too. Each test uses addresses of its own
(from the IPv6 documentation prefix), so the windows other tests filled do not count here."""

import random

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PLANS = reverse("api-plans")


def unique_address() -> str:
    bits = random.getrandbits(48)
    return f"2001:db8::{bits >> 32:x}:{(bits >> 16) & 0xFFFF:x}:{bits & 0xFFFF:x}"


@pytest.fixture
def address() -> str:
    return unique_address()


def rates(settings, **scopes: str) -> None:
    """Rates for this test: `token=` and `address=` ("3/minute"); a generous one otherwise."""
    generous = {"token": "1000/minute", "address": "1000/minute"}
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**generous, **scopes},
    }


def test_a_token_over_its_rate_gets_429_with_retry_after(settings, viewer, api_as, address):
    rates(settings, token="3/minute")
    client, other = api_as(viewer), api_as(viewer)

    answers = [client.get(PLANS, REMOTE_ADDR=address) for _ in range(4)]
    another_token = other.get(PLANS, REMOTE_ADDR=address)

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert {a["X-RateLimit-Limit"] for a in answers} == {"3"}
    throttled = answers[-1]
    assert throttled.json()["code"] == "throttled"
    assert "throttled" in throttled.json()["detail"].lower()
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert 0 < int(throttled["X-RateLimit-Reset"]) <= 60
    assert another_token.status_code == 200  # per token, not per user


def test_an_address_over_its_rate_gets_429_whatever_the_token(settings, viewer, api_as, address):
    rates(settings, address="3/minute")
    elsewhere = unique_address()

    answers = [api_as(viewer).get(PLANS, REMOTE_ADDR=address) for _ in range(4)]
    from_elsewhere = api_as(viewer).get(PLANS, REMOTE_ADDR=elsewhere)

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1]["Retry-After"]
    assert from_elsewhere.status_code == 200


def test_token_guesses_are_counted_before_the_token_is_checked(
    settings, anonymous, viewer, api_as, address
):
    rates(settings, address="2/minute")
    anonymous.credentials(HTTP_AUTHORIZATION="Bearer not-a-real-token")

    guesses = [anonymous.get(PLANS, REMOTE_ADDR=address) for _ in range(3)]
    real = api_as(viewer).get(PLANS, REMOTE_ADDR=address)

    assert [g.status_code for g in guesses] == [401, 401, 429]
    assert guesses[0]["WWW-Authenticate"].startswith("Bearer")
    assert guesses[0]["X-RateLimit-Remaining"] == "1"
    assert real.status_code == 429


PROXY_NETWORK, PROXY = "192.0.2.0/24", "192.0.2.10"


@pytest.mark.parametrize("trusted_proxies", [[], [PROXY_NETWORK]])
def test_a_forwarded_for_header_from_an_untrusted_peer_is_ignored(
    settings, viewer, api_as, address, trusted_proxies
):
    """A client that writes X-Forwarded-For itself cannot get a fresh window per request,
    whether or not the console has proxies of its own."""
    rates(settings, address="1/minute")
    settings.TRUSTED_PROXIES = trusted_proxies
    client = api_as(viewer)

    first = client.get(PLANS, REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR=unique_address())
    second = client.get(PLANS, REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR=unique_address())

    assert (first.status_code, second.status_code) == (200, 429)


def test_through_a_trusted_proxy_the_forwarded_client_counts(settings, viewer, api_as):
    """Every request comes from the proxy; each client behind it has its own window, and a
    client prepending addresses to the header is still counted as itself."""
    rates(settings, address="1/minute")
    settings.TRUSTED_PROXIES = [PROXY_NETWORK]
    client = api_as(viewer)
    one, two = unique_address(), unique_address()

    def via_proxy(forwarded: str):
        return client.get(PLANS, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)

    first = via_proxy(one)
    other_client = via_proxy(two)
    again = via_proxy(one)
    prepended = via_proxy(f"{unique_address()}, {two}")

    assert (first.status_code, other_client.status_code) == (200, 200)
    assert (again.status_code, prepended.status_code) == (429, 429)


def test_drf_num_proxies_is_not_a_setting_of_the_console(settings):
    """One notion of the client's address (upswift_console/proxies.py), not DRF's own."""
    assert "NUM_PROXIES" not in settings.REST_FRAMEWORK
