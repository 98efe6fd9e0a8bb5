"""Block Kit payloads for recon's Slack messages, built by pure functions: dicts in, dicts out.

Every function returns `{"text": fallback, "blocks": [...]}`, ready for `chat.postMessage` or
`chat.update`, inside Slack's limits (see `limits`), with every value that came from a source
escaped (see `escape`). Nothing here reads the clock, the environment or the network.

The exception is a dict, the store's snapshot (`store.payloads.exception_snapshot`) or alike, with
these keys (missing ones show as "—"): `exception_id` (required: the buttons carry it), `rule`,
`classification`, `owner_team`, `severity`, `state` (or `status`), `acknowledged_by`, `assignee`,
`closed_reason`, `opened_at`, `sla_due_at`, `exposure_amount`, `currency`, `cluster_id`, the counts
`divergences` and `orders` (or `divergence_count`, `order_count`; counted from the divergences
given when absent), and the cluster's dimensions (`carrier`, `zone`, `payment_mode`, `system`).
A divergence is a dict like a `fct_divergences` row: `order_id`, `exposure_amount`, `currency`,
`summary`, ... Times may be datetimes (naive = UTC) or ISO 8601 text; amounts numbers or text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dagster_project.slack.escape import inline_code, one_line, plain_text
from dagster_project.slack.limits import (
    MAX_BLOCKS,
    MAX_BUTTON_TEXT,
    MAX_FIELD_TEXT,
    MAX_HEADER_TEXT,
    MAX_MESSAGE_TEXT,
    MAX_SECTION_TEXT,
    join_lines,
    truncate,
)

# Action ids the Slack app (`dagster_project.slack_app`) listens for; every button's value is the exception id.
ACTION_ACK = "recon_ack"
ACTION_ASSIGN_ME = "recon_assign_me"
# Opens a modal asking for the reason, which is the confirmation: the button has no confirm dialog of its own.
ACTION_RESOLVE = "recon_resolve"
# Computes a replay for the exception (changing nothing) and posts the plan in its thread; see docs/slack_app.md.
ACTION_REPLAY_DRY_RUN = "recon_replay_dry_run"
ACTIONS_BLOCK_ID = "recon_exception_actions"

TOP_ORDERS = 5
# A one-line summary is cut here so five of them fit one section with room to spare.
SUMMARY_CHARS = 300
NOTE_CHARS = 1_000

SEVERITY_EMOJI = {"high": ":red_circle:", "medium": ":large_orange_circle:", "low": ":white_circle:"}

# The rule of a file quarantined whole at ingestion (store/file_exceptions.py): its exception has no divergences.
SCHEMA_DRIFT = "schema_drift"

# What to check first, by classification; a few rules have a sharper hint for one classification.
CHECK_FIRST = {
    "mapping_error": (
        "Check the status map / field mapping for the unmapped value (`status_map` in recon.yaml or the "
        "source's field mapping), then replay the affected orders."
    ),
    "sync_delay": (
        "Check the integration log for failed or dropped calls around the divergence start, and whether the "
        "lagging system has caught up since."
    ),
    "manual_override": (
        "Check who set the state by hand (the `agent:*` actor) and whether it was intended, before resyncing."
    ),
    "unknown": "Open the top order's timeline (`recon order ORDER_ID`) and compare each system's last event.",
}
RULE_CHECK_FIRST = {
    ("amount_mismatch", "mapping_error"): (
        "Check currency and minor-unit conversion (one amount exactly 100× the other) in the ERP / payments "
        "field mapping."
    ),
    ("timeline_sequence_error", "mapping_error"): (
        "Check the source's time-zone handling: local times written as UTC move events by whole half-hours."
    ),
    ("orphan_record", "mapping_error"): "Check order-id normalisation (case, prefixes) between the source and the OMS.",
    ("missing_in_system", "sync_delay"): (
        "Check the connector feeding the missing system: failed or dropped calls in the integration log, "
        "and its backlog."
    ),
    ("refund_before_return", "manual_override"): (
        "Check the agent's refund, and whether the return reached the warehouse (RTO) before it."
    ),
    (SCHEMA_DRIFT, "mapping_error"): (
        "Fix the file at the source (its header, encoding or rows, as the reason says) and drop a corrected "
        "copy in the system's landing folder: new bytes are ingested on the next run (the same bytes again are "
        "skipped). Then resolve this exception."
    ),
}

# Keyed by the state (or event) a change leads to; both the store's spellings and short ones.
STATUS_LABELS = {
    "open": (":arrows_counterclockwise:", "Reopened"),
    "reopened": (":arrows_counterclockwise:", "Reopened"),
    "ack": (":eyes:", "Acknowledged"),
    "acknowledged": (":eyes:", "Acknowledged"),
    "assigned": (":bust_in_silhouette:", "Assigned"),
    "resolved": (":white_check_mark:", "Resolved"),
    "auto-resolved": (":white_check_mark:", "Auto-resolved: the systems agree again"),
    "auto_resolved": (":white_check_mark:", "Auto-resolved: the systems agree again"),
    "ignored": (":no_entry_sign:", "Ignored"),
    "ignored_with_reason": (":no_entry_sign:", "Ignored"),
    "escalated": (":rotating_light:", "Escalated"),
}
CLOSED_STATES = {"resolved", "auto_resolved", "auto-resolved", "ignored_with_reason", "ignored"}


def what_to_check_first(rule: str | None, classification: str | None) -> str:
    """The first thing to look at for this kind of exception (mrkdwn, our own text)."""
    return RULE_CHECK_FIRST.get((rule, classification)) or CHECK_FIRST.get(classification or "", CHECK_FIRST["unknown"])


# ---------------------------------------------------------------- the four messages


def format_exception_blocks(exception: Mapping[str, Any], divergences: Sequence[Mapping[str, Any]]) -> dict:
    """The parent message for a new exception, posted in the owner team's channel."""
    facts = _Facts(exception, divergences)
    blocks = [
        _header(f"{facts.severity_emoji} {facts.rule_title}: {facts.classification_label}"),
        _fields(facts.fields()),
        _section(f"*What to check first:* {what_to_check_first(facts.rule, facts.classification)}"),
        {"type": "divider"},
        *_top_orders(divergences, facts.order_count),
        _context(facts.reference()),
        _actions(facts.exception_id, [ACTION_ACK, ACTION_ASSIGN_ME, ACTION_RESOLVE, ACTION_REPLAY_DRY_RUN]),
    ]
    text = (
        f"[{facts.severity}] {facts.rule} ({facts.classification_label}) for {facts.owner}: "
        f"{facts.counts_text}, {facts.exposure} at risk, SLA due {facts.sla_due}"
    )
    return _message(text, blocks)


