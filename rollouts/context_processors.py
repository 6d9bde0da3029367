"""What every console page shows whatever it is about."""

from functools import cache

from django.db import connection
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from rollouts.models import KillSwitchUse, PauseCause, Rollout, RolloutStatus


def banners(request: HttpRequest) -> dict:
    """The two banners of base.html, from one query, run only when a page asks (fragments,
    the sign-in page and JSON answers never do):
    - `upswift_token_rejected`: a rollout is paused because Upswift rejected the API token,
      so the page asks for a new UPSWIFT_USER_TOKEN;
    - `kill_switch`: the engaged KillSwitchUse (with its actor), or None (a second query only
      while the switch is on)."""
    state = cache(_banner_state)
    return {
        "upswift_token_rejected": SimpleLazyObject(lambda: state()[0]),
        "kill_switch": SimpleLazyObject(lambda: state()[1]),
    }


def _banner_state() -> tuple[bool, KillSwitchUse | None]:
    token = Rollout.objects.filter(
        status=RolloutStatus.PAUSED, pause_cause=PauseCause.TOKEN_REJECTED
    ).values("pk")[:1]
    switch = KillSwitchUse.objects.engaged().values("pk")[:1]
    (token_sql, token_params), (switch_sql, switch_params) = (
        query.query.sql_with_params() for query in (token, switch)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ({token_sql}), ({switch_sql})", (*token_params, *switch_params))
        token_rollout, switch_id = cursor.fetchone()
    use = None
    if switch_id is not None:
        use = KillSwitchUse.objects.select_related("actor").filter(pk=switch_id).first()
    return token_rollout is not None, use
