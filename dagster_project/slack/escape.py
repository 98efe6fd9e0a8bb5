"""Make untrusted text (order ids, free text from sources) inert in Slack messages.

Slack's mrkdwn parses three characters as control: `&`, `<` and `>`. Every mention (`<!channel>`,
`<@U123>`, `<!subteam^S1>`), channel link (`<#C1>`) and labelled link (`<https://x|y>`) needs a
literal `<`, so escaping them as `&amp;`, `&lt;`, `&gt;` (Slack's own rule) leaves nothing that can
ping or hide a link behind a label. On top of that, and because clients differ in what they
autolink, this module also:

- breaks the words `@channel`, `@here` and `@everyone` with a zero-width space (never a mention,
  even if a message were ever sent with `link_names`);
- defangs bare URLs (`https://x` → `https:​//x`, `www.x` → `www​.x`) so untrusted text is never a
  clickable link;
- drops control characters (terminal escapes on the console) and bidirectional overrides (which
  can make `ORD-1` display as something else).

Our own text (labels, rule names) needs none of this; anything that came from a source does.
"""

from __future__ import annotations

import re
from typing import Any

ZWSP = "\u200b"

# C0/C1 controls except tab and newline; bidi embeddings, overrides and isolates; LRM/RLM.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_BROADCAST = re.compile(r"([@＠])(channel|here|everyone)\b", re.IGNORECASE)
_SCHEME = re.compile(r"\b([a-z][a-z0-9+.\-]*):(?=//)", re.IGNORECASE)
_WWW = re.compile(r"\b(www)\.", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
_ENTITIES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))


def _as_text(value: Any) -> str:
    return "" if value is None else str(value)


def strip_controls(value: Any) -> str:
    """The text without control characters and bidi overrides (tab and newline kept)."""
    return _CONTROLS.sub("", _as_text(value))


def _defuse(text: str) -> str:
    text = _BROADCAST.sub(lambda m: f"{m.group(1)}{ZWSP}{m.group(2)}", text)
    text = _SCHEME.sub(lambda m: f"{m.group(1)}:{ZWSP}", text)
    return _WWW.sub(lambda m: f"{m.group(1)}{ZWSP}.", text)


def escape_mrkdwn(value: Any) -> str:
    """Untrusted text for a mrkdwn field (section text, context, the fallback `text`)."""
    text = strip_controls(value)
    for raw, entity in _ENTITIES:
        text = text.replace(raw, entity)
    return _defuse(text)


def one_line(value: Any) -> str:
    """`escape_mrkdwn` with every run of whitespace (newlines too) folded into one space."""
    return _WHITESPACE.sub(" ", escape_mrkdwn(value)).strip()


def inline_code(value: Any) -> str:
    """Untrusted identifier shown as inline code: escaped, one line, no backtick to break out of the span."""
    text = one_line(value).replace("`", "\u02cb")
    return f"`{text}`" if text else "`—`"


def plain_text(value: Any) -> str:
    """Text for a `plain_text` object (headers, buttons): never parsed, but still no broadcast words."""
    return _defuse(_WHITESPACE.sub(" ", strip_controls(value)).strip())
