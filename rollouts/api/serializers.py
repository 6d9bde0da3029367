"""What goes in and out of the API. Serializers check types and sizes; the rules of plans and
rollouts stay in the services (their errors come back as 400s naming the field)."""

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rollouts.api.stage_serializers import (
    RolloutOutcomeMixin,
    StageCountsSerializer,
    StageRecordMixin,
)
from rollouts.engine.lifecycle import Action, Awaiting, allowed_actions, rollout_waiting
from rollouts.limits import (
    COMMENT_MAX,
    MAX_GROUPS,
    MAX_STAGES,
    REASON_MAX,
    RELEASE_FIELD_MAX,
    TEXT_MAX,
    printable,
)
from rollouts.models import (
    PauseCause,
    Plan,
    PlanStage,
    Rollout,
    RolloutStage,
    RolloutStatus,
    StageSpec,
)
from rollouts.services.plans import MAX_DEADLINE_MINUTES, MAX_SOAK_MINUTES, MIN_DEADLINE_MINUTES
from upswift import DevicesFilter, InvalidRequest, deploy_update_request, redact


class ScrubbedMixin:
    """Text that came from the Upswift API (errors, requests, reasons) is stored redacted;
    redacting the output again keeps the user token out even of an old or odd row."""

    def to_representation(self, instance):
        return redact(super().to_representation(instance), settings.UPSWIFT_USER_TOKEN or None)


@extend_schema_field({"type": "object", "additionalProperties": True})
class JSONObjectField(serializers.JSONField):
    """A JSON object (an event's details, a call's request)."""


def _username(field: str) -> serializers.CharField:
    return serializers.CharField(source=f"{field}.username", read_only=True, allow_null=True)


# --- Plans


class PlanStageSerializer(serializers.ModelSerializer):
    """A stage of a plan. `target` is `tag` (with `tag`), `groups` (with `groups`) or `all`."""

    groups = serializers.ListField(
        child=serializers.CharField(max_length=100),
        max_length=MAX_GROUPS,
        required=False,
        help_text="Group names, for a `groups` stage.",
    )
    soak_minutes = serializers.IntegerField(min_value=0, max_value=MAX_SOAK_MINUTES, required=False)
    deadline_minutes = serializers.IntegerField(
        min_value=MIN_DEADLINE_MINUTES,
        max_value=MAX_DEADLINE_MINUTES,
        required=False,
        help_text="If the success threshold is not met this long after the stage's deploy, "
        "the rollout pauses and asks a person.",
    )

    class Meta:
        model = PlanStage
        fields = ("position", *StageSpec.SPEC_FIELDS)
        read_only_fields = ("position",)


class PlanSerializer(serializers.ModelSerializer):
    stages = PlanStageSerializer(many=True, max_length=MAX_STAGES)
    description = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    created_by = _username("created_by")

    class Meta:
        model = Plan
        fields = (
            "id",
            "name",
            "project",
            "description",
            "require_different_approver",
            "stages",
            "created_by",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "created_by", "created_at", "updated_at")


class PlanFilterSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=120, required=False, allow_blank=True, help_text="Exact plan name."
    )


# --- Rollouts


class RolloutStageSerializer(ScrubbedMixin, StageRecordMixin, serializers.ModelSerializer):
    groups = serializers.ListField(child=serializers.CharField(), read_only=True)
    approved_by = _username("approved_by")
    counts = StageCountsSerializer(read_only=True)

    class Meta:
        model = RolloutStage
        fields = (
            "position",
            *StageSpec.SPEC_FIELDS,
            "status",
            "approved_by",
            "approved_at",
            "approval_comment",
            "started_at",
            "threshold_met_at",
            "finished_at",
            "devices_total",
            "counts",
            "last_error",
            "display_status",
            "passes",
        )
        read_only_fields = fields


class WaitingSerializer(serializers.Serializer):
    """What the rollout waits for now (docs/api.md: the kinds, the causes, what to do)."""

    kind = serializers.ChoiceField(choices=Awaiting.choices)
    stage = serializers.IntegerField(
        allow_null=True, help_text="Position of the stage it waits on; null when none."
    )
    until = serializers.DateTimeField(
        allow_null=True,
        help_text="`devices`: the stage's deadline; `soak`: the end of the soak; `schedule`: "
        "the start time. Else null.",
    )
    cause = serializers.ChoiceField(
        choices=PauseCause.choices,
        allow_blank=True,
        help_text="Why a person is needed (kind `person`); else empty.",
    )
    sentence = serializers.CharField(
        allow_blank=True, help_text="In words; for a paused rollout, its `status_reason`."
    )


def rollout_stages(rollout: Rollout) -> list[RolloutStage]:
    """The prefetched stages in position order."""
    return sorted(rollout.stages.all(), key=lambda s: s.position)


def open_stage(rollout: Rollout) -> RolloutStage | None:
    """The first stage not yet closed (from the prefetched stages)."""
    return next((s for s in rollout_stages(rollout) if not s.is_closed), None)


