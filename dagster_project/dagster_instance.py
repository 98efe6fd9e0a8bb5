"""The home's Dagster instance (`<home>/dagster`), shared by `recon run` and `recon ui`, so CLI runs show in the UI.

recon writes its `dagster.yaml` and rewrites it on every run while it still starts with `MARKER`; delete that
first line to keep a hand-edited file. Instance storage is SQLite in the home, or PostgreSQL when
`RECON_DAGSTER_PG_URL` is set (the URL may hold a password, so the file names the variable, never its value).
Every warehouse step takes the `warehouse` pool, whose limit is 1: DuckDB allows one writing process.
"""

from __future__ import annotations

import os

import dagster as dg

from dagster_project.home import Home

MARKER = "# Written by recon"
PG_URL_ENV = "RECON_DAGSTER_PG_URL"


def dagster_yaml(home: Home) -> str:
    if os.environ.get(PG_URL_ENV):
        storage = f"storage:\n  postgres:\n    postgres_url:\n      env: {PG_URL_ENV}\n"
    else:
        storage = f"storage:\n  sqlite:\n    base_dir: {home.dagster_home}\n"
    return (
        f"{MARKER} for this home; it rewrites the file while this line is first (delete the line to keep edits).\n"
        "# No telemetry: nothing may reach the network at run time.\n"
        "telemetry:\n  enabled: false\n"
        f"{storage}"
        "# The warehouse pool (every step that reads or writes the DuckDB file): one at a time across all runs.\n"
        "concurrency:\n  pools:\n    default_limit: 1\n"
    )


def write_dagster_yaml(home: Home) -> None:
    path = home.ensure().dagster_home / "dagster.yaml"
    if path.exists() and not path.read_text().startswith(MARKER):
        return
    text = dagster_yaml(home)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def open_instance(home: Home) -> dg.DagsterInstance:
    write_dagster_yaml(home)
    return dg.DagsterInstance.from_config(str(home.dagster_home))
