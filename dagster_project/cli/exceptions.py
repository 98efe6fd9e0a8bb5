"""`recon exceptions list|show|ack|assign|resolve|ignore` and `recon audit verify`: the exception queue on the
command line, the same actions as the Slack buttons, each one audited and announced in Slack."""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from dagster_project.cli.render import table
from dagster_project.home import Home
from dagster_project.outbox_delivery import deliver_if_configured
from dagster_project.slack import SlackConfigError
from dagster_project.store import (
    Store,
    acknowledge,
    assign,
    audit_trail,
    ignore,
    list_exceptions,
    open_store,
    resolve,
    show_exception,
    verify_audit,
)
from dagster_project.store.states import STATES

LIST_COLUMNS = (
    ("exception_id", "id"),
    ("state", "state"),
    ("severity", "severity"),
    ("owner_team", "owner"),
    ("rule", "rule"),
    ("classification", "classification"),
    ("open_divergences", "open"),
    ("orders", "orders"),
    ("exposure_amount", "exposure"),
    ("sla_due_at", "sla due"),
    ("assignee", "assignee"),
)


def _store(args: argparse.Namespace) -> tuple[Home, Store]:
    home = Home.resolve(args.home).ensure()
    return home, open_store(home.store_url)


def _actor(args: argparse.Namespace) -> str:
    return f"user:{args.actor or getpass.getuser()}"


def _print(payload, as_json: bool, text: str) -> None:
    print(json.dumps(payload, indent=2) if as_json else text)


def cmd_list(args: argparse.Namespace) -> int:
    _, store = _store(args)
    snapshots = list_exceptions(store, states=args.state or None, owner_team=args.team)
    for snapshot in snapshots:
        snapshot.pop("top_divergences")
    if not snapshots and not args.json:
        print("No exceptions" + (" in that selection." if args.state or args.team else " yet."))
        return 0
    rows = [[s[key] for key, _ in LIST_COLUMNS] for s in snapshots]
    _print(snapshots, args.json, table([label for _, label in LIST_COLUMNS], rows))
    return 0


def render_exception(shown: dict) -> str:
    e = shown["exception"]
    lines = [
        f"Exception {e['exception_id']} · {e['state']} · {e['severity']} · {e['owner_team']} ({e['channel']})",
        f"{e['rule']} ({e['classification']}), cluster {e['cluster_id']}",
        f"Opened {e['opened_at']} (occurrence {e['occurrence']}), SLA due {e['sla_due_at']}, "
        f"escalation step {e['escalation_step']}",
        f"{e['open_divergences']:,} of {e['divergences']:,} divergences open over {e['orders']:,} orders; "
        f"exposure {e['exposure_amount']} {e['currency'] or ''}".rstrip(),
    ]
    if e["assignee"] or e["acknowledged_by"]:
        lines.append(f"Acknowledged by {e['acknowledged_by']}, assigned to {e['assignee'] or 'nobody'}")
    if e["closed_reason"]:
        lines.append(f"Closed: {e['closed_reason']}")
    lines += ["", "Divergences (largest exposure first):"]
    lines.append(
        table(
            ["order", "status", "severity", "exposure", "since", "summary"],
            [
                [d["order_id"], d["status"], d["severity"], d["exposure_amount"], d["divergence_start"], d["summary"]]
                for d in shown["divergences"]
            ],
        )
    )
    lines += ["", "Audit trail:"]
    lines.append(
        table(
            ["audit", "at", "actor", "action", "from", "to", "reason"],
            [
                [a["id"], a["at"], a["actor"], a["action"], a["from_state"], a["to_state"], a["reason"]]
                for a in shown["audit"]
            ],
        )
    )
    return "\n".join(lines)


def cmd_show(args: argparse.Namespace) -> int:
    _, store = _store(args)
    shown = show_exception(store, args.id)
    _print(shown, args.json, render_exception(shown))
    return 0


def _deliver(home: Home, store: Store) -> None:
    """Send the edit the action queued; Slack being down or unconfigured only delays it (it stays queued)."""
    try:
        print(f"Slack: {deliver_if_configured(store, home.config())}.", file=sys.stderr)
    except SlackConfigError as exc:
        print(f"recon: warning: Slack: {exc}", file=sys.stderr)


def _act(args: argparse.Namespace, apply, done: str) -> int:
    home, store = _store(args)
    snapshot = apply(store)
    print(f"Exception {snapshot['exception_id']} {done} ({snapshot['state']}).")
    _deliver(home, store)
    return 0


def cmd_ack(args: argparse.Namespace) -> int:
    return _act(args, lambda store: acknowledge(store, args.id, _actor(args)), "acknowledged")


def cmd_assign(args: argparse.Namespace) -> int:
    return _act(args, lambda store: assign(store, args.id, args.to, _actor(args)), f"assigned to {args.to}")


def cmd_resolve(args: argparse.Namespace) -> int:
    return _act(args, lambda store: resolve(store, args.id, _actor(args), args.reason), "resolved")


def cmd_ignore(args: argparse.Namespace) -> int:
    return _act(args, lambda store: ignore(store, args.id, _actor(args), args.reason), "ignored")


def cmd_audit_verify(args: argparse.Namespace) -> int:
    _, store = _store(args)
    problems = verify_audit(store)
    events = audit_trail(store)
    if problems:
        print(f"Audit trail NOT intact: {len(problems)} problem(s), the first at the first bad event:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    last = f"; last audit {events[-1]['id']}, hash {events[-1]['hash']}" if events else ""
    print(f"Audit trail intact: {len(events):,} events, every hash and link checked{last}.")
    return 0


def _configure(subcommand: str):
    def configure(parser: argparse.ArgumentParser) -> None:
        if subcommand == "list":
            parser.add_argument("--state", action="append", choices=STATES, help="only these states (repeat)")
            parser.add_argument("--team", help="only this owner team")
        else:
            parser.add_argument("id", type=int, help="the exception's id (see `recon exceptions list`)")
        if subcommand in ("list", "show"):
            parser.add_argument("--json", action="store_true", help="print JSON")
        else:
            parser.add_argument("--actor", help="who acts (default: your login name)")
        if subcommand == "assign":
            parser.add_argument("--to", required=True, help="the assignee")
        if subcommand in ("resolve", "ignore"):
            parser.add_argument("--reason", required=True, help="why (kept in the audit trail)")

    return configure


EXCEPTION_COMMANDS = [
    ("list", "the exception queue, oldest first", _configure("list"), cmd_list),
    ("show", "one exception: its divergences and audit trail", _configure("show"), cmd_show),
    ("ack", "acknowledge an open exception (stops its escalation)", _configure("ack"), cmd_ack),
    ("assign", "assign an exception to someone", _configure("assign"), cmd_assign),
    ("resolve", "resolve an exception, with a reason", _configure("resolve"), cmd_resolve),
    ("ignore", "close an exception for good, with a reason", _configure("ignore"), cmd_ignore),
]
AUDIT_COMMANDS = [("verify", "check the audit trail's hash chain", lambda parser: None, cmd_audit_verify)]
GROUPS = [
    ("exceptions", "the exception queue: list, show, ack, assign, resolve, ignore", EXCEPTION_COMMANDS),
    ("audit", "the audit trail: verify its hash chain", AUDIT_COMMANDS),
]
