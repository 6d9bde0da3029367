"""Sign-in throttling behind a proxy: the client's address comes from X-Forwarded-For only
through a trusted proxy; the lockout is per (username, address), so a guesser cannot lock an
approver out by username alone; and one address trying many usernames is refused as a whole
(the style of tests/bad_input/test_login_throttle.py)."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.support.roles import PASSWORD, user_with_role

pytestmark = pytest.mark.django_db

LOCKED = "Too many sign-in attempts"
PROXY = "10.0.0.5"


def sign_in(client: Client, username: str, password: str, **meta):
    return client.post(reverse("login"), {"username": username, "password": password}, **meta)


def via_proxy(client_address: str, forwarded_by: str = PROXY) -> dict:
    return {"REMOTE_ADDR": forwarded_by, "HTTP_X_FORWARDED_FOR": f"{client_address}"}


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]


def fail(client: Client, username: str, times: int, **meta) -> None:
    for _ in range(times):
        sign_in(client, username, "wrong-password", **meta)


def test_behind_a_trusted_proxy_a_guesser_elsewhere_cannot_lock_the_approver_out(
    behind_proxy, release_manager
):
    """Every request comes from the proxy: without TRUSTED_PROXIES all of them would share its
    address, and the guesser's five wrong passwords would lock the approver out too."""
    guesser, approver = Client(), Client()
    fail(guesser, release_manager.username, settings.AXES_FAILURE_LIMIT, **via_proxy("203.0.113.9"))
    assert LOCKED in sign_in(guesser, "rita", PASSWORD, **via_proxy("203.0.113.9")).content.decode()

    response = sign_in(approver, "rita", PASSWORD, **via_proxy("198.51.100.20"))

    assert response.status_code == 302


@pytest.mark.parametrize("trusted_proxies", [[], ["10.0.0.0/24"]])
def test_x_forwarded_for_is_ignored_from_a_connection_that_is_no_trusted_proxy(
    settings, release_manager, trusted_proxies
):
    """A client that is no trusted proxy cannot escape its lockout by writing the header."""
    settings.TRUSTED_PROXIES = trusted_proxies
    client = Client()
    fail(client, "rita", settings.AXES_FAILURE_LIMIT, REMOTE_ADDR="203.0.113.9")

    for forged in ("198.51.100.1", "198.51.100.2"):
        meta = {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": forged}
        assert sign_in(client, "rita", PASSWORD, **meta).status_code == 429


def test_a_client_cannot_pick_its_address_by_prepending_to_the_chain(behind_proxy, release_manager):
    """The proxy appends the real peer: the right-most untrusted hop counts, not the first."""
    client = Client()
    for forged in ("198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4", "1.2.3.4"):
        meta = via_proxy(f"{forged}, 203.0.113.9")
        sign_in(client, "rita", "wrong-password", **meta)

    response = sign_in(client, "rita", PASSWORD, **via_proxy("9.9.9.9, 203.0.113.9"))

    assert response.status_code == 429


def test_one_address_trying_many_usernames_is_refused_as_a_whole(settings, release_manager):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 8
    user_with_role("uma")
    sprayer = Client()
    meta = {"REMOTE_ADDR": "203.0.113.50"}
    for n in range(8):  # one wrong password each for eight usernames: no pair reaches five
        sign_in(sprayer, f"someone-{n}", "wrong-password", **meta)

    refused = sign_in(sprayer, "uma", PASSWORD, **meta)
    elsewhere = sign_in(Client(), "uma", PASSWORD, REMOTE_ADDR="198.51.100.7")

    assert refused.status_code == 429 and LOCKED in refused.content.decode()
    assert elsewhere.status_code == 302


def test_below_the_address_limit_other_people_at_that_address_sign_in(settings, release_manager):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 8
    office = {"REMOTE_ADDR": "203.0.113.60"}
    fail(Client(), "someone", settings.AXES_FAILURE_LIMIT, **office)  # that pair is locked

    assert sign_in(Client(), "rita", PASSWORD, **office).status_code == 302


def test_the_address_limit_defaults_to_twenty():
    assert settings.AXES_ADDRESS_FAILURE_LIMIT == 20
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.TRUSTED_PROXIES == []
