from django.urls import path

from rollouts.views import (
    actions,
    dashboard,
    fleet,
    history,
    holds,
    metrics,
    notifications,
    plans,
    rollouts,
    stage_edits,
)

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("healthz", dashboard.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("plans/", plans.plan_list, name="plan_list"),
    path("plans/new/", plans.plan_create, name="plan_create"),
    path("plans/<int:pk>/edit/", plans.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/clone/", plans.plan_clone, name="plan_clone"),
    path("kill-switch/", holds.kill_switch_engage, name="kill_switch_engage"),
    path("kill-switch/release/", holds.kill_switch_release, name="kill_switch_release"),
    path("freezes/", holds.freeze_list, name="freeze_list"),
    path("freezes/new/", holds.freeze_create, name="freeze_create"),
    path("freezes/<int:pk>/delete/", holds.freeze_delete, name="freeze_delete"),
    path("fleet/", fleet.fleet_list, name="fleet_list"),
    path("fleet/refresh/", fleet.fleet_refresh, name="fleet_refresh"),
    path("fleet/<str:project>/<str:uuid>/", fleet.fleet_device, name="fleet_device"),
    path("history/", history.history, name="history"),
    path("history.csv", history.history_csv, name="history_csv"),
    path("history/events.csv", history.events_csv, name="events_csv"),
    path("rollouts/new/", rollouts.rollout_new, name="rollout_new"),
    path("rollouts/preview/", rollouts.rollout_preview, name="rollout_preview"),
    path("rollouts/<int:pk>/", rollouts.rollout_detail, name="rollout_detail"),
    path("rollouts/<int:pk>/live/", rollouts.rollout_live, name="rollout_live"),
    path("rollouts/<int:pk>/calls/", rollouts.rollout_calls, name="rollout_calls"),
    path(
        "rollouts/<int:pk>/stages/<int:position>/devices/",
        rollouts.stage_devices,
        name="stage_devices",
    ),
    path("rollouts/<int:pk>/approve/", actions.rollout_approve, name="rollout_approve"),
    path("rollouts/<int:pk>/pause/", actions.rollout_pause, name="rollout_pause"),
    path("rollouts/<int:pk>/resume/", actions.rollout_resume, name="rollout_resume"),
    path("rollouts/<int:pk>/abort/", actions.rollout_abort, name="rollout_abort"),
    path(
        "rollouts/<int:pk>/accept-shortfall/",
        actions.rollout_accept_shortfall,
        name="rollout_accept_shortfall",
    ),
    path("rollouts/<int:pk>/send-again/", actions.rollout_send_again, name="rollout_send_again"),
    path(
        "rollouts/<int:pk>/confirm-sent/", actions.rollout_confirm_sent, name="rollout_confirm_sent"
    ),
    path(
        "rollouts/<int:pk>/freeze-override/",
        holds.rollout_freeze_override,
        name="rollout_freeze_override",
    ),
    path("rollouts/<int:pk>/stages/<int:position>/retry/", actions.stage_retry, name="stage_retry"),
    path(
        "rollouts/<int:pk>/stages/<int:position>/edit/", stage_edits.stage_edit, name="stage_edit"
    ),
    path("notifications/", notifications.channel_list, name="notification_channels"),
    path("notifications/new/", notifications.channel_create, name="notification_channel_new"),
    path(
        "notifications/<int:pk>/edit/",
        notifications.channel_edit,
        name="notification_channel_edit",
    ),
    path(
        "notifications/<int:pk>/delete/",
        notifications.channel_delete,
        name="notification_channel_delete",
    ),
    path(
        "notifications/<int:pk>/test/",
        notifications.channel_test,
        name="notification_channel_test",
    ),
    path(
        "notifications/<int:pk>/rotate-secret/",
        notifications.channel_rotate_secret,
        name="notification_channel_rotate",
    ),
    path(
        "notifications/<int:pk>/deliveries/",
        notifications.channel_deliveries,
        name="notification_deliveries",
    ),
]
