"""`recon run` and `recon demo`: the pipeline in-process, with a readable summary."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dagster_project.cli.render import table
from dagster_project.home import Home
from dagster_project.pipeline import RunReport, run_pipeline
from dagster_project.slack.settings import TOKEN_ENV

SUMMARY_COLUMNS = (
    ("files_ingested", "files"),
    ("files_duplicate", "dup files"),
    ("files_quarantined", "quar. files"),
    ("rows_ingested", "rows"),
    ("rows_duplicate", "dup rows"),
    ("rows_quarantined", "quar. rows"),
)


def render_report(report: RunReport, landing: Path) -> str:
    if report.nothing_new:
        known = sum(c["files_duplicate"] for c in report.systems.values())
        lines = [f"Nothing new to ingest under {landing}: all {known:,} batch files were ingested before."]
    else:
        rows = [[system, *(counts[key] for key, _ in SUMMARY_COLUMNS)] for system, counts in report.systems.items()]
        rows.append(["total", *(sum(c[key] for c in report.systems.values()) for key, _ in SUMMARY_COLUMNS)])
        lines = [
            f"Ingested {landing} (run {report.run_id[:8]})",
            "",
            table(["system", *(label for _, label in SUMMARY_COLUMNS)], rows),
        ]
        quarantined = sum(c["rows_quarantined"] for c in report.systems.values())
        if quarantined:
            lines += [
                "",
                f"{quarantined:,} rows quarantined with their reasons: recon.quarantined_rows and "
                "recon.quarantined_files in the warehouse.",
            ]
    counts = report.divergences
    if counts is not None:
        lines += [
            "",
            f"Divergences: {counts['total']:,} ({counts['open_action']:,} open in the action queue, "
            f"{counts['informational']:,} informational).",
        ]
    if counts and counts["by_rule"]:
        lines.append(
            table(
                ["rule", "divergences", "open action", "informational"],
                [[rule, c["total"], c["open_action"], c["informational"]] for rule, c in counts["by_rule"].items()],
            )
        )
        lines.append("See them with `recon divergences`, one order with `recon order ORDER_ID`.")
    if report.exceptions is not None:
        lines += ["", render_exceptions(report.exceptions)]
    if report.unknown_folders:
        lines += ["", "Ignored folders (not a system): " + ", ".join(report.unknown_folders)]
    if report.skipped:
        lines += ["", f"Skipped {len(report.skipped)} file(s):"]
        lines += [f"  {s.rel_path}: {s.reason}" for s in report.skipped]
    return "\n".join(lines)


def render_exceptions(counts: dict) -> str:
    line = (
        f"Exceptions: {counts['opened']:,} opened, {counts['attached']:,} divergences attached, "
        f"{counts['reopened']:,} reopened, {counts['auto_resolved']:,} auto-resolved "
        f"({counts['messages_queued']:,} Slack messages queued)."
    )
    if counts["file_exceptions_opened"]:
        line += f"\n{counts['file_exceptions_opened']:,} schema-drift exceptions opened for files quarantined whole."
    if "slack" not in counts:
        return line
    if counts.get("slack_console"):
        return (
            f"{line}\nSlack: {TOKEN_ENV} is not set, so messages went to the run log and stay in the outbox "
            f"({counts['slack_pending']:,} waiting). See them with `recon exceptions list`."
        )
    return f"{line}\nSlack: {counts['slack']}."


def report_slack_error(report: RunReport) -> int:
    """A Slack setting that stops delivery is an error the user must fix (exit 2); the run itself is kept."""
    if not report.slack_error:
        return 0
    print(
        f"recon: error: Slack: {report.slack_error} (the run finished; its messages stay in the outbox)",
        file=sys.stderr,
    )
    return 2


def cmd_run(args: argparse.Namespace) -> int:
    home = Home.resolve(args.home)
    landing = Path(args.landing).expanduser().resolve()
    report = run_pipeline(home, landing, args.as_of)
    print(json.dumps(report.to_json(), indent=2) if args.json else render_report(report, landing))
    return report_slack_error(report)


def configure_run(parser: argparse.ArgumentParser) -> None:
    from dagster_project.cli import parse_as_of

    parser.add_argument("--landing", required=True, help="landing zone folder (SOURCE_CONTRACT.md layout)")
    parser.add_argument(
        "--as-of",
        type=parse_as_of,
        default=None,
        help="evaluation time, ISO 8601 (default: now); makes results reproducible",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")


COMMANDS = [
    ("run", "ingest every new file under a landing zone into the warehouse", configure_run, cmd_run),
]
