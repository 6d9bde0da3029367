"""Roles are Django groups with permissions (admins are superusers).

Approving a stage and operating a rollout (start, pause, resume, retry, abort) are separate
permissions, so a team can give them to different people: an approver judges the evidence, an
operator runs the release, a release manager does both. Only an admin changes a plan's four-eyes
flag (rollouts/services/plans.py)."""

VIEWER = "Viewer"
APPROVER = "Approver"
OPERATOR = "Operator"
RELEASE_MANAGER = "Release manager"

VIEW_PERMISSIONS = [
    "view_plan",
    "view_planstage",
    "view_rollout",
    "view_rolloutstage",
    "view_deviceprogress",
    "view_event",
    "view_apicall",
]
OPERATE_PERMISSIONS = ["add_plan", "change_plan", "add_rollout", "operate_rollout"]
ROLE_PERMISSIONS = {
    VIEWER: VIEW_PERMISSIONS,
    APPROVER: [*VIEW_PERMISSIONS, "approve_rollout"],
    OPERATOR: [*VIEW_PERMISSIONS, *OPERATE_PERMISSIONS],
    RELEASE_MANAGER: [*VIEW_PERMISSIONS, *OPERATE_PERMISSIONS, "approve_rollout"],
}
# The names `create_user --role` takes; "admin" makes a superuser (no group).
ADMIN = "admin"
ROLE_NAMES = {
    "viewer": VIEWER,
    "approver": APPROVER,
    "operator": OPERATOR,
    "release-manager": RELEASE_MANAGER,
    ADMIN: None,
}


def roles_sync(apps=None) -> None:
    """Create the role groups and give them their permissions (idempotent)."""
    from django.contrib.auth.management import create_permissions

    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = Permission.objects.filter(
            content_type__app_label="rollouts", codename__in=codenames
        )
        group.permissions.set(perms)
