"""The landing zone follows SOURCE_CONTRACT.md: every clean row of every clean file conforms."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq

from dagster_project.contract import SYSTEMS, field_names
from tests.simulator.simulator_oracle import parse_ts
from tests.simulator.support import AS_OF, Simulated

ROW_KINDS = {"malformed_json", "offset_less_timestamp", "missing_required_field", "non_numeric_amount"}
QUARANTINED_FILES = {"non_utf8_file", "invalid_share_over_threshold", "wrong_csv_header", "truncated_parquet"}


def _bad_lines(simulated: Simulated) -> dict[str, set[int]]:
    lines: dict[str, set[int]] = {}
    for item in simulated.bad_input:
        if item["kind"] in ROW_KINDS:
            lines.setdefault(item["file"], set()).add(int(item["line"]))
    return lines


def test_every_row_conforms_except_the_injected_ones(simulated: Simulated) -> None:
    expected_bad = _bad_lines(simulated)
    whole_files = {i["file"] for i in simulated.bad_input if i["kind"] in QUARANTINED_FILES}
    for report in simulated.reports:
        if report.path in whole_files:
            assert report.quarantined, f"{report.path} should be unreadable or mostly invalid"
            continue
        assert report.quarantined is None, f"{report.path}: {report.quarantined}"
        assert set(report.bad_lines) == expected_bad.get(report.path, set()), report.path


def test_bad_rows_stay_far_below_the_file_threshold(simulated: Simulated) -> None:
    for report in simulated.reports:
        if report.bad_lines and not report.quarantined:
            assert len(report.bad_lines) <= 0.05 * (len(report.rows) + len(report.bad_lines))


def test_every_system_and_format_is_written(simulated: Simulated) -> None:
    landing = simulated.result.landing
    assert {p.name for p in landing.iterdir()} == set(SYSTEMS) | {"legacy_pos"}
    formats = Counter(p.suffix for p in landing.rglob("*") if p.is_file() and not p.name.startswith("."))
    assert {".jsonl", ".csv", ".parquet"} <= set(formats)
    for system in SYSTEMS:
        suffixes = {p.suffix for p in (landing / system).rglob("*.*") if p.suffix != ".tmp"}
        assert len(suffixes) >= 2, f"{system} writes a single format: {suffixes}"


def test_batches_sit_in_day_folders(simulated: Simulated) -> None:
    day = re.compile(r"^\d{4}-\d{2}-\d{2}$")
    for report in simulated.reports:
        parts = Path(report.path).parts
        assert day.match(parts[-2]), report.path
        assert len(parts) == (4 if parts[0] == "carrier" else 3), report.path


def test_timestamps_carry_offsets_that_denote_the_right_instant(simulated: Simulated) -> None:
    offsets = Counter()
    for system in SYSTEMS:
        for row in simulated.rows[system]:
            for name in ("event_ts", "recorded_at", "promised_by"):
                value = row.get(name)
                if value:
                    offsets[value[19:]] += 1
                    assert parse_ts(value) == int(datetime.fromisoformat(value).timestamp())
            assert parse_ts(row["event_ts"]) <= AS_OF.timestamp()
    assert {"Z", "+00:00", "+05:30", "-04:00", "+01:00", "-05:00"} <= set(offsets)


def test_required_fields_present_on_clean_rows(simulated: Simulated) -> None:
    created = [r for r in simulated.rows["oms"] if r["status"] == "CREATED"]
    assert len(created) == len(simulated.orders)
    for row in created:
        for name in (
            "amount",
            "currency",
            "payment_mode",
            "sku_category",
            "warehouse_id",
            "vendor_type",
            "region",
            "zone",
            "promised_by",
        ):
            assert row[name], (row["order_id"], name)
    shipped = [r for r in simulated.rows["oms"] if r["status"] in ("SHIPPED", "REPLACEMENT_CREATED")]
    assert shipped and all(r["awb"] and r["carrier"] for r in shipped)
    assert all(r["ndr_reason"] for r in simulated.rows["carrier"] if r["status"] == "NDR")


def test_csv_files_have_a_header_quoting_and_empty_cells_for_null(simulated: Simulated) -> None:
    landing = simulated.result.landing
    whole_files = {i["file"] for i in simulated.bad_input if i["kind"] in QUARANTINED_FILES}
    quoted_comma = empty_cell = False
    for path in landing.rglob("*.csv"):
        relative = str(path.relative_to(landing))
        if relative in whole_files or relative.startswith("legacy_pos"):
            continue
        text = path.read_text(encoding="utf-8")
        header = next(csv.reader(io.StringIO(text)))
        system = relative.split("/")[0]
        assert header[: len(field_names(system))] == list(field_names(system))
        quoted_comma |= re.search(r'"[^"\n]*,[^"\n]*"', text) is not None
        empty_cell |= ",," in text or ",\n" in text
    assert quoted_comma and empty_cell


def test_parquet_files_use_the_contract_columns(simulated: Simulated) -> None:
    landing = simulated.result.landing
    for path in landing.rglob("*.parquet"):
        if "_partial" in path.name:
            continue
        system = str(path.relative_to(landing)).split("/")[0]
        assert pq.read_schema(path).names[: len(field_names(system))] == list(field_names(system))


def test_jsonl_rows_are_objects_with_numbers_where_natural(simulated: Simulated) -> None:
    landing = simulated.result.landing
    files = sorted((landing / "integration_log").rglob("*.jsonl"))
    sample = next(p for p in files if not p.name.startswith("."))
    first = json.loads(sample.read_text().splitlines()[0])
    assert isinstance(first["attempt"], int)


def test_batches_mix_times_and_late_batches_carry_old_events(simulated: Simulated) -> None:
    late = 0
    for report in simulated.reports:
        if report.quarantined or not report.rows:
            continue
        folder_day = datetime.fromisoformat(Path(report.path).parts[-2]).date()
        times = [parse_ts(row["event_ts"]) for _, row in report.rows]
        late += sum((folder_day - datetime.fromtimestamp(t, AS_OF.tzinfo).date()).days >= 2 for t in times)
        if len(times) > 20:
            assert times != sorted(times), f"{report.path} is in time order"
    assert late > 0


def test_crm_spells_order_ids_every_way(simulated: Simulated) -> None:
    refs = {r["order_ref"] for r in simulated.rows["crm"]}
    spellings = {"ORD-": r"^ORD-\d{7}$", "#": r"^#\d{7}$", "ord-": r"^ord-\d{7}$", "digits": r"^\d{7}$"}
    for name, pattern in spellings.items():
        assert any(re.match(pattern, ref) for ref in refs), name


def test_actors_cover_every_kind(simulated: Simulated) -> None:
    actors = {r.get("actor") or "system" for system in SYSTEMS for r in simulated.rows[system]}
    prefixes = {a.split(":")[0] for a in actors}
    assert prefixes == {"api", "system", "batch", "agent"}
