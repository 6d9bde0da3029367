"""gunicorn's settings, read from the working directory (the checkout; /app in the image).

gunicorn 25+ opens a control socket for `gunicornc`, by default $XDG_RUNTIME_DIR/gunicorn.ctl
or ~/.gunicorn/gunicorn.ctl: one path per user, so two consoles run by one user on one host
would take each other's. Each console keeps its own in its var/ folder instead
(GUNICORN_CONTROL_SOCKET overrides the path).
"""

import os
from pathlib import Path

control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or str(
    Path(__file__).resolve().parent / "var" / "gunicorn.ctl"
)
