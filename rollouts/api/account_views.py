"""The profile page where a person manages their personal API tokens (/account/tokens/)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from rollouts.models import ApiToken
from rollouts.services.tokens import NAME_MAX_LENGTH, api_token_create, api_token_revoke


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH, help_text="What uses it, e.g. “GitHub Actions: firmware repo”."
    )


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """List the person's tokens; a POST creates one and shows its raw value this one time
    (rendered into this response only: never stored, never put in a message or the session)."""
    form = ApiTokenCreateForm(request.POST or None)
    created, raw = None, None
    if request.method == "POST" and form.is_valid():
        try:
            created, raw = api_token_create(user=request.user, name=form.cleaned_data["name"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            form = ApiTokenCreateForm()
    tokens = ApiToken.objects.filter(user=request.user).order_by("revoked_at", "-created_at")
    response = render(
        request,
        "account/tokens.html",
        {"form": form, "tokens": tokens, "created": created, "raw_token": raw},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if api_token_revoke(token=token, actor=request.user):
        messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("account-tokens")
