"""The files beside the landing zone: labels.csv, orders.csv, bad_input.csv and simulation.json."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from dagster_project.simulator.bad_input import BadItem
from dagster_project.simulator.formatting import money
from dagster_project.simulator.keys import Keys
from dagster_project.simulator.labels import COLUMNS
from dagster_project.simulator.skeleton import Orders
from dagster_project.simulator.vocab import (
    CARRIERS,
    CURRENCIES,
    PAYMENT_MODES,
    REGIONS,
    SKU_CATEGORIES,
    VENDOR_TYPES,
    WAREHOUSES,
    ZONES,
)


def utc_text(seconds: np.ndarray) -> np.ndarray:
    return np.char.add(np.datetime_as_string(np.asarray(seconds).astype("datetime64[s]"), unit="s"), "Z")


def label_table(labels: pd.DataFrame, keys: Keys) -> pd.DataFrame:
    """Labels with their order ids, sorted: one row per expected divergence."""
    out = labels.assign(order_id=keys.order_ids.take(pa.array(labels["order"].to_numpy())).to_pylist())
    return out.sort_values(["order_id", "rule", "classification"], kind="stable")[list(COLUMNS)]


def write_labels(path: Path, table: pd.DataFrame) -> None:
    table.to_csv(path, index=False, lineterminator="\n")


def write_orders(
    path: Path,
    orders: Orders,
    scenario_names: Sequence[str],
    created: np.ndarray,
    promised_by: np.ndarray,
    labelled: np.ndarray,
    keys: Keys,
) -> None:
    """One row per OMS order; is_clean means the order carries no label at all."""
    n = orders.n
    rank = np.argsort(orders.number, kind="stable")

    def names(table, codes) -> pa.Array:
        return pa.array(table).take(pa.array(codes[rank]))

    clean = np.ones(n, bool)
    clean[labelled[labelled < n]] = False
    table = pa.table(
        {
            "order_id": keys.order_ids.slice(0, n).take(pa.array(rank)),
            "scenario": names(scenario_names, orders.scenario),
            "is_clean": pa.array(np.where(clean[rank], "true", "false")),
            "payment_mode": names(PAYMENT_MODES, orders.payment_mode),
            "vendor_type": names(VENDOR_TYPES, orders.vendor),
            "carrier": names(CARRIERS, orders.carrier),
            "zone": names(ZONES, orders.zone),
            "region": names(REGIONS, orders.region),
            "warehouse_id": names(WAREHOUSES, orders.warehouse),
            "sku_category": names(SKU_CATEGORIES, orders.sku),
            "amount": money(orders.amount[rank]),
            "currency": pa.array(np.full(n, CURRENCIES[0])),
            "created_at": pa.array(utc_text(created[rank])),
            "promised_by": pa.array(utc_text(promised_by[rank])),
        }
    )
    pa_csv.write_csv(table, path, pa_csv.WriteOptions(quoting_style="none"))


def write_bad_input(path: Path, items: Sequence[BadItem]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["kind", "system", "file", "line", "detail"])
        for item in sorted(items, key=lambda i: (i.kind, i.file, i.line or 0)):
            line = "" if item.line is None else item.line
            writer.writerow([item.kind, item.system, item.file, line, item.detail])


def write_manifest(path: Path, manifest: dict) -> None:
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
