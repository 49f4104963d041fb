"""Print the accuracy of the evidence engine on the synthetic corpus (numbers quoted in the README).

    .venv/bin/python benchmarks/accuracy.py
"""

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.corpus import (  # noqa: E402
    audit_corpus,
    build_control,
    build_python_prototype,
    build_ts_prototype,
    decoy_hits,
    recall,
    severe,
)


def _counts(got: dict) -> dict:
    return {kind: {"found": len(v["found"]), "planted": len(v["found"]) + len(v["missed"]),
                   "missed": [f"{p.rule} {p.path}:{p.line}" for p in v["missed"]]}
            for kind, v in got.items()}


def main() -> None:
    report: dict = {}
    web: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, build in (("python", build_python_prototype), ("typescript", build_ts_prototype)):
            corpus = build(Path(tmp) / name)
            got = recall(corpus, audit_corpus(corpus))
            report[name] = _counts(got)
            for p in got.get("web", {}).get("found", []) + got.get("web", {}).get("missed", []):
                row = web.setdefault(p.rule, {"python": 0, "typescript": 0, "found": 0})
                row[name] += 1
                row["found"] += p in got["web"]["found"]
        report["web_by_rule"] = dict(sorted(web.items()))
        report["web_total"] = {"kinds": len(web), "planted": sum(r["python"] + r["typescript"] for r in web.values()),
                               "found": sum(r["found"] for r in web.values())}
        control = audit_corpus(build_control(Path(tmp) / "control"))
        report["control"] = {"critical_or_high": len(severe(control)), "decoy_rule_hits": len(decoy_hits(control)),
                             "findings": len(control.findings), "total": control.scorecard.total,
                             "band": control.scorecard.band}
        bare = build_control(Path(tmp) / "unguarded", unguarded=True)
        report["control_unguarded"] = _counts(recall(bare, audit_corpus(bare))).get("unguarded", {})
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
