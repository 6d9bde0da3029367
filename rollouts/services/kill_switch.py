"""The kill switch: an admin pauses every running rollout at once, and later resumes exactly
the rollouts it paused.

While the switch is on (a KillSwitchUse is engaged), no stage starts and no scheduled rollout
starts (services/freezes.py holds them); a rollout a person resumes meanwhile goes on with
the stage it is in but starts no new one. Releasing it resumes the rollouts paused with cause
kill_switch, and only those: a rollout paused for any other reason stays paused.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from rollouts.engine.pauses import rollout_pause_for
from rollouts.models import KillSwitchUse, PauseCause, Rollout, RolloutStatus
from rollouts.models.notifications import NotifyKind
from rollouts.services.actions import rollout_resume
from rollouts.services.errors import ActionRefused
from rollouts.services.notifications import notify
from rollouts.services.timezones import local_text


def _admin_only(actor, what: str) -> None:
    if not getattr(actor, "is_superuser", False):
        raise ActionRefused(f"Only an admin can {what}.", code="permission_denied")


def kill_switch_engaged() -> KillSwitchUse | None:
    return KillSwitchUse.objects.engaged().select_related("actor").first()


def rollouts_pause_all(*, actor, reason: str) -> KillSwitchUse:
    """Turn the switch on: pause every running rollout with cause kill_switch ("Paused by the
    kill switch: <reason>"), one PAUSED event each with `actor`, and record the use. Refused
    while the switch is already on."""
    _admin_only(actor, "use the kill switch")
    reason = reason.strip()
    if not reason:
        raise ActionRefused("Say why every rollout is paused.", code="invalid", field="reason")
    try:
        with transaction.atomic():
            use = KillSwitchUse.objects.create(actor=actor, reason=reason)
            paused = []
            running = Rollout.objects.filter(status=RolloutStatus.RUNNING).order_by("pk")
            for rollout in running:
                if rollout_pause_for(
                    rollout=rollout,
                    cause=PauseCause.KILL_SWITCH,
                    reason=f"Paused by the kill switch: {reason}",
                    actor=actor,
                    details={"kill_switch": use.pk},
                ):
                    paused.append(rollout.pk)
            use.paused = paused
            use.save(update_fields=["paused"])
            notify(
                kind=NotifyKind.KILL_SWITCH,
                subject=f"Kill switch: {len(paused)} rollouts paused",
                text=(
                    f"{use.actor_label} paused every running rollout ({len(paused)}): {reason}. "
                    "No stage starts until an admin releases the switch (Resume those)."
                ),
                key=f"kill-switch-{use.pk}-on",
            )
    except IntegrityError as exc:  # kill_switch_one_engaged: another admin was first
        raise ActionRefused(_already_on()) from exc
    return use


def _already_on() -> str:
    use = kill_switch_engaged()
    if use is None:
        return "The kill switch was used by someone else at the same moment."
    at = local_text(use.at, "Y-m-d H:i")
    return f"The kill switch is already on: {use.actor_label} used it {at} ({use.reason})."


def rollouts_resume_paused_by_switch(*, actor, reason: str = "") -> KillSwitchUse:
    """Release the switch and resume the rollouts paused with cause kill_switch (each with a
    RESUMED event by `actor`); rollouts paused for other reasons stay paused."""
    _admin_only(actor, "release the kill switch")
    reason = reason.strip()
    with transaction.atomic():
        use = KillSwitchUse.objects.select_for_update().engaged().first()
        if use is None:
            raise ActionRefused("The kill switch is not on.")
        # Locked, so no person resumes or re-pauses one of them while this runs.
        paused = Rollout.objects.select_for_update().filter(
            status=RolloutStatus.PAUSED, pause_cause=PauseCause.KILL_SWITCH
        )
        resumed = []
        for rollout in paused.order_by("pk"):
            rollout_resume(
                rollout=rollout,
                actor=actor,
                reason=reason or "the kill switch was released",
                event_details={"kill_switch": use.pk},
            )
            resumed.append(rollout.pk)
        KillSwitchUse.objects.filter(pk=use.pk).update(
            engaged=False,
            resumed_at=timezone.now(),
            resumed_by=actor,
            resume_reason=reason,
            resumed=resumed,
        )
        notify(
            kind=NotifyKind.KILL_SWITCH,
            subject=f"Kill switch released: {len(resumed)} rollouts resumed",
            text=f"{getattr(actor, 'username', 'An admin')} released the kill switch. {reason}",
            key=f"kill-switch-{use.pk}-off",
        )
    use.refresh_from_db()
    return use
