"""The client's address behind a proxy, as sign-in throttling, the API's address limit and the
/metrics allow-list all see it (their own tests show each one using it)."""

import pytest
from django.conf import settings as django_settings
from django.test import RequestFactory

from upswift_console.proxies import client_address

PROXY = "10.0.0.5"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "2001:db8:ffff::/48"]


def address(remote: str, forwarded: str | None = None) -> str:
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **meta))


def test_without_trusted_proxies_the_header_is_ignored():
    assert django_settings.TRUSTED_PROXIES == []
    assert address("203.0.113.9", "198.51.100.1") == "203.0.113.9"


def test_from_a_peer_that_is_no_trusted_proxy_the_header_is_ignored(behind_proxy):
    assert address("203.0.113.9", "198.51.100.1") == "203.0.113.9"
    assert address("2001:db8:1::1", "198.51.100.1") == "2001:db8:1::1"


def test_through_a_trusted_proxy_the_right_most_untrusted_hop_counts(behind_proxy):
    assert address(PROXY, "198.51.100.1") == "198.51.100.1"
    assert address(PROXY, "1.2.3.4, 198.51.100.1") == "198.51.100.1"  # the client prepended
    assert address(PROXY, f"198.51.100.1, {PROXY}, 10.0.0.9") == "198.51.100.1"  # proxy chain
    assert address("2001:db8:ffff::2", "2001:db8:1::7") == "2001:db8:1::7"


def test_a_trusted_proxy_without_a_client_is_itself(behind_proxy):
    assert address(PROXY) == PROXY
    assert address(PROXY, "") == PROXY
    assert address(PROXY, f"10.0.0.9, {PROXY}") == PROXY  # only proxies of ours in the chain


def test_a_garbled_chain_counts_against_the_proxy(behind_proxy):
    assert address(PROXY, "203.0.113.9, not-an-address") == PROXY
    assert address(PROXY, "not-an-address, 203.0.113.9") == "203.0.113.9"  # never reached


def test_axes_uses_it():
    assert django_settings.AXES_CLIENT_IP_CALLABLE == "upswift_console.proxies.client_address"
