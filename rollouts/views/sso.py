"""The sign-in page (with a "Sign in with <provider>" button when single sign-on is on) and
the two OpenID Connect views, which answer 404 while it is off (rollouts/sso.py)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_GET
from mozilla_django_oidc import views as oidc_views

from rollouts.sso import sso_enabled


class LoginView(auth_views.LoginView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sso_provider"] = settings.OIDC_PROVIDER_NAME if sso_enabled() else None
        return context


class _Callback(oidc_views.OIDCAuthenticationCallbackView):
    def login_failure(self):
        """Back to the sign-in page, saying so (the provider refused, the person's claims
        map to no role, or the answer could not be verified); the details go to the log."""
        messages.error(
            self.request,
            f"{settings.OIDC_PROVIDER_NAME} did not sign you in to the console. "
            "Ask an admin for a role, or sign in with a console account.",
        )
        return HttpResponseRedirect(reverse("login"))


# Both take GET only, whether single sign-on is on or off: a POST is 405 before the 404 of "not
# configured", so no method answers differently from what the views take.
@require_GET
def sso_start(request: HttpRequest) -> HttpResponse:
    """Off to the provider (state, nonce and PKCE kept in the session)."""
    if not sso_enabled():
        raise Http404("Single sign-on is not configured.")
    return oidc_views.OIDCAuthenticationRequestView.as_view()(request)


@require_GET
def sso_callback(request: HttpRequest) -> HttpResponse:
    if not sso_enabled():
        raise Http404("Single sign-on is not configured.")
    return _Callback.as_view()(request)
