"""The delivery-conflict comparison, computed four ways on the same ingested data, and a one-pass lower bound.

    python -m bench.compare --warehouse bench/work/home-10000/warehouse.duckdb

What is compared (bench/README.md, "The delivery-conflict comparison"): per OMS order, the latest delivery
phase of oms, carrier (the order's active awb) and crm as of as_of, and whether two of those that exist
differ. recon's answer is read from its marts (`fct_order_state`); the alternatives compute it from the
raw tables recon ingested: one DuckDB query, plain pandas, and pandas + datacompy. Each answer is reduced
to a checksum over its rows sorted by order, so "equal" is checked, not assumed. recon's open
`delivery_status_conflict` divergences (`fct_divergences`) are then checked against the same answer: they
are the disagreements that have lasted longer than `grace`.

The lower bound is one DuckDB pass over every order system's events computing the latest state per
(order, system) with `arg_max`; its rows are checked against `fct_order_state` too.
"""

from __future__ import annotations

import argparse
import csv
import gc
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import datacompy
import duckdb
import pandas as pd

from bench.measure import MIB, TreeRssSampler, connect, timed, tree_rss_bytes

STATUS_MAP = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "status_map.csv"
COMPARED = ("oms", "carrier", "crm")
# The systems fct_order_state keeps a latest state for (integration_log has no status).
ORDER_SYSTEMS = ("oms", "wms", "carrier", "crm", "payments", "erp")
COLUMNS = ["order_id", "oms_phase", "carrier_phase", "crm_phase", "is_diverged"]
# The delivery phase of a canonical state (dbt macro `delivery_phase`); other states have none.
PHASE_OF_STATE = {
    "placed": "pre_ship",
    "confirmed": "pre_ship",
    "packed": "pre_ship",
    "shipped": "in_transit",
    "in_transit": "in_transit",
    **{s: s for s in ("out_for_delivery", "delivered", "rto_initiated", "rto_delivered", "cancelled")},
}
# OMS events that give an order an awb (canonical states of int_order_awbs).
AWB_STATES = ("shipped", "replacement_created")
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
REPEAT_UNDER_SECONDS = 5.0


def status_map() -> list[dict[str, str]]:
    with STATUS_MAP.open() as f:
        return list(csv.DictReader(f))


def phase_map() -> dict[str, dict[str, str]]:
    """{system: {native status: delivery phase}} for the statuses that have a phase."""
    phases: dict[str, dict[str, str]] = {}
    for row in status_map():
        phase = PHASE_OF_STATE.get(row["canonical_state"])
        if phase:
            phases.setdefault(row["system"], {})[row["native_status"]] = phase
    return phases


def awb_statuses() -> list[str]:
    return [r["native_status"] for r in status_map() if r["system"] == "oms" and r["canonical_state"] in AWB_STATES]


