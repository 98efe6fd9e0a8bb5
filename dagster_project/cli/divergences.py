"""`recon divergences` and `recon order`: the divergence mart and one order's merged timeline."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

from dagster_project.cli.render import table
from dagster_project.errors import ReconError
from dagster_project.home import Home
from dagster_project.marts import DIVERGENCE_COLUMNS, OrderView, divergences, known_rules, order_view, read_warehouse

TABLE_COLUMNS = ("order_id", "rule", "classification", "queue", "status", "divergence_start", "severity",
                 "exposure_amount", "summary")  # fmt: skip


def render_divergences(rows: list[dict], fmt: str) -> str:
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=DIVERGENCE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()
    if fmt == "json":
        for row in rows:
            row["exposure_amount"] = None if row["exposure_amount"] is None else float(row["exposure_amount"])
        return json.dumps(rows, indent=2) + "\n"
    if not rows:
        return "No divergences.\n"
    return table(TABLE_COLUMNS, [[row[c] for c in TABLE_COLUMNS] for row in rows]) + f"\n\n{len(rows):,} divergences\n"


def cmd_divergences(args: argparse.Namespace) -> int:
    with read_warehouse(Home.resolve(args.home).warehouse) as conn:
        if args.rule and args.rule not in known_rules(conn):
            raise ReconError(f"--rule {args.rule}: no such rule; rules are {', '.join(known_rules(conn))}")
        text = render_divergences(divergences(conn, args.open, args.rule), args.format)
    if args.out:
        Path(args.out).write_text(text, newline="")
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def configure_divergences(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--open", action="store_true", help="only divergences still open at as_of")
    parser.add_argument("--rule", help="only this rule (e.g. delivery_status_conflict)")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    parser.add_argument("--out", help="write to this file instead of standard output")


def render_order(view: OrderView) -> str:
    state = view.state
    lines = [f"Order {view.order_id}"]
    if state:
        lines.append(
            f"  {state['vendor_type'] or '?'} {state['payment_mode'] or '?'}, {state['amount'] or 0:,.2f} "
            f"{state['currency'] or ''}; carrier {state['carrier'] or '-'} zone {state['zone'] or '-'} "
            f"region {state['region'] or '-'}; promised by {_ts(state['promised_delivery_at'])}"
        )
    else:
        lines.append("  no OMS order has this key (an orphan record)")
    first = state["first_divergence_at"] if state else None
    lines += ["", "Timeline (UTC):"]
    marked = False
    rows = []
    for event in view.timeline:
        if first and not marked and event["event_at"] >= first:
            rows.append([f">> {_ts(first)}", "", "", "first divergence point", "", ""])
            marked = True
        state_text = event["canonical_state"] + (" (unmapped)" if event["is_unmapped"] else "")
        rows.append(
            [
                _ts(event["event_at"]),
                event["source_system"],
                event["carrier_awb"] or "",
                event["native_status"] or "",
                state_text,
                event["actor"] or "",
            ]
        )
    if first and not marked:
        rows.append([f">> {_ts(first)}", "", "", "first divergence point", "", ""])
    lines.append(table(["time", "system", "awb", "native status", "canonical state", "actor"], rows))
    lines += ["", f"Divergences ({len(view.divergences)}):"]
    for d in view.divergences:
        resolved = f", resolved {d['resolved_at']}" if d["resolved_at"] else ""
        lines.append(
            f"  {d['rule']} [{d['classification']}, {d['queue']}, {d['status']}] since "
            f"{d['divergence_start']}{resolved}; owner {d['owner_team']}, {d['severity']} severity"
        )
        lines.append(f"    {d['summary']}")
    lines += ["", "Summary: " + order_summary(view)]
    return "\n".join(lines) + "\n"


def order_summary(view: OrderView) -> str:
    """One plain-language paragraph: where each system stands, and what is wrong."""
    state = view.state
    if not state:
        return f"{view.order_id} is known only to a non-OMS system: see the orphan divergence above."
    phases = {s: state[f"{s}_delivery_phase"] for s in ("oms", "carrier", "crm") if state[f"{s}_delivery_phase"]}
    standing = (
        ", ".join(
            f"{s.upper() if s != 'carrier' else 'the carrier'} says {p.replace('_', ' ')}" for s, p in phases.items()
        )
        or "no system reports a delivery state yet"
    )
    agreement = "they agree" if state["is_in_agreement"] else "they do not agree"
    open_ = [d for d in view.divergences if d["status"] == "open"]
    problems = (
        f"{len(open_)} open divergence(s): " + "; ".join(d["rule"].replace("_", " ") for d in open_)
        if open_
        else "no open divergence"
    )
    return f"{_sentence(standing)}; {agreement}. {_sentence(problems)}."


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _ts(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def cmd_order(args: argparse.Namespace) -> int:
    with read_warehouse(Home.resolve(args.home).warehouse) as conn:
        sys.stdout.write(render_order(order_view(conn, args.order_id)))
    return 0


def configure_order(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("order_id", help="the order id, as any system spells it (ORD-0001234, #0001234, ...)")


COMMANDS = [
    ("divergences", "export the divergence mart (table, CSV or JSON)", configure_divergences, cmd_divergences),
    ("order", "an order's merged timeline across systems, its divergences and a summary", configure_order,
     cmd_order),
]  # fmt: skip
