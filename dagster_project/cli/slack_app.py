"""`recon slack-app`: serve the Slack buttons (Acknowledge, Assign to me, Resolve, Replay) against the home's store."""

from __future__ import annotations

import argparse
import os
import signal

from dagster_project.home import Home


class _Terminated(BaseException):
    """SIGTERM: stop serving like Ctrl-C, finishing the clicks in flight, and exit 0. A BaseException, like
    KeyboardInterrupt, so nothing on the way (logging, say) swallows it."""


def _terminate(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: a second SIGTERM must not cut the clean-up short
    raise _Terminated


def port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535; 0 picks a free port)")
    return port


def cmd_slack_app(args: argparse.Namespace) -> int:
    from dagster_project.slack_app import Mode, build_app, choose_mode, serve_http, serve_socket_mode

    settings = choose_mode(os.environ)
    app = build_app(Home.resolve(args.home), settings)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        if settings.mode is Mode.SOCKET:
            serve_socket_mode(app)
        else:
            serve_http(app, args.host, args.port)
    except _Terminated:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        app.close()
    return 0


def configure_slack_app(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="HTTP mode: the address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)",
    )
    parser.add_argument(
        "--port", type=port_number, default=3000, help="HTTP mode: the port (default 3000; 0 picks a free one)"
    )


COMMANDS = [
    (
        "slack-app",
        "serve the Slack buttons: Socket Mode with SLACK_APP_TOKEN, else HTTP at /slack/events",
        configure_slack_app,
        cmd_slack_app,
    ),
]