def format_file_exception_blocks(exception: Mapping[str, Any], file: Mapping[str, Any] | None = None) -> dict:
    """The parent message of a quarantined file (rule `schema_drift`): which system, which file, why it was
    quarantined, what to check first; buttons while it is active. `file` is the store's record of it
    (`system`, `file_path`, `file_sha256`, `reason`, `rows_total`, `rows_invalid`, `quarantined_at`); an edit
    queued by a button click carries only the snapshot, and then the file is named by its sha256 (the snapshot's
    `cluster_id` is `file:<sha256>`), its path and reason left to `recon exceptions show <id> --json`."""
    facts = _Facts(exception, ())
    file = file or {}
    system = file.get("system") or exception.get("system") or "—"
    sha256 = file.get("file_sha256") or str(exception.get("cluster_id") or "").removeprefix("file:")
    status = facts.status_text()
    if facts.state in CLOSED_STATES and exception.get("closed_reason"):
        status += f": {truncate(one_line(exception['closed_reason']), NOTE_CHARS)}"
    if file.get("file_path"):
        what = f"*File* {inline_code(file['file_path'])}\n*Why it was quarantined:* "
        what += truncate(one_line(file.get("reason") or "—"), NOTE_CHARS)
        text = f"file {one_line(file['file_path'])} quarantined: {one_line(file.get('reason') or '—')}"
    else:
        what = (
            f"*File* with sha256 {inline_code(sha256)}: its name and why it was quarantined are in "
            f"{inline_code(f'recon exceptions show {facts.exception_id} --json')} (its `opened` event)"
        )
        text = f"file with sha256 {one_line(sha256)} quarantined"
    rows, rows_text = file.get("rows_total"), "—"
    if not _missing(rows):
        rows_text = f"{_plural(int(rows), 'row')} read, {int(file.get('rows_invalid') or 0):,} invalid"
    blocks = [
        _header(f"{facts.severity_emoji} Schema drift: {system} file quarantined"),
        _section(what),
        _fields(
            [
                f"*System*\n{one_line(system)}",
                f"*Owner*\n{facts.owner}",
                f"*Severity*\n{facts.severity_emoji} {facts.severity}",
                f"*Rows*\n{rows_text}",
                f"*Quarantined*\n{_when(file.get('quarantined_at'))}",
                f"*SLA due*\n{facts.sla_due}",
                f"*Status*\n{status}",
            ]
        ),
        _section(f"*What to check first:* {what_to_check_first(facts.rule, facts.classification)}"),
        _context(
            f"Exception {inline_code(facts.exception_id)} · file sha256 {inline_code(sha256)} · "
            f"opened {_when(exception.get('opened_at'))}"
        ),
    ]
    if facts.state not in CLOSED_STATES:
        blocks.append(_actions(facts.exception_id, [ACTION_ACK, ACTION_ASSIGN_ME, ACTION_RESOLVE]))
    return _message(f"[{facts.severity}] {facts.rule} for {facts.owner}: {one_line(system)} {text}", blocks)


