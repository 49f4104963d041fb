"""The portfolio view: every audit under a folder as one table, charts and ranked lists.

``auditlib portfolio FOLDER`` runs notebooks/portfolio.ipynb (papermill), which calls this module:
:func:`load` reads every ``results.json`` (contract ``auditlib.results/1``) under FOLDER with pandas,
and ``OUT/batch.json`` when a batch wrote one; the other functions render what the notebook shows
and :func:`write_csv` writes ``portfolio.csv`` (one row per target). :func:`run_portfolio` executes
the notebook and exports ``portfolio.html`` and ``portfolio.pdf`` (auditlib.run).

Nothing is dropped silently: a target the batch reports as failed, a ``results.json`` that cannot be
read, and a subfolder holding none are rows of the table (``status`` says which, ``error`` why) and
listed in "Targets not audited". The triage of a target (band x verdict) and the weights of the "fix
first" ranking are rubric data (checklists/portfolio.yaml).

results.json is read as JSON and only the parts the portfolio uses are validated (a newer file of
the same contract with additions still reads); ``batch.json`` is read leniently: ``{"targets":
[{"name", "source", "status", "seconds", "commit", "error", "notebook"}]}``, unknown fields ignored.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from pydantic import BaseModel, ConfigDict, ValidationError

from .models import CONFIDENCES, SEVERITIES
from .report import BAND_COLOURS, HTML, badge, severity_badge, table

if TYPE_CHECKING:
    import pandas as pd

    from .rubric import FixFirst, Rubric

RESULTS_NAME = "results.json"
BATCH_NAME = "batch.json"
NOTEBOOK = "portfolio.ipynb"
OUTPUTS = {"notebook": "portfolio.ipynb", "csv": "portfolio.csv", "html": "portfolio.html", "pdf": "portfolio.pdf"}
SCHEMA = "auditlib.results/1"
MAX_DEPTH = 4
"""How deep under FOLDER a results.json is looked for (OUT/<name>/results.json is depth 1)."""
MAX_RESULTS_BYTES = 256 * 1024 * 1024
"""A results.json larger than this is reported unreadable rather than loaded."""
TOP_RISKS = 3
VERDICT_LABELS = {"refactor": "refactor", "rebuild": "rebuild", "not_ready": "not ready"}
STATUS_AUDITED = "audited"

SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
CONFIDENCE_RANK = {c: i for i, c in enumerate(CONFIDENCES)}


class PortfolioError(Exception):
    """The portfolio cannot be built at all (FOLDER missing, nothing under it)."""


# --------------------------------------------------------------------------- what is read of a result
class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Target(_Lenient):
    name: str
    source: str = ""
    commit: str | None = None
    audited_at: str = ""


class _Category(_Lenient):
    title: str = ""
    score: int | None = None
    applicable: bool = True
    """False: the category does not apply to the target (issue 12); its score is None."""


class _Scorecard(_Lenient):
    categories: dict[str, _Category]
    total: int
    band: str
    provisional: bool = False
    max_total: int = 40
    scaled_total: int | None = None
    """The total on the 0-40 scale (results before issue 12: the total itself)."""
    not_applicable: list[str] = []

    @property
    def comparable_total(self) -> int:
        """The total on the 0-40 scale, comparable across targets whatever categories apply."""
        return self.total if self.scaled_total is None else self.scaled_total


class _Decision(_Lenient):
    verdict: str


class _Finding(_Lenient):
    rule: str
    category: str = ""
    severity: str
    title: str = ""
    path: str | None = None
    line: int | None = None
    commit: str | None = None
    effort: str = ""
    remediation: str = ""
    confidence: str = "medium"
    accepted: dict[Any, Any] | None = None
    """Set when the finding is accepted with a written reason (issue 12): not counted."""


class _Answers(_Lenient):
    questions: dict[str, Any] = {}


class _Result(_Lenient):
    """The parts of results.json the portfolio reads."""

    schema_: str | None = None
    target: _Target
    scorecard: _Scorecard
    decision: _Decision
    findings: list[_Finding]
    answers: _Answers = _Answers()


def read_result(path: Path) -> _Result:
    """The parts of one results.json the portfolio needs; ValueError with one line when unreadable."""
    try:
        size = path.stat().st_size
        if size > MAX_RESULTS_BYTES:
            raise ValueError(f"{size / 1e6:.0f} MB, over the {MAX_RESULTS_BYTES / 1e6:.0f} MB read limit")
        with open(path, "rb") as fh:
            data = json.loads(fh.read().decode("utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    if data.get("schema") != SCHEMA:
        raise ValueError(f"not an {SCHEMA} file (schema={str(data.get('schema'))[:40]!r})")
    try:
        return _Result.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ValueError(f"{where}: {first['msg']}") from None


def _one_line(text: Any, limit: int = 300) -> str:
    from .masking import scrub

    line = " ".join(scrub(str(text or "")).split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


# ---------------------------------------------------------------------------------------- discovery
def discover(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """The results.json files under ``folder`` (name -> path; the name is the folder relative to
    ``folder``, as ``auditlib batch`` names it) and the subfolders of ``folder`` that hold none.

    Hidden folders are skipped, symlinks are not followed, the walk stops at a folder holding a
    results.json (an audit folder) and MAX_DEPTH levels down."""
    folder = Path(folder)
    found: dict[str, Path] = {}
    for root, dirs, files in os.walk(folder, followlinks=False):
        rel = Path(root).relative_to(folder)
        if RESULTS_NAME in files and (Path(root) / RESULTS_NAME).is_file():
            found[rel.as_posix() if rel.parts else folder.resolve().name] = Path(root) / RESULTS_NAME
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and len(rel.parts) < MAX_DEPTH)
    covered = {name.split("/", 1)[0] for name in found}
    empty = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        entries = []
    for entry in entries:
        if entry.is_dir(follow_symlinks=False) and not entry.name.startswith(".") and entry.name not in covered:
            empty.append(entry.name)
    return found, empty


def read_batch(folder: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The targets of ``folder/batch.json`` (each a dict of str/float values) and notes on what
    could not be read of it; ([], []) when there is no batch.json."""
    path = Path(folder) / BATCH_NAME
    if not path.is_file():
        return [], []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        return [], [f"{BATCH_NAME} could not be read ({_one_line(type(exc).__name__ + ': ' + str(exc), 160)}); "
                    "the targets it lists are not known here"]
    targets = data.get("targets") if isinstance(data, dict) else data if isinstance(data, list) else None
    if not isinstance(targets, list):
        return [], [f"{BATCH_NAME} holds no `targets` list; the targets it lists are not known here"]
    out, skipped = [], 0
    for entry in targets:
        if not isinstance(entry, dict):
            skipped += 1
            continue
        from .targets import display_source

        source = display_source(str(entry.get("source") or entry.get("target") or ""))
        name = str(entry.get("name") or "").strip() or _name_from_source(source)
        seconds = entry.get("seconds")
        out.append({"name": name, "source": _one_line(source), "status": str(entry.get("status") or "unknown"),
                    "seconds": float(seconds) if isinstance(seconds, (int, float)) and not isinstance(seconds, bool)
                    else None,
                    "commit": str(entry.get("commit") or "") or None, "error": _one_line(entry.get("error")),
                    "notebook": str(entry.get("notebook") or "")})
    notes = [f"{BATCH_NAME}: {skipped} entr{'y' if skipped == 1 else 'ies'} that are not objects ignored"] if skipped else []
    return out, notes


