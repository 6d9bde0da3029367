"""A faithful fake of the Upswift v1 REST API with a living device fleet.

Run it with ``python -m upswift_simulator`` (see ``__main__.py`` for the options) or from tests
with :func:`upswift_simulator.testing.running_simulator`. Standard library only.

Module map:
- ``fleet.py``      devices, updates, projects, indexes and seeded fleet generation
- ``filters.py``    validation and evaluation of Upswift ``devices_filter`` objects
- ``lifecycle.py``  update progression over simulated time, churn, failure rates
- ``simclock.py``   the accelerated simulated clock and time formatting
- ``api.py``        the ``/v1`` endpoints
- ``control.py``    the ``/_sim`` control endpoints (not part of Upswift's API)
- ``admin.py``      ``/_sim`` endpoints that reshape the fleet or the token (routed by control)
- ``malformed.py``  devices the read calls return in a malformed shape
- ``server.py``     HTTP server, routing, faults, rate limit and call log wiring
- ``state.py``      the ``Simulator`` object that owns the fleet and its lock
- ``faults.py``, ``ratelimit.py``, ``calls.py``, ``replies.py``, ``rng.py``: small helpers
- ``testing.py``    ``running_simulator()`` for tests (starts a subprocess)
"""

DEFAULT_TOKEN = "sim-demo-token"
API_PREFIX = "/v1"
CONTROL_PREFIX = "/_sim"
