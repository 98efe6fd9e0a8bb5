"""Bad files beside the regular batches: unreadable, mostly invalid, misnamed, duplicated, half-written,
hidden, or in a folder that is no system."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from dagster_project.simulator.bad_input import BadItem, FreshIds, mangle
from dagster_project.simulator.batches import Batch, day_text
from dagster_project.simulator.formatting import Formatter
from dagster_project.simulator.writer import (
    CSV_EOL,
    JSON_NUMBERS,
    concat_lines,
    csv_bytes,
    json_line,
    json_lines,
    parquet_bytes,
)

FILE_KINDS = (
    "non_utf8_file",
    "invalid_share_over_threshold",
    "wrong_csv_header",
    "truncated_parquet",
    "duplicate_file",
    "tmp_file",
    "dot_file",
    "unknown_system_folder",
)


@dataclass
class _File:
    path: str  # relative to the landing zone
    system: str
    data: bytes
    detail: str


def _beside(batch: Batch, suffix: str, data: bytes, detail: str) -> _File:
    """A file next to `batch`, named after it with `suffix`."""
    name = Path(batch.path)
    return _File(str(name.parent / f"{name.stem}{suffix}"), batch.system, data, detail)


@dataclass
class _FileMaker:
    """One method per whole-file kind, named after it."""

    landing: Path
    batches: list[Batch]
    formatters: dict[str, Formatter]
    fresh: FreshIds
    rng: np.random.Generator

    def _pick(self, system: str) -> Batch:
        candidates = [b for b in self.batches if b.system == system]
        return candidates[int(self.rng.integers(len(candidates)))]

    def _copies(self, system: str, k: int) -> tuple[Batch, pa.Table]:
        """A batch of `system` and a table of (up to) `k` of its events, exact copies."""
        batch = self._pick(system)
        return batch, self.formatters[system].table(batch.rows[:k])

    def non_utf8_file(self) -> _File:
        batch, table = self._copies("carrier", 20)
        where = table.column_names.index("location")
        table = table.set_column(where, "location", pa.array(["Nürnberg Hub"] * table.num_rows))
        data = csv_bytes(table, "\n").decode().encode("latin-1")
        detail = f"latin-1 bytes (0xFC) in location; copies of {batch.path}"
        return _beside(batch, "_legacy.csv", data, detail)

    def invalid_share_over_threshold(self) -> _File:
        batch, table = self._copies("crm", 18)
        good = json_lines(table).to_pylist()
        rows = batch.rows[: max(1, len(good) * 2 // 3)]
        records = self.formatters["crm"].table(rows, self.fresh.take("crm", len(rows))).to_pylist()
        bad = [json_line(mangle("offset_less_timestamp", r, "crm", self.rng)[0]) for r in records]
        lines = [(good + bad)[i] for i in self.rng.permutation(len(good) + len(bad))]
        detail = f"{len(bad)} of {len(lines)} rows lack a timestamp offset"
        return _beside(batch, "_resync.jsonl", "".join(lines).encode(), detail)

    def wrong_csv_header(self) -> _File:
        batch, table = self._copies("wms", 20)
        table = table.rename_columns(["timestamp" if c == "event_ts" else c for c in table.column_names])
        detail = "header has 'timestamp' instead of required 'event_ts'"
        return _beside(batch, "_manual.csv", csv_bytes(table, CSV_EOL["wms"]), detail)

    def truncated_parquet(self) -> _File:
        batch, table = self._copies("payments", 30)
        data = parquet_bytes(table)
        cut = len(data) * 3 // 5
        return _beside(batch, "_partial.parquet", data[:cut], "Parquet cut at 60 % (no footer)")

    def duplicate_file(self) -> _File:
        batch = self._pick("oms")
        data = (self.landing / batch.path).read_bytes()
        return _beside(batch, f"_resent{Path(batch.path).suffix}", data, f"same bytes as {batch.path}")

    def tmp_file(self) -> _File:
        batch, table = self._copies("oms", 40)
        data = concat_lines(json_lines(table))
        return _beside(batch, "_next.jsonl.tmp", data[: len(data) // 2], "half-written file still named .tmp")

    def dot_file(self) -> _File:
        batch, table = self._copies("integration_log", 10)
        data = concat_lines(json_lines(table, JSON_NUMBERS["integration_log"]))
        path = str(Path(batch.path).parent / ".partial.jsonl")
        return _File(path, batch.system, data, "hidden file (leading dot)")

    def unknown_system_folder(self) -> _File:
        day = day_text(max(b.day for b in self.batches))
        rows = [f"POS-{k:05d},{day}T10:{k:02d}:00+05:30,STORE-07,{499 + k}.00\n" for k in range(10)]
        data = ("receipt_id,sold_at,store_id,amount\n" + "".join(rows)).encode()
        path = f"legacy_pos/{day}/pos_sales_{day.replace('-', '')}.csv"
        return _File(path, "legacy_pos", data, "'legacy_pos' is not a contract system")


def write_bad_files(
    landing: Path,
    batches: list[Batch],
    formatters: dict[str, Formatter],
    fresh: FreshIds,
    rng: np.random.Generator,
) -> list[BadItem]:
    """One extra file per whole-file kind, next to a real batch of its system (call after the batches)."""
    maker = _FileMaker(landing, batches, formatters, fresh, rng)
    items = []
    for kind in FILE_KINDS:
        made = getattr(maker, kind)()
        path = landing / made.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(made.data)
        items.append(BadItem(kind, made.system, made.path, None, made.detail))
    return items
