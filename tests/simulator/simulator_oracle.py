"""An independent, deliberately plain reading of SOURCE_CONTRACT.md and RULES.md, used to check the simulator.

It reads a landing zone the way the contract says (skipping dot/.tmp files and unknown folders,
quarantining bad rows and bad files, de-duplicating event ids), then evaluates R1-R11 with their
classification and queue, order by order in Python. It shares no code with the simulator, so the
simulator's ground truth is checked against the written files rather than against itself.

`Variant` switches the readings RULES.md leaves open; the simulator's faults are meant to be
unambiguous, so every variant must give the same divergences.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyarrow.parquet as pq

from dagster_project.contract import DECIMAL, INTEGER, SYSTEMS, TIMESTAMP, fields
from dagster_project.simulator.labels import RULES

GRACE, WINDOW, REVENUE_LAG, MISSING_AFTER, VENDOR_SLA = 7200, 1800, 86400, 21600, 172800
MAX_INVALID_SHARE = 0.2
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

# RULES.md "Canonical states": (system, native) -> (canonical state, delivery rank or None).
STATES: dict[tuple[str, str], tuple[str, int | None]] = {
    ("oms", "CREATED"): ("placed", 0),
    ("oms", "CONFIRMED"): ("confirmed", 1),
    ("oms", "PACKED"): ("packed", 2),
    ("oms", "SHIPPED"): ("shipped", 3),
    ("oms", "OUT_FOR_DELIVERY"): ("out_for_delivery", 5),
    ("oms", "DELIVERED"): ("delivered", 6),
    ("oms", "CLOSED"): ("delivered", 6),
    ("oms", "RTO_INITIATED"): ("rto_initiated", None),
    ("oms", "RTO_DELIVERED"): ("rto_delivered", None),
    ("oms", "CANCELLED"): ("cancelled", None),
    ("oms", "REPLACEMENT_CREATED"): ("replacement_created", None),
    ("wms", "PICKED"): ("packed", 2),
    ("wms", "PACKED"): ("packed", 2),
    ("wms", "MANIFESTED"): ("shipped", 3),
    ("wms", "RTO_RECEIVED"): ("rto_delivered", None),
    ("carrier", "PICKUP"): ("shipped", 3),
    ("carrier", "IN_TRANSIT"): ("in_transit", 4),
    ("carrier", "OFD"): ("out_for_delivery", 5),
    ("carrier", "NDR"): ("out_for_delivery", 5),
    ("carrier", "DLVD"): ("delivered", 6),
    ("carrier", "RTO_INIT"): ("rto_initiated", None),
    ("carrier", "RTO_DLVD"): ("rto_delivered", None),
    ("crm", "Order Placed"): ("placed", 0),
    ("crm", "Shipped"): ("shipped", 3),
    ("crm", "In Transit"): ("in_transit", 4),
    ("crm", "Out for Delivery"): ("out_for_delivery", 5),
    ("crm", "Delivered"): ("delivered", 6),
    ("crm", "Return Initiated"): ("rto_initiated", None),
    ("crm", "Returned"): ("rto_delivered", None),
    ("crm", "Cancelled"): ("cancelled", None),
    ("crm", "Refunded"): ("refunded", None),
    ("payments", "CAPTURED"): ("captured", None),
    ("payments", "COD_COLLECTED"): ("captured", None),
    ("payments", "REFUND_INITIATED"): ("refund_initiated", None),
    ("payments", "REFUNDED"): ("refunded", None),
    ("payments", "CHARGEBACK"): ("chargeback", None),
    ("erp", "INVOICED"): ("invoiced", None),
    ("erp", "REVENUE_RECOGNIZED"): ("revenue_recognized", None),
    ("erp", "REVENUE_REVERSED"): ("revenue_reversed", None),
    ("erp", "CREDIT_NOTE"): ("credit_note", None),
}
RULE_NAMES = RULES  # the rule names are vocabulary, not a reading of the rules
R1_SYSTEMS = ("oms", "crm", "carrier")
PHASES = {
    "placed": "pre_ship",
    "confirmed": "pre_ship",
    "packed": "pre_ship",
    "shipped": "in_transit",
    "in_transit": "in_transit",
    "out_for_delivery": "out_for_delivery",
    "delivered": "delivered",
    "rto_initiated": "rto_initiated",
    "rto_delivered": "rto_delivered",
    "cancelled": "cancelled",
}


def parse_ts(text) -> int | None:
    """Epoch seconds of an ISO 8601 timestamp with an offset; None if it has none or does not parse."""
    if not isinstance(text, str) or not _ISO.match(text):
        return None
    try:
        return int(datetime.fromisoformat(text).timestamp())
    except ValueError:
        return None


def row_problem(system: str, row: dict) -> str | None:
    """Why a row breaks the contract, or None."""
    for f in fields(system):
        value = row.get(f.name)
        empty = value is None or value == ""
        needed = f.always_required or (f.required and row.get(f.when_field) in f.when_values)
        if empty:
            if needed:
                return f"missing {f.name}"
            continue
        if f.type == TIMESTAMP and parse_ts(value) is None:
            return f"bad timestamp {f.name}"
        if f.type == DECIMAL:
            try:
                Decimal(str(value))
            except InvalidOperation:
                return f"bad amount {f.name}"
        if f.type == INTEGER and not re.fullmatch(r"-?\d+", str(value)):
            return f"bad integer {f.name}"
    return None


@dataclass
class FileReport:
    path: str
    quarantined: str | None = None  # reason the whole file is rejected
    bad_lines: dict[int, str] = field(default_factory=dict)
    rows: list[tuple[int, dict]] = field(default_factory=list)


def read_file(path: Path, system: str, relative: str) -> FileReport:
    report = FileReport(relative)
    data = path.read_bytes()
    raw: list[tuple[int, dict | None]] = []
    try:
        if path.suffix == ".parquet":
            raw = list(enumerate(pq.read_table(io.BytesIO(data)).to_pylist(), start=1))
        else:
            text = data.decode("utf-8")
            if path.suffix == ".jsonl":
                for n, line in enumerate(text.splitlines(), start=1):
                    try:
                        obj = json.loads(line)
                        raw.append((n, obj if isinstance(obj, dict) else None))
                    except json.JSONDecodeError:
                        raw.append((n, None))
            else:
                reader = csv.reader(io.StringIO(text, newline=""))
                header = next(reader)
                missing = [f.name for f in fields(system) if f.always_required and f.name not in header]
                if missing:
                    report.quarantined = f"header lacks {missing}"
                    return report
                raw = [
                    (n, {h: (v if v != "" else None) for h, v in zip(header, values, strict=True)})
                    for n, values in enumerate(reader, start=2)
                ]
    except (UnicodeDecodeError, OSError, ValueError) as exc:
        report.quarantined = type(exc).__name__
        return report
    for n, row in raw:
        problem = "malformed json" if row is None else row_problem(system, row)
        if problem:
            report.bad_lines[n] = problem
        else:
            report.rows.append((n, {k: (None if v is None else str(v)) for k, v in row.items()}))
    if raw and len(report.bad_lines) / len(raw) > MAX_INVALID_SHARE:
        report.quarantined = "invalid share over threshold"
        report.rows = []
    return report


def read_landing(landing: Path) -> tuple[dict[str, list[dict]], list[FileReport], list[str]]:
    """Valid, de-duplicated rows per system; a report per batch file read; the folders ignored."""
    rows: dict[str, list[dict]] = {s: [] for s in SYSTEMS}
    reports: list[FileReport] = []
    ignored = sorted(p.name for p in landing.iterdir() if p.name not in SYSTEMS)
    for system in SYSTEMS:
        seen: set[str] = set()
        for path in sorted((landing / system).rglob("*")):
            if not path.is_file() or path.name.startswith(".") or path.name.endswith(".tmp"):
                continue
            report = read_file(path, system, str(path.relative_to(landing)))
            reports.append(report)
            for _, row in report.rows:
                if row["event_id"] not in seen:
                    seen.add(row["event_id"])
                    rows[system].append(row)
    return rows, reports, ignored


@dataclass
class Ev:
    system: str
    ts: int
    recorded: int
    event_id: str
    native: str | None
    state: str | None  # canonical; "unmapped" for a native status the map lacks
    rank: int | None
    actor: str
    row: dict

    @property
    def phase(self) -> str | None:
        return PHASES.get(self.state)

    @property
    def key(self) -> tuple:
        return (self.ts, self.recorded, self.event_id)


def normalise_ref(ref: str) -> str:
    ref = ref.strip().lstrip("#").upper()
    return ref if ref.startswith("ORD-") else f"ORD-{ref}"


def _event(system: str, row: dict) -> Ev:
    native = row.get("status")
    state, rank = STATES.get((system, native), ("unmapped", None)) if native is not None else (None, None)
    ts = parse_ts(row["event_ts"])
    recorded = parse_ts(row.get("recorded_at")) or ts
    return Ev(system, ts, recorded, row["event_id"], native, state, rank, row.get("actor") or "system", row)


@dataclass(frozen=True)
class Variant:
    """Readings RULES.md leaves open."""

    active_awb_as_of: bool = False  # the newest awb is active for the whole history, not from its assignment
    carrier_decides_delivery: bool = False  # R11: a carrier with any event is the only judge of "delivered"
    missing_ofd_is_inversion: bool = False  # R2: delivered with no out_for_delivery at all counts


@dataclass
class Order:
    order_id: str
    events: dict[str, list[Ev]] = field(default_factory=lambda: defaultdict(list))
    awbs: list[tuple[int, str]] = field(default_factory=list)  # (assigned at, awb)
    carrier: dict[str, list[Ev]] = field(default_factory=lambda: defaultdict(list))

    def of(self, system: str) -> list[Ev]:
        if system == "carrier":
            return sorted((e for evs in self.carrier.values() for e in evs), key=lambda e: e.key)
        return self.events[system]


class Oracle:
    def __init__(self, rows: dict[str, list[dict]], as_of: int, variant: Variant = Variant()):
        self.as_of, self.variant = as_of, variant
        self.orders: dict[str, Order] = {}
        events = {s: sorted((_event(s, r) for r in rows[s]), key=lambda e: e.key) for s in SYSTEMS}
        for e in events["oms"]:
            order = self.orders.setdefault(e.row["order_id"], Order(e.row["order_id"]))
            order.events["oms"].append(e)
            if e.native in ("SHIPPED", "REPLACEMENT_CREATED") and (e.ts, e.row["awb"]) not in order.awbs:
                order.awbs.append((e.ts, e.row["awb"]))
        self.awb_owner = {awb: o for o in self.orders.values() for _, awb in o.awbs}
        self.orphans: dict[tuple[str, str], list[Ev]] = defaultdict(list)
        for e in events["carrier"]:
            owner = self.awb_owner.get(e.row["awb"])
            if owner:
                owner.carrier[e.row["awb"]].append(e)
            else:
                self.orphans[("carrier", e.row["awb"])].append(e)
        for system in ("wms", "payments", "erp", "integration_log"):
            for e in events[system]:
                key = e.row.get("order_id")
                if key in self.orders:
                    self.orders[key].events[system].append(e)
                elif system in ("payments", "erp"):
                    self.orphans[(system, key)].append(e)
        self.calls_by_key: dict[str, list[Ev]] = defaultdict(list)
        for e in events["integration_log"]:
            if e.row.get("order_id"):
                self.calls_by_key[e.row["order_id"]].append(e)
        for e in events["crm"]:
            order = self.orders.get(normalise_ref(e.row["order_ref"]))
            if order:
                order.events["crm"].append(e)

    # -- helpers -------------------------------------------------------------------------------------------

    def created(self, o: Order) -> Ev | None:
        return next((e for e in o.events["oms"] if e.native == "CREATED"), None)

    def delivered_at(self, o: Order, carrier_decides: bool = False) -> int | None:
        carrier = [e.ts for e in o.of("carrier") if e.state == "delivered"]
        if carrier or (carrier_decides and o.of("carrier")):
            return min(carrier, default=None)
        return min((e.ts for e in o.events["oms"] if e.state == "delivered"), default=None)

    def delivered_by(self, o: Order) -> str:
        return "carrier" if any(e.state == "delivered" for e in o.of("carrier")) else "oms"

    def informational(self, o: Order, rule: str, created: Ev | None) -> bool:
        if rule not in ("R1", "R3", "R4", "R11"):
            return False
        if any(e.native == "CANCELLED" for e in o.events["oms"]):
            return True
        refunded = sum(Decimal(e.row["amount"]) for e in o.events["payments"] if e.native == "REFUNDED")
        if created and refunded >= Decimal(created.row["amount"]):
            return True
        return (
            rule == "R11"
            and created is not None
            and created.row["vendor_type"] == "3p"
            and self.as_of < parse_ts(created.row["promised_by"]) + VENDOR_SLA
        )

    def failed_call_near(self, key: str, t: int) -> bool:
        return any(
            e.row["outcome"] in ("failed", "dropped") and abs(e.ts - t) <= WINDOW
            for e in self.calls_by_key.get(key, ())
        )

    def unmapped_since(self, o: Order, t: int, systems: tuple[str, ...]) -> bool:
        events = (e for s in systems for e in o.of(s))
        return any(e.state == "unmapped" and t - WINDOW <= e.ts <= self.as_of for e in events)

    @staticmethod
    def manual(system_events: list[Ev], event: Ev) -> bool:
        """Set by an agent with no api:* event of that system within the window around it."""
        return event.actor.startswith("agent:") and not any(
            e.actor.startswith("api:") and abs(e.ts - event.ts) <= WINDOW for e in system_events
        )

    def classify(
        self,
        o: Order,
        start: int,
        systems: tuple[str, ...],
        resolved_late: bool = False,
        mapping: bool = False,
        manual: bool = False,
    ) -> str:
        """RULES.md's first match; an unmapped status counts only in the systems the rule involves."""
        if mapping or self.unmapped_since(o, start, systems):
            return "mapping_error"
        if manual:
            return "manual_override"
        if resolved_late or self.failed_call_near(o.order_id, start):
            return "sync_delay"
        return "unknown"

    # -- rules ---------------------------------------------------------------------------------------------

    def divergences(self) -> list[tuple[str, str, str, str, str]]:
        """(order_id, rule name, classification, queue, status) per divergence at as_of, as in labels.csv."""
        out = []
        for o in self.orders.values():
            created = self.created(o)
            for rule, classification, status in self._order_divergences(o, created):
                queue = "informational" if self.informational(o, rule, created) else "action"
                out.append((o.order_id, RULE_NAMES[rule], classification, queue, status))
        out += [(key, RULE_NAMES[rule], *rest) for key, rule, *rest in self._orphans()]
        return out

    def _order_divergences(self, o: Order, created: Ev | None):
        yield from self._r1(o)
        yield from self._r2(o)
        yield from self._r3(o)
        yield from self._r4(o)
        yield from self._r5(o)
        yield from self._r6(o)
        yield from self._r7(o)
        yield from self._r8(o, created)
        yield from self._r10(o, created)
        yield from self._r11(o, created)

    def _phase_at(self, events: list[Ev], t: int) -> tuple[str | None, Ev | None]:
        latest = None
        for e in events:
            if e.ts > t:
                break
            if e.phase:
                latest = e
        return (latest.phase, latest) if latest else (None, None)

    def _active_carrier_events(self, o: Order, t: int) -> list[Ev]:
        assigned = [a for a in sorted(o.awbs) if self.variant.active_awb_as_of or a[0] <= t]
        return o.carrier.get(assigned[-1][1], []) if assigned else []

    def _r1(self, o: Order):
        changes = {e.ts for s in ("oms", "crm", "carrier") for e in o.of(s) if e.phase}
        points = sorted(changes | {t for t, _ in o.awbs})
        episodes, start, starter = [], None, None
        for t in points:
            states = {
                "oms": self._phase_at(o.events["oms"], t),
                "crm": self._phase_at(o.events["crm"], t),
                "carrier": self._phase_at(self._active_carrier_events(o, t), t),
            }
            differ = len({p for p, _ in states.values() if p}) > 1
            if differ and start is None:
                start = t
                starter = next((e for _, e in states.values() if e and e.ts == t), None)
            elif not differ and start is not None:
                episodes.append((start, t, starter))
                start = None
        if start is not None:
            episodes.append((start, None, starter))
        for begin, end, starter in episodes:
            if (end if end is not None else self.as_of) - begin <= GRACE:
                continue
            manual = starter is not None and self.manual(o.of(starter.system), starter)
            yield (
                "R1",
                self.classify(o, begin, R1_SYSTEMS, resolved_late=end is not None, manual=manual),
                "resolved" if end is not None else "open",
            )

    def _r2(self, o: Order):
        groups = [
            ("oms", o.events["oms"]),
            ("crm", o.events["crm"]),
            *(("carrier", e) for e in o.carrier.values()),
        ]
        for system, events in groups:
            delivered = min((e.ts for e in events if e.state == "delivered"), default=None)
            out = min((e.ts for e in events if e.state == "out_for_delivery"), default=None)
            if delivered is None or (out is None and not self.variant.missing_ofd_is_inversion):
                continue
            if out is None or delivered < out:
                inverted_offset = out is not None and (out - delivered) % 1800 == 0
                yield "R2", self.classify(o, delivered, (system,), mapping=inverted_offset), "open"

    def _r3(self, o: Order):
        starts = [e.ts for s in ("oms", "carrier") for e in o.of(s) if e.state == "rto_initiated"]
        if starts:
            t = min(starts)
            if not any(e.native == "NDR" and e.ts <= t for e in o.of("carrier")):
                yield "R3", self.classify(o, t, ("oms", "carrier")), "open"

    def _r4(self, o: Order):
        d = self.delivered_at(o)
        if d is None:
            return
        revenue = min((e.ts for e in o.events["erp"] if e.state == "revenue_recognized"), default=None)
        systems = (self.delivered_by(o), "erp")
        if revenue is None and self.as_of > d + REVENUE_LAG:
            yield "R4", self.classify(o, d, systems), "open"
        elif revenue is not None and revenue > d + REVENUE_LAG:
            yield "R4", self.classify(o, d, systems, resolved_late=True), "resolved"

    def _r5(self, o: Order):
        """One divergence per order, from its first premature refund; resolved when the order is later
        cancelled (OMS) or returned (any system's rto_delivered)."""
        closures = sorted(
            [x.ts for x in o.events["oms"] if x.state == "cancelled"]
            + [x.ts for s in SYSTEMS for x in o.of(s) if x.state == "rto_delivered"]
        )
        refund = next(
            (
                e
                for e in o.events["payments"]
                if e.state in ("refund_initiated", "refunded") and not any(t <= e.ts for t in closures)
            ),
            None,
        )
        if refund is None:
            return
        requested = any(
            x.row.get("event_type") == "refund_requested"
            and x.actor.startswith("agent:")
            and refund.ts - 86400 <= x.ts <= refund.ts
            for x in o.events["crm"]
        )
        manual = refund.actor.startswith("agent:") or requested
        closed = any(refund.ts < t <= self.as_of for t in closures)
        yield (
            "R5",
            self.classify(o, refund.ts, ("payments", "oms"), manual=manual),
            "resolved" if closed else "open",
        )

    def _r6(self, o: Order):
        """One divergence per order, from its first ticket event while the OMS's delivery state is not final;
        resolved once the OMS reaches one."""
        final = ("delivered", "cancelled", "rto_delivered")
        for e in o.events["crm"]:
            if e.row.get("event_type") not in ("ticket_resolved", "exchange_requested"):
                continue
            _, latest = self._phase_at(o.events["oms"], e.ts)
            if latest is None or latest.state not in final:
                later = any(x.state in final and e.ts < x.ts <= self.as_of for x in o.events["oms"])
                manual = e.actor.startswith("agent:")
                yield (
                    "R6",
                    self.classify(o, e.ts, ("crm", "oms"), manual=manual),
                    "resolved" if later else "open",
                )
                return

    def _r7(self, o: Order):
        """Per event stream (carrier: per awb): backward rank moves, not counting a move right after an NDR
        nor into or out of unranked states; the first 24 h window with two of them, once per order."""
        streams = [
            ("oms", o.events["oms"]),
            ("wms", o.events["wms"]),
            ("crm", o.events["crm"]),
            *(("carrier", e) for e in o.carrier.values()),
        ]
        firsts = []
        for system, events in streams:
            phased = [e for e in events if e.phase]
            drops = [
                b
                for a, b in zip(phased, phased[1:], strict=False)
                if a.rank is not None and b.rank is not None and b.rank < a.rank and a.native != "NDR"
            ]
            first = next((a for a, b in zip(drops, drops[1:], strict=False) if b.ts - a.ts <= 86400), None)
            if first:
                firsts.append((first.ts, system, first, events))
        if firsts:
            t, system, first, events = min(firsts, key=lambda f: f[0])
            yield "R7", self.classify(o, t, (system,), manual=self.manual(events, first)), "open"

    def _r8(self, o: Order, created: Ev | None):
        if created:
            first = min((e.ts for e in o.events["crm"]), default=None)
            yield from self._missing(o, created.ts, first, ("oms", "crm"))
        d = self.delivered_at(o)
        if d is not None:
            first = min((e.ts for e in o.events["erp"]), default=None)
            yield from self._missing(o, d, first, (self.delivered_by(o), "erp"))

    def _missing(self, o: Order, since: int, first: int | None, systems: tuple[str, ...]):
        if first is None and self.as_of - since > MISSING_AFTER:
            yield "R8", self.classify(o, since, systems), "open"
        elif first is not None and first - since > MISSING_AFTER:
            yield "R8", self.classify(o, since, systems, resolved_late=True), "resolved"

    def _r10(self, o: Order, created: Ev | None):
        if not created:
            return
        amount, currency = Decimal(created.row["amount"]), created.row["currency"]
        starts = set()
        for e in o.events["erp"] + o.events["payments"]:
            if e.native not in ("INVOICED", "CAPTURED", "COD_COLLECTED") or e.ts in starts:
                continue
            other = Decimal(e.row["amount"])
            if abs(other - amount) > Decimal("0.01") or e.row["currency"] != currency:
                starts.add(e.ts)
                scale = e.row["currency"] != currency or other == amount * 100 or amount == other * 100
                yield "R10", self.classify(o, e.ts, ("oms", e.system), mapping=scale), "open"

    def _r11(self, o: Order, created: Ev | None):
        if not created:
            return
        promised = parse_ts(created.row["promised_by"])
        if self.as_of <= promised:
            return
        delivered = self.delivered_at(o, self.variant.carrier_decides_delivery)
        returning = (e for s in ("oms", "carrier") for e in o.of(s))
        rto = min((e.ts for e in returning if e.state in ("rto_initiated", "rto_delivered")), default=None)
        ended = min((t for t in (delivered, rto) if t is not None), default=None)
        if ended is not None and ended <= promised:
            return
        status = "resolved" if ended is not None else "open"
        yield "R11", self.classify(o, promised, ("oms", "carrier")), status

    def _orphans(self):
        known_ids = set(self.orders)
        known_awbs = {awb.upper() for awb in self.awb_owner}
        for (system, key), events in self.orphans.items():
            start = min(e.ts for e in events)
            if self.as_of - start <= GRACE:
                continue
            matches = key.upper() in known_awbs if system == "carrier" else normalise_ref(key) in known_ids
            if matches:
                classification = "mapping_error"
            elif self.failed_call_near(key, start):
                classification = "sync_delay"
            else:
                classification = "unknown"
            yield key, "R9", classification, "action", "open"