class RolloutSerializer(ScrubbedMixin, RolloutOutcomeMixin, serializers.ModelSerializer):
    """`waiting` and `actions` come from rollouts/engine/lifecycle.py; `actions` are those
    of the user of the request in the serializer's context (none without one)."""

    plan_name = serializers.CharField(source="plan.name", read_only=True)
    created_by = _username("created_by")
    started_by = _username("started_by")
    stage_count = serializers.SerializerMethodField()
    current_stage = serializers.SerializerMethodField()
    awaiting_approval = serializers.SerializerMethodField()
    waiting = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta:
        model = Rollout
        fields = (
            "id",
            "plan",
            "plan_name",
            "project",
            "flow_id",
            "app_name",
            "app_version",
            "comment",
            "status",
            "outcome",
            "status_reason",
            "last_error",
            "require_different_approver",
            "scheduled_at",
            "created_by",
            "started_by",
            "created_at",
            "started_at",
            "finished_at",
            "stage_count",
            "current_stage",
            "awaiting_approval",
            "waiting",
            "actions",
        )
        read_only_fields = fields

    def get_stage_count(self, rollout: Rollout) -> int:
        return len(rollout.stages.all())

    @extend_schema_field(
        {
            "type": "integer",
            "nullable": True,
            "description": "Position of the first stage not closed yet; null when none is.",
        }
    )
    def get_current_stage(self, rollout: Rollout):
        """Position of the first stage not closed yet; null when none is open."""
        stage = open_stage(rollout)
        return stage.position if stage else None

    def to_representation(self, rollout: Rollout):
        # Asked once per rollout: `waiting` and `awaiting_approval` both answer from it (it may
        # query the freeze windows and the kill switch).
        self._waiting = rollout_waiting(rollout=rollout, stages=rollout_stages(rollout)).to_json()
        return super().to_representation(rollout)

    def get_awaiting_approval(self, rollout: Rollout) -> bool:
        """True while the rollout waits for the approval of a stage (`waiting.kind`)."""
        return self._waiting["kind"] == Awaiting.APPROVAL

    @extend_schema_field(WaitingSerializer)
    def get_waiting(self, rollout: Rollout) -> dict:
        return self._waiting

    @extend_schema_field(
        serializers.ListField(
            child=serializers.ChoiceField(choices=Action.choices),
            help_text="The actions the token's user may take now, sorted by name.",
        )
    )
    def get_actions(self, rollout: Rollout) -> list[str]:
        request = self.context.get("request")
        if request is None:  # no user to ask for: user=None would mean the engine's own
            return []
        stages = rollout_stages(rollout)
        actions = allowed_actions(rollout=rollout, stages=stages, user=request.user)
        return sorted(str(action) for action in actions)


class RolloutDetailSerializer(RolloutSerializer):
    stages = RolloutStageSerializer(many=True, read_only=True)

    class Meta(RolloutSerializer.Meta):
        fields = (*RolloutSerializer.Meta.fields, "stages")
        read_only_fields = fields


# Where the Upswift request builder's field names land in this API.
_BUILDER_FIELDS = {
    "flow_id": "flow_id",
    "metadata.app.name": "app_name",
    "metadata.app.version": "app_version",
    "metadata.comment": "comment",
}


class RolloutCreateSerializer(serializers.Serializer):
    plan = serializers.IntegerField(min_value=1, help_text="Plan id.")
    flow_id = serializers.CharField(max_length=RELEASE_FIELD_MAX, validators=[printable])
    app_name = serializers.CharField(max_length=RELEASE_FIELD_MAX, validators=[printable])
    app_version = serializers.CharField(max_length=RELEASE_FIELD_MAX, validators=[printable])
    comment = serializers.CharField(
        max_length=COMMENT_MAX, required=False, allow_blank=True, default=""
    )
    start = serializers.BooleanField(
        default=False, help_text="Start at once (or at `scheduled_at`); else a draft."
    )
    scheduled_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="With `start`: start then."
    )
    overlap_reason = serializers.CharField(
        max_length=REASON_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text="A release manager starting it although another active rollout targets some "
        "of the same devices (else 409 naming that rollout): why. Kept as an event.",
    )

    def validate_plan(self, pk: int) -> Plan:
        plan = Plan.objects.filter(pk=pk).first()
        if plan is None:
            raise serializers.ValidationError(f"No plan {pk}.")
        return plan

    def validate(self, attrs: dict) -> dict:
        if attrs["scheduled_at"] and not attrs["start"]:
            raise serializers.ValidationError(
                {"scheduled_at": ['Give "start": true to schedule the rollout.']}
            )
        try:  # The same checks the engine's deploy calls will pass through.
            deploy_update_request(
                flow_id=attrs["flow_id"],
                devices_filter=DevicesFilter(project=attrs["plan"].project),
                comment=attrs["comment"],
                app_name=attrs["app_name"],
                app_version=attrs["app_version"],
            )
        except InvalidRequest as exc:
            field = _BUILDER_FIELDS.get(exc.field, "non_field_errors")
            raise serializers.ValidationError({field: [exc.message]}) from exc
        return attrs


class RolloutFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=RolloutStatus.choices, required=False, allow_blank=True
    )
    plan = serializers.IntegerField(min_value=1, required=False, help_text="Plan id.")
    app_version = serializers.CharField(max_length=100, required=False, allow_blank=True)
    created_by = serializers.CharField(
        max_length=150, required=False, allow_blank=True, help_text="Username."
    )


# --- History


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()


class ValidationErrorSerializer(ErrorSerializer):
    field = serializers.CharField(help_text="The first field at fault, e.g. `stages.2.tag`.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages by field; list items are numbered from 1.",
    )
