"""The report's charts: matplotlib figures rendered to inline SVG strings.

Figures are built with `matplotlib.figure.Figure`, not pyplot: no GUI backend, no global figure list to leak.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from html import escape

import matplotlib as mpl
import numpy as np
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from dagster_project.report.data import CLASSIFICATIONS, DailyMatchRate, DriftPoint, Exposure, RuleCount, UnmappedRate

WIDTH = 9.0  # inches; the page scales the SVG to its column
COLOURS = {"mapping_error": "#d1495b", "manual_override": "#edae49", "sync_delay": "#00798c", "unknown": "#8d8d8d"}
# Within tags only: matplotlib escapes `<` and `>` in text and attribute values, so data text is never matched.
TAG = re.compile(r"<[^>]+>")
REFERENCE = re.compile(r'(\sid="|url\(#|href="#)')
STYLE = {
    "svg.hashsalt": "recon",  # fixed ids: the same marts give the same bytes
    "svg.fonttype": "none",  # text stays text: smaller, selectable, and escaped by matplotlib
    "text.parse_math": False,  # a `$` in data is text, not mathtext
    "font.size": 9,
    "font.family": "sans-serif",
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def render(fig: Figure, name: str, title: str) -> str:
    """The figure as an `<svg>` element, labelled with `title` for screen readers."""
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    svg = out.getvalue()
    svg = svg[svg.index("<svg") :]  # drop the XML declaration and DOCTYPE: not allowed inside HTML
    # Every chart has an `axes_1`, and may share clip-path ids: prefixed, they stay unique in the one page.
    svg = TAG.sub(lambda tag: REFERENCE.sub(lambda ref: f"{ref.group(1)}{name}-", tag.group(0)), svg)
    return svg.replace("<svg ", f'<svg class="chart" id="chart-{name}" role="img" aria-label="{escape(title)}" ', 1)


def figure(height: float) -> Figure:
    return Figure(figsize=(WIDTH, height), layout="constrained")


def match_rate(points: list[DailyMatchRate]) -> str:
    with mpl.rc_context(STYLE):
        fig = figure(3.0)
        ax = fig.add_subplot()
        days = [p.day for p in points if p.match_rate is not None]
        ax.plot(days, [p.match_rate * 100 for p in points if p.match_rate is not None], marker="o", markersize=3,
                color="#00798c")  # fmt: skip
        ax.set_ylim(0, 102)
        ax.set_ylabel("orders with no action divergence (%)")
        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        ax.grid(axis="y", alpha=0.3)
        return render(fig, "match-rate", "Match rate by order-created day")


def divergences_by_rule(counts: list[RuleCount]) -> str:
    rules = sorted({c.rule for c in counts}, reverse=True)  # reversed: barh draws bottom-up
    table = {(c.rule, c.classification): c.divergences for c in counts}
    with mpl.rc_context(STYLE):
        fig = figure(0.8 + 0.3 * len(rules))
        ax = fig.add_subplot()
        left = np.zeros(len(rules))
        for classification in CLASSIFICATIONS:
            values = np.array([table.get((rule, classification), 0) for rule in rules])
            ax.barh(rules, values, left=left, label=classification, color=COLOURS[classification])
            left += values
        ax.set_xlabel("divergences")
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1), ncols=len(CLASSIFICATIONS), frameon=False)
        ax.grid(axis="x", alpha=0.3)
        return render(fig, "by-rule", "Divergences by rule and classification")


def exposure(rows: list[Exposure], dimension: str, unit: str) -> str:
    with mpl.rc_context(STYLE):
        fig = figure(0.8 + 0.3 * len(rows))
        ax = fig.add_subplot()
        ordered = rows[::-1]  # largest on top
        bars = ax.barh([r.value for r in ordered], [float(r.amount) for r in ordered], color="#30638e")
        ax.bar_label(bars, labels=[f"{r.amount:,.0f}" for r in ordered], padding=3)
        ax.set_xlabel(f"open exposure ({unit})")
        ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        ax.margins(x=0.15)
        return render(fig, f"exposure-{dimension}", f"Open exposure by {dimension}")


def drift_heatmap(points: list[DriftPoint], threshold: float) -> str:
    """PSI per system field (rows) and day (columns); the mart's drift flags marked with a cross."""
    series = sorted({(p.system, p.field) for p in points})
    days = sorted({p.day for p in points})
    row_of = {s: i for i, s in enumerate(series)}
    col_of = {d: i for i, d in enumerate(days)}
    psi = np.full((len(series), len(days)), np.nan)
    for p in points:
        if p.psi is not None:
            psi[row_of[(p.system, p.field)], col_of[p.day]] = p.psi
    drift = [(col_of[p.day], row_of[(p.system, p.field)]) for p in points if p.is_drift]
    with mpl.rc_context(STYLE):
        fig = figure(1.2 + 0.22 * len(series))
        ax = fig.add_subplot()
        # Colour saturates at 5x the threshold: the scale is for telling drift from noise, not ranking drifts.
        image = ax.imshow(psi, aspect="auto", cmap="YlOrRd", vmin=0, vmax=5 * threshold, interpolation="nearest")
        if drift:
            ax.scatter(*zip(*drift, strict=True), marker="x", s=12, color="black", linewidths=0.8,
                       label=f"drift (PSI ≥ {threshold:g})")  # fmt: skip
            ax.legend(loc="lower left", bbox_to_anchor=(0, 1), frameon=False)
        ax.set_yticks(range(len(series)), [f"{system} · {field}" for system, field in series])
        step = max(1, len(days) // 12)
        ax.set_xticks(range(0, len(days), step), [f"{d:%m-%d}" for d in days[::step]])
        ax.spines[:].set_visible(False)
        fig.colorbar(image, ax=ax, label="PSI vs trailing baseline", extend="max", shrink=0.6)
        return render(fig, "drift", "Integration drift: PSI per system field and day")


def unmapped_rates(rates: list[UnmappedRate]) -> str:
    by_system: dict[str, list[UnmappedRate]] = defaultdict(list)
    for rate in rates:
        by_system[rate.system].append(rate)
    with mpl.rc_context(STYLE):
        fig = figure(3.0)
        ax = fig.add_subplot()
        for system, points in sorted(by_system.items()):
            ax.plot([p.day for p in points], [p.rate * 100 for p in points], marker="o", markersize=2, label=system)
        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        ax.set_ylabel("unmapped status events (%)")
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        return render(fig, "unmapped", "Unmapped-status rate per system and day")
