"""The recon home: where the embedded defaults live (warehouse, operational store, config, quarantine)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dagster_project.config import Config, load_config
from dagster_project.store.engine import store_url

STORE_URL_ENV = "RECON_STORE_URL"


@dataclass(frozen=True)
class Home:
    root: Path

    @classmethod
    def resolve(cls, home: str | os.PathLike | None = None) -> Home:
        """`--home`, else `$RECON_HOME`, else `./.recon`."""
        chosen = home or os.environ.get("RECON_HOME") or ".recon"
        return cls(Path(chosen).expanduser().resolve())

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def config_file(self) -> Path:
        return self.root / "recon.yaml"

    @property
    def quarantine_dir(self) -> Path:
        return self.root / "quarantine"

    @property
    def store_url(self) -> str:
        """The operational store: `$RECON_STORE_URL` (PostgreSQL in production; a URL may hold a password,
        so it comes from the environment only), else SQLite in the home."""
        return os.environ.get(STORE_URL_ENV) or store_url(self.root)

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster"

    def ensure(self) -> Home:
        for path in (self.root, self.quarantine_dir, self.dagster_home):
            path.mkdir(parents=True, exist_ok=True)
        return self

    def config(self) -> Config:
        return load_config(self.config_file)
