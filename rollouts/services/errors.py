"""The one error type the services raise when a person's action cannot be carried out."""

from rollouts.services.events import TransitionConflict


class ActionRefused(TransitionConflict):
    """The action is not possible now (`code` "conflict": 409), not for this person
    ("permission_denied": 403), or its input is wrong ("invalid": 400, about `field`). The
    message is a sentence a person can act on."""

    def __init__(self, message: str, *, code: str = "conflict", field: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.field = field