def naive_utc(moment: datetime) -> datetime:
    """The warehouse stores UTC as naive timestamps."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


# --- canonical output and its checksum -------------------------------------------------------------------


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[COLUMNS].sort_values("order_id", kind="stable").reset_index(drop=True)
    return frame.astype({"is_diverged": bool})


def checksum(frame: pd.DataFrame) -> str:
    """sha256 of the rows sorted by order: order_id, the three phases (empty when none), 1/0 diverged."""
    frame = canonical(frame)
    text = frame["order_id"].astype(str)
    for column in ("oms_phase", "carrier_phase", "crm_phase"):
        text = text + "\t" + frame[column].astype(object).where(frame[column].notna(), "").astype(str)
    text = text + "\t" + frame["is_diverged"].map({True: "1", False: "0"}).astype(str)
    return hashlib.sha256(("\n".join(text.tolist()) + "\n").encode()).hexdigest()


# --- inputs: the raw tables recon ingested ---------------------------------------------------------------


@dataclass
class Inputs:
    oms: pd.DataFrame  # event_id, event_ts, recorded_at, order_id, status, awb
    carrier: pd.DataFrame  # event_id, event_ts, recorded_at, awb, status
    crm: pd.DataFrame  # event_id, event_ts, recorded_at, order_ref, event_type, status

    @property
    def rows(self) -> int:
        return len(self.oms) + len(self.carrier) + len(self.crm)


def load_inputs(conn: duckdb.DuckDBPyConnection, as_of: datetime) -> Inputs:
    """The events the comparison reads, as pandas frames: those that had happened by as_of (as staging cuts)."""
    common = "event_id, event_ts, recorded_at"
    frames = {
        system: conn.execute(f"select {common}, {columns} from {system}.events where event_ts <= $as_of",
                             {"as_of": naive_utc(as_of)}).df()
        for system, columns in (("oms", "order_id, status, awb"), ("carrier", "awb, status"),
                                ("crm", "order_ref, event_type, status"))
    }  # fmt: skip
    return Inputs(**frames)


# --- pandas ----------------------------------------------------------------------------------------------


def normalize_order_id(refs: pd.Series) -> pd.Series:
    """dbt macro `normalize_order_id`: `#0001234`, `ord-0001234`, `0001234` → `ORD-0001234`."""
    cleaned = refs.str.strip(" ").str.lstrip("#").str.upper()
    return cleaned.where(cleaned.str.startswith("ORD-"), "ORD-" + cleaned)


def latest_phase(events: pd.DataFrame, key: str, phases: dict[str, str]) -> pd.DataFrame:
    """Per key, the phase of its latest delivery event: by event_ts, then recorded_at, then event_id."""
    phase = events["status"].map(phases)
    delivery = events.assign(phase=phase, recorded_at=events["recorded_at"].fillna(events["event_ts"]))
    delivery = delivery[phase.notna()].sort_values([key, "event_ts", "recorded_at", "event_id"])
    return delivery.drop_duplicates(key, keep="last")[[key, "phase"]].reset_index(drop=True)


@dataclass
class Latest:
    orders: pd.DataFrame  # order_id of every OMS order
    phases: dict[str, pd.DataFrame]  # system → order_id, phase (only orders that have one)


def latest_phases(inputs: Inputs) -> Latest:
    phases = phase_map()
    oms = inputs.oms
    # The active awb: the newest the OMS assigned (first SHIPPED / REPLACEMENT_CREATED of each awb).
    assigned = oms[oms["status"].isin(awb_statuses()) & oms["awb"].notna()]
    assigned = assigned.groupby(["order_id", "awb"], as_index=False)["event_ts"].min()
    active = assigned.sort_values(["order_id", "event_ts", "awb"]).drop_duplicates("order_id", keep="last")
    carrier = latest_phase(inputs.carrier, "awb", phases["carrier"]).merge(active[["order_id", "awb"]], on="awb")
    crm = inputs.crm[inputs.crm["event_type"] == "status_update"]
    crm = crm.assign(order_id=normalize_order_id(crm["order_ref"]))
    return Latest(
        orders=pd.DataFrame({"order_id": oms["order_id"].unique()}),
        phases={
            "oms": latest_phase(oms, "order_id", phases["oms"]),
            "carrier": carrier[["order_id", "phase"]],
            "crm": latest_phase(crm, "order_id", phases["crm"]),
        },
    )


def with_phases(latest: Latest) -> pd.DataFrame:
    frame = latest.orders
    for system in COMPARED:
        frame = frame.merge(latest.phases[system].rename(columns={"phase": f"{system}_phase"}), on="order_id",
                            how="left")  # fmt: skip
    return frame


def pandas_conflicts(inputs: Inputs) -> pd.DataFrame:
    """Plain pandas: latest phases per system, then: do two that exist differ?"""
    frame = with_phases(latest_phases(inputs))
    diverged = pd.Series(False, index=frame.index)
    for i, a in enumerate(COMPARED):
        for b in COMPARED[i + 1 :]:
            x, y = frame[f"{a}_phase"], frame[f"{b}_phase"]
            diverged |= x.notna() & y.notna() & (x != y)
    return frame.assign(is_diverged=diverged)


def datacompy_conflicts(inputs: Inputs, timings: dict[str, float] | None = None) -> pd.DataFrame:
    """pandas for the latest phases, datacompy to compare them: oms vs carrier, oms vs crm, carrier vs crm,
    each joined on order_id; an order is diverged when any comparison lists it as mismatching. An order
    missing from one side is one of datacompy's unique rows, not compared (a system with no delivery event)."""
    with timed() as latest_time:
        latest = latest_phases(inputs)
    with timed() as compare_time:
        mismatched: set[str] = set()
        for i, a in enumerate(COMPARED):
            for b in COMPARED[i + 1 :]:
                comparison = datacompy.PandasCompare(
                    latest.phases[a], latest.phases[b], join_columns="order_id", df1_name=a, df2_name=b
                )
                mismatched.update(comparison.all_mismatch()["order_id"].tolist())
    frame = with_phases(latest)
    if timings is not None:
        timings.update(latest_seconds=latest_time.seconds, compare_seconds=compare_time.seconds)
    return frame.assign(is_diverged=frame["order_id"].isin(mismatched))