def format_thread_reply(
    exception: Mapping[str, Any],
    *,
    new_divergences: Sequence[Mapping[str, Any]] = (),
    status_change: Mapping[str, Any] | None = None,
    new_count: int | None = None,
    max_listed: int | None = 10,
) -> dict:
    """A reply in the exception's thread: a state change, new divergences that joined it, or both.

    `status_change` keys: `to_status` (a state or event: open, reopened, acknowledged, assigned,
    resolved, auto_resolved, ignored_with_reason, escalated), `from_status`, `actor`, `assignee`,
    `at`, `note`. New divergences are listed by exposure, at most `max_listed` (None: as many as
    fit), then a note says how many were left out; `new_count` is their number when only the
    largest are given.
    """
    if not new_divergences and not status_change:
        raise ValueError("a thread reply needs new divergences or a status change")
    facts = _Facts(exception, new_divergences)
    head: list[dict] = []
    texts: list[str] = []
    if status_change:
        line = _status_line(status_change)
        head.append(_section(line))
        texts.append(line)
    rows: list[dict] = []
    count = len(new_divergences)
    if new_divergences:
        ranked = _by_exposure(new_divergences)
        count = max(_count(new_count, count), count)
        noun = _noun(count, "divergence")
        title = f"*{count:,} new {noun}* joined this exception"
        if count == len(ranked):
            title += f" · {_money(sum(_amount(d) for d in ranked), _currency(ranked, exception))} more at risk"
        head.append(_section(title))
        texts.append(f"{count:,} new {noun} in {facts.rule} for {facts.owner}: {_order_list(ranked, count)}")
        rows = [_section(_divergence_line(d)) for d in ranked]
    command = inline_code(f"recon divergences --open --rule {exception.get('rule') or ''}")
    more = f"more not shown; every divergence of the rule: {command}"
    blocks = _fit(head, rows, max_listed, lambda n: f"…and {n:,} {more}", hidden=count - len(rows))
    return _message(" · ".join(texts), blocks)


def format_resolved_update(
    exception: Mapping[str, Any],
    divergences: Sequence[Mapping[str, Any]],
    *,
    resolved_by: str | None = None,
    resolved_at: Any = None,
    note: str | None = None,
) -> dict:
    """The parent message as edited in place when the exception closes: same facts, who closed it and
    how (resolved by someone, auto-resolved when the systems agree again, or ignored with a reason),
    no buttons."""
    facts = _Facts(exception, divergences)
    by = resolved_by or exception.get("resolved_by")
    when = resolved_at if resolved_at is not None else exception.get("resolved_at") or exception.get("closed_at")
    at = f" at {_when(when)}" if not _missing(when) else ""
    ignored = facts.state in ("ignored_with_reason", "ignored")
    if ignored:
        emoji, verb, status = ":no_entry_sign:", "Ignored", "ignored"
        how = f"{emoji} *Ignored*" + (f" by {one_line(by)}" if by else "") + at
    elif by:
        emoji, verb, status = ":white_check_mark:", "Resolved", "resolved"
        how = f"{emoji} *Resolved* by {one_line(by)}{at}"
    else:
        emoji, verb, status = ":white_check_mark:", "Resolved", "auto-resolved"
        how = f"{emoji} *Auto-resolved*{at}: the systems agree again"
    note = note if note is not None else exception.get("resolution_note")
    if note:
        how += f"\n>{truncate(one_line(note), NOTE_CHARS)}"
    blocks = [
        _header(f"{emoji} {verb}: {facts.rule_title}: {facts.classification_label}"),
        _section(how),
        _fields(facts.fields(status=status)),
        {"type": "divider"},
        *_top_orders(divergences, facts.order_count),
        _context(facts.reference()),
    ]
    who = f"by {one_line(by)}" if by else ("" if ignored else "automatically")
    text = f"{verb} {who}: ".replace("  ", " ").replace(" :", ":")
    text += f"{facts.rule} ({facts.classification_label}) for {facts.owner}, {facts.counts_text}"
    return _message(text, blocks)


