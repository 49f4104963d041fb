"""Issue 9, items 2 and 7: SQL built by formatting graded by where the pasted value comes from, and
request-path rules kept to application code (tests, evaluations, seed scripts and command-line tools
left out). Each case is a minimal fixture of a shape seen on real code."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditlib.collect.roles import file_role
from auditlib.errors import RubricError
from auditlib.models import CodeFacts, LLMCallSite, SQLSite
from auditlib.probes import role_of, run_probes
from auditlib.rubric import DEFAULT_RUBRIC_DIR, load_rubric
from tests.factories import analyse_files, make_facts

RUBRIC = load_rubric(DEFAULT_RUBRIC_DIR)
SQL = "architecture.sql_string_building"


def _facts(tmp_path: Path, files: dict[str, str]) -> CodeFacts:
    return analyse_files(tmp_path, files)


def _sites(facts: CodeFacts) -> dict[tuple[str, int], SQLSite]:
    return {(s.path, s.line): s for s in facts.sql_sites}


# ------------------------------------------------------------------------------------- SQL origins
FLASK = """\
import sqlite3
from flask import Flask, request
app = Flask(__name__)
db = sqlite3.connect("a.db")

@app.route("/search")
def search():
    q = request.args["q"]
    return {"rows": db.execute(f"SELECT * FROM items WHERE name = '{q}'").fetchall()}

@app.route("/find")
def find():
    return lookup(request.args.get("name"))

def lookup(name):
    cur = db.cursor()
    cur.execute("SELECT * FROM items WHERE name = '" + name + "'")
    return cur.fetchall()
"""

TOOL_CALL = """\
import json, sqlite3
from openai import OpenAI
client = OpenAI()
conn = sqlite3.connect("a.db")

def get_orders(customer):
    return conn.execute(f"SELECT * FROM orders WHERE customer = '{customer}'").fetchall()

def answer(question):
    resp = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": question}],
                                          tools=[{"type": "function", "function": {"name": "get_orders"}}])
    call = resp.choices[0].message.tool_calls[0]
    args = json.loads(call.function.arguments)
    return get_orders(args["customer"])
"""

INTERNAL = """\
import sqlite3
db = sqlite3.connect("a.db")
TABLE = "items"
COLUMNS = ["id", "name"]

def rows(item_id):
    return db.execute(f"SELECT {', '.join(COLUMNS)} FROM {TABLE} WHERE id = ?", (item_id,)).fetchall()

def by_table(table, item_id):
    return db.execute(f"SELECT * FROM {table} WHERE id = ?", (item_id,)).fetchall()
