"""/account/ — the person's own settings: API tokens, time zone."""

from django.urls import path

from rollouts.api import account_views
from rollouts.views import account

urlpatterns = [
    path("time-zone/", account.time_zone, name="account-timezone"),
    path("tokens/", account_views.api_tokens, name="account-tokens"),
    path(
        "tokens/<int:pk>/revoke", account_views.api_token_revoke_view, name="account-token-revoke"
    ),
]
