"""The engine additions the run-time checks (auditlib/analysis/checks/runtime.py) read: a try's
``swallows``, ``Module.item_stores``, ``web.handler_scopes`` and ``uses.log_arguments``."""

from __future__ import annotations

from auditlib.analysis.engine import load
from auditlib.analysis.query import Query
from auditlib.analysis.uses import log_arguments
from auditlib.analysis.web import handler_scopes
from auditlib.collect.files import list_files


def _query(tmp_path, files: dict[str, str]) -> Query:
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    fs = list_files(tmp_path)
    repo, errors = load(fs)
    assert errors == []
    return Query(repo, fs)


def _swallows(q: Query, path: str) -> dict[int, tuple | None]:
    return {c.line: next((g.swallows for g in c.guards if g.kind == "try"), None) for c in q.repo.modules[path].calls
            if c.text == "g"}


def test_python_handlers_that_swallow(tmp_path):
    q = _query(tmp_path, {"a.py": (
        "def f(e):\n"
        "    try:\n        g()\n    except Exception:\n        pass\n"          # 3
        "    try:\n        g()\n    except:\n        print('failed')\n"      # 7
        "    try:\n        g()\n    except Exception as err:\n        print(err)\n"  # 11
        "    try:\n        g()\n    except ValueError:\n        pass\n"      # 15
        "    try:\n        g()\n    except Exception:\n        return {'error': 'x'}, 500\n"  # 19
        "    try:\n        g()\n    except Exception:\n        return fallback()\n"  # 23
    )})
    got = _swallows(q, "a.py")
    assert got[3] == (4, "silent")
    assert got[7] == (8, "printed")
    assert got[11] is None  # the error is printed: logged
    assert got[15] is None  # not a catch-all
    assert got[19] == (20, "silent")  # a constant error response
    assert got[23] is None  # a computed fallback


def test_js_catches_that_swallow(tmp_path):
    q = _query(tmp_path, {"a.ts": (
        "async function f() {\n"
        "  try { await g(); } catch (e) {}\n"                                   # 2
        "  try { await g(); } catch (e) { console.error('failed'); }\n"         # 3
        "  try { await g(); } catch (e) { console.error('failed', e); }\n"      # 4
        "  try { await g(); } catch (e) {\n    // optional: ignore\n  }\n"      # 5
        "  try { await g(); } catch (e) { return null; }\n"                     # 8
        "}\n")})
    got = _swallows(q, "a.ts")
    assert got[2] == (2, "silent")
    assert got[3] == (3, "printed")
    assert got[4] is None
    assert got[5] is None
    assert got[8] == (8, "silent")


def test_item_stores_with_computed_keys(tmp_path):
    q = _query(tmp_path, {"a.py": "d = {}\ndef f(k):\n    d[k] = 1\n    d['x'] = 2\n",
                          "b.js": "const m = {};\nfunction f(k) { m[k] = 1; }\n"})
    py = q.repo.modules["a.py"].item_stores
    assert [(getattr(t, "id", None), line) for t, _s, line in py] == [("d", 3)]
    js = q.repo.modules["b.js"].item_stores
    assert [(getattr(t, "id", None), line) for t, _s, line in js] == [("m", 2)]


def test_handler_scopes_and_log_arguments(tmp_path):
    q = _query(tmp_path, {"app.py": (
        "import logging\nfrom flask import Flask, request\napp = Flask(__name__)\nlog = logging.getLogger(__name__)\n"
        "@app.post('/x')\ndef x():\n    log.info('got %s', request.json)\n    return 'ok'\n")})
    handlers = handler_scopes(q)
    assert [(s.name, e.route) for s, e in handlers.values()] == [("x", "/x")]
    call = next(c for c in q.repo.modules["app.py"].calls if c.text == "log.info")
    assert [type(a).__name__ for a in log_arguments(q, call)] == ["Lit", "Attr"]  # the message and request.json
