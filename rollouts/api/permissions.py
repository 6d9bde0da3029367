"""The UI's permissions, per API action: each view says which ones each of its actions needs."""

from rest_framework.permissions import BasePermission

VIEW_PLAN = "rollouts.view_plan"
ADD_PLAN = "rollouts.add_plan"
CHANGE_PLAN = "rollouts.change_plan"
VIEW_ROLLOUT = "rollouts.view_rollout"
ADD_ROLLOUT = "rollouts.add_rollout"
OPERATE_ROLLOUT = "rollouts.operate_rollout"
APPROVE_ROLLOUT = "rollouts.approve_rollout"
VIEW_EVENT = "rollouts.view_event"
VIEW_APICALL = "rollouts.view_apicall"


class ActionPermissions(BasePermission):
    """`view.required_perms` maps an HTTP method to the permissions it needs. Anonymous
    requests are refused (401 with `WWW-Authenticate: Bearer`). A method a view does not list
    (OPTIONS, or one it does not support: 405) needs every permission the view names, and a
    view that names none is for superusers only, so nothing is reachable by accident."""

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        required = getattr(view, "required_perms", None)
        if not required:
            return user.is_superuser
        perms = required.get("GET" if request.method == "HEAD" else request.method)
        if perms is None:
            perms = {perm for listed in required.values() for perm in listed}
        return user.has_perms(perms)
