"""Who clicked what, where: read from a Slack interaction payload (`block_actions`, `view_submission`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dagster_project.errors import ReconError

# Up to nine digits: every id the store can hold (a 32-bit integer column), and nothing a database would refuse.
_EXCEPTION_ID = re.compile(r"^[0-9]{1,9}$")


@dataclass(frozen=True)
class Clicker:
    user_id: str
    username: str | None

    @property
    def actor(self) -> str:
        """The audit trail's actor: `slack:<user id>` (ids never change; names do)."""
        return f"slack:{self.user_id}"

    @property
    def assignee(self) -> str:
        """Who "Assign to me" assigns: the Slack username, else the user id."""
        return self.username or self.user_id


def clicker(body: dict[str, Any]) -> Clicker:
    user = body.get("user") or {}
    return Clicker(str(user.get("id") or "unknown"), user.get("username") or None)


def channel_of(body: dict[str, Any]) -> str | None:
    """The channel of the message whose button was clicked."""
    return (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or None


def exception_id_of(value: Any) -> int:
    """The exception id a button carries as its value; a `ReconError` when it is not one."""
    text = "" if value is None else str(value)
    if not _EXCEPTION_ID.match(text.strip()):
        raise ReconError(f"the button's value {text[:40]!r} is not an exception id")
    return int(text.strip())
