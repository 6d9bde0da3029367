"""Single sign-on round trips: a real OpenID Connect provider (tests/support/oidc.py) and the
console's live server, driven by an HTTP client that follows the redirects as a browser does
(sign-in page → /oidc/authenticate/ → the provider's form → /oidc/callback/ → the page)."""

import logging

import pytest
import requests
from django.contrib.auth import get_user_model

from rollouts.roles import RELEASE_MANAGER, VIEWER
from tests.support.oidc import provider_running, sso_settings
from tests.support.roles import PASSWORD, user_with_role

pytestmark = pytest.mark.django_db(transaction=True)
User = get_user_model()


@pytest.fixture
def oidc_provider():
    with provider_running() as provider:
        yield provider


def sign_in_with_provider(live_server, provider, sub: str, next_url: str = "/history/"):
    """The person clicks "Sign in with Test IdP", then picks `sub` on the provider's form."""
    browser = requests.Session()
    page = browser.get(f"{live_server.url}/login/?next={next_url}", timeout=10)
    assert 'id="sso-sign-in"' in page.text and "Sign in with Test IdP" in page.text
    form = browser.get(f"{live_server.url}/oidc/authenticate/?next={next_url}", timeout=10)
    assert form.url.startswith(f"{provider.url}/oauth2/authorize?"), form.url
    assert "code_challenge=" in form.url and "nonce=" in form.url
    answer = browser.post(form.url, data={"sub": sub}, timeout=20)
    return browser, answer


