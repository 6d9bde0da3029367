"""/api/v1/ — included from upswift_console/urls.py."""

from django.urls import path, re_path

from rollouts.api import (
    actions,
    approvals,
    audit,
    docs,
    fleet,
    holds,
    notifications,
    stage_edits,
    views,
)

urlpatterns = [
    path("schema", docs.schema, name="api-schema"),
    path("docs", docs.swagger, name="api-docs"),
    path("redoc", docs.redoc, name="api-redoc"),
    path("plans", views.PlanListView.as_view(), name="api-plans"),
    path("plans/<int:pk>", views.PlanDetailView.as_view(), name="api-plan"),
    path("plans/<int:pk>/preview", fleet.PlanPreviewView.as_view(), name="api-plan-preview"),
    path("fleet/devices", fleet.FleetDevicesView.as_view(), name="api-fleet-devices"),
    path("fleet/refresh", fleet.FleetRefreshView.as_view(), name="api-fleet-refresh"),
    path("rollouts", views.RolloutListView.as_view(), name="api-rollouts"),
    path("rollouts/<int:pk>", views.RolloutDetailView.as_view(), name="api-rollout"),
    path("rollouts/<int:pk>/start", actions.RolloutStartView.as_view(), name="api-rollout-start"),
    path(
        "rollouts/<int:pk>/approval",
        approvals.RolloutApprovalView.as_view(),
        name="api-rollout-approval",
    ),
    path(
        "rollouts/<int:pk>/approve",
        actions.RolloutApproveView.as_view(),
        name="api-rollout-approve",
    ),
    path("rollouts/<int:pk>/pause", actions.RolloutPauseView.as_view(), name="api-rollout-pause"),
    path(
        "rollouts/<int:pk>/resume", actions.RolloutResumeView.as_view(), name="api-rollout-resume"
    ),
    path("rollouts/<int:pk>/abort", actions.RolloutAbortView.as_view(), name="api-rollout-abort"),
    path("rollouts/<int:pk>/retry", actions.RolloutRetryView.as_view(), name="api-rollout-retry"),
    path(
        "rollouts/<int:pk>/accept-shortfall",
        actions.RolloutAcceptShortfallView.as_view(),
        name="api-rollout-accept-shortfall",
    ),
    path(
        "rollouts/<int:pk>/send-again",
        actions.RolloutSendAgainView.as_view(),
        name="api-rollout-send-again",
    ),
    path(
        "rollouts/<int:pk>/confirm-sent",
        actions.RolloutConfirmSentView.as_view(),
        name="api-rollout-confirm-sent",
    ),
    path(
        "rollouts/<int:pk>/stages/<int:position>",
        stage_edits.RolloutStageEditView.as_view(),
        name="api-rollout-stage",
    ),
    path(
        "rollouts/<int:pk>/freeze-override",
        holds.RolloutFreezeOverrideView.as_view(),
        name="api-rollout-freeze-override",
    ),
    path("rollouts/<int:pk>/events", views.RolloutEventsView.as_view(), name="api-rollout-events"),
    path("rollouts/<int:pk>/calls", views.RolloutCallsView.as_view(), name="api-rollout-calls"),
    path("events", audit.EventExportView.as_view(), name="api-events"),
    path(
        "notifications/channels",
        notifications.ChannelListView.as_view(),
        name="api-notification-channels",
    ),
    path(
        "notifications/channels/<int:pk>",
        notifications.ChannelDetailView.as_view(),
        name="api-notification-channel",
    ),
    path(
        "notifications/channels/<int:pk>/test",
        notifications.ChannelTestView.as_view(),
        name="api-notification-channel-test",
    ),
    path(
        "notifications/channels/<int:pk>/rotate-secret",
        notifications.ChannelSecretView.as_view(),
        name="api-notification-channel-rotate-secret",
    ),
    path(
        "notifications/channels/<int:pk>/deliveries",
        notifications.ChannelDeliveriesView.as_view(),
        name="api-notification-channel-deliveries",
    ),
    path("kill-switch", holds.KillSwitchView.as_view(), name="api-kill-switch"),
    path(
        "kill-switch/release",
        holds.KillSwitchReleaseView.as_view(),
        name="api-kill-switch-release",
    ),
    path("freeze-windows", holds.FreezeWindowListView.as_view(), name="api-freeze-windows"),
    path(
        "freeze-windows/<int:pk>",
        holds.FreezeWindowDetailView.as_view(),
        name="api-freeze-window",
    ),
    # Anything else under /api/v1/ (newlines included) is a JSON 404, not the site's HTML one.
    re_path(r"^(?P<path>[\s\S]*)\Z", views.not_found),
]
