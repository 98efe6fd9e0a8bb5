"""Slack's message limits, truncation that respects them, and a checker for whole payloads.

Numbers from Slack's Block Kit reference. Slack rejects a message over a limit
(`invalid_blocks`, `msg_too_long`) instead of trimming it, so every formatter keeps inside them and
says what it left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

MAX_BLOCKS = 50
MAX_MESSAGE_TEXT = 40_000
MAX_SECTION_TEXT = 3_000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2_000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_TEXT = 3_000
MAX_ACTION_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2_000
MAX_ACTION_ID = 255
MAX_CONFIRM_TITLE = 100
MAX_CONFIRM_TEXT = 300
MAX_CONFIRM_BUTTON = 30

ELLIPSIS = "…"


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in "…" when cut; never splits an `&amp;`-style entity."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - len(ELLIPSIS), 0)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + ELLIPSIS


def join_lines(lines: Sequence[str], limit: int, more: str = "…and {n} more not shown") -> str:
    """Lines joined by newlines: as many whole lines as fit in `limit`, then a note saying how many were left out."""
    whole = "\n".join(lines)
    if len(whole) <= limit:
        return whole
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        needed = used + (1 if kept else 0) + len(line)
        # Keep room for the note about the lines after this one (the whole does not fit, so there will be one).
        if needed + 1 + len(more.format(n=len(lines) - index - 1)) <= limit:
            kept.append(line)
            used = needed
            continue
        if kept:
            return "\n".join([*kept, more.format(n=len(lines) - index)])
        note = more.format(n=len(lines) - 1)
        room = limit - len(note) - 1
        if room < len(ELLIPSIS) + 1:
            break
        return f"{truncate(line, room)}\n{note}"
    return truncate(whole, limit)


def limit_violations(payload: Mapping[str, Any]) -> list[str]:
    """Every way `payload` ({"text", "blocks"}) breaks a Slack limit; empty when Slack would accept it."""
    problems: list[str] = []
    text = payload.get("text")
    if not text:
        problems.append("no fallback text")
    elif len(text) > MAX_MESSAGE_TEXT:
        problems.append(f"text has {len(text)} characters (max {MAX_MESSAGE_TEXT})")
    blocks = payload.get("blocks") or []
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks (max {MAX_BLOCKS})")
    for index, block in enumerate(blocks):
        problems.extend(f"block {index} ({block.get('type')}): {p}" for p in _block_violations(block))
    return problems


def _too_long(obj: Mapping[str, Any] | None, limit: int, what: str) -> list[str]:
    text = (obj or {}).get("text", "")
    return [f"{what} has {len(text)} characters (max {limit})"] if len(text) > limit else []


def _items(items, limit: int, plural: str, max_text: int, what: str, text_of=lambda item: item) -> list[str]:
    """At most `limit` items, each one's text at most `max_text` characters."""
    items = items or []
    problems = [f"{len(items)} {plural} (max {limit})"] if len(items) > limit else []
    for item in items:
        problems += _too_long(text_of(item), max_text, what)
    return problems


def _block_violations(block: Mapping[str, Any]) -> list[str]:
    kind = block.get("type")
    problems: list[str] = []
    if kind == "header":
        problems += _too_long(block.get("text"), MAX_HEADER_TEXT, "header")
    elif kind == "section":
        problems += _too_long(block.get("text"), MAX_SECTION_TEXT, "text")
        problems += _items(block.get("fields"), MAX_FIELDS, "fields", MAX_FIELD_TEXT, "field")
    elif kind == "context":
        problems += _items(block.get("elements"), MAX_CONTEXT_ELEMENTS, "elements", MAX_CONTEXT_TEXT, "element")
    elif kind == "actions":
        elements = block.get("elements") or []
        problems += _items(
            elements,
            MAX_ACTION_ELEMENTS,
            "elements",
            MAX_BUTTON_TEXT,
            "button text",
            text_of=lambda element: element.get("text"),
        )
        for element in elements:
            if len(element.get("value", "")) > MAX_BUTTON_VALUE:
                problems.append(f"button value over {MAX_BUTTON_VALUE} characters")
            if len(element.get("action_id", "")) > MAX_ACTION_ID:
                problems.append(f"action_id over {MAX_ACTION_ID} characters")
            confirm = element.get("confirm")
            if confirm:
                problems += _too_long(confirm.get("title"), MAX_CONFIRM_TITLE, "confirm title")
                problems += _too_long(confirm.get("text"), MAX_CONFIRM_TEXT, "confirm text")
                problems += _too_long(confirm.get("confirm"), MAX_CONFIRM_BUTTON, "confirm button")
                problems += _too_long(confirm.get("deny"), MAX_CONFIRM_BUTTON, "deny button")
    return problems
