"""The report as one self-contained HTML page: inline CSS and SVG, no script, nothing fetched."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path

from dagster_project.report import charts
from dagster_project.report.data import CLASSIFICATIONS, TOP_CLUSTERS, DriftPoint, Exposure, Kpis, ReportData

# No script, no fetch: the page renders offline, and a hostile value that slipped past escaping could not run.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; margin: 0;
       background: #f6f8fa; }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
header p, .note { color: #57606a; }
section { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 16px 20px; margin: 16px 0; }
h1 { margin: 0 0 4px; } h2 { margin: 0 0 8px; font-size: 1.25em; } h3 { font-size: 1.05em; margin: 16px 0 4px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 12px; }
.kpi { border: 1px solid #d0d7de; border-radius: 6px; padding: 10px 12px; }
.kpi .label { color: #57606a; font-size: 0.85em; }
.kpi .value { font-size: 1.6em; font-weight: 600; }
.kpi .detail { color: #57606a; font-size: 0.8em; }
svg.chart { display: block; width: 100%; height: auto; margin: 8px 0; }
table { border-collapse: collapse; font-size: 0.9em; margin: 8px 0; }
th, td { padding: 4px 8px; border-bottom: 1px solid #eaeef2; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.empty { padding: 12px; background: #f6f8fa; border-radius: 6px; }
code { font-size: 0.9em; }
"""


def render(data: ReportData, warehouse: Path) -> str:
    kpis = data.kpis
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>recon report, as of {kpis.as_of:%Y-%m-%d %H:%M} UTC</title>",
        f"<style>{CSS}</style></head><body><main>",
        "<header><h1>Reconciliation report</h1>",
        f"<p>As of {kpis.as_of:%Y-%m-%d %H:%M} UTC, from the marts in <code>{e(warehouse)}</code>.</p></header>",
        kpi_section(kpis),
        match_rate_section(data),
        by_rule_section(data),
        clusters_section(data),
        exposure_section(data),
        drift_section(data),
        "</main></body></html>",
        "",
    ])  # fmt: skip


def e(value: object) -> str:
    return escape(str(value))


def section(anchor: str, title: str, *parts: str) -> str:
    return f'<section id="{anchor}"><h2>{e(title)}</h2>\n' + "\n".join(parts) + "\n</section>"


def note(text: str, css: str = "note") -> str:
    return f'<p class="{css}">{e(text)}</p>'


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    numeric: Sequence[bool],
    attrs: Sequence[str] | None = None,
) -> str:
    """An escaped HTML table; `attrs` gives each row's extra attributes (already escaped) when set."""

    def cell(tag: str, value: object, is_number: bool) -> str:
        return f'<{tag} class="num">{e(value)}</{tag}>' if is_number else f"<{tag}>{e(value)}</{tag}>"

    head = "".join(cell("th", h, n) for h, n in zip(headers, numeric, strict=True))
    body = [
        f"<tr{attrs[i] if attrs else ''}>{''.join(cell('td', v, n) for v, n in zip(row, numeric, strict=True))}</tr>"
        for i, row in enumerate(rows)
    ]
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def currency_label(currencies: Sequence[str]) -> str:
    if len(currencies) > 1:
        return f"mixed currencies: {', '.join(currencies)}"
    return currencies[0] if currencies else "no currency"


def kpi_section(kpis: Kpis) -> str:
    unit = currency_label(kpis.exposure_currencies)
    mttr = kpis.mean_time_to_resolution_hours
    per_1000 = kpis.exceptions_per_1000_orders
    cards = [
        ("orders", "Orders", f"{kpis.orders:,}", "OMS orders, by created day"),
        ("match_rate", "Match rate", percent(kpis.match_rate), "orders with no action-queue divergence"),
        ("divergences", "Divergences", f"{kpis.divergences:,}", f"{kpis.informational:,} informational"),
        ("open_action", "Open action divergences", f"{kpis.open_action:,}", "open, in the action queue"),
        ("open_exposure", "Open exposure", f"{kpis.open_exposure:,.2f}", f"{unit}, open action divergences"),
        ("exceptions_per_1000_orders", "Action divergences per 1,000 orders",
         "n/a" if per_1000 is None else f"{per_1000:,.1f}", "RULES.md's exceptions per 1,000 orders"),
        ("mean_time_to_resolution", "Mean time to resolution", "n/a" if mttr is None else f"{mttr:,.1f} h",
         f"over {kpis.resolved:,} resolved divergences"),
        ("manual_override_share", "Manual-override share", percent(kpis.manual_override_share), "of divergences"),
        ("crm_oms_alignment_rate", "CRM–OMS alignment", percent(kpis.crm_oms_alignment_rate),
         "of orders both systems report a delivery state for"),
        ("clusters", "Clusters", f"{kpis.clusters:,}", "divergence clusters"),
    ]  # fmt: skip
    html = "".join(
        f'<div class="kpi" data-kpi="{key}"><div class="label">{e(label)}</div>'
        f'<div class="value">{e(value)}</div><div class="detail">{e(detail)}</div></div>'
        for key, label, value, detail in cards
    )
    return section("kpis", "Key figures", f'<div class="kpis">{html}</div>')


