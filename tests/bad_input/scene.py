"""A console full of hostile text, written through the services (and, for the Upswift API's
error message, through the engine and the real HTTP client against a mocked API)."""

from dataclasses import dataclass

import responses
from django.utils import timezone

from rollouts.engine.client import upswift_client
from rollouts.engine.steps import rollout_advance
from rollouts.models import ApiToken, Plan, Rollout, RolloutStage, StageStatus
from rollouts.services.actions import (
    rollout_create,
    rollout_pause,
    rollout_start,
    stage_approve,
)
from rollouts.services.events import event_record
from rollouts.services.plans import plan_create
from rollouts.services.tokens import api_token_create
from tests.bad_input.helpers import XSS
from tests.factories import DeviceProgressFactory

SCRIPT, IMG, SVG, TEXTAREA, HTMX = XSS
LONG = "Ωмега🚀" * 600  # 3,600 characters of multi-byte text
API_URL = "https://upswift.invalid/v1"
SENT_ERROR = f"{SCRIPT} {IMG} {LONG}"  # what the mocked Upswift API answers a deploy with


def hostile_settings(settings) -> None:
    """The engine's Upswift client goes to a mocked API, with no shared rate budget."""
    settings.UPSWIFT_API_URL = API_URL
    settings.UPSWIFT_USER_TOKEN = "tok-hostile-scene"
    settings.UPSWIFT_CALLS_PER_MINUTE = 0
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    upswift_client.cache_clear()


@dataclass
class Scene:
    plan: Plan
    failed: Rollout  # the API rejected its deploy with a hostile error message (now paused)
    paused: Rollout  # a hostile approval comment and pause reason
    awaiting: Rollout  # its second stage waits for approval
    token: ApiToken
    error_message: str  # as recorded


def _first_stage_done(rollout: Rollout) -> None:
    """What the engine does after a successful first stage (no API needed for it here)."""
    RolloutStage.objects.filter(rollout=rollout, position=1).update(
        status=StageStatus.SUCCEEDED, started_at=timezone.now(), finished_at=timezone.now()
    )


def hostile_scene(*, user) -> Scene:
    plan = plan_create(
        name=SCRIPT,
        project=IMG,
        description=f"{TEXTAREA} {HTMX} {LONG}",
        stages=[
            {"name": SVG, "target": "tag", "tag": IMG},
            {"name": HTMX, "target": "groups", "groups": [SCRIPT, TEXTAREA]},
            {"name": TEXTAREA, "target": "all"},
        ],
        actor=user,
    )

    def started(version: str) -> Rollout:
        rollout = rollout_create(
            plan=plan,
            flow_id=IMG,
            app_name=SCRIPT,
            app_version=f"{version} {SVG}",
            comment=" ".join(XSS),
            actor=user,
        )
        return rollout_start(rollout=rollout, actor=user)

    failed = started("1")
    with responses.RequestsMock() as api:
        api.post(f"{API_URL}/deploy_update", status=400, json={"error_message": SENT_ERROR})
        rollout_advance(rollout_id=failed.pk)
    failed.refresh_from_db()
    error_message = failed.api_calls.get().error_message  # the client keeps the first part
    stage = failed.stages.get(position=1)
    # As if an earlier deploy of the stage had reached a device (the page shows the devices of
    # a stage that started).
    failed.stages.filter(pk=stage.pk).update(started_at=timezone.now())
    DeviceProgressFactory(stage=stage, device_name=SCRIPT, group=IMG, device_uuid=SVG[:60])
    event_record(rollout=failed, stage=stage, kind="api_error", reason=HTMX, details={})

    paused = started("2")
    _first_stage_done(paused)
    stage_approve(rollout=paused, actor=user, comment=TEXTAREA)
    rollout_pause(rollout=paused, actor=user, reason=f"{SCRIPT} {IMG}")
    paused.refresh_from_db()

    awaiting = started("3")
    _first_stage_done(awaiting)

    token, _ = api_token_create(user=user, name=IMG)
    return Scene(plan, failed, paused, awaiting, token, error_message)
