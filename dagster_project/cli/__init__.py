"""The `recon` command line (INTERFACES.md)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import UTC, datetime

from dagster_project.errors import ReconError


def parse_as_of(text: str) -> datetime:
    """ISO 8601; a value without an offset is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time, e.g. 2026-03-01T00:00:00Z") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _home_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--home", default=None, help="recon home: warehouse, store, config (default $RECON_HOME, else ./.recon)"
    )


def build_parser() -> argparse.ArgumentParser:
    from dagster_project.cli import demo, divergences, exceptions, replay, report, run, simulate, slack_app, ui

    parser = argparse.ArgumentParser(prog="recon", description="Cross-system order reconciliation.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (demo, simulate, run, divergences, slack_app, ui, report):
        for name, help_text, configure, handler in module.COMMANDS:
            sub = commands.add_parser(name, help=help_text, description=help_text)
            _home_option(sub)
            configure(sub)
            sub.set_defaults(handler=handler)
    for group, help_text, subcommands in [*exceptions.GROUPS, *replay.GROUPS]:
        group_parser = commands.add_parser(group, help=help_text, description=help_text)
        actions = group_parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        for name, action_help, configure, handler in subcommands:
            sub = actions.add_parser(name, help=action_help, description=action_help)
            _home_option(sub)
            configure(sub)
            sub.set_defaults(handler=handler)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Progress and warnings of recon's own go to stderr; libraries keep their own (quieter) defaults.
    log = logging.getLogger("recon")
    log.setLevel(logging.INFO)
    log.addHandler(logging.StreamHandler(sys.stderr))
    try:
        return args.handler(args) or 0
    except ReconError as exc:
        print(f"recon: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("recon: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("RECON_DEBUG"):
            raise
        print(
            f"recon: internal error: {type(exc).__name__}: {exc}\n"
            "Re-run with RECON_DEBUG=1 for the traceback and report it.",
            file=sys.stderr,
        )
        return 1