def format_escalation(
    exception: Mapping[str, Any],
    *,
    now: datetime,
    step: int = 1,
    steps: int | None = None,
    divergences: Sequence[Mapping[str, Any]] = (),
    original_link: str | None = None,
) -> dict:
    """The message in the owner's escalation channel when an exception is unacknowledged past its SLA."""
    facts = _Facts(exception, divergences)
    overdue = _overdue(exception.get("sla_due_at"), now)
    lines = [
        f"*{facts.owner}* has not acknowledged this {facts.severity} exception: SLA was due {facts.sla_due}"
        + (f" ({overdue} ago)" if overdue else "")
        + f". Escalation step {int(step)}"
        + (f" of {int(steps)}." if steps else ".")
    ]
    link = _safe_link(original_link, "Open the original message and its thread")
    if link:
        lines.append(link)
    blocks = [
        _header(f":rotating_light: Escalation: {facts.rule_title} unacknowledged past SLA"),
        _section("\n".join(lines)),
        _fields(facts.fields()),
        _section(f"*What to check first:* {what_to_check_first(facts.rule, facts.classification)}"),
        *(_top_orders(divergences, facts.order_count) if divergences else []),
        _context(facts.reference()),
        _actions(facts.exception_id, [ACTION_ACK, ACTION_ASSIGN_ME]),
    ]
    text = (
        f"Escalation (step {int(step)}): {facts.severity} {facts.rule} for {facts.owner} unacknowledged past SLA "
        f"(due {facts.sla_due}), {facts.exposure} at risk"
    )
    return _message(text, blocks)


# ---------------------------------------------------------------- facts shared by the messages


class _Facts:
    """The exception's fields, formatted and escaped once."""

    def __init__(self, exception: Mapping[str, Any], divergences: Sequence[Mapping[str, Any]]):
        exception_id = exception.get("exception_id", exception.get("id"))
        if exception_id in (None, ""):
            raise ValueError("the exception has no exception_id: its buttons need one")
        self.exception = exception
        self.exception_id = str(exception_id)
        self.rule = one_line(exception.get("rule") or "unknown_rule")
        self.rule_title = self.rule.replace("_", " ").capitalize()
        self.classification = exception.get("classification") or "unknown"
        self.classification_label = one_line(self.classification).replace("_", " ")
        self.owner = one_line(exception.get("owner_team") or "—")
        self.severity = one_line(exception.get("severity") or "—")
        self.severity_emoji = SEVERITY_EMOJI.get(self.severity, ":white_circle:")
        self.state = str(exception.get("state") or exception.get("status") or "open")
        divergence_count = _first_count(exception, ("divergence_count", "divergences"), len(divergences))
        order_ids = {str(d.get("order_id")) for d in divergences}
        self.order_count = max(_first_count(exception, ("order_count", "orders"), len(order_ids)), len(order_ids))
        self.counts_text = f"{_plural(divergence_count, 'divergence')} in {_plural(self.order_count, 'order')}"
        exposure = exception.get("exposure_amount")
        if _missing(exposure) and divergences:
            exposure = sum(_amount(d) for d in divergences)
        self.exposure = _money(exposure, _currency(divergences, exception))
        self.sla_due = _when(exception.get("sla_due_at"))

    def status_text(self) -> str:
        """The state, with who holds it: "acknowledged by asha", "assigned to ravi"."""
        state = self.state
        text = one_line(state.replace("_with_reason", "").replace("_", "-"))
        if state == "acknowledged" and self.exception.get("acknowledged_by"):
            text += f" by {one_line(self.exception['acknowledged_by'])}"
        elif state == "assigned" and self.exception.get("assignee"):
            text += f" to {one_line(self.exception['assignee'])}"
        return text

    def fields(self, *, status: str | None = None) -> list[str]:
        status = one_line(status) if status else self.status_text()
        fields = [
            f"*Rule*\n{inline_code(self.rule)}",
            f"*Classification*\n{self.classification_label}",
            f"*Owner*\n{self.owner}",
            f"*Severity*\n{self.severity_emoji} {self.severity}",
            f"*Counts*\n{self.counts_text}",
            f"*Exposure*\n{self.exposure}",
            f"*SLA due*\n{self.sla_due}",
            f"*Status*\n{status}",
        ]
        scope = [
            f"{name.replace('_', ' ')} {one_line(self.exception[name])}"
            for name in ("carrier", "zone", "payment_mode", "system")
            if not _missing(self.exception.get(name))
        ]
        if scope:
            fields.append("*Scope*\n" + " · ".join(scope))
        return fields

    def reference(self) -> str:
        parts = [f"Exception {inline_code(self.exception_id)}"]
        if self.exception.get("cluster_id"):
            parts.append(f"cluster {inline_code(self.exception['cluster_id'])}")
        if self.exception.get("opened_at") is not None:
            parts.append(f"opened {_when(self.exception['opened_at'])}")
        return " · ".join(parts)


