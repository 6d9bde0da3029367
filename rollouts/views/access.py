"""Sign-in and permission checks shared by every console view."""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.views.decorators.http import require_http_methods

VIEW = "rollouts.view_rollout"
VIEW_PLANS = "rollouts.view_plan"
ADD_PLAN = "rollouts.add_plan"
CHANGE_PLAN = "rollouts.change_plan"
ADD_ROLLOUT = "rollouts.add_rollout"
OPERATE = "rollouts.operate_rollout"
APPROVE = "rollouts.approve_rollout"
VIEW_EVENTS = "rollouts.view_event"


def console_view(*perms: str, methods: tuple[str, ...] = ("GET",)) -> Callable:
    """Require sign-in and every permission in `perms` (403 otherwise), and the HTTP methods.

    A polling request (htmx) whose session ended gets HX-Redirect to the sign-in page instead
    of a login form swapped into the page."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
                    return response
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perms(perms):
                raise PermissionDenied("Your role does not allow this.")
            return view(request, *args, **kwargs)

        return require_http_methods(list(methods))(wrapper)

    return decorator


def admin_view(methods: tuple[str, ...] = ("GET",)) -> Callable:
    """`console_view` for admins (superusers) only: anyone else signed in gets 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def admin_only(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_superuser:
                raise PermissionDenied("Only an admin can do this.")
            return view(request, *args, **kwargs)

        return console_view(methods=methods)(admin_only)

    return decorator