"""


def test_request_data_into_sql_text_is_traced(tmp_path: Path) -> None:
    sites = _sites(_facts(tmp_path, {"app.py": FLASK}))
    direct, helper = sites[("app.py", 9)], sites[("app.py", 17)]
    assert direct.origin == helper.origin == "request"
    assert direct.trace == "request.args.q (app.py:8) → f-string → db.execute (app.py:9)"
    assert helper.trace == ("request.args.get('name') (app.py:13) → lookup(name=...) (app.py:13) → concatenation"
                            " → cur.execute (app.py:17)")


def test_fastapi_parameter_is_request_data(tmp_path: Path) -> None:
    sites = _sites(_facts(tmp_path, {"api.py": """\
        import sqlite3
        from fastapi import FastAPI, Depends
        api = FastAPI()
        db = sqlite3.connect("a.db")

        @api.get("/users")
        def user(name: str):
            return db.execute(f"SELECT * FROM users WHERE name = '{name}'").fetchall()
        """}))
    site = sites[("api.py", 8)]
    assert site.origin == "request" and "parameter name of the web handler user (api.py:7)" in (site.trace or "")


def test_tool_call_arguments_into_where_clause_are_model_output(tmp_path: Path) -> None:
    site = _sites(_facts(tmp_path, {"agent.py": TOOL_CALL}))[("agent.py", 7)]
    assert site.origin == "model_output"
    assert site.trace is not None and site.trace.startswith("call.function.arguments (agent.py:13)")
    assert site.trace.endswith("get_orders(customer=...) (agent.py:14) → f-string → conn.execute (agent.py:7)")


def test_langchain_tool_parameter_is_written_by_the_model(tmp_path: Path) -> None:
    site = _sites(_facts(tmp_path, {"tools.py": """\
        import sqlite3
        from langchain_core.tools import tool
        conn = sqlite3.connect("a.db")

        @tool
        def find_user(email: str) -> str:
            \"\"\"Find a user by email.\"\"\"
            return str(conn.execute(f"SELECT * FROM users WHERE email = '{email}'").fetchall())
        """}))[("tools.py", 8)]
    assert site.origin == "model_output" and "argument email of the tool find_user" in (site.trace or "")


def test_internal_identifiers_and_bound_values(tmp_path: Path) -> None:
    sites = _sites(_facts(tmp_path, {"repo.py": INTERNAL}))
    constants, param = sites[("repo.py", 7)], sites[("repo.py", 10)]
    assert (constants.origin, constants.bound, constants.trace) == ("literal", True, None)
    assert (param.origin, param.bound) == ("unknown", True)  # nobody in the repository passes `table`


def test_typescript_route_and_ai_sdk_tool(tmp_path: Path) -> None:
    facts = _facts(tmp_path, {
        "app/api/users/route.ts": """\
            import { Pool } from "pg";
            const pool = new Pool();
            export async function GET(req: Request) {
              const { searchParams } = new URL(req.url);
              const id = searchParams.get("id");
              const rows = await pool.query(`SELECT * FROM users WHERE id = '${id}'`);
              return Response.json(rows);
            }
            const TABLE = "users";
            export async function count() {
              return pool.query(`SELECT count(*) FROM ${TABLE} WHERE org = $1`, [1]);
            }
            """,
        "lib/ai/tools/weather.ts": """\
            import { tool } from "ai";
            import { z } from "zod";
            import { Pool } from "pg";
            const pool = new Pool();
            export const weather = tool({
              description: "weather of a city",
              parameters: z.object({ city: z.string() }),
              execute: async ({ city }) => {
                const r = await pool.query(`SELECT * FROM weather WHERE city = '${city}'`);
                return r.rows;
              },
            });
            """})
    sites = _sites(facts)
    assert sites[("app/api/users/route.ts", 6)].origin == "request"
    assert sites[("app/api/users/route.ts", 11)].origin == "literal"
    tool_site = sites[("lib/ai/tools/weather.ts", 9)]
    assert tool_site.origin == "model_output" and "of the tool" in (tool_site.trace or "")


# ------------------------------------------------------------------------------------ SQL grading
@pytest.mark.parametrize("origin,bound,path,severity,confidence", [
    ("request", False, "app.py", "critical", "high"),
    ("model_output", False, "agent.py", "high", "high"),
    ("unknown", False, "db.py", "medium", "low"),
    ("unknown", True, "db.py", "low", "medium"),
    ("literal", True, "db.py", "low", "high"),
    ("env", False, "db.py", "low", "medium"),
    ("request", False, "scripts/seed.py", "low", "medium"),      # a seed script: no request reaches it
    ("unknown", False, "migrations/0002_backfill.py", "low", "medium"),
])
def test_sql_severity_follows_the_value(origin, bound, path, severity, confidence) -> None:
    site = SQLSite(path=path, line=4, how="f-string", origin=origin, bound=bound, values=["x"],
                   trace="request.args.q (app.py:3) → f-string → db.execute (app.py:4)" if origin == "request" else None)
    findings = [f for f in run_probes(make_facts(code=CodeFacts(sql_sites=[site])), RUBRIC) if f.rule == SQL]
    assert [(f.severity, f.confidence) for f in findings] == [(severity, confidence)]
    if origin == "request" and path == "app.py":
        assert "path: request.args.q (app.py:3) → f-string → db.execute (app.py:4)" in findings[0].evidence


def test_sql_in_tests_is_dropped() -> None:
    sites = [SQLSite(path="tests/test_db.py", line=4, how="f-string", origin="request"),
             SQLSite(path="conftest.py", line=9, how="f-string", origin="request")]
    assert [f for f in run_probes(make_facts(code=CodeFacts(sql_sites=sites)), RUBRIC) if f.rule == SQL] == []


def test_end_to_end_grades(tmp_path: Path) -> None:
    facts = _facts(tmp_path, {"app.py": FLASK, "agent.py": TOOL_CALL, "repo.py": INTERNAL,
                              "scripts/seed.py": "import sqlite3, sys\nconn = sqlite3.connect('a.db')\n"
                                                 "for t in sys.argv[1:]:\n    conn.execute(f'DELETE FROM {t}')\n"})
    graded = {(f.path, f.line): f.severity for f in run_probes(make_facts(code=facts), RUBRIC) if f.rule == SQL}
    assert graded == {("app.py", 9): "critical", ("app.py", 17): "critical", ("agent.py", 7): "high",
                      ("repo.py", 7): "low", ("repo.py", 10): "low", ("scripts/seed.py", 4): "low"}


# ------------------------------------------------------------------------------------------ scope
def _call(path: str) -> LLMCallSite:
    return LLMCallSite(path=path, line=3, function="f", provider="openai", api="client.chat.completions.create",
                       has_timeout=False, user_input_in_prompt=True)


def test_request_path_rules_skip_tests_evaluations_and_scripts() -> None:
    paths = ["app.py", "tests/test_chat.py", "conftest.py", "evals/run_eval.py", "scripts/seed.py", "setup.py",
             "cli.py"]
    facts = make_facts(code=CodeFacts(llm_calls=[_call(p) for p in paths], file_roles={"cli.py": "script"}))
    found = run_probes(facts, RUBRIC)
    for rule in ("llm.call_without_timeout", "llm.user_input_in_prompt"):
        assert [f.path for f in found if f.rule == rule] == ["app.py"]


def test_role_of_prefers_the_engines_reading() -> None:
    facts = make_facts(code=CodeFacts(file_roles={"sgpt/app.py": "script"}))
    assert role_of(facts, "sgpt/app.py") == "script" and role_of(facts, "sgpt/other.py") == "app"
    assert role_of(facts, "tests/conftest.py") == "test"


def test_rules_without_roles_apply_everywhere() -> None:
    assert RUBRIC.rule("secret.committed_credential").roles is None
    assert RUBRIC.rule("llm.call_without_timeout").roles == ["app"]
    assert "script" in RUBRIC.rule("llm.model_output_to_shell").roles


def test_unknown_role_in_rubric_is_rejected(tmp_path: Path) -> None:
    import shutil

    target = tmp_path / "rubric"
    shutil.copytree(DEFAULT_RUBRIC_DIR, target)
    rules = target / "rules.yaml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace("roles: [app]", "roles: [webapp]", 1), encoding="utf-8")
    with pytest.raises(RubricError, match="rules.yaml"):
        load_rubric(target)


def test_model_tools_folder_is_application_code() -> None:
    assert file_role("tools/backfill.ts") == "script"
    assert file_role("lib/ai/tools/request-suggestions.ts") == "app"
    assert file_role("app/api/chat/tools/route.ts") == "app"


def test_command_line_tool_files(tmp_path: Path) -> None:
    facts = _facts(tmp_path, {
        "sgpt/app.py": "import typer\nfrom sgpt.handler import ask\n\ndef main(prompt: str):\n    ask(prompt)\n",
        "sgpt/handler.py": "from openai import OpenAI\nclient = OpenAI()\n\ndef ask(p):\n"
                           "    return client.chat.completions.create(model='m', messages=[{'role': 'user', 'content': p}])\n",
    })
    assert facts.file_roles == {"sgpt/app.py": "script", "sgpt/handler.py": "script"}  # a CLI tool as a whole


def test_cli_module_beside_a_web_app(tmp_path: Path) -> None:
    facts = _facts(tmp_path, {
        "server.py": "from flask import Flask\napp = Flask(__name__)\n\n@app.route('/x')\ndef x():\n    return 'x'\n",
        "export_data.py": "import argparse\nparser = argparse.ArgumentParser()\n",
        "helpers.py": "def f():\n    return 1\n",
    })
    assert facts.file_roles == {"export_data.py": "script"}


def test_no_command_line_entry_changes_nothing(tmp_path: Path) -> None:
    facts = _facts(tmp_path, {"main.py": "from openai import OpenAI\nOpenAI().chat.completions.create(model='m', messages=[])\n"})
    assert facts.file_roles == {}


def test_typescript_command_line_tool(tmp_path: Path) -> None:
    facts = _facts(tmp_path, {
        "src/index.ts": "import { cli } from 'cleye';\nimport { commit } from './commit';\ncli({ name: 'x' });\ncommit();\n",
        "src/commit.ts": "export async function commit() { return fetch('https://api.openai.com/v1/chat/completions'); }\n",
        "web/page.tsx": "export default function Page() { return null; }\n",
    })
    assert facts.file_roles == {"src/index.ts": "script"}  # a .tsx page: not a command-line tool as a whole


def test_typescript_command_line_tool_as_a_whole(tmp_path: Path) -> None:
    facts = _facts(tmp_path, {
        "src/index.ts": "import { cli } from 'cleye';\nimport { commit } from './commit';\ncli({ name: 'x' });\n",
        "src/commit.ts": "export async function commit() { return fetch('https://api.openai.com/v1/chat/completions'); }\n",
    })
    assert facts.file_roles == {"src/commit.ts": "script", "src/index.ts": "script"}


def test_library_module_using_click_beside_a_web_app_stays_app(tmp_path: Path) -> None:
    facts = _facts(tmp_path, {
        "server.py": "from flask import Flask\nfrom pkg.logger import log\napp = Flask(__name__)\n\n"
                     "@app.route('/x')\ndef x():\n    return log('x')\n",
        "pkg/logger.py": "import click\n\ndef log(m):\n    return click.style(m, fg='red')\n",
        "pkg/__init__.py": "",
    })
    assert facts.file_roles == {}


# heldout2 (rag-postgres-openai-python's shape): a FastAPI dependency built from environment variables at
# start-up (lifespan state), reached through an Annotated alias imported from another module, is
# configuration, not request data. Synthetic.
CONFIG_DEPS = {
    "svc/settings.py": """\
        import os
        from fastapi import Depends, Request
        from pydantic import BaseModel
        from typing import Annotated

        class Settings(BaseModel):
            vector_column: str

        async def load_settings():
            column = os.getenv("VECTOR_COLUMN") or "embedding_small"
            return Settings(vector_column=column)

        async def current_settings(request: Request) -> Settings:
            return request.state.settings

        SettingsDep = Annotated[Settings, Depends(current_settings)]
        """,
    "svc/main.py": """\
        import contextlib
        from fastapi import FastAPI
        from svc.settings import load_settings
        from svc.routes import router

        @contextlib.asynccontextmanager
        async def lifespan(app):
            settings = await load_settings()
            yield {"settings": settings}

        app = FastAPI(lifespan=lifespan)
        app.include_router(router)
        """,
    "svc/routes.py": """\
        import fastapi
        from sqlalchemy import text
        from svc.settings import SettingsDep

        router = fastapi.APIRouter()
        TABLE = "docs"

        @router.get("/near")
        async def near(settings: SettingsDep, db, item_id: int):
            return await db.execute(text(f"SELECT id, {settings.vector_column} FROM {TABLE} WHERE id <> :i"), {"i": item_id})

        @router.get("/by")
        async def by(settings: SettingsDep, db, column: str):
            return await db.execute(text(f"SELECT {column} FROM {TABLE}"))
        """,
}


def test_dependency_from_configuration_is_not_request_data(tmp_path: Path) -> None:
    sites = _sites(_facts(tmp_path, CONFIG_DEPS))
    config, param = sites[("svc/routes.py", 10)], sites[("svc/routes.py", 14)]
    assert config.origin == "env", config.trace
    assert "os.getenv" in (config.trace or "") and "lifespan" in (config.trace or "")
    assert param.origin == "request"  # a plain parameter of the same handler still is


# ------------------------------------------------------------------ targeted list: placeholder lists
def test_a_list_of_bind_placeholders_joined_into_the_text_is_not_request_data(tmp_path: Path) -> None:
    """``IN (?,?,?)`` built from the length of a request array, every value bound (targeted.yaml's shape,
    synthetic): only the count reaches the text. Pasting the values themselves is still request data."""
    sites = _sites(_facts(tmp_path, {
        "server.js": """\
            const express = require("express");
            const mysql = require("mysql2");
            const app = express();
            const db = mysql.createConnection({});
            app.post("/filter", (req, res) => {
              const { tags, modes } = req.body;
              let sql = "SELECT * FROM items WHERE 1=1";
              const params = [];
              sql += ` AND tag IN (${tags.map(() => "?").join(",")})`;
              params.push(...tags);
              sql += ` AND mode IN (${Array(modes.length).fill("?").join(", ")})`;
              params.push(...modes);
              db.query(sql, params, (err, rows) => res.json(rows));
            });
            app.post("/unsafe", (req, res) => {
              const { tags } = req.body;
              db.query(`SELECT * FROM items WHERE tag IN (${tags.map((t) => `'${t}'`).join(",")})`, (e, r) => res.json(r));
            });
        """,
        "repo.py": """\
            import sqlite3
            from flask import Flask, request
            app = Flask(__name__)
            db = sqlite3.connect("a.db")

            @app.route("/items", methods=["POST"])
            def items():
                ids = request.json["ids"]
                marks = ",".join("?" * len(ids))
                rows = db.execute(f"SELECT * FROM items WHERE id IN ({marks})", ids).fetchall()
                more = db.execute("SELECT * FROM items WHERE id IN (%s)" % ", ".join(["?"] * len(ids)), ids).fetchall()
                return {"rows": rows + more}
        """,
    }))
    assert ("server.js", 13) not in sites  # placeholders only: parameterised, no site
    assert sites[("server.js", 17)].origin == "request"
    assert ("repo.py", 10) not in sites and ("repo.py", 11) not in sites
