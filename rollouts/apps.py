from django.apps import AppConfig


class RolloutsConfig(AppConfig):
    name = "rollouts"
    verbose_name = "Rollouts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from rollouts import sso  # noqa: F401  (registers the single sign-on settings check)
        from rollouts.services.timezones import zone_remember

        user_logged_in.connect(zone_remember, dispatch_uid="rollouts.zone_remember")
