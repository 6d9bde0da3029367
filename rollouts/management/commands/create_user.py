"""`manage.py create_user <username> --role ROLE`: a console login with one role.

Roles: viewer, approver (approves stages), operator (starts, pauses, resumes, retries, aborts),
release-manager (both), admin (a superuser). Run again to change a user's role; each run sets a
new password, printed once (pass --password-env NAME to take it from that environment variable
instead, so it never shows in a process list or a shell history).
"""

import os
import secrets

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from rollouts.roles import ROLE_NAMES
from rollouts.services.users import user_with_role


class Command(BaseCommand):
    help = "Create (or update) a console user with a role and print the password."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=list(ROLE_NAMES))
        parser.add_argument(
            "--password-env",
            default="",
            help="Take the password from this environment variable instead of making one.",
        )

    def handle(self, *args, username: str, role: str, password_env: str, **options):
        if not username.strip():
            raise CommandError("Give a username.")
        if password_env:
            password = os.environ.get(password_env, "")
            if not password:
                raise CommandError(f"The environment variable {password_env} is empty or unset.")
        else:
            password = secrets.token_urlsafe(12)
        try:
            user, created = user_with_role(username=username, role=role, password=password)
        except (ValueError, ValidationError) as exc:
            raise CommandError(str(exc)) from None
        verb = "Created" if created else "Updated"
        shown = "(from the environment)" if password_env else password
        self.stdout.write(f"{verb} {username} ({role})  password: {shown}")
