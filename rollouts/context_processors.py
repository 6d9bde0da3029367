"""What every console page shows whatever it is about."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from rollouts.models import PauseCause, Rollout, RolloutStatus


def upswift_token(request: HttpRequest) -> dict:
    """`upswift_token_rejected`: a rollout is paused because Upswift rejected the API token, so
    base.html asks for a new UPSWIFT_USER_TOKEN. One exists() query, run only when a page
    asks (fragments, the sign-in page and JSON answers never do)."""
    rejected = SimpleLazyObject(
        lambda: Rollout.objects.filter(
            status=RolloutStatus.PAUSED, pause_cause=PauseCause.TOKEN_REJECTED
        ).exists()
    )
    return {"upswift_token_rejected": rejected}