# --- DuckDB ----------------------------------------------------------------------------------------------


def _values(rows: list[tuple[str, ...]]) -> str:
    return ", ".join("(" + ", ".join("'" + v.replace("'", "''") + "'" for v in row) + ")" for row in rows)


def conflicts_sql() -> str:
    """The same comparison as one DuckDB query over the raw tables (parameter $as_of)."""
    phases = _values([(s, native, p) for s, natives in phase_map().items() if s in COMPARED
                      for native, p in natives.items()])  # fmt: skip
    awb = ", ".join(f"'{s}'" for s in awb_statuses())
    order_key = "(event_ts, coalesce(recorded_at, event_ts), event_id)"
    return f"""
with
phase_map as (select * from (values {phases}) as t(system, native_status, phase)),
oms as (select * from oms.events where event_ts <= $as_of),
orders as (select distinct order_id from oms),
awbs as (
    select order_id, awb, min(event_ts) as assigned_at from oms
    where status in ({awb}) and awb is not null
    group by order_id, awb
),
active_awbs as (select order_id, arg_max(awb, (assigned_at, awb)) as awb from awbs group by order_id),
oms_latest as (
    select order_id, arg_max(phase, {order_key}) as phase
    from oms join phase_map on phase_map.system = 'oms' and phase_map.native_status = oms.status
    group by order_id
),
carrier_latest as (
    select awb, arg_max(phase, {order_key}) as phase
    from carrier.events as c join phase_map on phase_map.system = 'carrier' and phase_map.native_status = c.status
    where event_ts <= $as_of
    group by awb
),
crm_events as (
    select *, upper(ltrim(trim(order_ref), '#')) as cleaned
    from crm.events
    where event_ts <= $as_of and event_type = 'status_update'
),
crm_latest as (
    select
        case when cleaned like 'ORD-%' then cleaned else 'ORD-' || cleaned end as order_id,
        arg_max(phase, {order_key}) as phase
    from crm_events join phase_map on phase_map.system = 'crm' and phase_map.native_status = crm_events.status
    group by 1
),
final as (
    select
        orders.order_id,
        oms_latest.phase as oms_phase,
        carrier_latest.phase as carrier_phase,
        crm_latest.phase as crm_phase
    from orders
    left join oms_latest on oms_latest.order_id = orders.order_id
    left join active_awbs on active_awbs.order_id = orders.order_id
    left join carrier_latest on carrier_latest.awb = active_awbs.awb
    left join crm_latest on crm_latest.order_id = orders.order_id
)
select
    *,
    coalesce(oms_phase <> carrier_phase, false)
        or coalesce(oms_phase <> crm_phase, false)
        or coalesce(carrier_phase <> crm_phase, false) as is_diverged
from final
"""


def duckdb_conflicts(conn: duckdb.DuckDBPyConnection, as_of: datetime) -> pd.DataFrame:
    return conn.execute(conflicts_sql(), {"as_of": naive_utc(as_of)}).df()


def lower_bound_sql() -> str:
    """One pass over every order system's events: the latest canonical state per (key, system), by arg_max.
    The key is the order id as the system writes it (crm's normalised), the awb for the carrier."""
    states = _values([(r["system"], r["native_status"], r["canonical_state"]) for r in status_map()])
    crm_key = "upper(ltrim(trim(order_ref), '#'))"
    keyed = {
        "oms": ("order_id", "status"),
        "wms": ("order_id", "status"),
        "carrier": ("awb", "status"),
        "crm": (f"case when {crm_key} like 'ORD-%' then {crm_key} else 'ORD-' || {crm_key} end",
                "case when event_type = 'status_update' then status end"),
        "payments": ("order_id", "status"),
        "erp": ("order_id", "status"),
    }  # fmt: skip
    union = "\n    union all\n    ".join(
        f"select '{system}' as system, {key} as key, {status} as status, event_ts, recorded_at, event_id "
        f"from {system}.events"
        for system, (key, status) in keyed.items()
    )
    return f"""
with
events as (
    {union}
),
latest as (
    select system, key, arg_max(status, (event_ts, coalesce(recorded_at, event_ts), event_id)) as status
    from events
    where event_ts <= $as_of and status is not null
    group by system, key
),
state_map as (select * from (values {states}) as t(system, native_status, canonical_state))
select latest.system, latest.key, coalesce(state_map.canonical_state, 'unmapped') as state
from latest
left join state_map on state_map.system = latest.system and state_map.native_status = latest.status
"""


