"""The Resolve modal: asks for the reason (required), which is also the confirmation, and reads it back.

The exception id and the channel of the clicked message travel in the view's `private_metadata` (JSON), so the
submission knows what to resolve and where to answer the user if the store refuses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from dagster_project.slack.blocks import NOTE_CHARS
from dagster_project.slack.escape import inline_code

CALLBACK_ID = "recon_resolve_modal"
REASON_BLOCK_ID = "recon_resolve_reason"
REASON_ACTION_ID = "reason"


def reason_input(block_id: str, placeholder: str) -> dict[str, Any]:
    """The required, multi-line reason field of recon's modals (Resolve, Execute replay)."""
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": "Reason"},
        "element": {
            "type": "plain_text_input",
            "action_id": REASON_ACTION_ID,
            "multiline": True,
            "max_length": NOTE_CHARS,
            "placeholder": {"type": "plain_text", "text": placeholder},
        },
    }


def resolve_modal(exception_id: int, channel_id: str | None) -> dict[str, Any]:
    """The modal `views.open` shows when Resolve is clicked."""
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": json.dumps({"exception_id": exception_id, "channel": channel_id}),
        "title": {"type": "plain_text", "text": "Resolve exception"},
        "submit": {"type": "plain_text", "text": "Resolve"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"Exception {inline_code(exception_id)} will be marked resolved. The reason is kept in "
                    "its audit trail and shown on its Slack message.",
                },
            },
            reason_input(REASON_BLOCK_ID, "What was wrong, and what fixed it"),
        ],
    }


@dataclass(frozen=True)
class Submission:
    exception_id: int | None  # None: the metadata is not ours (a view from an older or other app)
    channel_id: str | None
    reason: str


def read_submission(view: dict[str, Any]) -> Submission:
    """The exception, channel and reason of a submitted Resolve modal."""
    try:
        metadata = json.loads(view.get("private_metadata") or "")
        exception_id = metadata["exception_id"]
        channel_id = metadata.get("channel")
        if not isinstance(exception_id, int) or isinstance(exception_id, bool):
            raise TypeError(exception_id)
    except (ValueError, TypeError, KeyError, AttributeError):
        exception_id, channel_id = None, None
    values = ((view.get("state") or {}).get("values") or {}).get(REASON_BLOCK_ID) or {}
    reason = (values.get(REASON_ACTION_ID) or {}).get("value") or ""
    return Submission(exception_id, channel_id if isinstance(channel_id, str) else None, reason)


def reason_error(exception_id: int) -> dict[str, Any]:
    """The `view_submission` answer for a missing reason: a field error under the input, the modal stays open."""
    return {
        "response_action": "errors",
        "errors": {REASON_BLOCK_ID: f"a reason is required to resolve exception {exception_id}"},
    }
