"""Benchmark harness only (bench/measure.py puts this folder on PYTHONPATH of a measured `recon run`).

With RECON_BENCH_DUCKDB_THREADS set, every DuckDB connection this interpreter opens gets that many threads
unless its caller chose: recon's ingestion and dbt-duckdb (a child process, same environment) included, so
recon is measured on the same threads as the alternatives beside it. Unset, nothing is touched.
"""

import os

_THREADS = os.environ.get("RECON_BENCH_DUCKDB_THREADS")

if _THREADS:
    import duckdb

    _connect = duckdb.connect

    def _pinned_connect(database=":memory:", read_only=False, config=None, **kwargs):
        config = dict(config or {})
        config.setdefault("threads", int(_THREADS))
        return _connect(database, read_only=read_only, config=config, **kwargs)

    duckdb.connect = _pinned_connect
