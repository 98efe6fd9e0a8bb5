"""The resource every recon asset uses: where the home (warehouse, store, config) and landing zone are."""

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.config import Config
from dagster_project.errors import ReconError
from dagster_project.home import Home

# Every run that writes the warehouse takes this pool (limit 1): DuckDB allows one writing process.
WAREHOUSE_POOL = "warehouse"


class ReconResource(dg.ConfigurableResource):
    """The recon home and landing zone. `as_of` (ISO 8601, UTC if no offset) pins the evaluation time."""

    home: str
    landing: str | None = None
    as_of: str | None = None

    def home_dir(self) -> Home:
        return Home.resolve(self.home).ensure()

    def config(self) -> Config:
        return self.home_dir().config()

    def landing_dir(self) -> Path:
        if not self.landing:
            raise ReconError("no landing zone configured: pass --landing DIR (or set RECON_LANDING)")
        return Path(self.landing).expanduser().resolve()

    def connect(self) -> duckdb.DuckDBPyConnection:
        """Open the warehouse for writing; a clear error when another process holds it."""
        path = self.home_dir().warehouse
        try:
            return duckdb.connect(
                str(path), config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
            )
        except duckdb.IOException as exc:
            raise ReconError(
                f"cannot open the warehouse {path}: {exc}. Another recon run or the "
                "Dagster UI may be writing it; wait for it to finish."
            ) from exc

    def as_of_datetime(self) -> datetime | None:
        """The pinned evaluation time (aware, UTC), or None for "now"."""
        if not self.as_of:
            return None
        value = datetime.fromisoformat(self.as_of.replace("Z", "+00:00"))
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def now(self) -> datetime:
        """Naive UTC wall-clock time, stamped on written rows."""
        return datetime.now(UTC).replace(tzinfo=None)
