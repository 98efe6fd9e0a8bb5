"""Without `SLACK_BOT_TOKEN`: show each message on the console, send nothing, keep it in the outbox."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, TextIO

from dagster_project.slack.escape import strip_controls
from dagster_project.slack.outbox import DeliveryResult, OutboxItem
from dagster_project.slack.settings import TOKEN_ENV

NOT_SENT = f"not sent: {TOKEN_ENV} is not set, so the message was printed to the console and stays in the outbox"


class ConsoleSender:
    """A sender that prints a readable rendering of each message and reports it as not sent."""

    def __init__(self, out: TextIO | None = None):
        self._out = out

    def __repr__(self) -> str:
        return "ConsoleSender()"

    def deliver(self, item: OutboxItem) -> DeliveryResult:
        out = self._out or sys.stdout
        print(render_item(item), file=out, flush=True)
        return DeliveryResult(sent=False, detail=NOT_SENT)


def render_item(item: OutboxItem) -> str:
    where = item.channel + (f" (thread {item.thread_ts})" if item.thread_ts else "")
    title = f"── Slack {item.kind} → {where} · outbox {item.id} · not sent ({TOKEN_ENV} not set) ──"
    return f"{strip_controls(title)}\n{render_message(item.payload)}\n"


def render_message(payload: Mapping[str, Any]) -> str:
    """Block Kit as plain lines: headers, sections, fields, context, buttons; the fallback text if no blocks."""
    lines: list[str] = []
    for block in payload.get("blocks") or []:
        lines.extend(_render_block(block))
    if not lines:
        lines.append(_text(payload.get("text")))
    # Entities are for Slack; on a terminal show the characters, minus anything that could drive it.
    return strip_controls("\n".join(lines))


def _render_block(block: Mapping[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        return [f"== {_text(block['text'].get('text'))} =="]
    if kind == "section":
        lines = [_text(block["text"].get("text"))] if block.get("text") else []
        for field in block.get("fields") or []:
            label, _, value = _text(field.get("text")).partition("\n")
            lines.append(f"  {label.strip('*')}: {value}" if value else f"  {label}")
        return lines
    if kind == "context":
        return ["  " + " ".join(_text(e.get("text")) for e in block.get("elements") or [])]
    if kind == "divider":
        return ["-" * 40]
    if kind == "actions":
        return ["  " + " ".join(f"[{_text(e.get('text', {}).get('text'))}]" for e in block.get("elements") or [])]
    return []


def _text(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
