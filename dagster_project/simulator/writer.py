"""Batch tables -> file bytes: JSON Lines, CSV (RFC 4180, header, empty cell = null) or Parquet, with
optional raw lines injected between the rows (bad input)."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from dagster_project.simulator.keys import join

# Values written as JSON numbers rather than strings (the contract accepts both for amounts).
JSON_NUMBERS: dict[str, frozenset[str]] = {
    "payments": frozenset({"amount"}),
    "integration_log": frozenset({"http_status", "attempt"}),
}
# Windows-born exports end lines with CRLF, the rest with LF.
CSV_EOL = {"wms": "\r\n", "erp": "\r\n"}


def _json_value(col) -> pa.Array:
    """The column's values as JSON strings, escaped only when a value needs it (free text)."""
    if pc.any(pc.match_substring(col, '"')).as_py() or pc.any(pc.match_substring(col, "\\")).as_py():
        col = pc.replace_substring(pc.replace_substring(col, "\\", "\\\\"), '"', '\\"')
    return col


def _json_field(name: str, values, number: bool) -> pa.Array:
    """`"name":value` per row (null where the value is null, so the field is left out)."""
    return join(f'"{name}":', values) if number else join(f'"{name}":"', _json_value(values), '"')


def json_lines(table: pa.Table, numbers: frozenset[str] = frozenset()) -> pa.Array:
    """One JSON object per row, newline-terminated; null fields are left out."""
    pieces = [_json_field(name, table[name], name in numbers) for name in table.column_names]
    body = pc.binary_join_element_wise(*pieces, ",", null_handling="skip")
    return pa.chunked_array([join("{", body, "}\n")]).combine_chunks()


def _offsets(lines: pa.Array) -> np.ndarray:
    return np.frombuffer(lines.buffers()[1], np.int32, len(lines) + 1, lines.offset * 4)


def concat_lines(lines: pa.Array) -> bytes:
    """The concatenation of a string array's values, straight from its data buffer."""
    if not len(lines):
        return b""
    offsets = _offsets(lines)
    return memoryview(lines.buffers()[2])[offsets[0] : offsets[-1]].tobytes()


def csv_bytes(table: pa.Table, eol: str) -> bytes:
    out = io.BytesIO()
    pa_csv.write_csv(table, out, pa_csv.WriteOptions(quoting_style="needed", eol=eol))
    return out.getvalue()


def csv_line(values: Sequence[str | None], eol: str) -> str:
    """A CSV row quoted like the batch writer does (every value quoted, null as an empty cell)."""
    return ",".join("" if v is None else '"' + v.replace('"', '""') + '"' for v in values) + eol


def json_line(record: dict[str, str | None]) -> str:
    return json.dumps({k: v for k, v in record.items() if v is not None}, ensure_ascii=False) + "\n"


def parquet_bytes(table: pa.Table) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def encode(
    table: pa.Table,
    fmt: str,
    system: str,
    injected: Sequence[tuple[int, str]] = (),
) -> tuple[bytes, list[int]]:
    """The file's bytes, and the 1-based line of each injected (position, raw line) pair, position being
    the data row it is inserted before."""
    if fmt == "parquet":
        if injected:
            raise ValueError("raw lines cannot be injected into Parquet")
        return parquet_bytes(table), []
    if fmt == "jsonl":
        lines = json_lines(table, JSON_NUMBERS.get(system, frozenset()))
        header, body = b"", concat_lines(lines)
        starts = _offsets(lines) - _offsets(lines)[0] if len(lines) else np.zeros(1, np.int64)
    else:
        data = csv_bytes(table, CSV_EOL.get(system, "\n"))
        cut = data.index(b"\n") + 1
        header, body = data[:cut], data[cut:]
        # Row starts: no value contains a line break, so every newline ends a row.
        starts = np.concatenate([[0], np.flatnonzero(np.frombuffer(body, np.uint8) == 10) + 1])
    if not injected:
        return header + body, []
    parts, lines_at, done = [header], [0] * len(injected), 0
    for shift, i in enumerate(sorted(range(len(injected)), key=lambda i: injected[i][0])):
        position, text = injected[i]
        parts += [body[done : starts[position]], text.encode()]
        done = starts[position]
        lines_at[i] = position + shift + 1 + (1 if header else 0)
    parts.append(body[done:])
    return b"".join(parts), lines_at
