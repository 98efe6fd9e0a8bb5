"""Which replay a click on "Replay (dry run)" asks for, who may execute it, and the Execute button's value.

- `choose_replay`: `remap` when `status_map` in recon.yaml differs from the map the marts were built with
  (`replay.remap.status_changes`), else `orders` for the exception's open orders (the first `MAX_ORDERS` by
  exposure), re-read from the landing zone named by `RECON_LANDING`.
- `operator_for`: the name an execute is carried out under, from the clicking Slack user.
- `ExecuteValue`: what the Execute button (and then the modal) carries, as JSON: the exception, the kind, the
  orders, and for a remap a digest of the status changes the dry run showed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster_project.errors import ReconError
from dagster_project.home import Home
from dagster_project.marts import read_warehouse
from dagster_project.replay import ReplayRequest
from dagster_project.replay.remap import status_changes
from dagster_project.slack.escape import one_line
from dagster_project.slack_app.clicks import Clicker
from dagster_project.store import Store, check_operator, show_exception

LANDING_ENV = "RECON_LANDING"
# The most orders one button replays (the exception's first by exposure); the CLI takes any number.
MAX_ORDERS = 50
# An order id longer than this in a button's value is not one of ours.
MAX_ORDER_ID = 200
MAX_EXCEPTION_ID = 999_999_999
DIGEST_CHARS = 16
EXECUTABLE_KINDS = ("orders", "remap")

STALE_BUTTON = (
    "this Execute button does not carry a replay this app can read: click Replay (dry run) on the exception's "
    "message again"
)


@dataclass(frozen=True)
class Choice:
    """The replay a dry-run click asks for. `open_orders`: every open order of the exception, by exposure (an
    `orders` request holds the first `MAX_ORDERS` of them)."""

    exception_id: int
    request: ReplayRequest
    landing: Path | None
    open_orders: tuple[str, ...]


def landing_from(environ: Mapping[str, str]) -> Path:
    """The landing zone an orders replay re-reads: `RECON_LANDING`, a folder; a `ReconError` saying what to set."""
    value = (environ.get(LANDING_ENV) or "").strip()
    if not value:
        raise ReconError(
            f"{LANDING_ENV} is not set: an orders replay re-reads the landing zone, so start the Slack app with "
            f"{LANDING_ENV} set to the landing folder the pipeline reads (the DIR of `recon run --landing DIR`)"
        )
    path = Path(value).expanduser()
    if not path.is_dir():
        raise ReconError(
            f"{LANDING_ENV} is {one_line(value)}, which is not a folder: set it to the landing folder the pipeline "
            "reads and restart the Slack app"
        )
    return path.resolve()


def open_orders(store: Store, exception_id: int) -> tuple[str, ...]:
    """The exception's orders with an open divergence, largest exposure first; a `ReconError` for an unknown id."""
    shown = show_exception(store, exception_id)
    orders = (d["order_id"] for d in shown["divergences"] if d["status"] == "open" and d["order_id"])
    return tuple(dict.fromkeys(orders))


def choose_replay(home: Home, store: Store, exception_id: int, environ: Mapping[str, str]) -> Choice:
    """`remap` when recon.yaml's status_map differs from the built one, else `orders` for the exception's open
    orders. Reads the store and (read-only) the warehouse; a `ReconError` when there is nothing to replay or no
    landing zone to re-read."""
    orders = open_orders(store, exception_id)
    with read_warehouse(home.warehouse) as conn:
        changes = status_changes(conn, home.config())
    if changes:
        return Choice(exception_id, ReplayRequest("remap"), None, orders)
    if not orders:
        raise ReconError(
            f"nothing to replay for exception {exception_id}: it has no open divergence, and status_map in "
            "recon.yaml maps every native status as the marts were built"
        )
    landing = landing_from(environ)
    return Choice(exception_id, ReplayRequest("orders", orders=orders[:MAX_ORDERS]), landing, orders)


