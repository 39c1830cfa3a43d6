"""Charts for the HTML report, drawn by matplotlib as inline SVG: deterministic, offline, no scripts."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any, cast

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FixedLocator, NullFormatter  # noqa: E402

from voice_coach.report import labels as words  # noqa: E402
from voice_coach.report.adherence import KIND_ORDER  # noqa: E402

# Okabe–Ito: distinguishable with the common colour-vision deficiencies; shapes and line styles differ too.
BLUE, ORANGE, GREEN, PURPLE, VERMILLION, SKY, INK = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00",
                                                     "#56B4E9", "#1a1a1a")
STYLE = {
    "font.size": 13, "axes.titlesize": 14, "axes.titleweight": "bold", "axes.labelsize": 13,
    "axes.edgecolor": "#555555", "axes.labelcolor": INK, "xtick.color": INK, "ytick.color": INK,
    "legend.fontsize": 12, "legend.frameon": False, "text.parse_math": False, "svg.fonttype": "none",
    "axes.spines.top": False, "axes.spines.right": False,
}
WIDTH_INCHES = 12
"""Charts are drawn wide and low, so that the page shows the week at a glance (shown at the page's width)."""
DAY_LABELS_DAYS = 15
"""Reports up to this many days long name each day at its noon (see `_dates`); longer ones tick automatically."""
AGGREGATE_ABOVE = 60
"""With more sessions than this, the recognition chart shows weekly averages (a dot per session is noise)."""


def _style() -> AbstractContextManager[None]:
    return matplotlib.rc_context(cast(Any, STYLE))


def _x(times: Sequence[datetime]) -> Any:
    """Times as matplotlib date numbers (what the axes plot)."""
    return mdates.date2num(list(times))


def _t(iso: str) -> datetime:
    """Local wall-clock time (naive), so the axis shows the person's own days."""
    return words.local(iso).replace(tzinfo=None)


def _svg(fig: Figure, salt: str, title: str) -> str:
    """The figure as an <svg> element to put inline: no XML prolog, no namespace URLs, ids made unique."""
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": salt, "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Type": None, "Format": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg, count=2)
    svg = re.sub(r'\s(width|height)="[\d.]+pt"', "", svg, count=2)
    svg = re.sub(r'id="([^"]+)"', rf'id="{salt}-\1"', svg)
    svg = re.sub(r'(href)="#([^"]+)"', rf'\1="#{salt}-\2"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{salt}-\1)", svg)
    svg = svg.replace("<svg", f'<svg role="img" aria-label="{_attr(title)}" class="chart"', 1)
    return svg


def _frame(fig: Figure, *, left: float, top: float, bottom: float = 0.8, right: float = 0.6, gap: float = 0.0,
           rows: int = 1) -> None:
    """Margins in inches (a fixed layout: constrained layout costs more than the drawing on long reports)."""
    width, height = fig.get_size_inches()
    axes_height = (height - top - bottom - gap * (rows - 1)) / rows
    fig.subplots_adjust(left=left / width, right=1 - right / width, top=1 - top / height, bottom=bottom / height,
                        hspace=gap / axes_height)


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _dates(ax: Axes, times: Sequence[datetime]) -> None:
    """Date ticks in local time. Up to DAY_LABELS_DAYS, each day's name sits at its noon, between ticks at
    midnight: an evening session is drawn inside its own day, not next to the following day's label (a tick
    at midnight labelled with the day reads as the day that starts there). A report of a day or two shows
    whole days either side rather than hours."""
    if times and max(times) - min(times) < timedelta(days=DAY_LABELS_DAYS):
        first = datetime(min(times).year, min(times).month, min(times).day)
        days = (max(times) - first).days + 1
        if days <= 2:
            ax.set_xlim(*_x([first - timedelta(days=1), first + timedelta(days=days + 1)]))
        step = 1 if days <= 8 else 2
        noons = [first + timedelta(days=d, hours=12) for d in range(-1, days + 1, step)]
        ax.xaxis.set_major_locator(mdates.DayLocator(interval=step))
        ax.xaxis.set_major_formatter(NullFormatter())
        ax.xaxis.set_minor_locator(FixedLocator(_x(noons)))
        ax.xaxis.set_minor_formatter(mdates.DateFormatter("%a %d %b" if days <= 4 else "%a %d"))
        ax.tick_params(axis="x", which="minor", length=0)
        return
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _programs(sessions: Sequence[Mapping[str, Any]]) -> list[str]:
    names = {s["program"] for s in sessions if s.get("ratings")}
    return sorted(names, key=lambda p: (KIND_ORDER.index(p) if p in KIND_ORDER else len(KIND_ORDER), str(p)))


def cr10_chart(sessions: Sequence[Mapping[str, Any]], caregiver: Sequence[Mapping[str, Any]],
               threshold: int) -> str | None:
    """Effort (Borg CR10) over time, one panel per program, plus the caregiver's ratings; None if none."""
    programs = _programs(sessions)
    rated = [s for s in sessions if s.get("ratings")]
    weekly = len(rated) > AGGREGATE_ABOVE
    logged = [c for c in caregiver if c["kind"] == "rating" and c.get("value") is not None]
    panels: list[str | None] = [*programs, *([None] if logged else [])]
    if not panels:
        return None
    with _style():
        fig = Figure(figsize=(WIDTH_INCHES, 1.0 + 1.3 * len(panels)))
        axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
        _frame(fig, left=0.8, top=0.4, bottom=0.75, gap=0.5, rows=len(panels))
        for ax, program in zip(axes, panels, strict=True):
            if program is None:
                ax.scatter(_x([_t(c["at"]) for c in logged]), [c["value"] for c in logged], marker="D", s=42,
                           facecolors="none", edgecolors=PURPLE, linewidths=1.6, label="logged by the caregiver")
                ax.set_title("Logged by the caregiver", loc="left")
            else:
                runs = [s for s in rated if s["program"] == program]
                groups = _groups(runs, weekly)
                if not weekly:
                    every = [(t, v) for t, values in groups for v in values]
                    ax.scatter(_x([t for t, _ in every]), [v for _, v in every], s=14, color=SKY, alpha=0.5,
                               label="each rating")
                unit = "weekly" if weekly else "session"
                ax.plot(_x([t for t, _ in groups]), [sum(v) / len(v) for _, v in groups], color=BLUE, marker="o",
                        markersize=4, linewidth=1.6, label=f"{unit} average")
                ax.scatter(_x([t for t, _ in groups]), [max(v) for _, v in groups], marker="^", s=30,
                           color=ORANGE, label=f"{unit} highest", zorder=3)
                ax.set_title(words.label(words.KINDS, program), loc="left")
            ax.axhline(threshold, color=VERMILLION, linestyle="--", linewidth=1.4)
            ax.text(1.0, threshold + 0.25, f"attention at {threshold}", color=VERMILLION, ha="right", va="bottom",
                    transform=ax.get_yaxis_transform(), fontsize=11)
            ax.set_ylim(-0.5, 10.8)
            ax.set_yticks([0, 2, 4, 6, 8, 10])
            ax.set_ylabel("CR10")
            ax.grid(axis="y", color="#dddddd", linewidth=0.8)
            if ax is axes[0] or program is None:
                ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=3, fontsize=11, borderaxespad=0.1)
        _dates(axes[-1], [_t(s["started_at"]) for s in rated] + [_t(c["at"]) for c in logged])
        return _svg(fig, "cr10", "Effort ratings (Borg CR10, 0 to 10) over time, by program")


def _monday(t: datetime) -> datetime:
    return datetime(t.year, t.month, t.day) - timedelta(days=t.weekday())


def _groups(runs: Sequence[Mapping[str, Any]], weekly: bool) -> list[tuple[datetime, list[int]]]:
    """Ratings by session, or (on long reports) by week, placed at the session's start or the week's Monday."""
    if not weekly:
        return [(_t(s["started_at"]), [r["value"] for r in s["ratings"]]) for s in runs]
    weeks: dict[datetime, list[int]] = {}
    for s in runs:
        weeks.setdefault(_monday(_t(s["started_at"])), []).extend(r["value"] for r in s["ratings"])
    return sorted(weeks.items())


def symptoms_chart(events: Sequence[Mapping[str, Any]], span: Sequence[datetime] = ()) -> str | None:
    """Symptom reports on a time line, one row per kind; hollow diamonds were logged by the caregiver.
    `span`: times the axis must cover too (the report's first and last day), for context."""
    if not events:
        return None
    kinds = [k for k in words.SYMPTOMS if any(e["kind"] == k for e in events)]
    kinds += sorted({e["kind"] for e in events} - set(kinds))
    row = {k: i for i, k in enumerate(kinds)}
    with _style():
        fig = Figure(figsize=(WIDTH_INCHES, 1.6 + 0.45 * len(kinds)))
        ax = fig.subplots()
        longest = max(len(words.label(words.SYMPTOMS, k)) for k in kinds)
        _frame(fig, left=0.3 + 0.085 * longest, top=0.6, bottom=0.75)
        person = [e for e in events if e.get("source") != "caregiver"]
        carer = [e for e in events if e.get("source") == "caregiver"]
        if person:
            ax.scatter(_x([_t(e["at"]) for e in person]), [row[e["kind"]] for e in person], s=60, color=VERMILLION,
                       marker="o", label="reported by the person", zorder=3)
        if carer:
            ax.scatter(_x([_t(e["at"]) for e in carer]), [row[e["kind"]] for e in carer], s=60, marker="D",
                       facecolors="none", edgecolors=PURPLE, linewidths=1.6, label="logged by the caregiver",
                       zorder=3)
        ax.set_yticks(range(len(kinds)), [words.label(words.SYMPTOMS, k) for k in kinds])
        ax.set_ylim(-0.6, len(kinds) - 0.4)
        ax.grid(axis="x", color="#dddddd", linewidth=0.8)
        every = [_t(e["at"]) for e in events] + list(span)
        ax.set_xlim(*_x([min(every) - timedelta(hours=12), max(every) + timedelta(hours=12)]))
        _dates(ax, every)
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2, borderaxespad=0.2)
        return _svg(fig, "symptoms", "Symptoms reported over time")