def roles_of(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_a_release_manager_of_the_provider_is_created_signed_in_with_the_role(
    live_server, oidc_provider, settings, caplog
):
    sso_settings(settings, oidc_provider)
    oidc_provider.user(
        "alice-sub", email="alice@example.com", preferred_username="alice", groups=["rm", "x"]
    )
    caplog.set_level(logging.DEBUG)

    browser, answer = sign_in_with_provider(live_server, oidc_provider, "alice-sub")

    assert answer.status_code == 200
    assert answer.url == f"{live_server.url}/history/"
    alice = User.objects.get(email="alice@example.com")
    assert alice.username == "alice"
    assert roles_of(alice) == {RELEASE_MANAGER}
    assert not alice.is_superuser and not alice.has_usable_password()
    assert "alice" in answer.text and "release manager" in answer.text
    assert browser.get(f"{live_server.url}/rollouts/new/", timeout=10).status_code == 200
    assert "client-secret-for-tests" not in answer.text + caplog.text


def test_the_admin_claim_makes_a_superuser(live_server, oidc_provider, settings):
    sso_settings(settings, oidc_provider)
    oidc_provider.user("ops-sub", email="olga@example.com", groups=["ops"])

    _, answer = sign_in_with_provider(live_server, oidc_provider, "ops-sub", next_url="/")

    olga = User.objects.get(email="olga@example.com")
    assert olga.is_superuser and olga.is_staff
    assert answer.url == f"{live_server.url}/"
    assert '<span class="role">admin</span>' in answer.text


def test_without_a_mapped_claim_a_person_is_only_a_viewer(live_server, oidc_provider, settings):
    sso_settings(settings, oidc_provider)
    oidc_provider.user("vic-sub", email="vic@example.com", groups=["marketing"])

    browser, _ = sign_in_with_provider(live_server, oidc_provider, "vic-sub")

    assert roles_of(User.objects.get(email="vic@example.com")) == {VIEWER}
    assert browser.get(f"{live_server.url}/rollouts/new/", timeout=10).status_code == 403


def test_with_no_default_role_an_unmapped_person_is_refused(live_server, oidc_provider, settings):
    sso_settings(settings, oidc_provider, OIDC_DEFAULT_ROLE="")
    oidc_provider.user("eve-sub", email="eve@example.com")

    _, answer = sign_in_with_provider(live_server, oidc_provider, "eve-sub")

    assert answer.url.startswith(f"{live_server.url}/login/")
    assert "Test IdP did not sign you in to the console" in answer.text
    assert not User.objects.filter(email="eve@example.com").exists()


def test_an_email_the_provider_has_not_verified_is_refused(live_server, oidc_provider, settings):
    sso_settings(settings, oidc_provider)
    local = user_with_role("root", None, email="root@example.com", is_superuser=True)
    oidc_provider.user("mallory", email="root@example.com", email_verified=False, groups=["ops"])

    _, answer = sign_in_with_provider(live_server, oidc_provider, "mallory")

    assert answer.url.startswith(f"{live_server.url}/login/")
    local.refresh_from_db()
    assert local.last_login is None


def test_roles_follow_the_provider_at_every_sign_in(live_server, oidc_provider, settings):
    sso_settings(settings, oidc_provider)
    oidc_provider.user("bob-sub", email="bob@example.com", groups=["rm", "ops"])
    sign_in_with_provider(live_server, oidc_provider, "bob-sub")
    bob = User.objects.get(email="bob@example.com")
    assert roles_of(bob) == {RELEASE_MANAGER} and bob.is_superuser

    oidc_provider.user("bob-sub", email="bob@example.com", groups="readers")  # one string
    sign_in_with_provider(live_server, oidc_provider, "bob-sub")

    bob.refresh_from_db()
    assert roles_of(bob) == {VIEWER} and not bob.is_superuser and not bob.is_staff
    assert User.objects.filter(email="bob@example.com").count() == 1


def test_a_local_account_with_the_same_email_is_the_same_person_and_its_password_still_works(
    live_server, oidc_provider, settings
):
    sso_settings(settings, oidc_provider)
    rita = user_with_role("rita", VIEWER, email="rita@example.com")
    oidc_provider.user("rita-sub", email="RITA@example.com", groups=["rm"])

    sign_in_with_provider(live_server, oidc_provider, "rita-sub")

    assert User.objects.filter(email__iexact="rita@example.com").count() == 1
    assert roles_of(rita) == {RELEASE_MANAGER}
    local = requests.Session()
    page = local.get(f"{live_server.url}/login/", timeout=10)
    signed_in = local.post(
        f"{live_server.url}/login/",
        data={
            "username": "rita",
            "password": PASSWORD,
            "csrfmiddlewaretoken": local.cookies["csrftoken"],
        },
        headers={"Referer": page.url},
        timeout=10,
    )
    assert signed_in.url == f"{live_server.url}/"
    assert "Sign out" in signed_in.text


def test_the_provider_denying_sends_the_person_back_to_sign_in(
    live_server, oidc_provider, settings
):
    sso_settings(settings, oidc_provider)
    browser = requests.Session()
    form = browser.get(f"{live_server.url}/oidc/authenticate/", timeout=10)

    answer = browser.post(form.url, data={"action": "deny"}, timeout=10)

    assert answer.url.startswith(f"{live_server.url}/login/")
    assert "did not sign you in" in answer.text
    assert "_auth_user_id" not in browser.cookies.get_dict()


def test_a_provider_gone_before_the_code_is_exchanged_is_a_refusal_not_an_error(
    live_server, settings
):
    browser = requests.Session()
    with provider_running() as provider:
        sso_settings(settings, provider)
        provider.user("gus-sub", email="gus@example.com", groups=["rm"])
        form = browser.get(f"{live_server.url}/oidc/authenticate/", timeout=10)
        back = browser.post(form.url, data={"sub": "gus-sub"}, allow_redirects=False, timeout=10)
        assert back.headers["Location"].startswith(f"{live_server.url}/oidc/callback/?code=")

    answer = browser.get(back.headers["Location"], timeout=20)  # the token endpoint is gone

    assert answer.status_code == 200
    assert answer.url.startswith(f"{live_server.url}/login/")
    assert "did not sign you in" in answer.text
    assert not User.objects.filter(email="gus@example.com").exists()


def test_while_sso_is_off_there_is_no_button_and_no_endpoint(client, settings):
    settings.OIDC_RP_CLIENT_ID = ""

    assert "Sign in with" not in client.get("/login/").content.decode()
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404


@pytest.mark.parametrize("client_id", ["", "upswift-console"])
def test_the_sso_endpoints_take_get_only_on_or_off(client, settings, client_id):
    """A POST is 405 with `Allow: GET` whether SSO is on or not (never a 404 that hides which
    methods the view takes, nor a CSRF-less way in)."""
    settings.OIDC_RP_CLIENT_ID = client_id

    for path in ("/oidc/authenticate/", "/oidc/callback/"):
        response = client.post(path, {"code": "x", "state": "y"})

        assert response.status_code == 405, path
        assert response["Allow"] == "GET"