def _name_from_source(source: str) -> str:
    from .audit import target_name

    return target_name(source) or "?"


# ---------------------------------------------------------------------------------------- the model
@dataclass
class Portfolio:
    """Every target under a folder: ``targets`` (the CSV's rows), ``findings`` (one row per finding
    of an audited target), the rubric's categories and triage, and the deltas against ``since``."""

    folder: Path
    targets: Any
    """pandas DataFrame, one row per target (COLUMNS of :func:`columns`)."""
    findings: Any
    """pandas DataFrame: target, rule, category, severity, confidence, title, where, effort, remediation."""
    categories: dict[str, str]
    """Category id -> title, in rubric order."""
    rubric: Any
    notes: list[str] = field(default_factory=list)
    """What could not be read of batch.json, said once."""
    since: Path | None = None
    previous: "Portfolio | None" = None


def columns(categories: list[str]) -> list[str]:
    """The columns of portfolio.csv, in order."""
    return ["name", "status", "source", "commit", "audited_at", "total", "band", "verdict", "provisional",
            *categories, "critical", "high", "medium", "findings", "triage", "business_impact", "top_risks",
            "error", "seconds", "notebook", "results", "not_applicable", "accepted"]


def _impact(answers: _Answers, rubric: Rubric) -> str | None:
    ff = rubric.portfolio.fix_first
    value = answers.questions.get(ff.impact_question)
    if value is None or not str(value).strip():
        return None
    word = str(value).strip().split()[0].strip(".,;:").lower()
    return word if word in ff.impact_weights else _one_line(value, 60)


