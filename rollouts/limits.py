"""Field limits and checks shared by the console's forms and the REST API's serializers, so a
value the page accepts is one the API accepts, and the other way round."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from rollouts.models import Rollout

# Identifiers sent to the Upswift API (flow id, app name and version; a plan's project, tags,
# groups and filters): printable text.
printable = RegexValidator(r"^[^\x00-\x1f\x7f]*$", "Control characters are not allowed.")


def unprintable(values: dict[str, object]) -> dict[str, list[str]]:
    """`printable`'s errors for each named value (a string, or a list of strings)."""
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        for text in value if isinstance(value, list) else [value]:
            try:
                printable(str(text))
            except ValidationError as exc:
                errors[name] = exc.messages
                break
    return errors


RELEASE_FIELD_MAX = 100
# The rollout's comment goes out with every deploy call, after the rollout's marker.
COMMENT_MAX = Rollout._meta.get_field("comment").max_length
# A person's reason or comment on an action (approve, pause, resume, abort, ...).
REASON_MAX = 1000
# A plan's description.
TEXT_MAX = 2000
MAX_STAGES = 50
MAX_GROUPS = 200
