"""The REST API's framework settings (DRF and drf-spectacular), apart from settings.py so that
file stays readable; settings.py reads the environment and passes the values in."""


def rest_framework(*, token_rate: str, address_rate: str) -> dict:
    """/api/v1/: personal bearer tokens, JSON only, throttled per token and per address."""
    return {
        "DEFAULT_AUTHENTICATION_CLASSES": ["rollouts.api.authentication.BearerTokenAuthentication"],
        "DEFAULT_PERMISSION_CLASSES": ["rollouts.api.permissions.ActionPermissions"],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "DEFAULT_PARSER_CLASSES": ["rollouts.api.parsers.JSONParser"],
        "DEFAULT_METADATA_CLASS": "rollouts.api.metadata.AllowMetadata",  # OPTIONS: what Allow says
        # Per bearer token and per client address (rollouts/api/throttles.py): 429 + Retry-After.
        # The address is the one sign-in throttling counts (TRUSTED_PROXIES).
        "DEFAULT_THROTTLE_CLASSES": [
            "rollouts.api.throttles.AddressRateThrottle",
            "rollouts.api.throttles.TokenRateThrottle",
        ],
        "DEFAULT_THROTTLE_RATES": {
            "token": token_rate,
            "address": address_rate,
        },
        "DEFAULT_PAGINATION_CLASS": "rollouts.api.pagination.PageNumberPagination",
        "PAGE_SIZE": 50,
        "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
        "EXCEPTION_HANDLER": "rollouts.api.errors.api_exception_handler",
    }


def spectacular(*, site_url: str) -> dict:
    """The OpenAPI schema and its docs pages (Swagger UI, Redoc)."""
    return {
        "TITLE": "Upswift Console API",
        "DESCRIPTION": "Staged rollouts for CI/CD pipelines. Authenticate with "
        "`Authorization: Bearer <token>`; create a token at /account/tokens/.",
        "VERSION": "1",
        "SERVE_INCLUDE_SCHEMA": False,
        "SCHEMA_PATH_PREFIX": "/api/v1",
        "COMPONENT_SPLIT_REQUEST": True,
        "SERVERS": [{"url": site_url, "description": "This console"}],
        "CONTACT": {"name": "The console's administrators", "url": f"{site_url}/"},
        "TAGS": [
            {
                "name": "plans",
                "description": "Ordered stages with their gates, to start rollouts of.",
            },
            {"name": "rollouts", "description": "Start, follow and steer rollouts; their history."},
            {"name": "freeze-windows", "description": "Times when no stage starts (admins write)."},
            {"name": "kill-switch", "description": "Pause every rollout at once (admins)."},
            {"name": "fleet", "description": "The devices the console last read from Upswift."},
            {"name": "notifications", "description": "Where rollout events are sent (admins)."},
        ],
        # Response headers, conditional requests and the errors every operation may answer
        # (rollouts/api/schema.py), after drf-spectacular's own enum hook.
        "POSTPROCESSING_HOOKS": [
            "drf_spectacular.hooks.postprocess_schema_enums",
            "rollouts.api.schema.document_conventions",
        ],
        "ENUM_NAME_OVERRIDES": {
            "RolloutStatusEnum": "rollouts.models.RolloutStatus",
            "StageStatusEnum": "rollouts.models.StageStatus",
            "EventKindEnum": "rollouts.models.EventKind",
            "CallKindEnum": "rollouts.models.CallKind",
            "WaitingKindEnum": "rollouts.engine.lifecycle.Awaiting",
            "PauseCauseEnum": "rollouts.models.PauseCause",
            "ActionEnum": "rollouts.engine.lifecycle.Action",
            "ChannelKindEnum": "rollouts.models.ChannelKind",
            "NotifyKindEnum": "rollouts.models.NotifyKind",
            "DeliveryStateEnum": "rollouts.models.DeliveryState",
        },
        # Swagger UI and Redoc from the drf-spectacular-sidecar package: no CDN at run time.
        "SWAGGER_UI_DIST": "SIDECAR",
        # No deep links: they put a link inside each operation's toggle button (nested-interactive).
        "SWAGGER_UI_SETTINGS": {"deepLinking": False},
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
    }
