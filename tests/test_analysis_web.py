"""Endpoints, SQL sites and layers of the analysis engine beyond what the old analysers did: auth that
spans files, FastAPI's Annotated aliases, Flask hooks, chained Express routes (tiny repositories in
tmp_path, parsed, never run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditlib.models import CodeFacts
from tests.factories import analyse_files


def _collect(tmp_path: Path, files: dict[str, str]) -> CodeFacts:
    return analyse_files(tmp_path, files)


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


# ------------------------------------------------------------------ what a handler reaches (issue 9)
def _reach(facts: CodeFacts) -> dict[str, list[tuple[str, str, bool]]]:
    """route -> [(kind, what, certain)] of the unauthenticated endpoints, public ones as 'public'."""
    return {f"{e.method or ''} {e.route}".strip(): ("public" if e.public else
                                                     [(r.kind, r.what, r.certain) for r in e.reaches or []])
            for e in facts.endpoints if not e.has_auth}


def test_nextauth_route_reexporting_its_handlers_is_public_and_reaches_nothing(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {
        "auth.ts": 'import NextAuth from "next-auth";\nexport const { handlers, auth } = NextAuth({ providers: [] });\n',
        "app/api/auth/[...nextauth]/route.ts": 'import { handlers } from "@/auth";\nexport const { GET, POST } = handlers;\n',
        "pages/api/auth/[...nextauth].ts": 'import NextAuth from "next-auth";\nexport default NextAuth({ providers: [] });\n',
    })
    assert facts.endpoints and all(e.public == "sign-in or identity-provider route" for e in facts.endpoints)


def test_health_and_constant_handlers_reach_nothing(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {
        "app.py": """
            from fastapi import FastAPI, Response
            app = FastAPI()
            @app.get("/healthz")
            def healthz(db=None):
                db.execute("SELECT 1")
                return {"ok": True}
            @app.get("/ping-me")
            def constant():
                return Response(status_code=204)
        """,
        "app/api/status/route.ts": "export async function GET() {\n  return new Response(null, { status: 204 });\n}\n",
    })
    assert _reach(facts) == {"GET /healthz": "public", "GET /ping-me": [], "GET /api/status": []}


def test_static_render_and_echo_stubs_reach_nothing(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {
        "chat.py": """
            from quart import Blueprint, render_template, request, jsonify
            bp = Blueprint("chat", __name__)
            @bp.get("/")
            async def index():
                return await render_template("index.html")
            @bp.post("/echo")
            async def echo():
                body = await request.get_json()
                return jsonify({"you_said": body["text"].strip()})
        """,
        "server.ts": """
            import express from "express";
            const app = express();
            app.post("/echo", (req, res) => res.json({ echo: req.body.text }));
        """,
    })
    assert _reach(facts) == {"GET /": [], "POST /echo": []}
    assert len(facts.endpoints) == 3


def test_catalogue_reads_and_user_data_reads_are_told_apart(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {
        "app.py": """
            import sqlite3
            from flask import Flask
            app = Flask(__name__)
            conn = sqlite3.connect("shop.db")
            @app.get("/products")
            def products():
                return conn.execute("SELECT name, price FROM products").fetchall()
            @app.get("/orders")
            def orders():
                return conn.execute("SELECT * FROM orders").fetchall()
        """,
    })
    assert _reach(facts) == {
        "GET /products": [("data", "conn.execute (no user data named)", True)],
        "GET /orders": [("read", "conn.execute (orders)", True)],
    }


@pytest.mark.parametrize("files", [
    {"app.py": """
        from flask import Flask, request, abort
        app = Flask(__name__)
        @app.delete("/items/<id>")
        def remove(id):
            if request.headers.get("X-Admin-Key") != ADMIN_KEY:
                abort(401)
            open("items.txt", "w").write("")
     """},
    {"app.py": """
        from fastapi import FastAPI, HTTPException, Request, status
        app = FastAPI()
        def check(request: Request):
            if request.cookies.get("sid") not in SESSIONS:
                raise HTTPException(status_code=status.HTTP_403_FORBIDDEN)
        @app.delete("/items/{id}")
        def remove(id: int, request: Request):
            check(request)
            open("items.txt", "w").write("")
     """},
    {"app/api/items/route.ts": """
        import { cookies } from "next/headers";
        import fs from "fs";
        export async function DELETE(req: Request) {
          const sid = (await cookies()).get("sid");
          if (!sid || !SESSIONS.has(sid.value)) return new Response("no", { status: 401 });
          fs.unlinkSync("items.json");
          return new Response(null, { status: 204 });
        }
     """},
    {"server.ts": """
        import express from "express";
        import fs from "fs";
        const app = express();
        app.delete("/items/:id", (req, res) => {
          if (req.cookies.sid !== process.env.ADMIN_SID) return res.status(403).end();
          fs.unlinkSync("items.json");
          res.sendStatus(204);
        });
     """},
], ids=["flask_abort", "fastapi_helper_403", "next_cookies_401", "express_403"])
def test_handler_that_reads_a_credential_and_denies_itself_authenticates(tmp_path: Path, files) -> None:
    facts = _collect(tmp_path, files)
    assert [e.has_auth for e in facts.endpoints] == [True]


def test_handler_that_returns_401_without_reading_a_credential_does_not(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {"app.py": """
        from flask import Flask, request, abort
        app = Flask(__name__)
        @app.post("/items")
        def add():
            if not request.json.get("name"):
                abort(400)
            open("items.txt", "a").write(request.json["name"])
            return "", 401
    """})
    assert [(e.has_auth, [r.kind for r in e.reaches]) for e in facts.endpoints] == [(False, ["write"])]


def test_flask_before_request_hook_that_denies_covers_the_blueprint(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {"admin.py": """
        from flask import Blueprint, request, abort
        bp = Blueprint("admin", __name__)
        @bp.before_request
        def gate():
            if request.headers.get("X-Token") != TOKEN:
                abort(403)
        @bp.post("/admin/reset")
        def reset():
            return "ok"
    """})
    assert _auth(facts) == {"reset": True}


def test_model_reached_across_modules_db_writes_and_background_tasks(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {
        "lib/ai.ts": """
            import OpenAI from "openai";
            const openai = new OpenAI();
            export async function reply(text: string) {
              return openai.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: text }] });
            }
        """,
        "app/api/chat/route.ts": """
            import { reply } from "@/lib/ai";
            export async function POST(req: Request) {
              const { text } = await req.json();
              return Response.json(await reply(text));
            }
        """,
        "tsconfig.json": '{"compilerOptions": {"paths": {"@/*": ["./*"]}}}',
        "main.py": """
            from fastapi import FastAPI, Depends
            from tasks import publish
            app = FastAPI()
            @app.delete("/news/{id}")
            def delete_news(id: int, db=Depends(get_db)):
                db.delete(db.get(News, id))
                db.commit()
            @app.post("/publish")
            def trigger():
                publish.delay()
        """,
        "tasks.py": """
            from telethon import TelegramClient
            @celery.task
            def publish():
                TelegramClient("s", 1, "h").send_message("channel", "post")
        """,
    })
    got = {e.route: e.reaches[0] for e in facts.endpoints}
    assert (got["/api/chat"].kind, got["/api/chat"].path, got["/api/chat"].via, got["/api/chat"].certain) == \
        ("model", "lib/ai.ts", "reply", True)
    assert (got["/news/{id}"].kind, got["/news/{id}"].what, got["/news/{id}"].certain) == ("write", "db.delete", False)
    assert (got["/publish"].kind, got["/publish"].via) == ("write", "publish")
    assert "external side effect" in got["/publish"].what


def test_callers_own_key_spends_nothing_minted_keys_and_fetched_urls(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {
        "pages/api/answer.ts": """
            export default async function handler(req: Request) {
              const { prompt, apiKey } = await req.json();
              const res = await fetch("https://api.openai.com/v1/chat/completions", {
                method: "POST", headers: { Authorization: `Bearer ${apiKey}` },
                body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: prompt }] }),
              });
              return new Response(res.body);
            }
        """,
        "app/api/deepgram/route.ts": """
            import { createClient } from "@deepgram/sdk";
            export async function GET(request: Request) {
              const deepgram = createClient(process.env.DEEPGRAM_API_KEY ?? "");
              const { result } = await deepgram.manage.createProjectKey("p", { scopes: ["usage:write"] });
              return Response.json(result);
            }
        """,
        "app/api/download/route.ts": """
            export async function POST(req: Request) {
              const body = await req.json();
              return fetch(body.uri);
            }
        """,
    })
    got = {e.route: [(r.kind, r.caller_controlled) for r in e.reaches] for e in facts.endpoints}
    assert got == {"/api/answer": [], "/api/deepgram": [("write", False)], "/api/download": [("network", True)]}


# ------------------------------------------------------------------ heldout2: route order and signed callbacks
def test_express_route_shadowed_by_an_earlier_parameter_route_is_never_reached(tmp_path: Path) -> None:
    """Express answers with the first matching route: ``GET /:id`` declared before ``GET /tips`` takes every
    ``/tips`` request (heldout2's shape, synthetic). Other methods, other routers, a later ``/:id`` and a
    handler that passes the request on with ``next()`` shadow nothing."""
    facts = _collect(tmp_path, {
        "routes/lessons.js": """
            const express = require("express");
            const { getLesson, tips, explain, summary, byCourse } = require("../controllers/lessons");
            const router = express.Router();
            router.get("/:id", getLesson);
            router.get("/tips", tips);
            router.post("/explain", explain);
            router.get("/course/:courseId", byCourse);
            router.get("/:id/summary", summary);
            module.exports = router;
        """,
        "routes/notes.js": """
            const express = require("express");
            const { tips, getNote } = require("../controllers/lessons");
            const router = express.Router();
            router.get("/:id", (req, res, next) => { if (req.params.id === "tips") return next(); getNote(req, res); });
            router.get("/tips", tips);
            router.get("/recent", tips);
            router.get("/:slug", getNote);
            module.exports = router;
        """,
        "controllers/lessons.js": """
            const { OpenAI } = require("openai");
            const client = new OpenAI();
            async function getLesson(req, res) { res.json({ id: req.params.id }); }
            async function getNote(req, res) { res.json({ id: req.params.id }); }
            async function tips(req, res) {
              res.json(await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "tips" }] }));
            }
            const explain = tips, summary = tips, byCourse = tips;
            module.exports = { getLesson, getNote, tips, explain, summary, byCourse };
        """,
    })
    public = {(e.path, e.route): e.public for e in facts.endpoints}
    assert public[("routes/lessons.js", "/tips")] == "shadowed by GET /:id (line 5), never reached"
    for route in ("/:id", "/explain", "/course/:courseId", "/:id/summary"):
        assert public[("routes/lessons.js", route)] is None, route
    for route in ("/tips", "/recent", "/:slug"):  # the /:id handler may call next(): it shadows nothing
        assert public[("routes/notes.js", route)] is None, route


def test_callback_checked_by_an_hmac_signature_is_authenticated_by_its_sender(tmp_path: Path) -> None:
    """A payment callback that recomputes the provider's HMAC over the ids it is sent and compares it with
    the signature in the body (heldout2: Razorpay, synthetic) is not an open route; the same route without
    the comparison, or an HMAC computed to sign an outgoing request, is."""
    facts = _collect(tmp_path, {
        "routes/pay.js": """
            const express = require("express");
            const crypto = require("crypto");
            const { Account } = require("../models");
            const router = express.Router();

            async function confirm(req, res) {
              const { order_id, payment_id, signature } = req.body;
              const expected = crypto.createHmac("sha256", process.env.PAY_SECRET)
                .update(order_id + "|" + payment_id).digest("hex");
              const valid = expected === signature;
              if (!valid) return res.status(400).end();
              await Account.findByIdAndUpdate(req.body.account, { premium: true });
              res.redirect("/thanks");
            }

            async function confirmUnchecked(req, res) {
              await Account.findByIdAndUpdate(req.body.account, { premium: true });
              res.redirect("/thanks");
            }

            async function forward(req, res) {
              const sig = crypto.createHmac("sha256", process.env.PAY_SECRET).update(req.body.note).digest("hex");
              await Account.create({ note: req.body.note, sig });
              res.json({ ok: true });
            }

            router.post("/confirm", confirm);
            router.post("/confirm-unchecked", confirmUnchecked);
            router.post("/forward", forward);
            module.exports = router;
        """,
    })
    public = {e.route: e.public for e in facts.endpoints}
    assert public == {"/confirm": "callback authenticated by its sender's signature",
                      "/confirm-unchecked": None, "/forward": None}


# ------------------------------------------------------------------ targeted list: router.use(guard) and a chain
def test_router_use_guard_covers_a_chain_of_routes_declared_after_it(tmp_path: Path) -> None:
    """``basket.use(requireLogin)`` then ``basket.get(...).post(...).delete(...)`` (targeted.yaml's shape,
    synthetic): every link of the chain is a route of ``basket``, so the router-level guard covers it. A
    chain on a router with no guard stays open."""
    facts = _collect(tmp_path, {
        "middlewares/requireLogin.js": """
            const jwt = require("jsonwebtoken");
            module.exports = (req, res, next) => {
              const header = req.headers["authorization"];
              if (!header) return res.status(401).json({ error: "no token" });
              req.uid = jwt.verify(header.split(" ")[1], process.env.KEY).id;
              next();
            };
        """,
        "routes/basket.js": """
            const basket = require("express").Router();
            const requireLogin = require("../middlewares/requireLogin");
            const { show, add, drop } = require("../handlers/basket");
            basket.use(requireLogin);
            basket
              .get("/show", show)
              .post("/add", add)
              .delete("/drop", drop);
            module.exports = basket;
        """,
        "routes/open.js": """
            const open = require("express").Router();
            const { show, add } = require("../handlers/basket");
            open
              .get("/show", show)
              .post("/add", add);
            module.exports = open;
        """,
        "handlers/basket.js": """
            const { Basket } = require("../models");
            async function show(req, res) { res.json(await Basket.findOne({ owner: req.query.owner })); }
            async function add(req, res) { res.json(await Basket.create(req.body)); }
            async function drop(req, res) { res.json(await Basket.deleteOne({ _id: req.body.id })); }
            module.exports = { show, add, drop };
        """,
    })
    auth = {(e.path, e.route): e.has_auth for e in facts.endpoints}
    for route in ("/show", "/add", "/drop"):
        assert auth[("routes/basket.js", route)] is True, route
    for route in ("/show", "/add"):
        assert auth[("routes/open.js", route)] is False, route
