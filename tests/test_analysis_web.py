"""Endpoints, SQL sites and layers of the analysis engine beyond what the old analysers did: auth that
spans files, FastAPI's Annotated aliases, Flask hooks, chained Express routes (tiny repositories in
tmp_path, parsed, never run)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from auditlib.analysis import analyse
from auditlib.collect.files import list_files
from auditlib.models import CodeFacts


def _collect(tmp_path: Path, files: dict[str, str]) -> CodeFacts:
    for name, source in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(source), encoding="utf-8")
    return analyse(list_files(tmp_path))


def _auth(facts: CodeFacts) -> dict[str, bool]:
    return {e.function: e.has_auth for e in facts.endpoints}


def test_router_included_with_auth_in_another_file(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": """
            from fastapi import FastAPI, Depends
            from app.routers import items, public
            app = FastAPI()
            app.include_router(items.router, dependencies=[Depends(verify_api_key)])
            app.include_router(public.router)
        """,
        "app/routers/__init__.py": "",
        "app/routers/items.py": """
            from fastapi import APIRouter
            router = APIRouter()
            @router.get("/items")
            def list_items():
                return []
        """,
        "app/routers/public.py": """
            from fastapi import APIRouter
            router = APIRouter()
            @router.get("/health")
            def health():
                return {}
        """,
    })
    assert _auth(facts) == {"list_items": True, "health": False}
    assert {e.framework for e in facts.endpoints} == {"fastapi"}


def test_router_included_in_an_app_built_with_auth(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {
        "main.py": """
            from fastapi import FastAPI, Depends
            from routes import r
            app = FastAPI(dependencies=[Depends(get_current_user)])
            app.include_router(r)
        """,
        "routes.py": """
            from fastapi import APIRouter
            r = APIRouter()
            @r.post("/y")
            async def y():
                return 1
        """,
    })
    assert _auth(facts) == {"y": True}


def test_annotated_alias_of_an_auth_dependency(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {
        "app/__init__.py": "",
        "app/deps.py": """
            from typing import Annotated
            from fastapi import Depends
            CurrentUser = Annotated[User, Depends(get_current_user)]
            SessionDep = Annotated[Session, Depends(get_db)]
        """,
        "app/items.py": """
            from fastapi import APIRouter
            from app import deps
            from app.deps import CurrentUser, SessionDep
            router = APIRouter()
            @router.get("/a")
            def a(session: SessionDep, user: CurrentUser): ...
            @router.get("/b")
            def b(session: SessionDep): ...
            @router.get("/c")
            def c(user: deps.CurrentUser): ...
        """,
    })
    assert _auth(facts) == {"a": True, "b": False, "c": True}


def test_flask_before_request_hook_and_string_sql(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {"app.py": """
        import sqlite3
        from flask import Flask, Blueprint, request
        app = Flask(__name__)
        admin = Blueprint("admin", __name__)

        @admin.before_request
        def require_login():
            pass

        @admin.route("/dash")
        def dash():
            db = sqlite3.connect("x")
            q = "SELECT * FROM t WHERE a = '"
            q += request.args["a"]
            return db.execute(q).fetchall()

        @app.route("/open")
        def open_():
            return "y"
    """})
    assert _auth(facts) == {"dash": True, "open_": False}
    assert [(s.line, s.function, s.how) for s in facts.sql_sites] == [(16, "dash", "concatenation")]
    assert [(m.path, m.layers) for m in facts.mixed_files] == [("app.py", ["db", "web"])]


def test_express_mounts_chained_routes_and_handler_names(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {
        "server.js": """
            import express from "express";
            import authRouter from "./routes/auth.js";
            import apiRouter from "./routes/api.js";
            const app = express();
            app.use("/auth", authRouter);
            app.use("/api", verifyToken, apiRouter);
            app.route("/book").get(getBook).post(requireAuth, addBook);
            app.post("/q", async (req, res) => {
              res.json(await pool.query("SELECT * FROM t WHERE id = " + req.body.id));
            });
        """,
        "routes/auth.js": """
            import { Router } from "express";
            const router = Router();
            router.post("/login", (req, res) => res.json({}));
            export default router;
        """,
        "routes/api.js": """
            const express = require("express");
            const router = express.Router();
            router.get("/data", (req, res) => res.json({}));
            module.exports = router;
        """,
    })
    got = {(e.path, e.route, e.function, e.has_auth) for e in facts.endpoints}
    assert got == {("routes/auth.js", "/login", "POST /login", False), ("routes/api.js", "/data", "GET /data", True),
                   ("server.js", "/book", "getBook", False), ("server.js", "/book", "addBook", True),
                   ("server.js", "/q", "POST /q", False)}
    assert [(s.path, s.function, s.how) for s in facts.sql_sites] == [("server.js", "POST /q", "concatenation")]


def test_tagged_template_is_parameterised_whatever_its_tag(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {"db.ts": """
        export const f = (id) => pool.query`SELECT * FROM users WHERE id = ${id}`;
        export const g = (id) => pool.query(`SELECT * FROM users WHERE id = ${id}`);
    """})
    assert [(s.function, s.how) for s in facts.sql_sites] == [("g", "template literal")]


ROUTE = """
export async function POST(req: Request) {
  return Response.json({ ok: true });
}
"""


@pytest.mark.parametrize("matcher, covered", [
    (None, {"/api/chat": True, "/dashboard/stats": True}),                      # no matcher: every route
    ('["/dashboard/:path*"]', {"/api/chat": False, "/dashboard/stats": True}),
    ('"/api/:path*"', {"/api/chat": True, "/dashboard/stats": False}),
    ('["/((?!api|_next/static|_next/image|favicon.ico).*)"]', {"/api/chat": False, "/dashboard/stats": True}),
    ('[{ source: "/api/:path*", missing: [] }]', {"/api/chat": True, "/dashboard/stats": False}),
])
def test_next_middleware_matcher_decides_which_routes_it_covers(tmp_path: Path, matcher, covered) -> None:
    config = f"\nexport const config = {{ matcher: {matcher} }};\n" if matcher else ""
    facts = _collect(tmp_path, {
        "middleware.ts": 'import { clerkMiddleware } from "@clerk/nextjs/server";\n'
                         "export default clerkMiddleware();\n" + config,
        "app/api/chat/route.ts": ROUTE,
        "app/dashboard/stats/route.ts": ROUTE,
    })
    assert {e.route: e.has_auth for e in facts.endpoints} == covered
