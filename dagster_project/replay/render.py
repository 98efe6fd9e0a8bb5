"""A dry run and an execute's outcome as the terminal shows them."""

from __future__ import annotations

from dagster_project.cli.render import table
from dagster_project.replay.dry_run import DryRun
from dagster_project.replay.execute import ReplayOutcome

LISTED = 50


def _scope(plan: DryRun) -> str:
    request = plan.request
    if request.kind == "remap":
        return "; ".join(f"{s} {n}: {a or 'unmapped'} → {b or 'unmapped'}" for s, n, a, b in request.statuses)
    if request.kind == "orders":
        return "orders " + ", ".join(request.orders)
    parts = [f"systems {', '.join(request.systems)}" if request.systems else "every system"]
    if request.files:
        parts.append(f"files {', '.join(request.files)}")
    return "quarantined rows and files of " + ", ".join(parts)


def _total(plan: DryRun, name: str) -> int:
    return sum(counts[name] for counts in plan.ingest["systems"].values())


def _reingestion(plan: DryRun) -> str:
    if plan.request.kind == "quarantine":
        return (
            f"Quarantine: {_total(plan, 'rows_replayed'):,} rows and {_total(plan, 'files_replayed'):,} files would "
            f"leave it; {_total(plan, 'rows_still_invalid'):,} rows and {_total(plan, 'files_still_quarantined'):,} "
            "files would stay (still invalid under the current contract, or no corrected file yet)."
        )
    missing = plan.ingest.get("missing") or []
    return (
        f"Landing zone: {_total(plan, 'rows_found'):,} rows of these orders found, {_total(plan, 'rows_ingested'):,} "
        "not ingested yet" + (f"; no event at all for {', '.join(missing)}" if missing else "") + "."
    )


def render_dry_run(plan: DryRun) -> str:
    diff, ex = plan.diff, plan.exceptions
    as_of = plan.as_of.isoformat().replace("+00:00", "Z") if plan.as_of else "now"
    added = {system: n for system, n in diff.rows_added().items() if n}
    lines = [
        f"Dry run of {'an' if plan.request.kind == 'orders' else 'a'} {plan.request.kind} replay (as of {as_of}): "
        "nothing was changed.",
        f"Scope: {_scope(plan)}",
        f"Divergences: {len(diff.resolve):,} would resolve, {len(diff.appear):,} would appear, "
        f"{len(diff.reclassify):,} would change classification or queue, over {len(diff.orders()):,} orders.",
        f"Exceptions: {ex.get('auto_resolved', 0):,} would auto-resolve, {ex.get('opened', 0):,} open, "
        f"{ex.get('reopened', 0):,} reopen.",
        "Rows: " + (", ".join(f"{n:,} into {s}" for s, n in added.items()) + " would be ingested" if added else "none"),
    ]
    if plan.ingest:
        lines.append(_reingestion(plan))
    for title, rows, columns in (
        ("Would resolve", diff.resolve, ("order_id", "rule", "classification", "queue")),
        ("Would appear", diff.appear, ("order_id", "rule", "classification", "queue")),
        (
            "Would change",
            diff.reclassify,
            ("order_id", "rule", "classification_before", "classification_after", "queue_before", "queue_after"),
        ),
    ):
        if rows:
            more = f" (first {LISTED} of {len(rows):,})" if len(rows) > LISTED else ""
            lines += ["", f"{title}{more}:", table(columns, [[r[c] for c in columns] for r in rows[:LISTED]])]
    return "\n".join(lines)


def render_outcome(outcome: ReplayOutcome) -> str:
    if outcome.no_op:
        return f"Already executed as replay {outcome.replay_id} ({outcome.status}): nothing to do."
    lines = [f"Replay {outcome.replay_id}: {outcome.status}."]
    if outcome.plan is not None:
        lines.append(render_dry_run(outcome.plan).split("\n", 1)[1])
    if outcome.exceptions:
        ex = outcome.exceptions
        lines.append(f"Exceptions: {ex['auto_resolved']:,} auto-resolved, {ex['opened']:,} opened.")
    for result in outcome.verification.get("results", []):
        lines.append(f"  {'ok  ' if result['passed'] else 'FAIL'} {result['expectation']}: {result.get('detail', '')}")
    if "error" in outcome.verification:
        lines.append(f"Error: {outcome.verification['error']}")
    if outcome.slack:
        lines.append(f"Slack: {outcome.slack}")
    return "\n".join(lines)