RECOGNITION_SERIES = (("replies", "replies", BLUE, "-", "o"), ("unrecognised", "not understood", VERMILLION, "--", "s"),
                      ("reprompts", "asked again after silence", ORANGE, ":", "^"),
                      ("confirmations", "read back to confirm", GREEN, "-.", "D"))


def recognition_chart(sessions: Sequence[Mapping[str, Any]]) -> str | None:
    """Replies, not understood, asked again and read back, per session (per week on long reports)."""
    runs = sorted((s for s in sessions if s.get("recognition")), key=lambda s: s["started_at"])
    if not runs:
        return None
    points: list[tuple[datetime, dict[str, float]]]
    if len(runs) > AGGREGATE_ABOVE:
        weeks: dict[datetime, list[Mapping[str, int]]] = {}
        for s in runs:
            weeks.setdefault(_monday(_t(s["started_at"])), []).append(s["recognition"])
        points = [(w, {k: sum(r[k] for r in rs) / len(rs) for k, *_ in RECOGNITION_SERIES})
                  for w, rs in sorted(weeks.items())]
        unit = "average per session, by week"
    else:
        points = [(_t(s["started_at"]), {k: float(s["recognition"][k]) for k, *_ in RECOGNITION_SERIES})
                  for s in runs]
        unit = "per session"
    with _style():
        fig = Figure(figsize=(WIDTH_INCHES, 3.0))
        ax = fig.subplots()
        _frame(fig, left=0.8, top=0.75, bottom=0.75)
        for key, name, color, style, marker in RECOGNITION_SERIES:
            ax.plot(_x([t for t, _ in points]), [p[key] for _, p in points], color=color, linestyle=style,
                    marker=marker, markersize=4, linewidth=1.6, label=name)
        ax.set_ylabel(unit)
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", color="#dddddd", linewidth=0.8)
        _dates(ax, [t for t, _ in points])
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=4, fontsize=11, borderaxespad=0.2)
        return _svg(fig, "recognition", f"How well speech was recognised, {unit}")