def _listed(name: str | None, allowed: Sequence[str]) -> bool:
    if not name:
        return False
    try:
        check_operator(name, allowed)
    except ReconError:
        return False
    return True


def operator_for(who: Clicker, allowed: Iterable[str]) -> str:
    """The operator an execute by `who` runs as: their Slack user id when `replay.operators` lists it, else their
    username when listed, else their username (or id), which `check_operator` / `execute` then refuse, naming
    the setting. Either identity listed lets them execute; the id is preferred in the audit trail (ids never
    change, names do)."""
    allowed = tuple(allowed)
    for name in (who.user_id, who.username):
        if _listed(name, allowed):
            return name
    return who.username or who.user_id


def may_execute(who: Clicker, allowed: Iterable[str]) -> bool:
    allowed = tuple(allowed)
    return _listed(operator_for(who, allowed), allowed)


def statuses_digest(statuses: Iterable[Sequence[Any]]) -> str:
    """A short digest of a remap's status changes, so an execute can tell they are still the ones shown."""
    text = json.dumps(sorted([list(s) for s in statuses], key=lambda s: (s[0], s[1])), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:DIGEST_CHARS]


@dataclass(frozen=True)
class ExecuteValue:
    """The Execute button's value: which exception's thread, which replay."""

    exception_id: int
    kind: str
    orders: tuple[str, ...] = ()
    statuses: str | None = None  # remap: `statuses_digest` of the dry run's status changes

    def request(self) -> ReplayRequest:
        return ReplayRequest(self.kind, orders=self.orders)

    def as_dict(self) -> dict[str, Any]:
        value: dict[str, Any] = {"exception_id": self.exception_id, "kind": self.kind}
        if self.kind == "orders":
            value["orders"] = list(self.orders)
        else:
            value["statuses"] = self.statuses
        return value

    def encode(self) -> str:
        return json.dumps(self.as_dict(), separators=(",", ":"))


def _check_value(data: Any) -> ExecuteValue:
    if not isinstance(data, dict):
        raise TypeError(data)
    exception_id, kind = data.get("exception_id"), data.get("kind")
    if not isinstance(exception_id, int) or isinstance(exception_id, bool):
        raise TypeError(exception_id)
    if not 1 <= exception_id <= MAX_EXCEPTION_ID or kind not in EXECUTABLE_KINDS:
        raise ValueError(data)
    if kind == "remap":
        statuses = data.get("statuses")
        if not isinstance(statuses, str) or len(statuses) != DIGEST_CHARS:
            raise ValueError(statuses)
        return ExecuteValue(exception_id, kind, statuses=statuses)
    orders = data.get("orders")
    if not isinstance(orders, list) or not 1 <= len(orders) <= MAX_ORDERS:
        raise ValueError(orders)
    if not all(isinstance(o, str) and 0 < len(o.strip()) <= MAX_ORDER_ID for o in orders):
        raise ValueError(orders)
    return ExecuteValue(exception_id, kind, orders=tuple(orders))


def read_execute_value(data: Any) -> ExecuteValue:
    """An `ExecuteValue` from the button's value (JSON text) or the modal's metadata (a dict); a `ReconError`
    when it is not one (a button of another app or version, or tampered with)."""
    try:
        return _check_value(json.loads(data) if isinstance(data, str) else data)
    except (ValueError, TypeError):
        raise ReconError(STALE_BUTTON) from None


def check_remap_unchanged(home: Home, value: ExecuteValue) -> None:
    """Refuse a remap execute when recon.yaml's status_map now differs from the built map otherwise than the dry
    run showed. No difference at all is left to `execute` (already executed: a no-op; else nothing to remap)."""
    with read_warehouse(home.warehouse) as conn:
        changes = status_changes(conn, home.config())
    if changes and statuses_digest(changes) != value.statuses:
        raise ReconError(
            "status_map in recon.yaml has changed since this dry run: click Replay (dry run) on the exception's "
            "message again to see what a remap would do now"
        )
