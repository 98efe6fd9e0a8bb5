"""`recon replay quarantine|orders|remap`: dry run by default; `--execute --reason TEXT` to carry it out."""

from __future__ import annotations

import argparse
import getpass
import json
from pathlib import Path

from dagster_project.home import Home
from dagster_project.replay import ReplayRequest, dry_run, execute
from dagster_project.replay.render import render_dry_run, render_outcome


def cmd_replay(args: argparse.Namespace) -> int:
    home = Home.resolve(args.home)
    request = ReplayRequest(
        args.kind,
        systems=tuple(getattr(args, "system", None) or ()),
        files=tuple(getattr(args, "file", None) or ()),
        orders=tuple(getattr(args, "order", None) or ()),
    )
    landing = Path(args.landing).expanduser().resolve() if getattr(args, "landing", None) else None
    if not args.execute:
        plan = dry_run(home, request, landing=landing)
        print(json.dumps(plan.summary(), indent=2, default=str) if args.json else render_dry_run(plan))
        if not args.json:
            print(f"\nTo carry it out: recon replay {args.kind} ... --execute --reason TEXT")
        return 0
    outcome = execute(home, request, operator=args.operator or getpass.getuser(), reason=args.reason, landing=landing)
    if args.json:
        print(
            json.dumps(
                {
                    "replay_id": outcome.replay_id,
                    "status": outcome.status,
                    "no_op": outcome.no_op,
                    "verification": outcome.verification,
                    "exceptions": outcome.exceptions,
                },
                indent=2,
                default=str,
            )
        )
    else:
        print(render_outcome(outcome))
    return 0 if outcome.status == "verified" else 1


def _configure(kind: str):
    def configure(parser: argparse.ArgumentParser) -> None:
        parser.set_defaults(kind=kind)
        if kind == "quarantine":
            parser.add_argument("--system", action="append", help="only this system's quarantine (repeat)")
            parser.add_argument("--file", action="append", help="only this quarantined file: sha256 or path (repeat)")
            parser.add_argument(
                "--landing", help="the landing zone, where quarantined CSV rows find their file's header row"
            )
        if kind == "orders":
            parser.add_argument("--order", action="append", required=True, help="an order to resync (repeat)")
            parser.add_argument("--landing", required=True, help="the landing zone to re-read")
        parser.add_argument("--execute", action="store_true", help="carry it out (default: dry run only)")
        parser.add_argument("--reason", help="why (required with --execute; kept in the audit trail)")
        parser.add_argument("--operator", help="who executes (default: your login name); see replay.operators")
        parser.add_argument("--json", action="store_true", help="print JSON")

    return configure


GROUPS = [
    (
        "replay",
        "controlled replays: dry run by default, --execute --reason TEXT to carry out",
        [
            (
                "quarantine",
                "re-ingest quarantined rows and files (corrected copies beside them)",
                _configure("quarantine"),
                cmd_replay,
            ),
            (
                "orders",
                "re-read the given orders' events from the landing zone and rebuild",
                _configure("orders"),
                cmd_replay,
            ),
            ("remap", "rebuild after a status_map change in recon.yaml", _configure("remap"), cmd_replay),
        ],
    )
]
