"""The exception state machine: which action may move an exception from which state, and to where.

open ──acknowledge──► acknowledged ──assign──► assigned
  │  └──────────────assign───────────────────▲    │ (reassign)
  └─ open / acknowledged / assigned ──resolve──► resolved
                                    ──ignore───► ignored_with_reason
                                    ──(sync: every divergence resolved)──► auto_resolved
  resolved / auto_resolved ──(sync: a divergence open again, or a new open one)──► open (reopened)
"""

from __future__ import annotations

from dagster_project.errors import ReconError

OPEN = "open"
ACKNOWLEDGED = "acknowledged"
ASSIGNED = "assigned"
RESOLVED = "resolved"
AUTO_RESOLVED = "auto_resolved"
IGNORED = "ignored_with_reason"

STATES = (OPEN, ACKNOWLEDGED, ASSIGNED, RESOLVED, AUTO_RESOLVED, IGNORED)
# Someone still has to act: the sync attaches to these, auto-resolves them, and they can be resolved or ignored.
ACTIVE = (OPEN, ACKNOWLEDGED, ASSIGNED)
# Closed by a resolution, so a divergence coming back reopens them; an ignored exception stays ignored.
REOPENABLE = (RESOLVED, AUTO_RESOLVED)

# action: (states it is allowed from, state it leads to, how the refusal names it)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "acknowledge": ((OPEN,), ACKNOWLEDGED, "acknowledged"),
    "assign": (ACTIVE, ASSIGNED, "assigned"),
    "resolve": (ACTIVE, RESOLVED, "resolved"),
    "ignore": (ACTIVE, IGNORED, "ignored"),
    "auto_resolve": (ACTIVE, AUTO_RESOLVED, "auto-resolved"),
    "reopen": (REOPENABLE, OPEN, "reopened"),
}


class TransitionError(ReconError):
    """An action the exception's current state does not allow; the message names that state."""


def _either(states: tuple[str, ...]) -> str:
    return states[0] if len(states) == 1 else f"{', '.join(states[:-1])} or {states[-1]}"


def next_state(exception_id: int, state: str, action: str) -> str:
    """The state `action` leads to from `state`, or a TransitionError saying why not."""
    allowed, to_state, done = TRANSITIONS[action]
    if state not in allowed:
        raise TransitionError(f"exception {exception_id} is {state}: only {_either(allowed)} exceptions can be {done}")
    return to_state
