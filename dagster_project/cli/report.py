"""`recon report`: the reconciliation as one static, self-contained HTML page."""

from __future__ import annotations

import argparse
from pathlib import Path

from dagster_project.errors import ReconError
from dagster_project.home import Home
from dagster_project.marts import read_warehouse
from dagster_project.report import data, page


def cmd_report(args: argparse.Namespace) -> int:
    warehouse = Home.resolve(args.home).warehouse
    out = Path(args.out).expanduser()
    if out.is_dir():
        raise ReconError(f"--out {out} is a folder: give a file name, e.g. {out / 'report.html'}")
    with read_warehouse(warehouse) as conn:
        figures = data.load(conn)
    html = page.render(figures, warehouse)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)  # a missing folder is created, like a new home
        out.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise ReconError(f"cannot write the report to {out}: {exc.strerror}; choose another --out") from None
    kpis = figures.kpis
    print(
        f"wrote {out}: reconciliation report as of {kpis.as_of:%Y-%m-%d %H:%M} UTC ({counted(kpis.orders, 'order')}, "
        f"{counted(kpis.divergences, 'divergence')}, {kpis.open_action:,} open in the action queue, "
        f"top {len(figures.top_clusters)} clusters, integration drift)"
    )
    return 0


def counted(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def configure_report(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="the HTML file to write (its folder is created if missing)")


COMMANDS = [
    ("report", "write a static HTML report of the reconciliation (KPIs, charts, clusters, drift)", configure_report,
     cmd_report),
]  # fmt: skip