def _where(f: _Finding) -> str:
    where = f"{f.path}:{f.line}" if f.path and f.line else (f.path or "")
    if f.commit:
        where = f"{where} @ {f.commit[:10]}" if where else f.commit[:10]
    return where or "(repository)"


def _result_row(name: str, path: Path, r: _Result, rubric: Rubric,
                cats: list[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    # accepted findings (issue 12) are out of the counts, the top risks and the fix-first list
    findings = sorted((f for f in r.findings if f.accepted is None),
                      key=lambda f: (SEVERITY_RANK.get(f.severity, 9), CONFIDENCE_RANK.get(f.confidence, 9)))
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    triage = rubric.portfolio.triage_for(r.scorecard.band, r.decision.verdict)
    top = [f"{f.title or f.rule} ({_where(f)})" for f in findings if f.severity != "info"][:TOP_RISKS]
    row = {"name": name, "status": STATUS_AUDITED, "source": r.target.source, "commit": r.target.commit,
           "audited_at": r.target.audited_at, "total": r.scorecard.comparable_total, "band": r.scorecard.band,
           "verdict": r.decision.verdict, "provisional": r.scorecard.provisional,
           **{c: (r.scorecard.categories[c].score if c in r.scorecard.categories else None) for c in cats},
           "critical": counts["critical"], "high": counts["high"], "medium": counts["medium"],
           "findings": len(findings), "triage": triage.id if triage else None,
           "business_impact": _impact(r.answers, rubric), "top_risks": "; ".join(top), "error": "",
           "seconds": None, "notebook": "", "results": str(path),
           "not_applicable": ";".join(r.scorecard.not_applicable), "accepted": len(r.findings) - len(findings)}
    occurrences = [{"target": name, "rule": f.rule, "category": f.category, "severity": f.severity,
                    "confidence": f.confidence, "title": f.title, "where": _where(f), "effort": f.effort,
                    "remediation": f.remediation} for f in findings]
    return row, occurrences


def _problem_row(name: str, status: str, error: str, cats: list[str], **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {c: None for c in columns(cats)}
    row.update({"name": name, "status": status, "error": error, "source": "", "top_risks": "", "notebook": "",
                "results": ""})
    row.update({k: v for k, v in extra.items() if v not in (None, "")})
    return row


def load(folder: Path | str, since: Path | str | None = None, rubric: Rubric | None = None) -> Portfolio:
    """Read every results.json under ``folder`` (and its batch.json) into a Portfolio; with
    ``since``, the previous portfolio folder too, for the deltas. PortfolioError when ``folder`` is
    not a folder."""
    import pandas as pd

    from .rubric import load_rubric

    folder = Path(folder)
    if not folder.is_dir():
        raise PortfolioError(f"{folder}: not a directory")
    rubric = rubric or load_rubric()
    cats = list(rubric.categories)
    found, empty = discover(folder)
    rows: dict[str, dict[Any, Any]] = {}
    occurrences: list[dict[Any, Any]] = []
    for name, path in sorted(found.items()):
        try:
            r = read_result(path)
        except ValueError as exc:
            rows[name] = _problem_row(name, "unreadable", f"{RESULTS_NAME}: {_one_line(exc)}", cats, results=str(path))
            continue
        rows[name], occ = _result_row(name, path, r, rubric, cats)
        occurrences += occ
    for name in empty:
        rows[name] = _problem_row(name, "missing", f"no {RESULTS_NAME} in this folder", cats)
    batch, notes = read_batch(folder)
    by_source = {row["source"]: name for name, row in rows.items() if row.get("source")}
    for entry in batch:
        name = entry["name"] if entry["name"] in rows else by_source.get(entry["source"], entry["name"])
        row = rows.get(name)
        status, error = entry["status"], entry["error"]
        if row is None:
            if status == "done":
                status, error = "missing", error or f"batch.json says done, but no {RESULTS_NAME} was found"
            elif status == "skipped":
                error = error or f"skipped by the batch, and no {RESULTS_NAME} from an earlier run"
            rows[name] = _problem_row(name, status, error or "no error recorded", cats, source=entry["source"],
                                      commit=entry["commit"], seconds=entry["seconds"], notebook=entry["notebook"])
            continue
        row["seconds"] = entry["seconds"] if entry["seconds"] is not None else row["seconds"]
        row["notebook"] = entry["notebook"] or row["notebook"]
        if row["status"] != STATUS_AUDITED:  # unreadable or missing: the batch's account comes first
            if status not in ("done", "skipped"):
                row["status"] = status
            row["error"] = "; ".join(filter(None, [error if status not in ("done", "skipped") else "",
                                                   row["error"]]))
            row["source"] = row["source"] or entry["source"]
        elif status not in ("done", "skipped"):  # the last run failed: the earlier audit is what is shown
            row["status"] = status
            row["error"] = f"{error or 'no error recorded'} (the table shows the earlier {RESULTS_NAME})"
    frame = pd.DataFrame([rows[n] for n in sorted(rows)], columns=columns(cats))
    for col in ("total", *cats, "critical", "high", "medium", "findings", "accepted"):
        frame[col] = frame[col].astype("Int64")
    findings = pd.DataFrame(occurrences, columns=["target", "rule", "category", "severity", "confidence", "title",
                                                  "where", "effort", "remediation"])
    previous = None
    if since:
        previous = load(since, rubric=rubric)
    return Portfolio(folder=folder, targets=frame, findings=findings,
                     categories={c: rubric.categories[c].title for c in cats}, rubric=rubric, notes=notes,
                     since=Path(since) if since else None, previous=previous)


# ------------------------------------------------------------------------------------ computations
def audited(p: Portfolio) -> pd.DataFrame:
    """The rows of targets with a readable results.json (a failed re-run keeps its earlier audit)."""
    rows: pd.DataFrame = p.targets[p.targets["total"].notna()]
    return rows


def not_audited(p: Portfolio) -> pd.DataFrame:
    """Rows of targets without a usable audit, or whose last batch run failed."""
    rows: pd.DataFrame = p.targets[(p.targets["status"] != STATUS_AUDITED)]
    return rows


def common_findings(p: Portfolio) -> pd.DataFrame:
    """Rules by how many targets have them: rule, title, category, worst severity, targets, occurrences."""
    import pandas as pd

    f = p.findings
    if f.empty:
        return pd.DataFrame(columns=["rule", "title", "category", "severity", "targets", "occurrences"])
    f = f.assign(rank=f["severity"].map(SEVERITY_RANK).fillna(9))
    g = f.groupby("rule")
    out = pd.DataFrame({"title": g["title"].agg(lambda s: s.mode().iloc[0]),
                        "category": g["category"].first(),
                        "rank": g["rank"].min(),
                        "targets": g["target"].nunique(), "occurrences": g.size()}).reset_index()
    out["severity"] = out["rank"].map(lambda r: SEVERITIES[int(r)] if r < len(SEVERITIES) else "?")
    out = out.sort_values(["targets", "occurrences", "rank", "rule"], ascending=[False, False, True, True])
    return out[["rule", "title", "category", "severity", "targets", "occurrences"]].reset_index(drop=True)


def fix_first(p: Portfolio) -> pd.DataFrame:
    """Rules ranked by severity x reach x business impact (checklists/portfolio.yaml ``fix_first``):
    score = sum over the targets with the rule of the weight of its worst severity there times the
    weight of the target's business impact (unknown: ``unknown_impact_weight``). Rules of weight 0
    (info) are left out."""
    import pandas as pd

    ff = p.rubric.portfolio.fix_first
    cols = ["rule", "title", "severity", "targets", "occurrences", "impact", "score", "effort", "remediation"]
    f = p.findings
    if f.empty:
        return pd.DataFrame(columns=cols)
    impact = {n: i for n, i in zip(p.targets["name"], p.targets["business_impact"], strict=False) if isinstance(i, str) and i}
    f = f.assign(rank=f["severity"].map(SEVERITY_RANK).fillna(9))
    per = f.groupby(["rule", "target"]).agg(rank=("rank", "min"), n=("rank", "size")).reset_index()
    per["sev"] = per["rank"].map(lambda r: SEVERITIES[int(r)] if r < len(SEVERITIES) else "info")
    per["impact"] = per["target"].map(lambda t: impact.get(t))
    per["iw"] = per["impact"].map(lambda i: ff.impact_weights.get(i, ff.unknown_impact_weight) if i
                                  else ff.unknown_impact_weight)
    per["score"] = per["sev"].map(lambda s: ff.severity_weights.get(s, 0)) * per["iw"]
    rows = []
    for rule, grp in per.groupby("rule"):
        occ = f[f["rule"] == rule]
        known = [i for i in grp["impact"] if isinstance(i, str) and i]
        unknown = len(grp) - len(known)
        rows.append({"rule": rule, "title": occ["title"].mode().iloc[0], "severity": SEVERITIES[int(grp["rank"].min())]
                     if grp["rank"].min() < len(SEVERITIES) else "?",
                     "targets": len(grp), "occurrences": int(grp["n"].sum()),
                     "impact": ", ".join([f"{k} {known.count(k)}" for k in sorted(set(known), key=_impact_order(ff))]
                                         + ([f"not given {unknown}"] if unknown else [])), "score": float(grp["score"].sum()),
                     "effort": occ["effort"].mode().iloc[0] if occ["effort"].any() else "",
                     "remediation": next((r for r in occ["remediation"] if r), "")})
    out = pd.DataFrame(rows, columns=cols)
    out = out[out["score"] > 0]
    out = out.assign(rank=out["severity"].map(SEVERITY_RANK).fillna(9))
    out = out.sort_values(["score", "rank", "targets", "rule"], ascending=[False, True, False, True])
    return out[cols].reset_index(drop=True)


def _impact_order(ff: FixFirst) -> Callable[[str], tuple[Any, ...]]:
    return lambda k: (-ff.impact_weights.get(k, 0), k)


def deltas(p: Portfolio) -> pd.DataFrame:
    """Per target, the change against the previous portfolio (``since``): total, band, verdict,
    triage and findings before and after. Targets are matched by folder name, else by source; a
    target of the previous portfolio that is not in this one is listed as ``gone``."""
    import pandas as pd

    cols = ["name", "matched_by", "total_before", "total_after", "total_change", "band_before", "band_after",
            "verdict_before", "verdict_after", "triage_before", "triage_after", "findings_before", "findings_after",
            "fixed", "new_findings"]
    if p.previous is None:
        return pd.DataFrame(columns=cols)
    prev = audited(p.previous)
    by_name = {r["name"]: r for _, r in prev.iterrows()}
    sources: dict[str, list[Any]] = {}
    for _, r in prev.iterrows():
        if r["source"]:
            sources.setdefault(r["source"], []).append(r)
    used = set()
    rows = []
    for _, cur in audited(p).iterrows():
        old, how = by_name.get(cur["name"]), "name"
        if old is None and len(sources.get(cur["source"], [])) == 1:
            old, how = sources[cur["source"]][0], "source"
        if old is None:
            rows.append({"name": cur["name"], "matched_by": "new", "total_after": cur["total"],
                         "band_after": cur["band"], "verdict_after": cur["verdict"], "triage_after": cur["triage"],
                         "findings_after": cur["findings"]})
            continue
        used.add(old["name"])
        rows.append({"name": cur["name"], "matched_by": how if how == "name" else f"source (was {old['name']})",
                     "total_before": old["total"], "total_after": cur["total"],
                     "total_change": int(cur["total"]) - int(old["total"]),
                     "band_before": old["band"], "band_after": cur["band"], "verdict_before": old["verdict"],
                     "verdict_after": cur["verdict"], "triage_before": old["triage"], "triage_after": cur["triage"],
                     "findings_before": old["findings"], "findings_after": cur["findings"],
                     **_fixed_and_new(old["results"], cur["results"])})
    for name, old in by_name.items():
        if name not in used:
            rows.append({"name": name, "matched_by": "gone", "total_before": old["total"], "band_before": old["band"],
                         "verdict_before": old["verdict"], "triage_before": old["triage"],
                         "findings_before": old["findings"]})
    out = pd.DataFrame(rows, columns=cols)
    for col in ("total_before", "total_after", "total_change", "findings_before", "findings_after", "fixed",
                "new_findings"):
        out[col] = out[col].astype("Int64")
    return out


def _fixed_and_new(old_results: str, new_results: str) -> dict[str, int]:
    """Findings fixed and new between two results.json, from ``auditlib.diff.compare`` (the re-audit
    comparison) when it is available and both files load in full; {} otherwise (the table then
    shows only the counts)."""
    try:
        from .audit import AuditResult
        from .diff import compare

        d = compare(AuditResult.read(old_results), AuditResult.read(new_results), force=True)
        return {"fixed": int(d.counts["fixed"]), "new_findings": int(d.counts["new"])}
    except Exception:  # noqa: BLE001 - optional detail: a result another version wrote, diff not installed
        return {}


def write_csv(p: Portfolio, path: Path | str | None = None) -> HTML:
    """Write portfolio.csv (one row per target, columns of :func:`columns`) atomically beside the
    audits; returns a one-line note for the notebook."""
    from .safeio import atomic_write, remove_stale_temps

    path = Path(path) if path else p.folder / OUTPUTS["csv"]
    buf = io.StringIO()
    p.targets.to_csv(buf, index=False)
    remove_stale_temps(path)
    atomic_write(path, buf.getvalue())
    return HTML(f'<p class="muted">One row per target ({len(p.targets)}): {escape(path.name)}.</p>')


# -------------------------------------------------------------------------------------- rendering
def _note(text: str) -> HTML:
    return HTML(f'<p class="muted">{escape(text)}</p>')


def _triage_labels(p: Portfolio) -> dict[str, str]:
    return {t.id: t.label for t in p.rubric.portfolio.triage}


def _int(v: Any) -> str:
    return "—" if _missing(v) else str(int(v))


def cover(p: Portfolio) -> HTML:
    """Title, folder, how many targets, audit dates."""
    a = audited(p)
    dates = sorted(d[:10] for d in a["audited_at"] if d)
    span = f"{dates[0]} to {dates[-1]}" if dates and dates[0] != dates[-1] else (dates[0] if dates else "—")
    clients = sorted({c for c in _clients(p) if c})
    rows = [["Folder", p.folder.resolve().name], ["Targets", f"{len(p.targets)} ({len(a)} audited)"],
            ["Audited", span], ["Client", ", ".join(clients) or "—"]]
    if p.since:
        rows.append(["Compared with", p.since.resolve().name])
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return HTML(f'<div class="cover"><h1>Portfolio: production readiness of {len(p.targets)} target(s)</h1>'
                f"<table><tbody>{body}</tbody></table></div>")


def _clients(p: Portfolio) -> list[str]:
    out = []
    for path in audited(p)["results"]:
        try:
            out.append(str(json.loads(Path(path).read_text(encoding="utf-8")).get("target", {}).get("client") or ""))
        except (OSError, ValueError, AttributeError):
            continue
    return out


def summary(p: Portfolio) -> HTML:
    """How many targets in each triage and band, and how many could not be audited."""
    a = audited(p)
    labels = _triage_labels(p)
    triage = a["triage"].value_counts()
    tri = [[labels.get(t, t), str(int(triage.get(t, 0)))] for t in labels]
    bands = a["band"].value_counts()
    band_line = ", ".join(f"{int(bands.get(b.id, 0))} {b.label.lower()}" for b in p.rubric.scorecard.bands)
    n_bad = len(not_audited(p))
    lines = [f"{len(a)} of {len(p.targets)} target(s) audited; median total "
             f"{_int(a['total'].median()) if len(a) else '—'}/40. Bands: {band_line}."]
    if n_bad:
        lines.append(f"{n_bad} target(s) not audited or failed in the last batch run: see Targets not audited.")
    lines += p.notes
    body = "".join(f"<p>{escape(s)}</p>" for s in lines)
    return HTML(body + table(["Triage", "Targets"], tri))


def targets_table(p: Portfolio) -> HTML:
    """One row per audited target, in triage order then total (worst first)."""
    a = audited(p)
    if a.empty:
        return _note("No target has a readable results.json.")
    labels = _triage_labels(p)
    order = {t: i for i, t in enumerate(labels)}
    a = a.assign(_o=a["triage"].map(order).fillna(99)).sort_values(["_o", "total", "name"])
    rows = []
    for _, r in a.iterrows():
        rows.append([escape(r["name"]), f"{_int(r['total'])}{' *' if r['provisional'] else ''}",
                     badge(str(r["band"]), BAND_COLOURS.get(r["band"], "#868e96")),
                     escape(VERDICT_LABELS.get(r["verdict"], str(r["verdict"]))),
                     escape(labels.get(r["triage"], str(r["triage"]))),
                     f"{_int(r['critical'])} / {_int(r['high'])} / {_int(r['medium'])}",
                     escape(r["top_risks"] or "—")])
    note = ('<p class="muted">* provisional: some categories are open and count as 0. Totals are on the 0-40 scale: '
            'a target with categories that do not apply (n/a in the heat map) is scored out of the others and scaled. '
            'Findings: critical / high / medium (accepted findings left out).</p>')
    return HTML(table(["Target", "Total", "Band", "Verdict", "Triage", "Findings", "Top risks"], rows, raw=True) + note)


def score_matrix(p: Portfolio) -> pd.DataFrame:
    """Audited targets x categories (scores 0-5, missing where open), worst total first."""
    a = audited(p).sort_values(["total", "name"])
    m: pd.DataFrame = a.set_index("name")[list(p.categories)].astype("float")
    return m


def heatmap(p: Portfolio) -> HTML:
    """The heat map targets x categories (auditlib.charts.portfolio_heatmap)."""
    from .charts import portfolio_heatmap

    return portfolio_heatmap(score_matrix(p), p.categories)


def distribution(p: Portfolio) -> HTML:
    """How each category's scores are spread across the targets (auditlib.charts.category_distribution_chart)."""
    from .charts import category_distribution_chart

    return category_distribution_chart(score_matrix(p), p.categories)


def common_findings_table(p: Portfolio, limit: int = 20) -> HTML:
    """The most common findings: rule, title, worst severity, targets having it, occurrences."""
    c = common_findings(p)
    if c.empty:
        return _note("No findings in the audited targets.")
    rows = [[f"<code>{escape(r['rule'])}</code>", escape(r["title"]), severity_badge(r["severity"]),
             escape(p.categories.get(r["category"], r["category"])), str(r["targets"]), str(r["occurrences"])]
            for _, r in c.head(limit).iterrows()]
    more = f'<p class="muted">{len(c) - limit} more rule(s) in fewer targets.</p>' if len(c) > limit else ""
    return HTML(table(["Rule", "Finding", "Worst severity", "Category", "Targets", "Occurrences"], rows, raw=True)
                + more)


def fix_first_table(p: Portfolio, limit: int = 15) -> HTML:
    """The ranked "fix first" list with how its score was reached."""
    f = fix_first(p)
    ff = p.rubric.portfolio.fix_first
    weights = ", ".join(f"{k} {v:g}" for k, v in ff.severity_weights.items())
    impact = ", ".join(f"{k} {v:g}" for k, v in ff.impact_weights.items())
    how = (f"Score: for each target with the rule, the weight of its worst severity there ({weights}) times the "
           f"target's business impact ({impact}; not given {ff.unknown_impact_weight:g}, from the answer to "
           f"`{ff.impact_question}`), summed over the targets.")
    if f.empty:
        return HTML(f'<p class="muted">{escape(how)}</p>' + _note("Nothing to fix: no finding above info.").body)
    rows = [[str(i + 1), f"<code>{escape(r['rule'])}</code><br>{escape(r['title'])}", severity_badge(r["severity"]),
             str(r["targets"]), escape(r["impact"]), f"{r['score']:g}", escape(r["effort"] or "—"),
             escape(r["remediation"] or "—")] for i, (_, r) in enumerate(f.head(limit).iterrows())]
    return HTML(f'<p class="muted">{escape(how)}</p>'
                + table(["#", "Rule", "Worst severity", "Targets", "Business impact", "Score", "Effort",
                         "Remediation"], rows, raw=True))


def triage_table(p: Portfolio) -> HTML:
    """The triage rules (band x verdict, checklists/portfolio.yaml) with the targets in each."""
    a = audited(p)
    bands = {b.id: b.label for b in p.rubric.scorecard.bands}
    rows = []
    for t in p.rubric.portfolio.triage:
        names = sorted(a[a["triage"] == t.id]["name"])
        shown = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
        rows.append([t.label, ", ".join(bands.get(b, b) for b in t.bands),
                     ", ".join(VERDICT_LABELS.get(v, v) for v in t.verdicts), t.says, shown or "—"])
    return HTML(table(["Triage", "Band", "Verdict", "What it means", "Targets"], rows))


def failed_table(p: Portfolio) -> HTML:
    """Targets the batch reports failed or skipped without results, unreadable results.json,
    subfolders holding none: with their error, never dropped."""
    bad = not_audited(p)
    if bad.empty:
        return _note("Every target has a readable results.json" + (" and the batch reports no failure."
                                                                   if (p.folder / BATCH_NAME).exists() else "."))
    rows = [[r["name"], r["status"], r["error"] or "—", r["source"] or "—",
             "—" if _missing(r["seconds"]) else f"{float(r['seconds']):.0f} s",
             r["notebook"] or "—"] for _, r in bad.iterrows()]
    return HTML(table(["Target", "Status", "Error", "Source", "Time", "Partial notebook"], rows))


def since_table(p: Portfolio) -> HTML:
    """The per-target deltas against the previous portfolio, or a note when there is none."""
    if p.previous is None or p.since is None:  # both set by --since, or neither
        return _note("No previous portfolio given (`auditlib portfolio FOLDER --since PREVIOUS_FOLDER`).")
    d = deltas(p)
    if d.empty:
        return _note("Neither portfolio has an audited target.")
    labels = _triage_labels(p)

    def pair(a: Any, b: Any, fmt: Callable[[Any], str] = str) -> str:
        a = "—" if _missing(a) else fmt(a)
        b = "—" if _missing(b) else fmt(b)
        return a if a == b else f"{a} → {b}"

    rows = []
    for _, r in d.iterrows():
        change = r["total_change"]
        rows.append([r["name"], r["matched_by"], pair(r["total_before"], r["total_after"], _int)
                     + ("" if _missing(change) else f" ({int(change):+d})"),
                     pair(r["band_before"], r["band_after"]),
                     pair(r["verdict_before"], r["verdict_after"], lambda v: VERDICT_LABELS.get(v, v)),
                     pair(r["triage_before"], r["triage_after"], lambda v: labels.get(v, v)),
                     pair(r["findings_before"], r["findings_after"], _int)
                     + ("" if _missing(r["fixed"]) else f" ({int(r['fixed'])} fixed, {int(r['new_findings'])} new)")])
    return HTML(f'<p class="muted">Against {escape(p.since.resolve().name)}: targets matched by folder name, else '
                "by source. Findings fixed and new as `auditlib diff` matches them.</p>"
                + table(["Target", "Matched by", "Total", "Band", "Verdict", "Triage", "Findings"], rows))


def _missing(value: Any) -> bool:
    """None, NaN or pandas' NA (a cell with no value)."""
    import pandas as pd

    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


# ---------------------------------------------------------------------------------------------- run
def run_portfolio(folder: Path, *, since: Path | None = None, pdf: bool = True,
                  progress: Callable[[str], None]) -> dict[str, Path]:
    """Execute notebooks/portfolio.ipynb on ``folder`` into ``folder/portfolio.ipynb`` (it writes
    portfolio.csv), then export portfolio.html and, unless ``pdf`` is False, portfolio.pdf."""
    from .errors import RunError
    from .run import execute, export_html, export_pdf

    folder = Path(folder).resolve()
    params = {"folder": str(folder), "since": str(Path(since).resolve()) if since else ""}
    progress(f"portfolio: reading the audits under {folder} (papermill)")
    nb = execute(NOTEBOOK, folder / OUTPUTS["notebook"], params, progress)
    csv = folder / OUTPUTS["csv"]
    if not csv.exists():
        raise RunError(f"the portfolio notebook ran but wrote no {csv}")
    progress("portfolio: exporting portfolio.html (nbconvert, code hidden)")
    outputs = {"notebook": nb, "csv": csv, "html": export_html(nb, folder / OUTPUTS["html"])}
    if pdf:
        progress("portfolio: printing portfolio.pdf (headless chromium)")
        outputs["pdf"] = export_pdf(outputs["html"], folder / OUTPUTS["pdf"])
    return outputs
