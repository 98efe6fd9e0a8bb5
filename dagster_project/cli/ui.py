"""`recon ui`: the Dagster UI (webserver and daemon, `dagster dev`) for the home, on 127.0.0.1."""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dagster_project.cli import parse_as_of
from dagster_project.dagster_instance import write_dagster_yaml
from dagster_project.errors import ReconError
from dagster_project.home import Home

HOST = "127.0.0.1"


@dataclass(frozen=True)
class UiSettings:
    landing: Path | None
    as_of: datetime | None
    source: str  # where the landing zone came from, for the user


def ui_settings(home: Home, landing: str | None, as_of: datetime | None) -> UiSettings:
    """The landing zone: `--landing`, else RECON_LANDING, else the demo's in the home (evaluated at the demo's
    simulated time unless `--as-of` says otherwise: its orders are dated then)."""
    if landing or os.environ.get("RECON_LANDING"):
        chosen = Path(landing or os.environ["RECON_LANDING"]).expanduser().resolve()
        return UiSettings(chosen, as_of, "--landing" if landing else "RECON_LANDING")
    simulation = home.root / "demo" / "simulation.json"
    if simulation.exists():
        demo_as_of = parse_as_of(json.loads(simulation.read_text())["as_of"])
        return UiSettings(simulation.parent / "landing", as_of or demo_as_of, "the demo in this home")
    return UiSettings(None, as_of, "")


def ui_environment(home: Home, settings: UiSettings) -> dict[str, str]:
    env = {**os.environ, "DAGSTER_HOME": str(home.dagster_home), "RECON_HOME": str(home.root)}
    # `dagster dev` still works; its notice that `dg dev` supersedes it is noise to a recon user.
    env["PYTHONWARNINGS"] = "ignore:Function `dev_command` is superseded"
    for name, value in (("RECON_LANDING", settings.landing), ("RECON_AS_OF", settings.as_of)):
        env.pop(name, None)
        if value is not None:
            env[name] = value.isoformat() if isinstance(value, datetime) else str(value)
    return env


def ui_port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    return int(text)


def check_port_free(port: int) -> None:
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            raise ReconError(f"port {port} on {HOST} is in use (another `recon ui`?); pass --port N") from None


def dagster_dev_command(port: int) -> list[str]:
    # The dagster installed beside this interpreter: `recon` may run without the virtualenv on PATH.
    dagster = Path(sys.executable).parent / "dagster"
    return [str(dagster), "dev", "-m", "dagster_project.definitions", "-h", HOST, "-p", str(port)]


def cmd_ui(args: argparse.Namespace) -> int:
    home = Home.resolve(args.home).ensure()
    home.config()  # a bad recon.yaml stops here, not in the UI's code-location error
    settings = ui_settings(home, args.landing, args.as_of)
    check_port_free(args.port)
    write_dagster_yaml(home)
    if settings.landing:
        print(f"Landing zone ({settings.source}): {settings.landing}")
    else:
        print("No landing zone: pass --landing DIR (or set RECON_LANDING) for the landing sensor and ingestion.")
    if settings.as_of:
        print(f"Evaluating as of {settings.as_of.isoformat()} (--as-of to change).")
    print(f"Dagster UI for {home.root}: http://{HOST}:{args.port}  (Ctrl-C stops it)")
    sys.stdout.flush()  # exec discards Python's buffers
    command = dagster_dev_command(args.port)
    # Replace this process: Ctrl-C and SIGTERM reach `dagster dev`, which stops its webserver and daemon.
    os.execve(command[0], command, ui_environment(home, settings))


def configure_ui(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=ui_port, default=3000, help="the webserver's port (default 3000)")
    parser.add_argument(
        "--landing",
        default=None,
        help="landing zone the landing sensor watches (default $RECON_LANDING, else the demo's in the home)",
    )
    parser.add_argument(
        "--as-of",
        type=parse_as_of,
        default=None,
        help="evaluate rules at this time (ISO 8601) instead of now; the demo's landing zone defaults to its own",
    )


COMMANDS = [("ui", "start the Dagster UI (webserver and daemon) on 127.0.0.1 for this home", configure_ui, cmd_ui)]
