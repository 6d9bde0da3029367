"""A person's own settings for the console's pages (one row, made when they first choose)."""

from django.conf import settings
from django.db import models


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="console_profile"
    )
    # An IANA name (zoneinfo); empty: the browser's zone (its `tz` cookie), else TIME_ZONE.
    timezone = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.timezone or 'browser time zone'})"