# ---------------------------------------------------------------- pieces


def _message(text: str, blocks: list[dict]) -> dict:
    return {"text": truncate(text, MAX_MESSAGE_TEXT), "blocks": blocks}


def _header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": truncate(plain_text(text), MAX_HEADER_TEXT)}}


def _section(mrkdwn: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(mrkdwn, MAX_SECTION_TEXT)}}


def _fields(fields: Iterable[str]) -> dict:
    return {"type": "section", "fields": [{"type": "mrkdwn", "text": truncate(f, MAX_FIELD_TEXT)} for f in fields]}


def _context(mrkdwn: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(mrkdwn, MAX_SECTION_TEXT)}]}


_BUTTONS = {
    ACTION_ACK: "Acknowledge",
    ACTION_ASSIGN_ME: "Assign to me",
    ACTION_RESOLVE: "Resolve",
    ACTION_REPLAY_DRY_RUN: "Replay (dry run)",
}


def _actions(exception_id: str, action_ids: Sequence[str]) -> dict:
    elements = []
    for action_id in action_ids:
        button = {
            "type": "button",
            "action_id": action_id,
            "text": {"type": "plain_text", "text": truncate(_BUTTONS[action_id], MAX_BUTTON_TEXT)},
            "value": exception_id,
        }
        if action_id == ACTION_RESOLVE:
            button["style"] = "primary"
        elements.append(button)
    return {"type": "actions", "block_id": ACTIONS_BLOCK_ID, "elements": elements}


def _top_orders(divergences: Sequence[Mapping[str, Any]], order_count: int) -> list[dict]:
    """The top orders by exposure, one line each, and a note for the rest (of `order_count` in all)."""
    ranked = _by_order(divergences)
    if not ranked:
        return [_section("*Top orders by exposure*\nNo orders listed.")]
    top = ranked[:TOP_ORDERS]
    total = max(order_count, len(ranked))
    title = f"*Top {len(top)} of {_plural(total, 'order')} by exposure*"
    body = join_lines([title, *(f"• {_divergence_line(d)}" for d in top)], MAX_SECTION_TEXT)
    blocks = [_section(body)]
    left = total - len(top)
    if left:
        blocks.append(_context(f"…and {left} more {_noun(left, 'order')} not shown"))
    return blocks


def _divergence_line(divergence: Mapping[str, Any]) -> str:
    summary = truncate(one_line(divergence.get("summary") or "no summary"), SUMMARY_CHARS)
    money = _money(divergence.get("exposure_amount"), divergence.get("currency"))
    return f"{inline_code(divergence.get('order_id'))} · {money} · {summary}"


