"""services/users.py and `manage.py create_user`: a login with one role."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from rollouts.engine.lifecycle import APPROVE_PERMISSION, OPERATE_PERMISSION
from rollouts.services.users import user_with_role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "approves", "operates", "admin"),
    [
        ("viewer", False, False, False),
        ("approver", True, False, False),
        ("operator", False, True, False),
        ("release-manager", True, True, False),
        ("admin", True, True, True),
    ],
)
def test_each_role_has_its_permissions(role, approves, operates, admin):
    user, created = user_with_role(username=f"u-{role}", role=role, password="a-long-password-1")

    user = get_user_model().objects.get(pk=user.pk)  # no cached permissions
    assert created
    assert user.has_perm(APPROVE_PERMISSION) is approves
    assert user.has_perm(OPERATE_PERMISSION) is operates
    assert user.is_superuser is admin
    assert user.has_perm("rollouts.view_rollout")
    assert user.check_password("a-long-password-1")


def test_running_it_again_changes_the_role_instead_of_adding_one():
    user_with_role(username="sam", role="release-manager", password="a-long-password-1")

    user, created = user_with_role(username="sam", role="viewer", password="a-long-password-2")

    user = get_user_model().objects.get(pk=user.pk)
    assert not created
    assert [g.name for g in user.groups.all()] == ["Viewer"]
    assert not user.has_perm(OPERATE_PERMISSION)


def test_the_command_prints_a_password_that_works(capsys):
    call_command("create_user", "apu", "--role", "approver")

    out = capsys.readouterr().out
    assert out.startswith("Created apu (approver)  password: ")
    password = out.rsplit("password: ", 1)[1].strip()
    assert get_user_model().objects.get(username="apu").check_password(password)


def test_the_command_takes_the_password_from_the_environment(capsys, monkeypatch):
    monkeypatch.setenv("NEW_PASSWORD", "from-the-env-123")

    call_command("create_user", "opal", "--role", "operator", "--password-env", "NEW_PASSWORD")

    assert "from-the-env-123" not in capsys.readouterr().out
    assert get_user_model().objects.get(username="opal").check_password("from-the-env-123")


def test_the_command_refuses_an_unknown_role_and_an_empty_password_variable(monkeypatch):
    with pytest.raises(CommandError):
        call_command("create_user", "x", "--role", "boss")
    monkeypatch.delenv("NOPE", raising=False)
    with pytest.raises(CommandError, match="NOPE"):
        call_command("create_user", "x", "--role", "viewer", "--password-env", "NOPE")
    assert not get_user_model().objects.filter(username="x").exists()


def test_demo_setup_makes_an_admin_and_a_second_person_to_approve(capsys):
    call_command("demo_setup", "--url", "http://127.0.0.1:8000/")

    out = capsys.readouterr().out
    assert "user: demo  password: " in out and "user: demo-approver  password: " in out
    users = get_user_model().objects
    assert users.get(username="demo").is_superuser
    approver = users.get(username="demo-approver")
    assert approver.has_perm(APPROVE_PERMISSION) and not approver.has_perm(OPERATE_PERMISSION)
