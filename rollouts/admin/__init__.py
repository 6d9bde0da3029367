"""The Django admin: plans (editable by admins, through the plan service), the record of
rollouts (read-only: history must not change), and people and their roles.

Nothing secret is shown: tokens are listed by name and prefix, notification channels by where
they send without credentials (see rollouts/admin/people.py)."""

from rollouts.admin import history, people, plans  # noqa: F401  (registers the model admins)