def _status_line(change: Mapping[str, Any]) -> str:
    status = str(change.get("to_status") or "")
    emoji, label = STATUS_LABELS.get(status, (":information_source:", f"Status: {one_line(status) or '—'}"))
    line = f"{emoji} *{label}*"
    if status == "assigned" and change.get("assignee"):
        line += f" to {one_line(change['assignee'])}"
    if change.get("actor"):
        line += f" by {one_line(change['actor'])}"
    if change.get("at") is not None:
        line += f" at {_when(change['at'])}"
    if change.get("from_status"):
        line += f" (was {one_line(change['from_status'])})"
    if change.get("note"):
        line += f"\n>{truncate(one_line(change['note']), NOTE_CHARS)}"
    return line


def _fit(
    head: list[dict], rows: list[dict], max_rows: int | None, note: Callable[[int], str], hidden: int = 0
) -> list[dict]:
    """head + as many rows as allowed and as fit in 50 blocks, then a note saying how many were left
    out (`hidden` more were never given)."""
    room = MAX_BLOCKS - len(head)
    limit = len(rows) if max_rows is None else min(max_rows, len(rows))
    if limit == len(rows) and len(rows) <= room and hidden <= 0:
        return [*head, *rows]
    limit = min(limit, room - 1)
    return [*head, *rows[:limit], _context(note(len(rows) - limit + max(hidden, 0)))]


def _order_list(divergences: Sequence[Mapping[str, Any]], total: int, shown: int = 10) -> str:
    ids = [one_line(d.get("order_id")) for d in divergences[:shown]]
    more = total - len(ids)
    return ", ".join(ids) + (f" and {more} more" if more > 0 else "")


def _safe_link(url: str | None, label: str) -> str | None:
    """A labelled link to our own https URL (a Slack permalink), or None when it is not one."""
    if not url or not url.startswith("https://") or any(c in url for c in "<>| \n"):
        return None
    return f"<{url.replace('&', '&amp;')}|{label}>"


# ---------------------------------------------------------------- values


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _amount(divergence: Mapping[str, Any]) -> float:
    value = divergence.get("exposure_amount")
    return 0.0 if _missing(value) else float(value)


