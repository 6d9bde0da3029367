"""CSRF: every URL of the HTML console refuses a POST without a token (403), found by walking
the URL resolver, so a new form that is not protected fails here; the POST endpoints we know
work with a token. The REST API authenticates by bearer token only: a session cookie is not
a way in, so it needs no CSRF token."""

import itertools
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.utils.regex_helper import normalize

from rollouts.services.tokens import api_token_create
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.django_db

API_PREFIX = "/api/v1/"
CSRF_FAILED = "CSRF verification failed"
SAMPLE_VALUES = ("1", "rollouts", "x")
# The console's POST endpoints (name -> sample kwargs). Django's admin is checked by the walk
# below (every admin URL refuses a POST without a token) but its forms are Django's own.
CONSOLE_POSTS = {
    "login": {},
    "logout": {},
    "plan_create": {},
    "plan_edit": {"pk": 1},
    "rollout_new": {},
    "rollout_approve": {"pk": 1},
    "rollout_pause": {"pk": 1},
    "rollout_resume": {"pk": 1},
    "rollout_abort": {"pk": 1},
    "stage_retry": {"pk": 1, "position": 1},
    "rollout_accept_shortfall": {"pk": 1},
    "rollout_send_again": {"pk": 1},
    "rollout_confirm_sent": {"pk": 1},
    "stage_edit": {"pk": 1, "position": 2},
    "account-tokens": {},
    "account-token-revoke": {"pk": 1},
    "account-timezone": {},
    "fleet_refresh": {},
    "kill_switch_engage": {},
    "kill_switch_release": {},
    "freeze_create": {},
    "freeze_delete": {"pk": 1},
    "rollout_freeze_override": {"pk": 1},
    "notification_channel_new": {},
    "notification_channel_edit": {"pk": 1},
    "notification_channel_delete": {"pk": 1},
    "notification_channel_test": {"pk": 1},
    "notification_channel_rotate": {"pk": 1},
}
# Those only an admin may post (the token test signs in as one for them).
ADMIN_POSTS = {
    "kill_switch_engage",
    "kill_switch_release",
    "freeze_create",
    "freeze_delete",
    "rollout_freeze_override",
    "notification_channel_new",
    "notification_channel_edit",
    "notification_channel_delete",
    "notification_channel_test",
    "notification_channel_rotate",
}


def _patterns(resolvers, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    """(regex from the root, pattern) for every leaf of the URL tree."""
    for entry in resolvers:
        regex = prefix + entry.pattern.regex.pattern.lstrip("^").rstrip("$").replace(r"\Z", "")
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, regex)
        else:
            yield regex, entry


def sample_paths() -> list[tuple[str, URLPattern]]:
    """One concrete path for every URL pattern (its parameters filled with sample values that
    resolve back to the same view)."""
    found = []
    for regex, pattern in _patterns(get_resolver().url_patterns):
        for template, params in normalize(regex):
            for values in itertools.product(SAMPLE_VALUES, repeat=len(params)):
                path = "/" + template % dict(zip(params, values, strict=True))
                try:
                    match = resolve(path)
                except Resolver404:
                    continue
                if match.func is pattern.callback:
                    found.append((path, pattern))
                    break
            else:
                continue
            break
        else:
            raise AssertionError(f"no sample path resolves to {regex!r}")
    return found


CONSOLE_PATHS = [(path, p) for path, p in sample_paths() if not path.startswith(API_PREFIX)]


@pytest.fixture
def csrf_client(console_admin) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(console_admin)
    return client


def test_the_walk_finds_the_console_and_the_admin():
    assert set(CONSOLE_POSTS) <= {pattern.name for _, pattern in CONSOLE_PATHS}
    assert any(path.startswith("/admin/") for path, _ in CONSOLE_PATHS)


def test_no_console_view_is_exempt_from_csrf():
    exempt = [path for path, p in CONSOLE_PATHS if getattr(p.callback, "csrf_exempt", False)]

    assert exempt == []


def test_every_console_url_refuses_a_post_without_a_token(csrf_client):
    """Signed in as an admin, so nothing but the missing token could refuse the POST."""
    let_through = []
    for path, _ in CONSOLE_PATHS:
        response = csrf_client.post(path, {"name": "x", "reason": "x"})
        if response.status_code != 403 or CSRF_FAILED not in response.content.decode():
            let_through.append((path, response.status_code))

    assert let_through == []
    assert len(CONSOLE_PATHS) > 40  # the console's own URLs and the admin's


def _accepts_post(path: str, outsider) -> bool:
    """Without CSRF checks: 405 means the view refuses POST. A view that needs a role or a
    sign-in answers before it says which methods it takes, so ask as nobody, then as a
    signed-in person without a role; whatever is not a 405 either way may take a POST."""
    anonymous, no_role = Client(), Client()
    no_role.force_login(outsider)
    return all(client.post(path).status_code != 405 for client in (anonymous, no_role))


def test_every_console_view_that_takes_a_post_is_one_we_know(outsider):
    """A new POST form must be added to CONSOLE_POSTS (and so to the token test below). The
    probing POSTs are harmless: refused (no role, no such object) or empty forms."""
    taking_post = {
        pattern.name
        for path, pattern in CONSOLE_PATHS
        if not path.startswith("/admin/") and _accepts_post(path, outsider)
    }

    assert taking_post == set(CONSOLE_POSTS)


@pytest.mark.parametrize("name", CONSOLE_POSTS)
def test_the_console_posts_work_with_the_token(release_manager, console_admin, name):
    """The 403 above is CSRF's: with the token from the page, none of them answers 403."""
    rollout = rollout_built(user=release_manager)
    api_token_create(user=release_manager, name="one to revoke")
    kwargs = {**CONSOLE_POSTS[name]}
    if "pk" in kwargs:
        kwargs["pk"] = (
            release_manager.api_tokens.get().pk
            if name == "account-token-revoke"
            else rollout.plan.pk
            if name == "plan_edit"
            else rollout.pk
        )
    client = Client(enforce_csrf_checks=True)
    if name != "login":
        client.force_login(console_admin if name in ADMIN_POSTS else release_manager)
    client.get(reverse("login") if name == "login" else reverse("dashboard"))
    token = client.cookies["csrftoken"].value

    response = client.post(
        reverse(name, kwargs=kwargs), {"csrfmiddlewaretoken": token, "reason": "because"}
    )

    assert response.status_code != 403, response.content.decode()[:500]


def test_the_api_ignores_a_session_cookie(client, release_manager):
    """Signed in to the console, no bearer token: the API answers 401 as to anybody."""
    client.force_login(release_manager)

    listed = client.get(reverse("api-plans"))
    created = client.post(
        reverse("api-plans"), {"name": "P", "project": "D"}, content_type="application/json"
    )

    assert listed.status_code == 401 and created.status_code == 401
    assert listed["WWW-Authenticate"].startswith("Bearer")


def test_the_api_with_a_token_needs_no_csrf_token(release_manager):
    _, raw = api_token_create(user=release_manager, name="pipeline")
    client = Client(enforce_csrf_checks=True)
    client.force_login(release_manager)  # a session cookie too: still no CSRF check
    body = {"name": "P", "project": "Demo", "stages": [{"target": "all"}]}

    response = client.post(
        reverse("api-plans"),
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )

    assert response.status_code == 201
