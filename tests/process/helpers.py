"""Shared steps of the engine's integration tests."""

from rollouts.engine.device_rows import device_row_problem
from rollouts.models import Rollout, RolloutStage, RolloutStatus, StageStatus
from rollouts.services.actions import rollout_create, rollout_start
from rollouts.services.plans import plan_create
from tests.support.processes import wait_for
from upswift import UpswiftClient

AUTO = {"approval_required": False}
CANARY_GROUPS_ALL = [
    {"target": "tag", "tag": "canary", "success_threshold": 100},
    {"target": "groups", "groups": ["TestGroup1"], "success_threshold": 100},
    {"target": "groups", "groups": ["TestGroup2"], "success_threshold": 100},
    {"target": "all", "success_threshold": 100},
]


def start_rollout(*, user, stages, name="Release plan", version="v2.0", comment="release 2"):
    plan = plan_create(name=name, project="Demo", stages=stages, actor=user)
    rollout = rollout_create(
        plan=plan,
        flow_id="73a7-1ft8",
        app_name="default_app",
        app_version=version,
        comment=comment,
        actor=user,
    )
    return rollout_start(rollout=rollout, actor=user)


def wait_status(rollout: Rollout, *statuses: str, engine, timeout: float = 60) -> Rollout:
    def check():
        rollout.refresh_from_db()
        return rollout.status in statuses

    wait_for(check, timeout=timeout, describe=lambda: describe_rollout(rollout, engine))
    return rollout


def describe_rollout(rollout: Rollout, engine) -> str:
    rollout.refresh_from_db()
    stages = [(s.position, s.status, s.counts, s.last_error) for s in rollout.stages.all()]
    calls = [
        (c.kind, c.attempt, c.state, c.http_status, c.error_message[:80], c.not_before)
        for c in rollout.api_calls.order_by("-id")[:12]
    ]
    return (
        f"rollout {rollout.status} {rollout.status_reason}\nstages {stages}\ncalls {calls}\n"
        f"{engine.logs()}"
    )


def wait_awaiting_approval(rollout: Rollout, position: int, *, engine, timeout: float = 60):
    """Until stage `position` waits for a person (all earlier stages succeeded)."""

    def check():
        stage = RolloutStage.objects.get(rollout=rollout, position=position)
        earlier_done = (
            not RolloutStage.objects.filter(rollout=rollout, position__lt=position)
            .exclude(status__in=(StageStatus.SUCCEEDED, StageStatus.SKIPPED))
            .exists()
        )
        return earlier_done and stage.status == StageStatus.PENDING and stage.approved_at is None

    wait_for(check, timeout=timeout, describe=lambda: describe_rollout(rollout, engine))
    assert Rollout.objects.get(pk=rollout.pk).status == RolloutStatus.RUNNING


def deploy_calls(sim, since: int = 0) -> list[dict]:
    return [c for c in sim.calls(since) if c["path"].endswith("/deploy_update")]


def rollout_updates_per_device(
    sim, rollout: Rollout | int, *, project: str = "Demo"
) -> dict[str, int]:
    """How many updates of this rollout (a row or its id) each device of `project` received,
    from the simulator."""
    marker = f"[rollout {getattr(rollout, 'pk', rollout)} "
    client = UpswiftClient(sim.base_url, sim.token)
    return {
        d["device_uuid"]: sum(marker in (u.get("comment") or "") for u in d["updates"])
        for d in client.iter_devices_details(project_name=project)
        if not device_row_problem(d)  # malformed rows a test added: never deployed to
    }


def assert_every_device_once(engine, rollout: Rollout) -> dict[str, int]:
    """From the simulator: every (well-formed) Demo device got this rollout's update exactly
    once. Returns the per-device counts."""
    per_device = rollout_updates_per_device(engine.sim, rollout)
    twice = {uuid: n for uuid, n in per_device.items() if n != 1}
    assert not twice, f"devices without exactly one update: {twice}\n" + describe_rollout(
        rollout, engine
    )
    return per_device


def auto_stages() -> list[dict]:
    """Canary, two groups, all: every Demo device once, no approvals needed."""
    return [{**s, **AUTO} for s in CANARY_GROUPS_ALL]


def sim_deploys(engine, status: int | None = 200) -> list[dict]:
    return [c for c in deploy_calls(engine.sim) if c["status"] == status]
