"""People and their roles: a user is made with exactly one role (rollouts/roles.py)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from rollouts.roles import ADMIN, ROLE_NAMES, roles_sync


def user_with_role(*, username: str, role: str, password: str) -> tuple[object, bool]:
    """Create (or update) `username` with `role`, one of ROLE_NAMES, and `password`.

    The user's earlier role groups are replaced, so running it again changes the role rather
    than adding one; "admin" makes a superuser. Returns (user, created)."""
    if role not in ROLE_NAMES:
        raise ValueError(f"Unknown role {role!r}: choose one of {', '.join(ROLE_NAMES)}.")
    User = get_user_model()
    with transaction.atomic():
        user, created = User.objects.get_or_create(**{User.USERNAME_FIELD: username})
        user.is_staff = user.is_superuser = role == ADMIN
        user.set_password(password)
        user.save()
        role_groups = [name for name in ROLE_NAMES.values() if name]
        user.groups.remove(*Group.objects.filter(name__in=role_groups))
        group_name = ROLE_NAMES[role]
        if group_name:
            if not Group.objects.filter(name=group_name).exists():
                roles_sync()
            user.groups.add(Group.objects.get(name=group_name))
    return user, created
