"""Which stage a rollout waits on, and who may approve it."""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from rollouts.models import DONE_STAGE_STATUSES, Rollout, RolloutStage, RolloutStatus, StageStatus

APPROVE_PERMISSION = ("rollouts", "approve_rollout")


def stages_waiting() -> QuerySet[RolloutStage]:
    """The stages a person must approve now: the query form of the lifecycle's "approval of
    stage k" (tests/selectors/test_approvals.py holds the two to the same answer)."""
    earlier_open = RolloutStage.objects.filter(
        rollout=OuterRef("rollout"), position__lt=OuterRef("position")
    ).exclude(status__in=DONE_STAGE_STATUSES)
    return RolloutStage.objects.filter(
        rollout__status=RolloutStatus.RUNNING,
        status=StageStatus.PENDING,
        approval_required=True,
        approved_at__isnull=True,
    ).filter(~Exists(earlier_open))


def stages_awaiting_approval() -> QuerySet[RolloutStage]:
    """Every stage waiting for a person, oldest rollout first, with the stage before it."""
    previous = RolloutStage.objects.filter(
        rollout=OuterRef("rollout"), position=OuterRef("position") - 1
    )
    return (
        stages_waiting()
        .select_related("rollout", "rollout__plan", "rollout__started_by")
        .annotate(
            previous_success=Subquery(previous.values("count_success")[:1]),
            previous_total=Subquery(previous.values("devices_total")[:1]),
            previous_name=Subquery(previous.values("name")[:1]),
        )
        .order_by("rollout__started_at", "rollout_id")
    )


def approvers_list() -> list:
    """Active users who may approve stages: superusers and holders of approve_rollout."""
    app_label, codename = APPROVE_PERMISSION
    through_group = Q(
        groups__permissions__content_type__app_label=app_label,
        groups__permissions__codename=codename,
    )
    direct = Q(
        user_permissions__content_type__app_label=app_label,
        user_permissions__codename=codename,
    )
    return list(
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | through_group | direct)
        .distinct()
        .order_by("username")
    )


def approvers_for(*, rollout: Rollout, approvers: list) -> list:
    """Those of `approvers` allowed to approve this rollout (separation of duties)."""
    if rollout.require_different_approver:
        return [u for u in approvers if u.pk != rollout.started_by_id]
    return list(approvers)
