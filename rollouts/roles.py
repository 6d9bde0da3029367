"""Roles are Django groups with permissions: viewer, release manager (admins are superusers)."""

VIEWER = "Viewer"
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
ROLE_PERMISSIONS = {
    VIEWER: VIEW_PERMISSIONS,
    RELEASE_MANAGER: [
        *VIEW_PERMISSIONS,
        "add_plan",
        "change_plan",
        "add_rollout",
        "operate_rollout",
    ],
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
