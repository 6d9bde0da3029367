from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from rollouts.views import sso

urlpatterns = [
    path("login/", sso.LoginView.as_view(), name="login"),
    # Single sign-on (README "Single sign-on"); mozilla-django-oidc reverses these names.
    path("oidc/authenticate/", sso.sso_start, name="oidc_authentication_init"),
    path("oidc/callback/", sso.sso_callback, name="oidc_authentication_callback"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("rollouts.api.urls")),
    path("account/", include("rollouts.api.account_urls")),
    path("", include("rollouts.urls")),
]
