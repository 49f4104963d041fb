"""Print the accuracy of the evidence engine on the synthetic corpus (numbers quoted in the README).

    .venv/bin/python benchmarks/accuracy.py
"""

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.corpus import audit_corpus, build_control, build_python_prototype, build_ts_prototype, recall, severe  # noqa: E402


def main() -> None:
    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, build in (("python", build_python_prototype), ("typescript", build_ts_prototype)):
            corpus = build(Path(tmp) / name)
            got = recall(corpus, audit_corpus(corpus))
            report[name] = {kind: {"found": len(v["found"]), "planted": len(v["found"]) + len(v["missed"]),
                                   "missed": [f"{p.rule} {p.path}:{p.line}" for p in v["missed"]]}
                            for kind, v in got.items()}
        control = audit_corpus(build_control(Path(tmp) / "control"))
        report["control"] = {"critical_or_high": len(severe(control)), "findings": len(control.findings),
                             "total": control.scorecard.total}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
