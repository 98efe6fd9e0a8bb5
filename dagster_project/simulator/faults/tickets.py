"""R6 ticket_closed_before_order: a CRM ticket is resolved while the OMS still shows the order in transit;
resolved once the OMS reaches delivered."""

from __future__ import annotations

import numpy as np

from dagster_project.simulator.events import AGENT
from dagster_project.simulator.faults.context import FaultContext
from dagster_project.simulator.labels import MANUAL, OPEN, RESOLVED, SYNC, UNKNOWN
from dagster_project.simulator.scenario import Scenario
from dagster_project.simulator.timeline import last_second_of_hour
from dagster_project.simulator.vocab import DAY, HOUR, MINUTE


def _ticket_closed_in_transit(
    ctx: FaultContext,
    idx: np.ndarray,
    actor: str,
) -> tuple[np.ndarray, np.ndarray]:
    """A "where is my parcel" ticket opened after shipping and resolved within two hours of it, before the
    first delivery run (>= 2 h after shipping). Alternate orders are delivered days later (the divergence
    resolves when the OMS reaches delivered) or are still in transit at as_of with their promise ahead
    (open). Returns the resolution times and the statuses."""
    tl, n = ctx.tl, len(idx)
    opened = tl.at("oms_shipped", idx) + ctx.u(20 * MINUTE, 50 * MINUTE, n)
    resolved = opened + ctx.u(15 * MINUTE, 60 * MINUTE, n)
    delivered = np.arange(n) % 2 == 0
    delta = np.zeros(n, np.int64)
    delta[delivered] = ctx.place(idx[delivered], resolved[delivered], 5 * DAY, 20 * DAY)
    delta[~delivered] = ctx.place(idx[~delivered], resolved[~delivered], 4 * HOUR, 30 * HOUR)
    opened, resolved = opened + delta, resolved + delta
    waiting = idx[~delivered]
    tl.clear_after(waiting, resolved[~delivered])
    tl.put("promised_by", waiting, last_second_of_hour(ctx.as_of + ctx.u(12 * HOUR, 3 * DAY, len(waiting))))
    ctx.emit("crm", idx, opened, None, "api:app", etype="ticket_opened", ticket=0)
    ctx.emit("crm", idx, resolved, None, actor, etype="ticket_resolved", ticket=0)
    return resolved, np.where(delivered, RESOLVED, OPEN)


def agent_closes_ticket(ctx: FaultContext, idx: np.ndarray) -> None:
    _, status = _ticket_closed_in_transit(ctx, idx, AGENT)
    ctx.label(idx, "R6", MANUAL, status)


def bot_closes_ticket(ctx: FaultContext, idx: np.ndarray) -> None:
    _, status = _ticket_closed_in_transit(ctx, idx, "system")
    ctx.label(idx, "R6", UNKNOWN, status)


def helpdesk_sync_closes_ticket(ctx: FaultContext, idx: np.ndarray) -> None:
    """The helpdesk sync resolves the ticket after its order-status lookup failed."""
    resolved, status = _ticket_closed_in_transit(ctx, idx, "api:helpdesk_sync")
    ctx.failed_calls(idx, resolved - ctx.u(2 * MINUTE, 20 * MINUTE, len(idx)), "crm", "oms", dropped=True)
    ctx.label(idx, "R6", SYNC, status)


SCENARIOS = (
    Scenario("r6_agent_closes_ticket", 0.0008, apply=agent_closes_ticket),
    Scenario("r6_bot_closes_ticket", 0.0006, apply=bot_closes_ticket),
    Scenario("r6_helpdesk_sync_closes_ticket", 0.0005, apply=helpdesk_sync_closes_ticket),
)
