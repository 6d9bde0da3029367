"""The single sign-on role mapping and its settings check (rollouts/sso.py); the round trips
with a real provider are in tests/views/test_sso.py."""

import inspect

import pytest
from django.core.exceptions import ImproperlyConfigured

import rollouts.sso
from rollouts.roles import ADMIN, RELEASE_MANAGER, ROLE_NAMES, VIEWER
from rollouts.sso import role_map, roles_apply, roles_for, sso_settings_check
from tests.support.roles import user_with_role


@pytest.fixture
def mapping(settings):
    settings.OIDC_ROLE_MAP = " rm = Release manager , ops=admin,,readers=Viewer "
    settings.OIDC_ROLE_CLAIM = "groups"
    settings.OIDC_DEFAULT_ROLE = VIEWER


def test_the_map_is_read_with_spaces_and_empty_items(mapping):
    assert role_map() == {"rm": RELEASE_MANAGER, "ops": ADMIN, "readers": VIEWER}


@pytest.mark.parametrize("bad", ["rm", "rm=Release managers", "=Viewer", "rm=superuser"])
def test_a_wrong_map_says_what_is_wrong(settings, bad):
    settings.OIDC_ROLE_MAP = bad

    with pytest.raises(ImproperlyConfigured, match="OIDC_ROLE_MAP"):
        role_map()


@pytest.mark.parametrize(
    ("claims", "roles"),
    [
        ({"groups": ["rm", "ops", "other"]}, {RELEASE_MANAGER, ADMIN}),
        ({"groups": "rm"}, {RELEASE_MANAGER}),
        ({"groups": ["other"]}, {VIEWER}),
        ({}, {VIEWER}),
        ({"groups": {"rm": True}}, {VIEWER}),  # not a list: ignored
        ({"groups": [["rm"], 7]}, {VIEWER}),
    ],
)
def test_claims_map_to_roles_else_the_default(mapping, claims, roles):
    assert roles_for(claims) == roles


def test_a_configurable_claim_name(mapping, settings):
    settings.OIDC_ROLE_CLAIM = "roles"

    assert roles_for({"roles": ["rm"], "groups": ["ops"]}) == {RELEASE_MANAGER}


def test_no_default_role_means_no_role(mapping, settings):
    settings.OIDC_DEFAULT_ROLE = ""

    assert roles_for({"groups": ["other"]}) == set()


@pytest.mark.django_db
def test_applying_roles_replaces_role_groups_and_keeps_other_groups():
    from django.contrib.auth.models import Group

    user = user_with_role("sam", RELEASE_MANAGER, is_superuser=True, is_staff=True)
    user.groups.add(Group.objects.create(name="On call"))

    roles_apply(user, {VIEWER})

    user.refresh_from_db()
    assert set(user.groups.values_list("name", flat=True)) == {VIEWER, "On call"}
    assert not user.is_superuser and not user.is_staff


def test_the_settings_check_reports_missing_endpoints_and_bad_values(mapping, settings):
    settings.OIDC_RP_CLIENT_ID = "console"
    settings.OIDC_RP_CLIENT_SECRET = "s"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = "https://idp.example/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = ""
    settings.OIDC_OP_USER_ENDPOINT = "https://idp.example/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = "https://idp.example/jwks"
    settings.OIDC_DEFAULT_ROLE = "Guest"
    settings.OIDC_ROLE_MAP = "rm=Boss"

    messages = [e.msg for e in sso_settings_check(None)]

    assert any("OIDC_OP_TOKEN_ENDPOINT" in m for m in messages)
    assert any("OIDC_ROLE_MAP" in m for m in messages)
    assert any("OIDC_DEFAULT_ROLE" in m for m in messages)


def test_the_settings_check_is_quiet_while_sso_is_off(settings):
    settings.OIDC_RP_CLIENT_ID = ""
    settings.OIDC_ROLE_MAP = "nonsense"

    assert sso_settings_check(None) == []


def test_sso_and_create_user_name_the_admin_role_alike():
    """One constant (rollouts/roles.py): `OIDC_ROLE_MAP=ops=admin` and `create_user --role
    admin` mean the same role."""
    assert ADMIN in rollouts.sso.role_names() and ADMIN in ROLE_NAMES
    assert rollouts.sso.ADMIN is ADMIN
    assert not any(
        line.startswith("ADMIN =") for line in inspect.getsource(rollouts.sso).splitlines()
    )
