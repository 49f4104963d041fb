"""Charts: each returns report.HTML with an embedded PNG, or a short note when there is no data."""

from __future__ import annotations

import base64
import re

import pytest

from auditlib import charts
from auditlib.models import AuthorStats, ComplexityFacts, FileComplexity, FileHistory, HistoryFacts, WeekActivity
from auditlib.report import HTML

HISTORY = HistoryFacts(
    commits=12, bus_factor=1, owners=["Ann"], top_authors_active=False, files_owned=2,
    authors=[
        AuthorStats(name="Ann", commits=9, first_commit="2024-01-01", last_commit="2024-02-01",
                    active_recently=False, ownership_share=0.8),
        AuthorStats(name="Bo", commits=3, first_commit="2024-01-08", last_commit="2024-05-01",
                    active_recently=True, ownership_share=0.2),
    ],
    files=[FileHistory(path="app.py", commits=8, churn=400, main_author="Ann", main_author_share=0.9,
                       main_author_active=False, last_change="2024-02-01T00:00:00+00:00"),
           FileHistory(path="db.py", commits=4, churn=50, main_author="Bo", main_author_share=1.0,
                       main_author_active=True)],
    timeline=[WeekActivity(week="2024-01-01", commits=5, by_author={"Ann": 5}),
              WeekActivity(week="2024-01-22", commits=7, by_author={"Ann": 4, "Bo": 2, "(others)": 1})],
    prototype_mode=True, prototype_reasons=["35 days of history (under 60)"],
)
COMPLEXITY = ComplexityFacts(files={"app.py": FileComplexity(functions=3, max=12, total=20),
                                    "db.py": FileComplexity(functions=1, max=2, total=2)})


def png_of(html: HTML) -> bytes:
    assert isinstance(html, HTML)
    m = re.search(r'src="data:image/png;base64,([^"]+)"', html.body)
    assert m, html.body[:200]
    data = base64.b64decode(m.group(1))
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000
    return data


@pytest.mark.parametrize("make", [
    lambda: charts.ownership_chart(HISTORY),
    lambda: charts.timeline_chart(HISTORY),
    lambda: charts.hotspots_chart(HISTORY, COMPLEXITY),
    lambda: charts.hotspots_chart(HISTORY, ComplexityFacts(over_threshold=[])
                                  .model_copy(update={"files": {"app.py": FileComplexity(functions=1, max=1, total=1)}})),
])
def test_charts_embed_a_png(make):
    png_of(make())


@pytest.mark.parametrize("make, says", [
    (lambda h: charts.ownership_chart(h), "no commits"),
    (lambda h: charts.timeline_chart(h), "no commits"),
    (lambda h: charts.hotspots_chart(h, COMPLEXITY), "no commits"),
    (lambda h: charts.ownership_table(h), "no commits"),
])
def test_charts_without_history_say_so(make, says):
    html = make(HistoryFacts())
    assert "data:image/png" not in html.body and says in html.body
    gone = make(HistoryFacts(available=False, reason="not a git repository"))
    assert "not a git repository" in gone.body


def test_hotspots_without_complexity_say_so():
    html = charts.hotspots_chart(HISTORY, ComplexityFacts())
    assert "No hotspots" in html.body and "data:image/png" not in html.body


def test_tables():
    hot = charts.hotspots_table(HISTORY, COMPLEXITY).body
    assert hot.index("app.py") < hot.index("db.py") and "8000" in hot and "Ann (90%)" in hot
    own = charts.ownership_table(HISTORY).body
    assert "bus factor 1" in own and "prototype mode: 35 days of history" in own
    assert "Ann (90%, inactive)" in own and "2024-02-01" in own
