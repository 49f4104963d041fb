"""Charts and tables of the history for the notebooks: ownership, timeline, hotspots.

Each function takes facts (never reads the repository) and returns ``report.HTML``: matplotlib
figures are embedded as PNG, like ``report.scorecard_chart``, so they survive the notebook, the
HTML export and the PDF whatever the kernel's backend. Without data a short note is returned
instead of an empty figure.

Labels come from the target (author names, paths): every chart is drawn through ``report.chart``,
so they are shown verbatim (no mathtext, no TeX) and a chart that fails becomes a short note
instead of stopping the audit; :func:`_label` keeps them on one line and of bounded length.
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape
from types import ModuleType
from typing import TYPE_CHECKING

from . import ownership
from .models import ComplexityFacts, HistoryFacts
from .report import HTML, chart, figure_html, table, tight_layout

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

INACTIVE = "#adb5bd"
COLOURS = ["#1c7ed6", "#e67700", "#2b8a3e", "#ae3ec9", "#c92a2a", "#0c8599", "#5f3dc4", "#d6336c", "#868e96"]


def _note(text: str) -> HTML:
    return HTML(f'<p class="muted">{escape(text)}</p>')


LABEL_MAX = 60


def _label(text: str, keep_end: bool = False) -> str:
    """A target-supplied label for a chart: one line (control characters and line breaks become
    spaces), at most LABEL_MAX characters (``keep_end`` for paths, whose end says the most).

    matplotlib hides legend entries whose label starts with ``_``: such a name gets a leading space.
    """
    text = " ".join("".join(c if c.isprintable() else " " for c in str(text)).split()) or "?"
    if len(text) > LABEL_MAX:
        text = "…" + text[-(LABEL_MAX - 1):] if keep_end else text[:LABEL_MAX - 1] + "…"
    return " " + text if text.startswith("_") else text


def _png(fig: Figure, alt: str) -> HTML:
    tight_layout(fig)
    return figure_html(fig, alt)


def _pyplot() -> ModuleType:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _unavailable(history: HistoryFacts) -> HTML | None:
    if not history.available:
        return _note(f"History not available: {history.reason or 'unknown reason'}.")
    if not history.commits:
        return _note("The repository has no commits.")
    return None


@chart("ownership chart", reuse=lambda history, top=8: (history, top))
def ownership_chart(history: HistoryFacts, top: int = 8) -> HTML:
    """Top authors' share of the code (changed lines of files that still exist) beside their share
    of the commits; authors inactive in the activity window are greyed, owners are starred."""
    empty = _unavailable(history)
    if empty:
        return empty
    rows = ownership.owner_rows(history, top)[::-1]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 0.9 + 0.42 * len(rows)), dpi=110)
    ys = range(len(rows))
    h = 0.38
    lines = ax.barh([y + h / 2 for y in ys], [r.line_share * 100 for r in rows], h,
                    color=[COLOURS[0] if r.active else INACTIVE for r in rows], label="share of the code (lines)")
    ax.barh([y - h / 2 for y in ys], [r.commit_share * 100 for r in rows], h,
            color=[COLOURS[1] if r.active else "#dee2e6" for r in rows], label="share of the commits")
    for bar, r in zip(lines, rows, strict=False):
        ax.text(bar.get_width() + 1, bar.get_y() + bar.get_height() / 2, f"{r.line_share:.0%}", va="center", fontsize=7)
    ax.set_yticks(list(ys))
    ax.set_yticklabels([f"{'* ' if r.owner else ''}{_label(r.name)}{'' if r.active else ' (inactive)'}" for r in rows],
                       fontsize=8)
    ax.set_xlim(0, 110)
    ax.set_xlabel("% (* = owner: together they changed half of the current code's lines)")
    bf = history.bus_factor if history.bus_factor is not None else "?"
    state = {True: "active", False: "inactive", None: "activity unknown"}[history.top_authors_active]
    ax.set_title(f"Ownership: bus factor {bf}, owners {state} in the last {history.activity_window_days} days",
                 fontsize=10, pad=16)
    # above the bars: inside the axes the legend covered a bar of 100 %
    ax.legend(fontsize=7, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2, frameon=False, borderaxespad=0.2)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig, "ownership chart")


def _weeks(history: HistoryFacts) -> list[date]:
    first = date.fromisoformat(history.timeline[0].week)
    last = date.fromisoformat(history.timeline[-1].week)
    return [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]


@chart("commit timeline", reuse=lambda history, top=6: (history, top))
def timeline_chart(history: HistoryFacts, top: int = 6) -> HTML:
    """Commits per week, stacked by author (the ``top`` most active; the rest as "others");
    weeks without commits show as gaps."""
    empty = _unavailable(history)
    if empty or not history.timeline:
        return empty or _note("No commits to chart.")
    totals: dict[str, int] = {}
    for w in history.timeline:
        for name, n in w.by_author.items():
            totals[name] = totals.get(name, 0) + n
    named = [n for n in sorted(totals, key=lambda n: (-totals[n], n.lower())) if n != "(others)"][:top]
    weeks = _weeks(history)
    index = {d: i for i, d in enumerate(weeks)}
    series = {name: [0] * len(weeks) for name in [*named, "others"]}
    for w in history.timeline:
        i = index[date.fromisoformat(w.week)]
        for name, n in w.by_author.items():
            series[name if name in named else "others"][i] += n
    if not any(series["others"]):
        del series["others"]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.2), dpi=110)
    bottom = [0] * len(weeks)
    for k, (name, counts) in enumerate(series.items()):
        ax.bar(weeks, counts, width=6, bottom=bottom, color=COLOURS[k % len(COLOURS)], label=_label(name),
               align="edge")
        bottom = [b + c for b, c in zip(bottom, counts, strict=False)]
    ax.set_ylabel("commits per week")
    n_commits, n_authors = history.commits, len(history.authors)
    ax.set_title(f"Commit timeline: {n_commits} commit{'' if n_commits == 1 else 's'}, "
                 f"{n_authors} author{'' if n_authors == 1 else 's'}"
                 + (" (shallow clone: partial)" if history.shallow else ""), fontsize=10, pad=16)
    ax.legend(fontsize=7, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=min(4, len(series)), frameon=False,
              borderaxespad=0.2)
    ax.spines[["top", "right"]].set_visible(False)
    fig.autofmt_xdate()
    return _png(fig, "commit timeline")


@chart("hotspots chart")
def hotspots_chart(history: HistoryFacts, complexity: ComplexityFacts, top: int = 15) -> HTML:
    """The files with the highest churn x complexity, as bars labelled with both factors."""
    empty = _unavailable(history)
    if empty:
        return empty
    spots = ownership.hotspots(history, complexity, limit=top)
    if not spots:
        return _note("No hotspots: no file has both churn and measured complexity.")
    spots = spots[::-1]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 0.9 + 0.36 * len(spots)), dpi=110)
    ys = range(len(spots))  # positions, not category names: two paths may shorten to the same label
    bars = ax.barh(list(ys), [s.score for s in spots], color=COLOURS[4])
    ax.set_yticks(list(ys))
    ax.set_yticklabels([_label(s.path, keep_end=True) for s in spots])
    for bar, s in zip(bars, spots, strict=False):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2,
                f"  churn {s.churn} x complexity {s.complexity}", va="center", fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlim(0, spots[-1].score * 1.6)
    ax.set_xlabel("churn (lines changed) x total cyclomatic complexity")
    _per_file, complete = ownership.file_complexity(complexity)
    ax.set_title("Hotspots" + ("" if complete else " (complexity known only for functions over the threshold)"),
                 fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig, "hotspots chart")


def hotspots_table(history: HistoryFacts, complexity: ComplexityFacts, top: int = 15) -> HTML:
    """The hotspots as a table: path, score, churn, commits, complexity, main author and share."""
    spots = ownership.hotspots(history, complexity, limit=top)
    if not spots:
        return _note("No hotspots: no file has both churn and measured complexity.")
    rows = [[s.path, str(s.score), str(s.churn), str(s.commits), f"{s.complexity} (max {s.max_complexity})",
             f"{s.main_author or '—'} ({s.main_author_share:.0%})"] for s in spots]
    return HTML(table(["File", "Churn x complexity", "Churn", "Commits", "Complexity", "Main author"], rows))


def ownership_table(history: HistoryFacts, top: int = 10) -> HTML:
    """Repository-level ownership facts, then the files with most churn and their knowledge concentration."""
    empty = _unavailable(history)
    if empty:
        return empty
    facts = [f"bus factor {history.bus_factor if history.bus_factor is not None else '?'} "
             f"(owners: {', '.join(history.owners) or '—'})",
             f"{history.commits} commits ({history.merge_commits} merges), {history.files_owned} files owned"]
    if history.prototype_mode:
        facts.append("prototype mode: " + ", ".join(history.prototype_reasons)
                     + " (a fact about the project's stage, not a finding)")
    if history.reason:
        facts.append(history.reason)
    rows = [[f.path, str(f.churn), str(f.commits), str(f.authors),
             f"{f.main_author or '—'} ({f.main_author_share:.0%}{'' if f.main_author_active else ', inactive'})",
             (f.last_change or "—")[:10]] for f in history.files[:top]]
    body = "<p>" + escape("; ".join(facts)) + ".</p>"
    if rows:
        body += table(["File", "Churn", "Commits", "Authors", "Main author (share)", "Last change"], rows)
    return HTML(body)


BUCKETS = ("1-5", "6-10", "11-20", "21-50", ">50")


def complexity_distribution_table(complexity: ComplexityFacts) -> HTML:
    """Functions per cyclomatic-complexity bucket and language, with the worst functions."""
    if not complexity.available:
        return _note(f"Complexity not available: {complexity.reason or 'unknown reason'}.")
    if not complexity.distribution:
        return _note("No functions found.")
    rows = []
    for lang, buckets in sorted(complexity.distribution.items()):
        counts = [buckets.get(b, 0) for b in BUCKETS]
        rows.append([lang, *map(str, counts), str(sum(counts))])
    summary = (f"{complexity.functions} functions, mean complexity {complexity.mean:.1f}, max {complexity.max}; "
               f"{len(complexity.over_threshold)} over the threshold of {complexity.threshold}.")
    worst = [[escape(f.name), f"<code>{escape(f.path)}:{f.line}</code>", str(f.complexity)]
             for f in complexity.over_threshold[:10]]
    body = f"<p>{escape(summary)}</p>" + table(["Language", *BUCKETS, "Functions"], rows)
    if worst:
        body += "<h3>Most complex functions</h3>" + table(["Function", "Where", "Complexity"], worst, raw=True)
    return HTML(body)


# ------------------------------------------------------------------------------------- portfolio
SCORE_CMAP = "RdYlGn"
"""Scores 0 (red) to 5 (green) in the portfolio charts; open (not scored) cells are grey."""
HEATMAP_MAX_ROWS = 60


@chart("portfolio heat map")
def portfolio_heatmap(scores: pd.DataFrame, titles: dict[str, str], limit: int = HEATMAP_MAX_ROWS) -> HTML:
    """Targets x scorecard categories, one cell per score (0 red to 5 green, grey when open), in the
    order of ``scores`` (a pandas DataFrame indexed by target name, one column per category id);
    at most ``limit`` rows, the title says how many were left out."""
    if scores.empty:
        return _note("No audited target to chart.")
    import numpy as np

    shown = scores.iloc[:limit]
    plt = _pyplot()
    cmap = plt.get_cmap(SCORE_CMAP).copy()
    cmap.set_bad(INACTIVE)
    data = np.ma.masked_invalid(shown.to_numpy(dtype=float))
    fig, ax = plt.subplots(figsize=(8, 1.6 + 0.3 * len(shown)), dpi=110)
    ax.imshow(data, cmap=cmap, vmin=0, vmax=5, aspect="auto")
    for (y, x), value in np.ndenumerate(shown.to_numpy(dtype=float)):
        ax.text(x, y, "–" if value != value else f"{value:.0f}", ha="center", va="center", fontsize=7,
                color="white" if value == value and value >= 4.5 else "#212529")
    ax.set_xticks(range(len(shown.columns)))
    ax.set_xticklabels([_label(titles.get(c, c)) for c in shown.columns], rotation=30, ha="right", fontsize=7)
    ax.set_yticks(range(len(shown)))
    ax.set_yticklabels([_label(n) for n in shown.index], fontsize=7)
    ax.tick_params(length=0)
    left = len(scores) - len(shown)
    ax.set_title("Scorecard by target (0 red to 5 green; – open or not applicable)"
                 + (f": the {len(shown)} lowest totals, {left} more in portfolio.csv" if left else ""), fontsize=10)
    return _png(fig, "portfolio heat map")


@chart("category distribution chart")
def category_distribution_chart(scores: pd.DataFrame, titles: dict[str, str]) -> HTML:
    """For each scorecard category, how many targets score 0, 1, ... 5 (stacked bars; open in grey)."""
    if scores.empty:
        return _note("No audited target to chart.")
    plt = _pyplot()
    cmap = plt.get_cmap(SCORE_CMAP)
    cats = list(scores.columns)[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.9 + 0.4 * len(cats)), dpi=110)
    left = [0] * len(cats)
    levels = [(s, f"{s}", cmap(s / 5)) for s in range(6)] + [(None, "open or n/a", INACTIVE)]
    for value, name, colour in levels:
        counts = [int(scores[c].isna().sum()) if value is None else int((scores[c] == value).sum()) for c in cats]
        bars = ax.barh(range(len(cats)), counts, left=left, color=colour, label=name, edgecolor="white")
        for bar, n in zip(bars, counts, strict=False):
            if n:
                ax.text(bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2, str(n),
                        ha="center", va="center", fontsize=7)
        left = [a + b for a, b in zip(left, counts, strict=False)]
    ax.set_yticks(range(len(cats)))
    ax.set_yticklabels([_label(titles.get(c, c)) for c in cats], fontsize=8)
    ax.set_xlabel("targets")
    ax.set_title(f"Distribution of each category's score across {len(scores)} target(s)", fontsize=10)
    ax.legend(fontsize=7, ncol=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), title="score", title_fontsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig, "category distribution chart")
