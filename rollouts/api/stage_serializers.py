"""What the API says of a stage's record and a rollout's outcome (rollouts/api/serializers.py
mixes these in): a stage's counts, its badge as the rollout stands, each pass's own numbers,
and "Completed with 5 failed, 2 not reached"."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rollouts.models import PassKind, Rollout, RolloutStage
from rollouts.selectors.outcome import rollout_outcome, stage_badge
from rollouts.selectors.passes import pass_result


class StageCountsSerializer(serializers.Serializer):
    """Devices of the stage's cohort by the status of this stage's update, at the last
    read-back; `not_reached` are offline devices the update has not reached yet."""

    pending = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    success = serializers.IntegerField()
    failed = serializers.IntegerField()
    aborted = serializers.IntegerField()
    not_reached = serializers.IntegerField()


class StagePassSerializer(serializers.Serializer):
    """One deploy of a stage (number 1) or one retry of its failed devices; a pass's numbers
    are frozen when the next one starts."""

    number = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=PassKind.choices)
    started_at = serializers.DateTimeField()
    started_by = serializers.CharField(allow_null=True, help_text="Who asked for a retry.")
    ended_at = serializers.DateTimeField(
        allow_null=True, help_text="When the next pass started; null for the current one."
    )
    devices = serializers.IntegerField(
        help_text="Devices the pass deployed to: the stage's cohort, or a retry's failed ones."
    )
    succeeded = serializers.IntegerField(help_text="Of those, how many succeeded in this pass.")
    failed = serializers.IntegerField()
    pending = serializers.IntegerField()
    not_reached = serializers.IntegerField()
    summary = serializers.CharField(help_text='"first pass 3/11 succeeded, 8 failed".')


class StageRecordMixin(serializers.Serializer):
    """`display_status` and `passes` of a rollout stage."""

    display_status = serializers.SerializerMethodField(
        help_text="The status as the rollout stands: the open stage of a paused rollout is "
        '"Paused", of an aborted one "Aborted"; `status` is the engine\'s own.'
    )
    passes = serializers.SerializerMethodField()

    def get_display_status(self, stage: RolloutStage) -> str:
        return stage_badge(rollout_status=stage.rollout.status, stage=stage)[1]

    @extend_schema_field(StagePassSerializer(many=True))
    def get_passes(self, stage: RolloutStage) -> list[dict]:
        return [pass_result(p) for p in stage.passes.all()]


class RolloutOutcomeMixin(serializers.Serializer):
    """`outcome` of a rollout."""

    outcome = serializers.SerializerMethodField(
        help_text='The status in words, honest about devices left behind: "Completed with 5 '
        'failed, 2 not reached".'
    )

    def get_outcome(self, rollout: Rollout) -> str:
        return rollout_outcome(rollout=rollout, stages=rollout.stages.all())
