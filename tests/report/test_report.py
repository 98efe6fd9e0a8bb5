"""`recon report`: the page's figures are the marts', every chart is there, data text is escaped, an empty
mart renders, and a home without marts gets the usual error."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from dagster_project.cli import main
from dagster_project.home import Home
from dagster_project.pipeline import run_pipeline
from dagster_project.simulator import simulate
from tests.landing_builder import oms_event, write_batch
from tests.report.html_tree import Node, parse, table_rows

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script> & $\\alpha$'


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Home:
    root = tmp_path_factory.mktemp("report")
    sim = simulate(300, 7, root / "sim", as_of=AS_OF)
    home = Home(root / "home")
    run_pipeline(home, sim.landing, AS_OF)
    return home


def write_report(home: Home, out: Path) -> str:
    assert main(["report", "--home", str(home.root), "--out", str(out)]) == 0
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page(home, tmp_path_factory) -> Node:
    return parse(write_report(home, tmp_path_factory.mktemp("out") / "report.html"))


def query(home: Home, sql: str) -> list[tuple]:
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def one(home: Home, sql: str):
    return query(home, sql)[0][0]


def kpi(page: Node, key: str) -> str:
    return page.find("div", **{"data-kpi": key}).find("div", class_="value").text


def charts(section: Node) -> list[Node]:
    return [svg for svg in section.iter("svg") if svg.attrs.get("class") == "chart"]


def test_cli_creates_the_folder_and_says_what_it_wrote(home, tmp_path, capsys):
    out = tmp_path / "reports" / "march" / "recon.html"
    write_report(home, out)
    orders = one(home, "select count(*) from fct_order_state")
    total, open_action = query(home, """
        select count(*), count(*) filter (where status = 'open' and queue = 'action') from fct_divergences
    """)[0]  # fmt: skip
    assert capsys.readouterr().out == (
        f"wrote {out}: reconciliation report as of 2026-03-01 00:00 UTC ({orders:,} orders, {total:,} divergences, "
        f"{open_action:,} open in the action queue, top 10 clusters, integration drift)\n"
    )
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert write_report(home, tmp_path / "again.html") == out.read_text(encoding="utf-8")  # same marts, same bytes


def test_key_figures_are_the_marts(home, page):
    orders = one(home, "select count(*) from fct_order_state")
    assert orders == one(home, "select sum(orders) from rpt_kpis_daily where dimension = 'all'") == 300
    # Match rate as RULES.md defines it, from the divergences themselves: orders with no action divergence.
    with_action = one(home, """
        select count(distinct order_id) from fct_divergences
        where queue = 'action' and order_id in (select order_id from fct_order_state)
    """)  # fmt: skip
    total, open_action, informational, exposure, mttr = query(home, """
        select count(*), count(*) filter (where status = 'open' and queue = 'action'),
               count(*) filter (where queue = 'informational'),
               sum(exposure_amount) filter (where status = 'open' and queue = 'action'),
               avg(epoch(resolved_at) - epoch(divergence_start)) / 3600
        from fct_divergences
    """)[0]  # fmt: skip
    assert with_action > 0 and open_action > 0 and exposure > 0
    assert kpi(page, "orders") == f"{orders:,}"
    assert kpi(page, "match_rate") == f"{1 - with_action / orders:.1%}"
    assert kpi(page, "divergences") == f"{total:,}"
    assert kpi(page, "open_action") == f"{open_action:,}"
    assert kpi(page, "open_exposure") == f"{exposure:,.2f}"
    assert kpi(page, "mean_time_to_resolution") == f"{mttr:,.1f} h"
    assert kpi(page, "clusters") == f"{one(home, 'select count(*) from fct_divergence_clusters'):,}"
    assert page.find("div", **{"data-kpi": "divergences"}).find("div", class_="detail").text == (
        f"{informational:,} informational"
    )


def test_top_clusters_are_the_largest(home, page):
    expected = query(home, """
        select cluster_id, rule, divergences from fct_divergence_clusters
        order by divergences desc, exposure_amount desc, cluster_id limit 10
    """)  # fmt: skip
    table = page.find("section", id="clusters").find("table")
    rows = [tr for tr in table.find("tbody").iter("tr")]
    assert [tr.attrs["data-cluster-id"] for tr in rows] == [cluster_id for cluster_id, _, _ in expected]
    assert [(r[0], r[1], r[6]) for r in table_rows(table)] == [(c[:8], rule, str(n)) for c, rule, n in expected]


def test_divergences_by_rule_and_classification(home, page):
    section = page.find("section", id="by-rule")
    assert len(charts(section)) == 1
    counts = dict(((rule, cls), n) for rule, cls, n in query(home, """
        select rule, classification, count(*) from fct_divergences group by all
    """))  # fmt: skip
    shown = {}
    for rule, *cells in table_rows(section.find("table")):
        for cls, n in zip(("mapping_error", "manual_override", "sync_delay", "unknown"), cells[:4], strict=True):
            if n != "0":
                shown[(rule, cls)] = int(n)
        assert int(cells[4]) == sum(int(n) for n in cells[:4])
    assert shown == counts


def test_exposure_by_carrier_and_region(home, page):
    section = page.find("section", id="exposure")
    assert [svg.attrs["id"] for svg in charts(section)] == ["chart-exposure-carrier", "chart-exposure-region"]
    tables = list(section.iter("table"))
    for dimension, table in zip(("carrier", "region"), tables, strict=True):
        expected = query(home, f"""
            select coalesce({dimension}, 'unknown'), sum(exposure_amount) from fct_divergences
            where status = 'open' and queue = 'action' group by 1 having sum(exposure_amount) > 0
            order by 2 desc, 1
        """)  # fmt: skip
        assert table_rows(table) == [[value, f"{amount:,.2f}"] for value, amount in expected]


def test_match_rate_and_drift_charts(home, page):
    assert [svg.attrs["id"] for svg in charts(page.find("section", id="match-rate"))] == ["chart-match-rate"]
    drift = page.find("section", id="drift")
    assert [svg.attrs["id"] for svg in charts(drift)] == ["chart-drift", "chart-unmapped"]
    latest, flagged, fields = query(home, """
        select metric_date, count(*) filter (where is_drift), count(*) from rpt_integration_drift
        where metric_date = (select max(metric_date) from rpt_integration_drift) group by 1
    """)[0]  # fmt: skip
    assert f"On {latest:%Y-%m-%d}, the latest day, {flagged} of {fields} system fields drift." in drift.text
    drifting = query(home, """
        select source_system, field_name, count(*) from rpt_integration_drift where is_drift
        group by all order by 3 desc, 1, 2
    """)  # fmt: skip
    assert [tuple(r[:3]) for r in table_rows(drift.find("table"))] == [(s, f, str(n)) for s, f, n in drifting]


def test_page_is_self_contained(page):
    assert not list(page.iter("script"))
    assert not [n for n in page.iter() if n.tag in ("link", "img", "iframe", "object")]
    ids = [svg.attrs["id"] for svg in page.iter("svg")]
    assert len(ids) == len(set(ids)) == 6
    assert (
        page.find("meta", **{"http-equiv": "Content-Security-Policy"}).attrs["content"].startswith("default-src 'none'")
    )
    # Chart ids of clip paths and markers must not clash across the charts sharing the page.
    defined = [n.attrs["id"] for svg in page.iter("svg") for n in svg.iter() if n.tag != "svg" and "id" in n.attrs]
    assert len(defined) == len(set(defined))


def test_text_from_the_data_is_escaped(home, tmp_path):
    hostile_home = Home(tmp_path / "hostile")
    hostile_home.root.mkdir()
    shutil.copy(home.warehouse, hostile_home.warehouse)
    with duckdb.connect(str(hostile_home.warehouse)) as conn:
        cluster_id = conn.execute("""
            select cluster_id from fct_divergence_clusters order by divergences desc, exposure_amount desc, cluster_id
        """).fetchone()[0]  # fmt: skip
        carrier = conn.execute("""
            select dimension_value from rpt_kpis_daily where dimension = 'carrier'
            group by 1 order by sum(open_exposure_amount) desc limit 1
        """).fetchone()[0]  # fmt: skip
        conn.execute("update fct_divergence_clusters set carrier = ? where cluster_id = ?", [HOSTILE, cluster_id])
        conn.execute(
            "update rpt_kpis_daily set dimension_value = ? where dimension = 'carrier' and dimension_value = ?",
            [HOSTILE, carrier],
        )
        conn.execute("update fct_divergences set rule = ? where rule = 'status_reversal'", [HOSTILE])
        conn.execute("update rpt_integration_drift set field_name = ? where field_name = 'zone'", [HOSTILE])
    html = write_report(hostile_home, tmp_path / "hostile.html")
    assert "<script" not in html.lower()
    page = parse(html)
    cluster_row = page.find("tr", **{"data-cluster-id": cluster_id})
    assert f"carrier {HOSTILE}" in cluster_row.text
    # The text reaches every chart as text (no markup, no mathtext), and every table.
    assert HOSTILE in [t.text for t in page.find("svg", id="chart-exposure-carrier").iter("text")]
    assert HOSTILE in [t.text for t in page.find("svg", id="chart-by-rule").iter("text")]
    assert f"oms · {HOSTILE}" in [t.text for t in page.find("svg", id="chart-drift").iter("text")]
    assert HOSTILE in [row[0] for row in table_rows(page.find("section", id="by-rule").find("table"))]
    assert HOSTILE in [row[0] for row in table_rows(page.find("section", id="exposure").find("table"))]


def test_a_mart_without_divergences_renders(tmp_path, capsys):
    landing = tmp_path / "landing"
    write_batch(landing, "oms", "b1", [oms_event(1, "CREATED")])  # one order, just created: nothing is late yet
    home = Home(tmp_path / "home")
    run_pipeline(home, landing, datetime(2026, 3, 1, tzinfo=UTC))
    assert one(home, "select count(*) from fct_divergences") == 0
    page = parse(write_report(home, tmp_path / "empty.html"))
    assert "1 order, 0 divergences, 0 open in the action queue, top 0 clusters" in capsys.readouterr().out
    note = "No divergences as of 2026-03-01 00:00 UTC: every rule found nothing."
    for anchor in ("by-rule", "clusters", "exposure"):
        section = page.find("section", id=anchor)
        assert section.find("p", class_="empty").text == note
        assert not charts(section)
    assert kpi(page, "orders") == "1"
    assert kpi(page, "match_rate") == "100.0%"
    assert kpi(page, "mean_time_to_resolution") == "n/a"
    assert charts(page.find("section", id="match-rate"))


def test_a_home_without_marts_is_told_to_run_first(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    out = tmp_path / "new" / "report.html"
    assert main(["report", "--home", str(missing), "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"recon: error: no warehouse at {missing / 'warehouse.duckdb'}: run `recon run --landing DIR` "
        "(or `recon demo`) first\n"
    )
    assert not out.parent.exists()


def test_out_is_required_and_must_be_a_file(home, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["report", "--home", str(home.root)])
    assert exit_.value.code == 2
    assert "the following arguments are required: --out" in capsys.readouterr().err
    assert main(["report", "--home", str(home.root), "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"recon: error: --out {tmp_path} is a folder: give a file name, e.g. {tmp_path / 'report.html'}\n"
    )
