"""Command line: ``python -m upswift_simulator --port 8765 --devices 1000 --seed 7``.

Prints one line, ``Upswift simulator on http://HOST:PORT/v1 token=TOKEN devices=N seed=S``,
once it listens (``--port 0`` picks a free port; tests parse this line).
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
from types import FrameType

from . import API_PREFIX, DEFAULT_TOKEN
from .server import make_server
from .simclock import parse_start_time
from .state import SimulatorOptions


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError("must be a number of seconds >= 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m upswift_simulator",
        description="A fake Upswift v1 REST API with a living device fleet (dev/test tool).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--devices", type=int, default=1000, help="fleet size (default 1000)")
    parser.add_argument("--seed", type=int, default=7, help="fleet and outcome seed (default 7)")
    parser.add_argument(
        "--speedup",
        type=_non_negative,
        default=60.0,
        help="simulated seconds per real second (default 60: a minute per second; "
        "0 freezes time except for POST /_sim/advance)",
    )
    parser.add_argument(
        "--failure-rate", type=_share, default=0.02, help="share of updates that fail (0.02)"
    )
    parser.add_argument(
        "--offline-share", type=_share, default=0.1, help="share of devices offline at start"
    )
    parser.add_argument(
        "--churn",
        type=_share,
        default=0.0,
        help="per simulated minute probability that an online device drops offline "
        "(offline ones return so the offline share holds); 0 = none",
    )
    parser.add_argument(
        "--rate-limit", type=int, default=0, help="API calls per minute per token; 0 = none"
    )
    parser.add_argument(
        "--token",
        action="append",
        dest="tokens",
        help=f"accepted user token (repeatable; default {DEFAULT_TOKEN})",
    )
    parser.add_argument(
        "--start-time",
        default=None,
        help="simulated start instant, ISO UTC (default: now); fix it for identical runs",
    )
    parser.add_argument(
        "--deploy-visible-after",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="every deploy_update carried out shows on its devices only this many REAL "
        "seconds later (read-backs meanwhile do not see it); default 0 = at once",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser


def options_from_args(args: argparse.Namespace) -> SimulatorOptions:
    return SimulatorOptions(
        devices=args.devices,
        seed=args.seed,
        speedup=args.speedup,
        failure_rate=args.failure_rate,
        offline_share=args.offline_share,
        churn=args.churn,
        rate_limit=max(args.rate_limit, 0),
        tokens=args.tokens or [DEFAULT_TOKEN],
        start_time=parse_start_time(args.start_time),
        deploy_visible_after=args.deploy_visible_after,
        freeze_gc=True,
    )


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.devices < 1:
        build_parser().error("--devices must be at least 1")
    options = options_from_args(args)
    server = make_server(options, args.host, args.port, verbose=args.verbose)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    server.simulator.start_ticker()
    host = server.server_address[0]
    print(
        f"Upswift simulator on http://{host}:{server.port}{API_PREFIX} "
        f"token={','.join(options.tokens)} devices={options.devices} seed={options.seed}",
        flush=True,
    )
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.simulator.stop_ticker()
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
