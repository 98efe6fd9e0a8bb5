"""Bad input: every kind SOURCE_CONTRACT.md names is injected, recorded, and never touches ground truth."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

from dagster_project.simulator.bad_files import FILE_KINDS
from dagster_project.simulator.bad_rows import ROW_KINDS
from tests.simulator.simulator_oracle import read_file
from tests.simulator.support import Simulated


def test_every_kind_is_listed_with_exact_counts(simulated: Simulated) -> None:
    counts = Counter(item["kind"] for item in simulated.bad_input)
    # 3000 orders: every row kind is at its minimum of 3 items; one file per whole-file kind.
    assert counts == {**dict.fromkeys(ROW_KINDS, 3), **dict.fromkeys(FILE_KINDS, 1)}


def test_whole_file_items_have_no_line_and_row_items_have_one(simulated: Simulated) -> None:
    for item in simulated.bad_input:
        assert (item["line"] == "") == (item["kind"] in FILE_KINDS), item
        assert (simulated.result.landing / item["file"]).is_file(), item


def test_listed_lines_hold_the_broken_rows(simulated: Simulated) -> None:
    landing = simulated.result.landing
    for item in simulated.bad_input:
        if item["kind"] not in ROW_KINDS or item["kind"] == "duplicate_event_id":
            continue
        report = read_file(landing / item["file"], item["system"], item["file"])
        assert int(item["line"]) in report.bad_lines, item


def _rows(simulated: Simulated, relative: str, system: str) -> dict[int, dict]:
    """A file's valid rows by line, null fields left out (JSONL omits them, CSV has empty cells)."""
    report = read_file(simulated.result.landing / relative, system, relative)
    return {line: {k: v for k, v in row.items() if v is not None} for line, row in report.rows}


def test_duplicate_event_ids_repeat_an_earlier_event_exactly(simulated: Simulated) -> None:
    for item in (i for i in simulated.bad_input if i["kind"] == "duplicate_event_id"):
        copy = _rows(simulated, item["file"], item["system"])[int(item["line"])]
        original_file = item["detail"].removeprefix("repeats an event of ")
        originals = {row["event_id"]: row for row in _rows(simulated, original_file, item["system"]).values()}
        assert originals[copy["event_id"]] == copy
        assert original_file < item["file"]


def _event_ids(path: Path) -> list[str]:
    """Event ids of the complete, readable rows of a bad file (its last line may be cut short)."""
    text = path.read_bytes().decode("latin-1")
    if ".csv" in path.name:
        return [row[0] for row in list(csv.reader(io.StringIO(text)))[1:]]
    ids = []
    for line in text.splitlines():
        try:
            ids.append(json.loads(line)["event_id"])
        except json.JSONDecodeError:
            continue
    return ids


def test_bad_files_hold_only_copies_of_valid_events(simulated: Simulated) -> None:
    known = {system: {row["event_id"] for row in rows} for system, rows in simulated.rows.items()}
    for item in simulated.bad_input:
        if item["kind"] in ("non_utf8_file", "wrong_csv_header", "duplicate_file", "tmp_file", "dot_file"):
            ids = _event_ids(simulated.result.landing / item["file"])
            assert ids and set(ids) <= known[item["system"]], item


def test_the_mostly_invalid_file_mixes_copies_and_fresh_ids(simulated: Simulated) -> None:
    item = next(i for i in simulated.bad_input if i["kind"] == "invalid_share_over_threshold")
    report = read_file(simulated.result.landing / item["file"], item["system"], item["file"])
    assert report.quarantined == "invalid share over threshold"
    ids = _event_ids(simulated.result.landing / item["file"])
    known = {row["event_id"] for row in simulated.rows["crm"]}
    copies = [i for i in ids if i in known]
    assert 0.2 < 1 - len(copies) / len(ids) < 0.5


def test_skipped_and_ignored_files(simulated: Simulated) -> None:
    read = {report.path for report in simulated.reports}
    by_kind = {item["kind"]: item["file"] for item in simulated.bad_input}
    assert by_kind["tmp_file"].endswith(".jsonl.tmp") and by_kind["tmp_file"] not in read
    assert by_kind["dot_file"].split("/")[-1] == ".partial.jsonl" and by_kind["dot_file"] not in read
    assert by_kind["unknown_system_folder"].startswith("legacy_pos/")
    assert simulated.ignored_folders == ["legacy_pos"]


def test_duplicate_file_has_the_same_bytes_as_its_original(simulated: Simulated) -> None:
    item = next(i for i in simulated.bad_input if i["kind"] == "duplicate_file")
    original = item["detail"].removeprefix("same bytes as ")
    landing = simulated.result.landing
    assert (landing / item["file"]).read_bytes() == (landing / original).read_bytes()