def match_rate_section(data: ReportData) -> str:
    points = data.match_rate
    body = [
        note("Per order-created day (rpt_kpis_daily, dimension all): orders with no action-queue divergence ÷ orders.")
    ]
    if all(p.match_rate is None for p in points):
        body.append(note("No orders yet, so no match rate.", "empty"))
    else:
        body.append(charts.match_rate(points))
        rows = [(f"{p.day:%Y-%m-%d}", f"{p.orders:,}", percent(p.match_rate)) for p in points]
        body.append(
            f"<details><summary>Daily figures</summary>{table(('day', 'orders', 'match rate'), rows, (0, 1, 1))}"
            "</details>"
        )
    return section("match-rate", "Match rate over time", *body)


def no_divergences(kpis: Kpis) -> str:
    return note(f"No divergences as of {kpis.as_of:%Y-%m-%d %H:%M} UTC: every rule found nothing.", "empty")


def by_rule_section(data: ReportData) -> str:
    if not data.by_rule:
        return section("by-rule", "Divergences by rule and classification", no_divergences(data.kpis))
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for c in data.by_rule:
        counts[c.rule][c.classification] = c.divergences
    rows = [
        (rule, *(by_class.get(c, 0) for c in CLASSIFICATIONS), sum(by_class.values()))
        for rule, by_class in sorted(counts.items())
    ]
    return section(
        "by-rule",
        "Divergences by rule and classification",
        note("All divergences in fct_divergences, open and resolved, action and informational."),
        charts.divergences_by_rule(data.by_rule),
        table(("rule", *CLASSIFICATIONS, "total"), rows, (0, *(1 for _ in CLASSIFICATIONS), 1)),
    )


def clusters_section(data: ReportData) -> str:
    title = f"Top {TOP_CLUSTERS} clusters"
    if not data.top_clusters:
        return section("clusters", title, no_divergences(data.kpis))
    rows = [
        (
            c.cluster_id[:8], c.rule, c.classification, c.owner_team or "",
            ", ".join(f"{name} {value}" for name, value in c.dimensions) or "none", c.bucket, c.divergences,
            c.orders, c.open_divergences, f"{c.exposure_amount:,.2f} {c.currency or ''}".rstrip(), c.max_severity,
        )
        for c in data.top_clusters
    ]  # fmt: skip
    return section(
        "clusters",
        title,
        note("fct_divergence_clusters, by divergences, then exposure, then cluster id."),
        table(
            ("cluster", "rule", "classification", "owner", "dimensions", "bucket (UTC)", "divergences", "orders",
             "open", "exposure", "max severity"),
            rows,
            (0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0),
            attrs=[f' data-cluster-id="{e(c.cluster_id)}"' for c in data.top_clusters],
        ),
    )  # fmt: skip


def exposure_section(data: ReportData) -> str:
    unit = currency_label(data.kpis.exposure_currencies)
    parts = [note(f"Open action-queue divergences' exposure, in {unit} (rpt_kpis_daily, summed over days).")]
    if not data.kpis.divergences:
        parts.append(no_divergences(data.kpis))
    else:
        for dimension, rows in (("carrier", data.exposure_by_carrier), ("region", data.exposure_by_region)):
            parts.append(f"<h3>By {dimension}</h3>")
            if rows:
                parts += [charts.exposure(rows, dimension, unit), exposure_table(rows, dimension)]
            else:
                parts.append(note("No open action-queue divergence has exposure.", "empty"))
    return section("exposure", "Exposure by carrier and region", *parts)


def exposure_table(rows: list[Exposure], dimension: str) -> str:
    return table((dimension, "open exposure"), [(r.value, f"{r.amount:,.2f}") for r in rows], (0, 1))


def drift_section(data: ReportData) -> str:
    threshold = data.drift_threshold
    parts = [
        note(
            f"rpt_integration_drift: each system field's daily value distribution against the trailing baseline "
            f"(population stability index; the mart flags drift at PSI ≥ {threshold:g})."
        )
    ]
    if not any(p.psi is not None for p in data.drift):
        parts.append(note("No PSI yet: a day needs earlier days as its baseline.", "empty"))
    else:
        parts += [latest_drift_note(data.drift), charts.drift_heatmap(data.drift, threshold), drift_table(data.drift)]
    parts.append("<h3>Unmapped-status rate</h3>")
    if data.unmapped:
        parts.append(charts.unmapped_rates(data.unmapped))
    else:
        parts.append(note("No status events yet.", "empty"))
    return section("drift", "Integration drift", *parts)


def latest_drift_note(points: list[DriftPoint]) -> str:
    latest = max(p.day for p in points)
    today = [p for p in points if p.day == latest]
    flagged = sum(p.is_drift for p in today)
    return note(f"On {latest:%Y-%m-%d}, the latest day, {flagged} of {len(today)} system fields drift.")


def drift_table(points: list[DriftPoint]) -> str:
    """The system fields flagged on any day: most drift days first."""
    by_series: dict[tuple[str, str], list[DriftPoint]] = defaultdict(list)
    for p in points:
        by_series[(p.system, p.field)].append(p)
    rows = []
    for (system, field), series in by_series.items():
        drifted = [p for p in series if p.is_drift]
        if drifted:
            peak = max(p.psi for p in drifted)
            rows.append((system, field, len(drifted), f"{peak:.2f}", f"{drifted[-1].day:%Y-%m-%d}"))
    if not rows:
        return note("No system field drifts on any day.")
    rows.sort(key=lambda r: (-r[2], r[0], r[1]))
    return (
        "<details><summary>Fields flagged as drifting</summary>"
        + table(("system", "field", "drift days", "max PSI", "last drift day"), rows, (0, 0, 1, 1, 0))
        + "</details>"
    )