def _by_exposure(divergences: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(divergences, key=lambda d: (-_amount(d), str(d.get("order_id"))))


def _by_order(divergences: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """One divergence per order (its largest exposure), largest first."""
    best: dict[str, Mapping[str, Any]] = {}
    for divergence in _by_exposure(divergences):
        best.setdefault(str(divergence.get("order_id")), divergence)
    return list(best.values())


def _currency(divergences: Sequence[Mapping[str, Any]], exception: Mapping[str, Any]) -> str | None:
    if not _missing(exception.get("currency")):
        return exception["currency"]
    currencies = {d.get("currency") for d in divergences if not _missing(d.get("currency"))}
    return currencies.pop() if len(currencies) == 1 else None


def _money(amount: Any, currency: Any) -> str:
    if _missing(amount):
        return "—"
    value = f"{float(amount):,.2f}"
    if currency == "MIXED":  # the store's word for a total over several currencies
        return f"{value} (mixed currencies)"
    return f"{one_line(currency)} {value}" if not _missing(currency) else value


def _count(value: Any, fallback: int) -> int:
    return fallback if _missing(value) or isinstance(value, bool) else int(value)


def _first_count(exception: Mapping[str, Any], keys: Sequence[str], fallback: int) -> int:
    """The first of `keys` holding a number (the store's `divergences` is a count, never a list)."""
    for key in keys:
        value = exception.get(key)
        if isinstance(value, int | float | str) and not isinstance(value, bool) and not _missing(value):
            return int(float(value))
    return fallback


def _noun(count: int, noun: str) -> str:
    return noun if count == 1 else f"{noun}s"


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {_noun(count, noun)}"


def _as_utc(value: Any) -> datetime | None:
    if _missing(value):
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except ValueError:  # pandas NaT
        return None


def _when(value: Any) -> str:
    moment = _as_utc(value)
    if moment is None:
        return "—" if _missing(value) or not isinstance(value, str) else one_line(value)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _overdue(sla_due_at: Any, now: datetime) -> str | None:
    due, current = _as_utc(sla_due_at), _as_utc(now)
    if due is None or current is None or current <= due:
        return None
    return _duration(current - due)


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} d"] if days else []
    if hours or days:
        parts.append(f"{hours} h")
    if not days:
        parts.append(f"{minutes} min")
    return " ".join(parts)


# ---------------------------------------------------------------- pipeline alerts (to the data team)

# Failed steps named in a run-failure alert; identifiers (job, run, step, asset, check) are cut to this length.
ALERT_STEPS = 5
ALERT_NAME_CHARS = 200
CHECK_SEVERITY_EMOJI = {"ERROR": ":red_circle:", "WARN": ":warning:"}


def format_pipeline_alert(alert: Mapping[str, Any]) -> dict:
    """An alert in the data team's channel, from what the sensors queue (`event` and its facts):

    - `run_failed`: `job`, `run_id`, `steps` (the failed step keys), `error` (the root error's first line),
      `failed_at`;
    - `check_failed`: `asset` (its key as `a/b`), `check`, `severity` (`WARN`, `ERROR`), `run_id`, `job`,
      `description`, `evaluated_at`.

    Every value comes from a run (job and step names, an exception's text, a dbt test's description): all escaped.
    """

    def code(value: Any) -> str:
        return inline_code(truncate(str(value if not _missing(value) else "—"), ALERT_NAME_CHARS))

    def name(value: Any) -> str:
        return truncate(one_line(value if not _missing(value) else "—"), ALERT_NAME_CHARS)

    event = alert.get("event")
    if event == "run_failed":
        steps = [str(step) for step in alert.get("steps") or []]
        more = f" and {len(steps) - ALERT_STEPS} more" if len(steps) > ALERT_STEPS else ""
        shown = ", ".join(code(step) for step in steps[:ALERT_STEPS]) + more
        error = truncate(one_line(alert.get("error") or "no error message"), NOTE_CHARS)
        blocks = [
            _header(f":x: Run failed: {alert.get('job') or '—'}"),
            _fields(
                [
                    f"*Job*\n{code(alert.get('job'))}",
                    f"*Run*\n{code(alert.get('run_id'))}",
                    f"*Failed {_noun(len(steps), 'step')}*\n{shown or '—'}",
                    f"*Failed at*\n{_when(alert.get('failed_at'))}",
                ]
            ),
            _section(f"*Error*\n>{error}"),
            _context("The run's full event log is in the Dagster UI; rerun it once the cause is fixed."),
        ]
        where = ""
        if steps:
            where = f", {_noun(len(steps), 'step')} " + ", ".join(name(step) for step in steps[:ALERT_STEPS]) + more
        text = f"Run failed: job {name(alert.get('job'))}, run {name(alert.get('run_id'))}{where}: {error}"
        return _message(text, blocks)
    if event == "check_failed":
        severity = name(alert.get("severity"))
        emoji = CHECK_SEVERITY_EMOJI.get(severity, ":warning:")
        description = truncate(one_line(alert.get("description") or ""), NOTE_CHARS)
        blocks = [
            _header(f"{emoji} Asset check failed: {alert.get('check') or '—'} on {alert.get('asset') or '—'}"),
            _fields(
                [
                    f"*Asset*\n{code(alert.get('asset'))}",
                    f"*Check*\n{code(alert.get('check'))}",
                    f"*Severity*\n{emoji} {severity}",
                    f"*Run*\n{code(alert.get('run_id'))}",
                    f"*Job*\n{code(alert.get('job'))}",
                    f"*Evaluated at*\n{_when(alert.get('evaluated_at'))}",
                ]
            ),
            *([_section(f"*Description*\n>{description}")] if description else []),
            _context("The check's history is on the asset's page in the Dagster UI."),
        ]
        text = (
            f"Asset check failed ({severity}): {name(alert.get('check'))} on {name(alert.get('asset'))}, "
            f"run {name(alert.get('run_id'))}" + (f": {description}" if description else "")
        )
        return _message(text, blocks)
    raise ValueError(f"unknown pipeline alert event {event!r}: expected run_failed or check_failed")


__all__ = [
    "ACTION_ACK",
    "ACTION_ASSIGN_ME",
    "ACTION_REPLAY_DRY_RUN",
    "ACTION_RESOLVE",
    "CHECK_FIRST",
    "format_escalation",
    "format_exception_blocks",
    "format_file_exception_blocks",
    "format_resolved_update",
    "format_thread_reply",
    "what_to_check_first",
]
