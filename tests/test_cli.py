"""The `recon` command line: summaries, --json, a second run, and clear errors without tracebacks."""

from __future__ import annotations

import json

from dagster_project.cli import main
from tests.landing_builder import oms_event, write_batch


def test_run_json_then_nothing_new(home, landing, capsys):
    write_batch(landing, "oms", "b1", [oms_event(1, "CREATED"), *map(oms_event, range(2, 6)), {"event_id": "x"}])
    write_batch(landing, "pos", "b1", [oms_event(3)])
    (landing / "oms" / "b2.jsonl.tmp").write_text("")
    assert main(["run", "--home", str(home.root), "--landing", str(landing), "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["oms"] == {
        "files_ingested": 1,
        "files_duplicate": 0,
        "files_quarantined": 0,
        "rows_in_files": 6,
        "rows_ingested": 5,
        "rows_duplicate": 0,
        "rows_quarantined": 1,
        "failed_expectations": 3,
    }
    assert summary["unknown_folders"] == ["pos"]
    assert summary["skipped_files"] == [
        {"file": "oms/b2.jsonl.tmp", "reason": "still being written (.tmp): picked up once renamed"}
    ]
    assert "landing/pos: not a known system folder, ignored" in captured.err
    assert main(["run", "--home", str(home.root), "--landing", str(landing)]) == 0
    assert capsys.readouterr().out.startswith(
        f"Nothing new to ingest under {landing}: all 1 batch files were ingested before."
    )


def test_run_prints_a_table(home, landing, capsys):
    write_batch(
        landing,
        "carrier",
        "b1",
        [{"event_id": "c1", "event_ts": "2026-03-01T10:00:00Z", "awb": "A1", "carrier": "dhl", "status": "PICKUP"}],
    )
    assert main(["run", "--home", str(home.root), "--landing", str(landing)]) == 0
    out = capsys.readouterr().out
    assert "system           files  dup files  quar. files  rows  dup rows  quar. rows" in out
    assert "carrier              1          0            0     1         0           0" in out


def test_errors_are_one_line_and_exit_2(home, tmp_path, capsys):
    assert main(["run", "--home", str(home.root), "--landing", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"recon: error: landing zone {tmp_path / 'missing'} does not exist or is not a folder; pass --landing DIR\n"
    )


def test_bad_config_is_named(home, landing, capsys):
    home.config_file.write_text("ingest:\n  max_invalid_share: lots\n")
    write_batch(landing, "oms", "b1", [oms_event(1)])
    assert main(["run", "--home", str(home.root), "--landing", str(landing)]) == 2
    assert capsys.readouterr().err == "recon: error: recon.yaml: ingest.max_invalid_share: 'lots' is not a number\n"
