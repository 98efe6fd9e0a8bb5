"""What the replay buttons say: the dry run's plan posted in the exception's thread (with an Execute button for
operators), the Execute modal asking for the reason, the outcome of an execute, and the short ephemeral notes.

Everything that came from data or from people (order ids, native statuses, paths, names, reasons, error texts) is
escaped (`slack.escape`), and every text is kept within Slack's limits (`slack.limits`).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from dagster_project.errors import ReconError
from dagster_project.replay import DryRun, ReplayOutcome
from dagster_project.replay.render import render_outcome
from dagster_project.slack.blocks import NOTE_CHARS
from dagster_project.slack.escape import escape_mrkdwn, inline_code, one_line
from dagster_project.slack.limits import MAX_BUTTON_VALUE, MAX_MESSAGE_TEXT, MAX_SECTION_TEXT, join_lines, truncate
from dagster_project.slack_app.modal import REASON_ACTION_ID, reason_input
from dagster_project.slack_app.replay_scope import Choice, ExecuteValue, read_execute_value
from dagster_project.store.utc import as_utc

ACTION_REPLAY_EXECUTE = "recon_replay_execute"
REPLAY_ACTIONS_BLOCK_ID = "recon_replay_actions"
EXECUTE_CALLBACK_ID = "recon_replay_execute_modal"
EXECUTE_REASON_BLOCK_ID = "recon_replay_reason"
# Orders named in the thread message (all of them are in the command).
LISTED_ORDERS = 10
SCOPE_CHARS = 1_000

EXECUTE_REASON_REQUIRED = "a reason is required to execute a replay: say what was fixed and why it is replayed"
STALE_EXECUTE_MODAL = "this dialog is out of date: close it and click Execute replay in the dry run's thread again"


def article(kind: str) -> str:
    return f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _when(value: datetime | None) -> str:
    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC") if value else "now"


def _codes(values: Sequence[str], listed: int = LISTED_ORDERS) -> str:
    shown = ", ".join(inline_code(v) for v in values[:listed])
    return shown + (f" and {len(values) - listed:,} more" if len(values) > listed else "")


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, MAX_SECTION_TEXT)}}


def _context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, MAX_SECTION_TEXT)}]}


def code_block(lines: Sequence[str], limit: int = MAX_SECTION_TEXT) -> str:
    """Lines as a mrkdwn code block within `limit` characters: escaped, no backtick to close it early, whole lines
    kept and the rest counted."""
    safe = [escape_mrkdwn(line).replace("`", "\u02cb") for line in lines]
    return f"```{join_lines(safe, limit - 6, more='…and {n} more lines')}```"


# ---------------------------------------------------------------- the dry run


def started_text(choice: Choice) -> str:
    kind = choice.request.kind
    return (
        f":hourglass_flowing_sand: Dry run of {article(kind)} replay for exception {inline_code(choice.exception_id)} "
        "started: its result will be posted in this thread in a minute or so. Nothing is changed."
    )


def already_running_text(exception_id: int) -> str:
    return (
        f":hourglass_flowing_sand: A dry run for exception {inline_code(exception_id)} is already under way: its "
        "result will be posted in this thread."
    )


def _scope(choice: Choice, plan: DryRun) -> str:
    request = plan.request
    if request.kind == "remap":
        changes = "; ".join(
            f"{one_line(system)} {inline_code(native)}: {one_line(before or 'unmapped')} → "
            f"{one_line(after or 'unmapped')}"
            for system, native, before, after in request.statuses
        )
        return truncate(f"status_map in recon.yaml against the built marts: {changes}", SCOPE_CHARS)
    total = len(choice.open_orders)
    which = f"the first {len(request.orders):,} of its {total:,} open orders" if total > len(request.orders) else ""
    orders = _codes(request.orders)
    where = f"re-read from the landing zone {inline_code(choice.landing)}" if choice.landing else ""
    return truncate(", ".join(part for part in (f"orders {orders}", which, where) if part), SCOPE_CHARS)


def command_line(plan: DryRun, landing: Path | None) -> str:
    """The CLI command that carries out the same replay."""
    parts = ["recon", "replay", plan.request.kind]
    if plan.request.kind == "orders":
        for order in plan.request.orders:
            parts += ["--order", shlex.quote(order)]
        parts += ["--landing", shlex.quote(str(landing))]
    return " ".join([*parts, "--execute", "--reason", "TEXT"])


def dry_run_message(
    choice: Choice, plan: DryRun, *, asked_by: str, can_execute: bool, execute: ExecuteValue | None
) -> dict[str, Any]:
    """The thread reply for a finished dry run: a short summary, the command, and the Execute button when the
    person who asked may execute (`can_execute`) and the plan changes something."""
    diff, ex, kind = plan.diff, plan.exceptions, plan.request.kind
    changed = diff.orders()
    exception = inline_code(choice.exception_id)
    lines = [
        f":mag: *Dry run of {article(kind)} replay* for exception {exception}, as of {_when(plan.as_of)}, asked by "
        f"{one_line(asked_by)}: nothing was changed.",
        f"*Scope:* {_scope(choice, plan)}",
    ]
    counts = (
        f"{len(diff.resolve):,} would resolve, {len(diff.appear):,} would appear, {len(diff.reclassify):,} would "
        f"change classification or queue, over {_plural(len(changed), 'order')}"
    )
    if plan.empty:
        lines.append(
            "*Nothing would change:* no divergence would resolve, appear or change, and no row would be "
            "ingested, so there is nothing to execute."
        )
        text = f"Dry run of {article(kind)} replay for exception {choice.exception_id}: nothing would change"
    else:
        added = {system: n for system, n in diff.rows_added().items() if n}
        rows = ", ".join(f"{n:,} into {system}" for system, n in added.items()) + " would be ingested"
        lines += [
            f"*Divergences:* {counts}",
            f"*Exceptions:* {ex.get('auto_resolved', 0):,} would auto-resolve, {ex.get('opened', 0):,} would open, "
            f"{ex.get('reopened', 0):,} would reopen",
            f"*Rows:* {rows if added else 'none would be ingested'}",
        ]
        if changed:
            lines.append(f"*Orders:* {_codes(changed)}")
        if choice.open_orders:
            mine = len(set(choice.open_orders) & set(changed))
            lines.append(
                f"*Of this exception's {_plural(len(choice.open_orders), 'open order')}:* {mine:,} would change"
            )
        text = f"Dry run of {article(kind)} replay for exception {choice.exception_id}: {counts}; nothing was changed"
    blocks = [_section("\n".join(lines))]
    if not plan.empty:
        command = code_block([command_line(plan, choice.landing)], MAX_SECTION_TEXT - 60)
        blocks.append(_section(f"*To carry it out* (an operator, with a reason):\n{command}"))
        value = execute.encode() if execute is not None else ""
        if not can_execute:
            blocks.append(
                _context(
                    f"No Execute button: {one_line(asked_by)}, who asked for this dry run, is not listed in "
                    "`replay.operators` in recon.yaml. Dry runs need no permission."
                )
            )
        elif not value or len(value) > MAX_BUTTON_VALUE:
            blocks.append(
                _context(
                    "No Execute button: this replay's scope does not fit in a Slack button; run the command above."
                )
            )
        else:
            blocks.append(
                _context(
                    "*Execute replay* asks for the reason and checks who clicks against `replay.operators` in "
                    "recon.yaml; the dry run is computed again, the replay carried out once and verified, and the "
                    "outcome posted here."
                )
            )
            blocks.append(
                {
                    "type": "actions",
                    "block_id": REPLAY_ACTIONS_BLOCK_ID,
                    "elements": [
                        {
                            "type": "button",
                            "action_id": ACTION_REPLAY_EXECUTE,
                            "text": {"type": "plain_text", "text": "Execute replay"},
                            "style": "danger",
                            "value": value,
                        }
                    ],
                }
            )
    return {"text": truncate(escape_mrkdwn(text), MAX_MESSAGE_TEXT), "blocks": blocks}


# ---------------------------------------------------------------- execute


def execute_modal(value: ExecuteValue, channel_id: str | None, thread_ts: str | None) -> dict[str, Any]:
    """The modal the Execute button opens: the reason (required) is the confirmation."""
    if value.kind == "remap":
        what = "the remap its dry run showed (status_map in recon.yaml against the built marts)"
    else:
        what = f"orders {_codes(value.orders)}"
    return {
        "type": "modal",
        "callback_id": EXECUTE_CALLBACK_ID,
        "private_metadata": json.dumps({"replay": value.as_dict(), "channel": channel_id, "thread_ts": thread_ts}),
        "title": {"type": "plain_text", "text": "Execute replay"},
        "submit": {"type": "plain_text", "text": "Execute"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _section(
                f"{article(value.kind).capitalize()} replay for exception {inline_code(value.exception_id)}: "
                f"{truncate(what, SCOPE_CHARS)}. It changes the live warehouse: the dry run is computed again, then "
                "the replay is carried out once, under a lock, and verified; the outcome is posted in the thread. "
                "The reason is kept in the audit trail."
            ),
            reason_input(EXECUTE_REASON_BLOCK_ID, "What was fixed, and why it is replayed"),
        ],
    }


@dataclass(frozen=True)
class ExecuteSubmission:
    value: ExecuteValue | None  # None: the metadata is not ours (a view of an older or other app)
    channel_id: str | None
    thread_ts: str | None
    reason: str


def read_execute_submission(view: dict[str, Any]) -> ExecuteSubmission:
    try:
        metadata = json.loads(view.get("private_metadata") or "")
        value = read_execute_value(metadata["replay"])
        channel, thread = metadata.get("channel"), metadata.get("thread_ts")
    except (ValueError, TypeError, KeyError, AttributeError, ReconError):
        value, channel, thread = None, None, None
    values = ((view.get("state") or {}).get("values") or {}).get(EXECUTE_REASON_BLOCK_ID) or {}
    reason = (values.get(REASON_ACTION_ID) or {}).get("value") or ""
    return ExecuteSubmission(
        value,
        channel if isinstance(channel, str) else None,
        thread if isinstance(thread, str) else None,
        reason,
    )


def execute_started_text(value: ExecuteValue) -> str:
    return (
        f":hourglass_flowing_sand: Executing {article(value.kind)} replay for exception "
        f"{inline_code(value.exception_id)}: the outcome will be posted in the thread when it is done."
    )


def execute_error_text(exception_id: int, error: str) -> str:
    return f":warning: The replay for exception {inline_code(exception_id)} stopped: {escape_mrkdwn(error)}"


def outcome_message(outcome: ReplayOutcome, value: ExecuteValue, *, by: str, reason: str) -> dict[str, Any]:
    """The thread reply after an execute: who, why, and `render_outcome`'s report in a code block."""
    exception, status = inline_code(value.exception_id), one_line(outcome.status)
    quote = f"\n>{truncate(one_line(reason), NOTE_CHARS)}"
    if outcome.no_op:
        head = (
            f":information_source: *Already executed as replay {outcome.replay_id} ({status})*: nothing to do. "
            f"Asked again from exception {exception} by {one_line(by)}."
        )
        text = f"Already executed as replay {outcome.replay_id} ({outcome.status}): nothing to do"
    else:
        emoji = ":white_check_mark:" if outcome.status == "verified" else ":x:"
        head = (
            f"{emoji} *Replay {outcome.replay_id} {status}*: {article(value.kind)} replay executed from exception "
            f"{exception} by {one_line(by)}."
        )
        text = f"Replay {outcome.replay_id} ({value.kind}) for exception {value.exception_id}: {outcome.status}"
    blocks = [_section(head + quote)]
    report = render_outcome(outcome).splitlines()[1:]
    if report:
        blocks.append(_section(code_block(report)))
    return {"text": truncate(escape_mrkdwn(f"{text}, by {by}"), MAX_MESSAGE_TEXT), "blocks": blocks}
