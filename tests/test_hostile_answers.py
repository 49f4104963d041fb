"""Issue 7: the answers file and the rubric as hostile input, and answers never lost to a kill.

Property-based (hypothesis): whatever bytes an answers file or a rubric file holds, loading gives
a valid result or the project's own one-line error, never another exception and never a hang.
Set AUDITLIB_FUZZ=campaign for a long run (see the README's reliability section).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditlib.answers import Answers, ChecklistAnswer, ScoreAnswer, load_answers, save_answers, update_answers
from auditlib.errors import AnswersError, RubricError
from auditlib.rubric import DEFAULT_RUBRIC_DIR, load_rubric

try:
    settings.register_profile("campaign", max_examples=20_000, deadline=None)
except Exception:  # registered by another test module
    pass
settings.register_profile("auditlib-default", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile("campaign" if os.environ.get("AUDITLIB_FUZZ") == "campaign" else "auditlib-default")

RUBRIC = load_rubric(DEFAULT_RUBRIC_DIR)

yaml_like = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
                 lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=15), inner, max_size=4),
                 max_leaves=30).map(lambda d: yaml.safe_dump(d).encode()),
    st.fixed_dictionaries({}, optional={
        "scores": st.dictionaries(st.sampled_from(["security_access", "testing", "x"]),
                                  st.one_of(st.integers(-3, 9), st.text(max_size=5), st.none()), max_size=3),
        "checklist": st.dictionaries(st.sampled_from(["security.secrets_manager", "qa.rollback_tested", "?"]),
                                     st.one_of(st.sampled_from(["yes", "no", "exception", "maybe"]), st.booleans()),
                                     max_size=3),
        "questions": st.dictionaries(st.text(max_size=12), st.one_of(st.integers(), st.text(max_size=8)), max_size=3),
        "auditor": st.one_of(st.text(max_size=10), st.integers()),
    }).map(lambda d: yaml.safe_dump(d).encode()),
)


@given(raw=yaml_like)
def test_any_answers_file_loads_or_is_refused_with_the_projects_error(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("a") / "answers.yaml"
    path.write_bytes(raw)
    try:
        answers = load_answers(path, RUBRIC)
    except AnswersError as exc:
        assert "\n" not in str(exc).strip() or str(exc).count("\n") < 3
        return
    assert isinstance(answers, Answers)


@given(scores=st.dictionaries(st.sampled_from(["security_access", "testing", "observability"]),
                              st.builds(ScoreAnswer, score=st.integers(0, 5), note=st.text(max_size=40),
                                        reason=st.text(max_size=40)), max_size=3),
       checklist=st.dictionaries(st.sampled_from(["security.secrets_manager", "qa.drift_detection"]),
                                 st.builds(ChecklistAnswer, answer=st.sampled_from(["yes", "no"]),
                                           note=st.text(max_size=40)), max_size=2),
       auditor=st.none() | st.text(max_size=30))
def test_saved_answers_load_back_identical(tmp_path_factory, scores, checklist, auditor):
    path = tmp_path_factory.mktemp("r") / "answers.yaml"
    answers = Answers(auditor=auditor, scores=scores, checklist=checklist)
    save_answers(answers, path)
    assert load_answers(path, RUBRIC) == answers


def test_billion_laughs_answers_file_is_refused_quickly(tmp_path):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    path = tmp_path / "answers.yaml"
    path.write_text("questions:\n" + textwrap.indent("\n".join(lines), "  ") + "\n")
    start = time.monotonic()
    with pytest.raises(AnswersError, match="aliases"):
        load_answers(path, RUBRIC)
    assert time.monotonic() - start < 30  # a generous bound, not a speed target: it must not hang


def test_deeply_nested_answers_file_is_one_error(tmp_path):
    path = tmp_path / "answers.yaml"
    path.write_text("questions: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(AnswersError):
        load_answers(path, RUBRIC)


# ------------------------------------------------------------------------------------------- rubric
RUBRIC_FILES = sorted(p.name for p in DEFAULT_RUBRIC_DIR.glob("*.yaml"))


def _mutations(data):
    """Small damaging edits of a loaded YAML structure: drop, retype, or replace one node."""
    return st.sampled_from(["drop", "retype", "none", "string", "list"]).flatmap(
        lambda kind: st.randoms(use_true_random=False).map(lambda rnd: _mutate(data, kind, rnd)))


def _mutate(data, kind, rnd: random.Random):
    import copy

    data = copy.deepcopy(data)
    node, parent, key = data, None, None
    for _ in range(rnd.randint(1, 5)):
        if isinstance(node, dict) and node:
            key = rnd.choice(list(node))
        elif isinstance(node, list) and node:
            key = rnd.randrange(len(node))
        else:
            break
        parent, node = node, node[key]
    if parent is None:
        return {"drop": None, "retype": [], "none": None, "string": "x", "list": [data]}[kind]
    if kind == "drop":
        del parent[key]
    else:
        parent[key] = {"retype": 42 if not isinstance(node, int) else "forty-two", "none": None, "string": "x",
                       "list": [node]}[kind]
    return data


@pytest.mark.parametrize("name", RUBRIC_FILES)
@settings(max_examples=40)
@given(data=st.data())
def test_damaged_rubric_is_valid_or_one_rubric_error(tmp_path_factory, name, data):
    rubric_dir = tmp_path_factory.mktemp("rubric") / "checklists"
    shutil.copytree(DEFAULT_RUBRIC_DIR, rubric_dir)
    original = yaml.safe_load((rubric_dir / name).read_text())
    mutated = data.draw(_mutations(original))
    (rubric_dir / name).write_text(yaml.safe_dump(mutated, sort_keys=False))
    try:
        load_rubric(rubric_dir)
    except RubricError as exc:
        assert name in str(exc) or str(rubric_dir) in str(exc)


@given(raw=st.binary(max_size=300))
def test_rubric_file_of_random_bytes_is_one_rubric_error(tmp_path_factory, raw):
    rubric_dir = tmp_path_factory.mktemp("rubric") / "checklists"
    shutil.copytree(DEFAULT_RUBRIC_DIR, rubric_dir)
    (rubric_dir / "checklist.yaml").write_bytes(raw)
    with pytest.raises(RubricError):
        load_rubric(rubric_dir)


# ----------------------------------------------------------------------------- kill -9 during a save
SAVER = """
import sys
from auditlib.answers import update_answers
path, n = sys.argv[1], 0
print("ready", flush=True)
while True:
    n += 1
    update_answers(path, "questions", f"q{n % 50}", "x" * 20000 + str(n))
"""


def test_kill_during_answers_saves_never_tears_the_file(tmp_path):
    path = tmp_path / "answers.yaml"
    save_answers(Answers(auditor="J. Doe", questions={"seed": "kept"}), path)
    rnd = random.Random(7)
    for _ in range(12):
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(path)], stdout=subprocess.PIPE, cwd=tmp_path)
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(rnd.uniform(0.05, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        answers = load_answers(path)  # parses: the old or the new version, never torn
        assert answers.auditor == "J. Doe" and answers.questions["seed"] == "kept"
    update_answers(path, "questions", "after", "the kills")  # the next save removes what killed ones left
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in ("answers.yaml", ".answers.yaml.lock")]
    assert leftovers == []
    assert load_answers(path).questions["after"] == "the kills"
