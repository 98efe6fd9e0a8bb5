"""`recon simulate`: write a landing zone with injected faults and its ground truth."""

from __future__ import annotations

import argparse
from pathlib import Path

from dagster_project.errors import ReconError


def cmd_simulate(args: argparse.Namespace) -> int:
    from dagster_project.simulator import simulate

    try:
        result = simulate(args.orders, args.seed, Path(args.out), as_of=args.as_of, progress=print)
    except (FileExistsError, ValueError) as exc:
        raise ReconError(f"recon simulate: {exc}") from None
    print(
        f"Wrote {result.events_written:,} events for {result.orders:,} orders in {result.files_written:,} "
        f"files to {result.landing} (as of {result.as_of.isoformat()}); ground truth: {result.labels_path}"
    )
    return 0


def add_simulation_options(parser: argparse.ArgumentParser, as_of_default, as_of_help: str) -> None:
    """The options `recon simulate` and `recon demo` share."""
    from dagster_project.cli import parse_as_of

    parser.add_argument("--orders", type=int, default=3000, help="orders to simulate (default 3000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42): same seed, same files")
    parser.add_argument("--as-of", type=parse_as_of, default=as_of_default, help=f"simulated 'now', {as_of_help}")


def configure_simulate(parser: argparse.ArgumentParser) -> None:
    add_simulation_options(parser, None, "ISO 8601 (default: the current hour)")
    parser.add_argument("--out", required=True, help="output folder: landing/ and ground truth inside")


COMMANDS = [
    ("simulate", "write a simulated landing zone with injected faults", configure_simulate, cmd_simulate),
]