def lower_bound(conn: duckdb.DuckDBPyConnection, as_of: datetime) -> pd.DataFrame:
    return conn.execute(lower_bound_sql(), {"as_of": naive_utc(as_of)}).df()


def order_system_events(conn: duckdb.DuckDBPyConnection, as_of: datetime) -> int:
    """How many events the lower bound reads."""
    union = " union all ".join(f"select event_ts from {s}.events" for s in ORDER_SYSTEMS)
    sql = f"select count(*) from ({union}) where event_ts <= $as_of"
    return conn.execute(sql, {"as_of": naive_utc(as_of)}).fetchone()[0]


# --- recon's own answers ---------------------------------------------------------------------------------


def recon_conflicts(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return conn.execute("""
        select order_id, oms_delivery_phase as oms_phase, carrier_delivery_phase as carrier_phase,
            crm_delivery_phase as crm_phase, not is_in_agreement as is_diverged
        from main.fct_order_state
    """).df()  # fmt: skip


def states_checksums(conn: duckdb.DuckDBPyConnection, bound: pd.DataFrame) -> tuple[str, str, int]:
    """The lower bound's rows for recon's orders (carrier: the active awb's) vs fct_order_state's latest
    state per system: (recon's checksum, the lower bound's, rows compared)."""
    unpivot = " union all ".join(
        f"select order_id, '{s}' as system, {s}_state as state from main.fct_order_state where {s}_state is not null"
        for s in ORDER_SYSTEMS
    )
    conn.register("bound", bound)
    try:
        recon = conn.execute(f"select * from ({unpivot}) order by order_id, system").df()
        # Two equi-joins, not one join on an OR (which DuckDB would run as a nested loop).
        mine = conn.execute("""
            select * from (
                select orders.order_id, bound.system, bound.state
                from main.fct_order_state as orders
                join bound on bound.key = orders.order_id
                where bound.system <> 'carrier'
                union all
                select orders.order_id, bound.system, bound.state
                from main.fct_order_state as orders
                join bound on bound.key = orders.active_carrier_awb
                where bound.system = 'carrier'
            )
            order by order_id, system
        """).df()  # fmt: skip
    finally:
        conn.unregister("bound")

    def digest(frame: pd.DataFrame) -> str:
        text = frame["order_id"].astype(str) + "\t" + frame["system"].astype(str) + "\t" + frame["state"].astype(str)
        return hashlib.sha256(("\n".join(text.tolist()) + "\n").encode()).hexdigest()

    return digest(recon), digest(mine), len(recon)


def r1_check(conn: duckdb.DuckDBPyConnection, conflicts: pd.DataFrame, as_of: datetime, grace: timedelta) -> dict:
    """recon's open delivery_status_conflict divergences against the comparison: each is a diverged order,
    and the diverged orders without one are those whose current disagreement began within `grace` of as_of
    (the start taken from int_delivery_agreement_points: the first diverged point after the last agreement)."""
    open_r1 = set(conn.execute("""
        select order_id from main.fct_divergences where rule = 'delivery_status_conflict' and status = 'open'
    """).df()["order_id"])  # fmt: skip
    starts = conn.execute("""
        with last_agreed as (
            select order_id, max(case when not is_diverged then point_at end) as agreed_at
            from main.int_delivery_agreement_points
            group by order_id
        )
        select points.order_id, min(points.point_at) as diverged_since
        from main.int_delivery_agreement_points as points
        join last_agreed on last_agreed.order_id = points.order_id
        where points.is_diverged and (last_agreed.agreed_at is null or points.point_at > last_agreed.agreed_at)
        group by points.order_id
    """).df()  # fmt: skip
    diverged = set(conflicts.loc[conflicts["is_diverged"].astype(bool), "order_id"])
    since = dict(zip(starts["order_id"], starts["diverged_since"], strict=True))
    cutoff = pd.Timestamp(naive_utc(as_of) - grace)
    lasting = {o for o in diverged if o in since and since[o] < cutoff}
    return {
        "diverged_orders": len(diverged),
        "open_r1_divergences": len(open_r1),
        "diverged_within_grace": len(diverged - open_r1),
        "open_r1_all_diverged": open_r1 <= diverged,
        "open_r1_equals_lasting_longer_than_grace": open_r1 == lasting,
    }


# --- the whole comparison ----------------------------------------------------------------------------------


def _measured(step, repeat_under: float = REPEAT_UNDER_SECONDS):
    """Run `step()`: its result, wall seconds, and the growth of this process's peak RSS while it ran (MiB).
    A step that takes under `repeat_under` seconds runs three times and keeps its best time (small sizes
    on a shared machine are noisy); a longer one runs once."""
    best, growth, runs = float("inf"), 0.0, 0
    while runs < 3 and (runs == 0 or best < repeat_under):
        result = None
        gc.collect()
        baseline = tree_rss_bytes(os.getpid())
        with TreeRssSampler() as sampler, timed() as timer:
            result = step()
        best, growth, runs = min(best, timer.seconds), max(growth, (sampler.peak - baseline) / MIB), runs + 1
    return result, best, growth


def run_comparison(warehouse: Path, as_of: datetime = AS_OF, grace: timedelta = timedelta(hours=2)) -> dict:
    """Every implementation on the warehouse of a finished `recon run`: seconds, checksums, the checks."""
    with connect(warehouse) as conn:
        inputs, load_seconds, _ = _measured(lambda: load_inputs(conn, as_of))
        recon = recon_conflicts(conn)
        results: dict[str, dict] = {"recon": {"checksum": checksum(recon), "diverged": int(recon["is_diverged"].sum())}}
        datacompy_splits: list[dict[str, float]] = []  # one per repeat: the best run's is reported

        def datacompy_step() -> pd.DataFrame:
            datacompy_splits.append({})
            return datacompy_conflicts(inputs, datacompy_splits[-1])

        steps = {
            "duckdb_sql": lambda: duckdb_conflicts(conn, as_of),
            "pandas": lambda: pandas_conflicts(inputs),
            "datacompy": datacompy_step,
        }
        for name, step in steps.items():
            frame, seconds, rss = _measured(step)
            results[name] = {"seconds": round(seconds, 3), "rss_growth_mib": round(rss), "checksum": checksum(frame),
                             "diverged": int(frame["is_diverged"].sum()), "orders": len(frame)}  # fmt: skip
            del frame
        split = min(datacompy_splits, key=lambda t: t["latest_seconds"] + t["compare_seconds"])
        results["datacompy"].update({k: round(v, 3) for k, v in split.items()})
        bound, bound_seconds, bound_rss = _measured(lambda: lower_bound(conn, as_of))
        recon_states, bound_states, state_rows = states_checksums(conn, bound)
        return {
            "input_rows": {"oms": len(inputs.oms), "carrier": len(inputs.carrier), "crm": len(inputs.crm)},
            "load_seconds": round(load_seconds, 3),
            "orders": len(recon),
            "implementations": results,
            "checksums_equal": len({r["checksum"] for r in results.values()}) == 1,
            "r1": r1_check(conn, recon, as_of, grace),
            "lower_bound": {
                "seconds": round(bound_seconds, 3),
                "rss_growth_mib": round(bound_rss),
                "events": order_system_events(conn, as_of),
                "keys": len(bound),
                "rows_checked_against_recon": state_rows,
                "equal_to_fct_order_state": recon_states == bound_states,
            },
        }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="warehouse of a finished `recon run`")
    parser.add_argument("--as-of", default=AS_OF.isoformat(), help="the as_of of that run")
    args = parser.parse_args(argv)
    as_of = datetime.fromisoformat(args.as_of.replace("Z", "+00:00"))
    print(json.dumps(run_comparison(args.warehouse, as_of), indent=2, default=str))


if __name__ == "__main__":
    main()
