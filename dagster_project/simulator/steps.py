"""Which event each timeline milestone becomes: system, native status, actor and fixed fields.

The table is the whole vocabulary of clean flows; faults add their odd events directly to the log.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dagster_project.simulator.events import AGENT, EventLog
from dagster_project.simulator.timeline import Timeline
from dagster_project.simulator.vocab import OUTCOMES, call


@dataclass(frozen=True)
class Step:
    column: str
    system: str
    status: str | None
    actor: str = "system"
    agent_share: float = 0.0
    slot: int | None = None
    etype: str | None = None
    fields: dict = field(default_factory=dict)


def _crm(
    column: str,
    status: str | None,
    actor: str = "api:oms_sync",
    etype: str = "status_update",
    **kw,
) -> Step:
    return Step(column, "crm", status, actor, etype=etype, **kw)


def _webhook(column: str, http: int, attempt: int, outcome: str) -> Step:
    fields = {
        "call": call("carrier", "oms"),
        "http": http,
        "attempt": attempt,
        "outcome": OUTCOMES.index(outcome),
    }
    return Step(column, "integration_log", None, "api:tracking_push", fields=fields)


_OMS_CARRIER = "api:carrier_webhook"
_TRACKING = "api:tracking_push"

STEPS: tuple[Step, ...] = (
    Step("created", "oms", "CREATED", "api:storefront"),
    Step("oms_confirmed", "oms", "CONFIRMED"),
    Step("oms_packed", "oms", "PACKED", "api:wms"),
    Step("oms_shipped", "oms", "SHIPPED", "api:wms", slot=0),
    Step("oms_ofd", "oms", "OUT_FOR_DELIVERY", _OMS_CARRIER),
    Step("oms_dlvd", "oms", "DELIVERED", _OMS_CARRIER),
    Step("oms_closed", "oms", "CLOSED"),
    Step("oms_cancelled", "oms", "CANCELLED", "api:storefront", agent_share=0.2),
    Step("oms_rto_init", "oms", "RTO_INITIATED", _OMS_CARRIER),
    Step("oms_rto_dlvd", "oms", "RTO_DELIVERED", _OMS_CARRIER),
    Step("oms_repl_created", "oms", "REPLACEMENT_CREATED", "api:crm", slot=1),
    Step("oms_repl_shipped", "oms", "SHIPPED", "api:wms", slot=1),
    Step("oms_repl_ofd", "oms", "OUT_FOR_DELIVERY", _OMS_CARRIER),
    Step("oms_repl_dlvd", "oms", "DELIVERED", _OMS_CARRIER),
    Step("wms_picked", "wms", "PICKED"),
    Step("wms_packed", "wms", "PACKED"),
    Step("wms_manifested", "wms", "MANIFESTED", slot=0),
    Step("wms_rto_received", "wms", "RTO_RECEIVED"),
    Step("wms_repl_picked", "wms", "PICKED"),
    Step("wms_repl_manifested", "wms", "MANIFESTED", slot=1),
    Step("c_pickup", "carrier", "PICKUP", _TRACKING, slot=0),
    Step("c_in_transit", "carrier", "IN_TRANSIT", _TRACKING, slot=0),
    *(Step(f"c_ofd{k}", "carrier", "OFD", _TRACKING, slot=0) for k in range(3)),
    *(Step(f"c_ndr{k}", "carrier", "NDR", _TRACKING, slot=0) for k in range(3)),
    Step("c_dlvd", "carrier", "DLVD", _TRACKING, slot=0),
    Step("c_rto_init", "carrier", "RTO_INIT", _TRACKING, slot=0),
    Step("c_rto_dlvd", "carrier", "RTO_DLVD", _TRACKING, slot=0),
    Step("c_repl_pickup", "carrier", "PICKUP", _TRACKING, slot=1),
    Step("c_repl_in_transit", "carrier", "IN_TRANSIT", _TRACKING, slot=1),
    Step("c_repl_ofd", "carrier", "OFD", _TRACKING, slot=1),
    Step("c_repl_dlvd", "carrier", "DLVD", _TRACKING, slot=1),
    _crm("crm_placed", "Order Placed"),
    _crm("crm_shipped", "Shipped"),
    _crm("crm_ofd", "Out for Delivery"),
    _crm("crm_dlvd", "Delivered"),
    _crm("crm_cancelled", "Cancelled"),
    _crm("crm_refunded", "Refunded"),
    _crm("crm_rto_init", "Return Initiated"),
    _crm("crm_rto_dlvd", "Returned"),
    _crm("crm_repl_shipped", "Shipped"),
    _crm("crm_repl_ofd", "Out for Delivery"),
    _crm("crm_repl_dlvd", "Delivered"),
    _crm("crm_exchange", None, "api:app", "exchange_requested", agent_share=0.5),
    _crm("crm_ticket_open", None, "api:app", "ticket_opened", agent_share=0.4, fields={"ticket": 0}),
    _crm("crm_ticket_resolved", None, AGENT, "ticket_resolved", fields={"ticket": 0}),
    Step("pay_captured", "payments", "CAPTURED", "api:checkout"),
    Step("pay_cod", "payments", "COD_COLLECTED", "api:cod_remittance"),
    Step("pay_refund_init", "payments", "REFUND_INITIATED", "api:refund_service"),
    Step("pay_refunded", "payments", "REFUNDED", "api:refund_service"),
    Step("pay_chargeback", "payments", "CHARGEBACK"),
    Step("erp_invoiced", "erp", "INVOICED", "batch:erp_invoicing"),
    Step("erp_revenue", "erp", "REVENUE_RECOGNIZED", "batch:revenue_recognition"),
    Step("erp_credit_note", "erp", "CREDIT_NOTE", "batch:erp_invoicing"),
    _webhook("il_webhook", 200, 1, "delivered"),
    _webhook("il_webhook_fail", 503, 1, "failed"),
    _webhook("il_webhook_retry", 200, 2, "delivered"),
)


def emit_timeline(log: EventLog, tl: Timeline) -> None:
    """One event per milestone that happens, for every order at once."""
    for step in STEPS:
        if step.column not in tl:
            continue
        times = tl[step.column]
        idx = np.flatnonzero(times >= 0)
        log.add(
            step.system,
            idx,
            times[idx],
            step.status,
            step.actor,
            step.agent_share,
            step.slot,
            step.etype,
            **step.fields,
        )
