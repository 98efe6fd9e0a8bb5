"""Read one batch file into rows of text fields, whatever its format.

Every reader returns a `FileRows`: an Arrow table with `_line` (1-based line where the row starts; the row
number for Parquet), `_error` for rows that are structurally broken (malformed JSON, a CSV row with the
wrong number of cells), one text column per contract field, and `extras` (a JSON object of the fields the
contract does not name, null when there are none). A file that cannot be read at all raises
`UnreadableFile`, and is quarantined whole with that reason.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dagster_project.contract import fields


class UnreadableFile(Exception):
    """The file as a whole cannot be read: it is quarantined with this message as its reason."""

    def __init__(self, reason: str, rows_total: int = 0):
        super().__init__(reason)
        self.reason = reason
        self.rows_total = rows_total


@dataclass
class FileRows:
    table: pa.Table
    # The row's source text as it stands in the file, by the row's `_line`: only quarantined rows need it.
    raw_text: Callable[[int], str]


def _decode(data: bytes, header_lines: int) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        rows = sum(1 for chunk in data.split(b"\n") if chunk.strip()) - header_lines
        raise UnreadableFile(
            f"not UTF-8: byte 0x{data[exc.start]:02x} on line {line} cannot be decoded; re-export the file as UTF-8",
            rows_total=max(rows, 0),
        ) from exc


def _physical_lines(text: str) -> list[str]:
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def _null_if_blank(column: pa.Array) -> pa.Array:
    """Empty or whitespace-only text is a missing value (an empty CSV cell is null by the contract)."""
    column = column.cast(pa.string())
    return pc.if_else(pc.equal(pc.utf8_trim_whitespace(column), ""), pa.scalar(None, pa.string()), column)


def _lines(data: bytes) -> pa.LargeStringArray:
    """The file's lines as an Arrow array over the file's own bytes (no copy); each keeps its line end."""
    ends = np.flatnonzero(np.frombuffer(data, np.uint8) == ord("\n")) + 1
    tail = [len(data)] if not ends.size or ends[-1] != len(data) else []
    offsets = np.concatenate(([0], ends, tail)).astype(np.int64)
    lines = pa.LargeStringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data))
    try:
        lines.validate(full=True)  # checks UTF-8
    except pa.ArrowInvalid:
        _decode(data, header_lines=0)  # raises UnreadableFile naming the line and byte
        raise
    return lines


def read_jsonl(data: bytes, system: str, conn: duckdb.DuckDBPyConnection) -> FileRows:
    lines = _lines(data)
    batch = pa.table({"_line": pa.array(np.arange(1, len(lines) + 1, dtype=np.int32)), "_raw": lines})
    batch = batch.filter(pc.invert(pc.equal(pc.utf8_trim_whitespace(batch["_raw"]), "")))
    names = [f.name for f in fields(system)]
    # Three passes so that the costly JSON functions only see rows they apply to (DuckDB would raise on
    # a malformed line even inside a CASE branch): which lines are objects, their values, their extras.
    checked = _duck(
        conn,
        "select _line, _raw, json_valid(_raw) as is_json, starts_with(ltrim(_raw), '{') as is_object from batch",
        batch=batch,
    )
    checked = checked.set_column(2, "is_json", _strict_json(checked["_raw"], checked["is_json"]))
    is_object = pc.and_(checked["is_json"], checked["is_object"])
    broken = checked.filter(pc.invert(is_object))
    paths = ", ".join(f"'$.\"{name}\"'" for name in names)
    known = "[" + ", ".join(f"'{name}'" for name in names) + "]"
    objects = _duck(
        conn,
        f"""
        select _line, _raw, json_extract_string(_raw, [{paths}]) as _values,
            len(list_filter(json_keys(_raw), k -> not list_contains({known}, k))) > 0 as has_extras
        from batch""",
        batch=checked.filter(is_object).select(["_line", "_raw"]),
    )
    # A JSON merge-patch with nulls removes the contract's keys: what is left are the extras.
    extras = _duck(
        conn,
        "select _line, json_merge_patch(_raw, ?::json)::varchar as extras from batch",
        [json.dumps(dict.fromkeys(names))],
        batch=objects.filter(objects["has_extras"]).select(["_line", "_raw"]),
    )
    extras_by_line = dict(zip(extras["_line"].to_pylist(), extras["extras"].to_pylist(), strict=True))
    values = objects["_values"].combine_chunks()
    columns: dict[str, pa.Array] = {
        "_line": pa.concat_arrays([objects["_line"].combine_chunks(), broken["_line"].combine_chunks()]),
        "_error": pa.concat_arrays(
            [
                pa.nulls(objects.num_rows, pa.string()),
                pa.array(
                    [
                        "malformed JSON: the line does not parse" if not ok else "the line is JSON but not an object"
                        for ok in broken["is_json"].to_pylist()
                    ],
                    pa.string(),
                ),
            ]
        ),
    }
    for i, name in enumerate(names):
        columns[name] = pa.concat_arrays(
            [_null_if_blank(pc.list_element(values, i)), pa.nulls(broken.num_rows, pa.string())]
        )
    columns["extras"] = (
        pa.array([extras_by_line.get(line) for line in columns["_line"].to_pylist()], pa.string())
        if extras_by_line
        else pa.nulls(len(columns["_line"]), pa.string())
    )
    return FileRows(pa.table(columns), lambda line: lines[line - 1].as_py().rstrip("\r\n"))


# DuckDB's JSON parser accepts trailing commas and NaN/Infinity, which JSON does not: lines where either
# may occur are parsed again strictly (rarely more than a handful).
_LENIENT_JSON = r",\s*[}\]]|NaN|Infinity"


def _strict_json(raw: pa.ChunkedArray, is_json: pa.ChunkedArray) -> pa.Array:
    valid = is_json.to_numpy(zero_copy_only=False).copy()
    suspects = np.flatnonzero(valid & pc.match_substring_regex(raw, _LENIENT_JSON).to_numpy(zero_copy_only=False))
    for i in suspects:
        try:
            json.loads(raw[int(i)].as_py(), parse_constant=_reject_constant)
        except ValueError:
            valid[i] = False
    return pa.array(valid)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _duck(conn: duckdb.DuckDBPyConnection, sql: str, params: list | None = None, *, batch: pa.Table) -> pa.Table:
    conn.register("batch", batch)
    try:
        return conn.execute(sql, params or []).to_arrow_table()
    finally:
        conn.unregister("batch")


def read_csv(data: bytes, system: str) -> FileRows:
    text = _decode(data, header_lines=1)
    lines = _physical_lines(text)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise UnreadableFile("empty CSV file: no header row") from None
    except csv.Error as exc:
        raise UnreadableFile(f"CSV header row does not parse: {exc}") from None
    header = [h.strip() for h in header]
    _check_columns(system, header, "CSV header")
    names = [f.name for f in fields(system)]
    index = {name: header.index(name) for name in names if name in header}
    extra_cols = [(i, h) for i, h in enumerate(header) if h not in index]
    starts, ends, errors, rows = [], [], [], []
    previous_end = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # Broken quoting makes the rest of the file unparseable from here on.
            raise UnreadableFile(f"CSV does not parse at line {reader.line_num}: {exc}") from None
        start, previous_end = previous_end + 1, reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        starts.append(start)
        ends.append(reader.line_num)
        errors.append(
            None if len(row) == len(header) else f"CSV row has {len(row)} cells but the header has {len(header)}"
        )
        rows.append(row if len(row) == len(header) else [""] * len(header))
    columns: dict[str, pa.Array] = {
        "_line": pa.array(starts, pa.int32()),
        "_error": pa.array(errors, pa.string()),
    }
    for name in names:
        i = index.get(name)
        columns[name] = _null_if_blank(
            pa.array([r[i] for r in rows] if i is not None else [None] * len(rows), pa.string())
        )
    columns["extras"] = pa.array(
        [_extras_json({h: r[i] for i, h in extra_cols}) for r in rows] if extra_cols else [None] * len(rows),
        pa.string(),
    )
    span = dict(zip(starts, ends, strict=True))
    return FileRows(pa.table(columns), lambda line: "\n".join(lines[line - 1 : span.get(line, line)]))


def read_parquet(data: bytes, system: str) -> FileRows:
    try:
        table = pq.read_table(pa.BufferReader(data))
    except Exception as exc:  # pyarrow raises several types for a truncated or corrupt file
        raise UnreadableFile(f"unreadable Parquet (truncated or corrupt): {exc}") from None
    _check_columns(system, table.column_names, "Parquet columns")
    names = [f.name for f in fields(system)]
    columns: dict[str, pa.Array] = {
        "_line": pa.array(range(1, table.num_rows + 1), pa.int32()),
        "_error": pa.nulls(table.num_rows, pa.string()),
    }
    for name in names:
        columns[name] = (
            _null_if_blank(_parquet_text(table[name]))
            if name in table.column_names
            else pa.nulls(table.num_rows, pa.string())
        )
    extra = [c for c in table.column_names if c not in names]
    extras_rows = table.select(extra).to_pylist() if extra else None
    columns["extras"] = pa.array(
        [_extras_json(r) for r in extras_rows] if extras_rows else [None] * table.num_rows, pa.string()
    )
    return FileRows(pa.table(columns), lambda line: json.dumps(table.slice(line - 1, 1).to_pylist()[0], default=str))


def _parquet_text(column: pa.ChunkedArray) -> pa.Array:
    """Parquet values as contract text: a zoned timestamp keeps its instant (as UTC with 'Z'); a naive
    one is written without an offset, so the contract check flags it as offset-less."""
    column = column.combine_chunks()
    if pa.types.is_timestamp(column.type):
        fmt = "%Y-%m-%dT%H:%M:%S"
        if column.type.tz is not None:
            return pc.strftime(column.cast(pa.timestamp("us", "UTC")), format=fmt + "Z")
        return pc.strftime(column, format=fmt)
    return column.cast(pa.string())


def _extras_json(values: dict) -> str | None:
    kept = {k: v for k, v in values.items() if v not in (None, "")}
    return json.dumps(kept, default=str, separators=(",", ":")) if kept else None


def _check_columns(system: str, columns: list[str], what: str) -> None:
    missing = [f.name for f in fields(system) if f.always_required and f.name not in columns]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if missing or duplicated:
        problem = (
            f"missing required column(s) {', '.join(missing)}"
            if missing
            else f"duplicated column(s) {', '.join(duplicated)}"
        )
        raise UnreadableFile(
            f"wrong {what}: {problem}; a {system} batch needs "
            f"{', '.join(f.name for f in fields(system) if f.always_required)}"
        )


def read_file(data: bytes, fmt: str, system: str, conn: duckdb.DuckDBPyConnection) -> FileRows:
    if fmt == "jsonl":
        return read_jsonl(data, system, conn)
    if fmt == "csv":
        return read_csv(data, system)
    return read_parquet(data, system)
