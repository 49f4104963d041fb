"""What the code does with model prompts, responses and keys (analysis/uses.py), across files and in
both languages: cases beyond the per-language tables of test_analysis_py.py / test_analysis_js.py."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from auditlib.analysis import analyse
from auditlib.analysis.uses import knowledge
from auditlib.collect.files import list_files
from tests.factories import analyse_files


def _uses(tmp_path: Path, files: dict[str, str]) -> set[tuple[str, int, str]]:
    facts = analyse_files(tmp_path, files)
    assert facts.parse_errors == []
    return {(u.path, u.line, u.kind) for u in facts.llm_uses if u.kind != "usage_read"}


def test_knowledge_table_loads() -> None:
    k = knowledge()
    assert "print" in k.prints and "append" in k.mutators and k.agents


def test_helper_in_another_file_is_followed(tmp_path: Path) -> None:
    files = {
        "helpers.py": """
            import sqlite3
            def run_sql(query):
                cur = sqlite3.connect("a.db").cursor()
                cur.execute(query)
        """,
        "app.py": """
            from openai import OpenAI
            from helpers import run_sql
            client = OpenAI()
            def f(q):
                sql = client.chat.completions.create(model="m", messages=[]).choices[0].message.content
                run_sql(sql)
        """,
    }
    assert _uses(tmp_path, files) == {("helpers.py", 5, "model_output_to_sql")}


def test_generator_output_flows_to_its_callers(tmp_path: Path) -> None:
    source = """
        from openai import OpenAI
        client = OpenAI()
        def stream(q):
            for chunk in client.chat.completions.create(model="m", messages=[], stream=True):
                yield chunk.choices[0].delta.content or ""
        def run(q):
            exec("".join(stream(q)))
    """
    assert _uses(tmp_path, {"app.py": source}) == {("app.py", 8, "model_output_executed")}


def test_method_results_and_fields(tmp_path: Path) -> None:
    source = """
        import os
        from openai import OpenAI
        client = OpenAI()
        class Bot:
            def ask(self, q):
                r = client.chat.completions.create(model="m", messages=[])
                self.last = r.choices[0].message.content
                return self.last
            def run(self, q):
                self.ask(q)
                os.system(self.last)
    """
    assert _uses(tmp_path, {"app.py": source}) == {("app.py", 12, "model_output_to_shell")}


CONSOLE = """
    import OpenAI from "openai";
    const openai = new OpenAI();
    export async function answer(q) {
      const r = await openai.chat.completions.create({ model: "m", messages: [{ role: "user", content: q }] });
      console.log(r.choices[0].message.content);
      return r;
    }
"""


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # a command-line script prints to its user; a browser component logs to the user's own console
        ({"scripts/ask.js": CONSOLE}, set()),
        ({"src/components/Chat.tsx": CONSOLE}, set()),
        # a route handler, and a library module a route imports, write to the server's logs
        ({"app/api/chat/route.ts": CONSOLE}, {("app/api/chat/route.ts", 6, "response_logged")}),
        ({"lib/ai.ts": CONSOLE, "server.ts": 'import express from "express";\nimport { answer } from "./lib/ai";\n'},
         {("lib/ai.ts", 6, "response_logged")}),
    ],
    ids=["cli_script", "browser_component", "route", "imported_by_server"],
)
def test_console_logs_only_in_server_code(tmp_path: Path, files: dict, expected: set) -> None:
    assert _uses(tmp_path, files) == expected


def test_js_program_and_shell(tmp_path: Path) -> None:
    source = """
        import OpenAI from "openai";
        import { spawn, exec } from "node:child_process";
        const openai = new OpenAI();
        export async function run() {
          const r = await openai.chat.completions.create({ model: "m", messages: [] });
          const text = r.choices[0].message.content;
          spawn("git", ["commit", "-m", text]);
          spawn("bash", ["-c", text]);
          exec(`ls ${text}`);
          const re = /x/;
          re.exec(text);
          return String.raw`${text}`;
        }
    """
    assert _uses(tmp_path, {"run.ts": source}) == {("run.ts", 9, "model_output_to_shell"),
                                                    ("run.ts", 10, "model_output_to_shell")}


def test_key_from_a_ui_input_through_a_parameter(tmp_path: Path) -> None:
    """The visitor's key is followed through a helper's parameter: a client for this run only is bring
    your own key (issue 9, no use site); the same helper keeping the client in a module global of a web
    server hands one visitor's key to every later request."""
    per_run = """
        import streamlit as st
        from openai import OpenAI
        def make(key):
            return OpenAI(api_key=key)
        make(st.sidebar.text_input("OpenAI key", type="password"))
    """
    assert _uses(tmp_path / "a", {"app.py": per_run}) == set()
    kept = """
        from flask import Flask, request
        from openai import OpenAI
        app = Flask(__name__)
        client = None
        def make(key):
            global client
            client = OpenAI(api_key=key)
        @app.post("/key")
        def set_key():
            make(request.form["key"])
            return ""
    """
    assert _uses(tmp_path / "b", {"app.py": kept}) == {("app.py", 8, "api_key_from_user")}


def test_stored_in_a_database_row_is_not_the_model_output(tmp_path: Path) -> None:
    source = """
        import logging
        from openai import OpenAI
        log = logging.getLogger()
        client = OpenAI()
        def f(db, item):
            post = client.chat.completions.create(model="m", messages=[]).choices[0].message.content
            db.add(post)
            log.info("saved %s", db.query(item).first().title)
    """
    assert _uses(tmp_path, {"app.py": source}) == set()


def test_super_reaches_the_base_class_method(tmp_path: Path) -> None:
    """A subclass hands ``super().handle(...)``'s result (a model response) to a shell: the resolver
    follows super() to the base class's method (a shell_gpt-style handler)."""
    uses = _uses(tmp_path, {"handlers.py": """
        import os
        from openai import OpenAI

        class Handler:
            def __init__(self):
                self.client = OpenAI()

            def handle(self, prompt):
                return self.client.chat.completions.create(model="m", messages=[prompt]).choices[0].message.content

        class ShellHandler(Handler):
            def handle(self, prompt):
                command = super().handle(prompt)
                os.system(command)
                return command
    """, "web/store.js": """
        const { exec } = require("child_process");
        import OpenAI from "openai";
        class Base { async ask(q) { const r = await new OpenAI().chat.completions.create({ model: "m", messages: [q] }); return r.choices[0].message.content; } }
        export class Runner extends Base { async ask(q) { const cmd = await super.ask(q); exec(cmd); return cmd; } }
    """})
    shell = {(path, line) for path, line, kind in uses if kind == "model_output_to_shell"}
    assert shell == {("handlers.py", 15), ("web/store.js", 5)}, uses


# ------------------------------------------------------ issue 9, item 6: model text used as data
ASK_PY = """
    import json, re
    from openai import OpenAI
    client = OpenAI()

    def ask(q):
        r = client.chat.completions.create(model="m", messages=[{"role": "user", "content": q}])
        return r.choices[0].message.content
"""


@pytest.mark.parametrize(("use", "expected"), [
    ("data = json.loads(ask(q))", "json.loads"),
    ("m = re.search(r'score: (\\d+)', ask(q))", "re.search"),
    ("f = open(ask(q) + '.txt', 'w')", "open"),
    ("print(ask(q))", None),  # shown, not parsed: no data use
    ("n = len(ask(q))", None),
])
def test_model_text_parsed_or_made_a_file_name_is_a_data_use(tmp_path: Path, use: str, expected) -> None:
    source = ASK_PY + f"\n    def run(q):\n        {use}\n"
    facts = analyse(list_files(_write(tmp_path, {"app.py": source})))
    parsed = [u for u in facts.llm_uses if u.kind == "model_output_parsed"]
    assert [u.api for u in parsed] == ([expected] if expected else [])
    if expected:
        assert parsed[0].call_at == "app.py:7" and parsed[0].line == 11


def test_js_json_parse_and_match_of_a_response_in_another_file(tmp_path: Path) -> None:
    files = {
        "lib/ai.ts": """
            import OpenAI from "openai";
            const openai = new OpenAI();
            export async function ask(q: string) {
              const r = await openai.chat.completions.create({ model: "m", messages: [{ role: "user", content: q }] });
              return r.choices[0].message.content;
            }
        """,
        "app/api/quiz/route.ts": """
            import { ask } from "../../../lib/ai";
            export async function POST(req: Request) {
              const text = await ask("quiz");
              const quiz = JSON.parse(text);
              const n = text.match(/\\d+/);
              return Response.json({ quiz, n });
            }
        """,
    }
    facts = analyse(list_files(_write(tmp_path, files)))
    got = {(u.path, u.line, u.api, u.call_at) for u in facts.llm_uses if u.kind == "model_output_parsed"}
    assert got == {("app/api/quiz/route.ts", 5, "JSON.parse", "lib/ai.ts:5"),
                   ("app/api/quiz/route.ts", 6, "text.match", "lib/ai.ts:5")}


def _write(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, source in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(source), encoding="utf-8")
    return tmp_path


# ------------------------------------------------------ issue 9, item 6: console.* is a JS service's logging
@pytest.mark.parametrize(("files", "prints", "logs"), [
    ({"app/api/chat/route.ts": CONSOLE}, 0, 1),  # server code: the platform keeps it as logs
    ({"src/components/Chat.tsx": CONSOLE}, 0, 0),  # the visitor's browser console: neither
    ({"scripts/ask.js": CONSOLE}, 0, 0),  # a command-line tool's output: neither
    ({"ask.py": "print('answer')\n"}, 1, 0),  # Python print stays a print
], ids=["route", "browser", "cli", "python_print"])
def test_console_counts_as_logging_in_js_server_code(tmp_path: Path, files: dict, prints: int, logs: int) -> None:
    facts = analyse(list_files(_write(tmp_path, files)))
    assert (facts.print_calls, facts.logging_calls) == (prints, logs)


# ------------------------------------------------------ issue 9, item 6: a per-user quota is rate limiting
QUOTA_ROUTE = """
    import { getMessageCountByUserId } from "@/lib/db/queries";
    import { entitlementsByUserType } from "@/lib/ai/entitlements";
    export async function POST(request: Request) {
      const messageCount = await getMessageCountByUserId({ id: "u", differenceInHours: 24 });
      if (messageCount > entitlementsByUserType["regular"].maxMessagesPerDay) {
        return new ChatSDKError("rate_limit:chat").toResponse();
      }
      return new Response("ok");
    }
"""


@pytest.mark.parametrize(("files", "line"), [
    ({"app/api/chat/route.ts": QUOTA_ROUTE}, 6),
    ({"api.py": """
        from fastapi import FastAPI, HTTPException
        app = FastAPI()
        MAX_REQUESTS_PER_DAY = 50

        @app.post("/chat")
        def chat(user_id: str):
            used = count_requests(user_id)
            if used >= MAX_REQUESTS_PER_DAY:
                raise HTTPException(status_code=429, detail="slow down")
            return {}
     """}, 9),
], ids=["next_route_message_quota", "fastapi_429"])
def test_quota_that_refuses_a_request_is_found(tmp_path: Path, files: dict, line: int) -> None:
    [q] = analyse(list_files(_write(tmp_path, files))).quota_checks
    assert q.line == line and "refuses the request" in q.detail


@pytest.mark.parametrize("body", [
    # the size of one request, not a quota over time
    'if (messages.length > MAX_MESSAGES) { return new Response("too many messages", { status: 429 }); }',
    # a count against a limit that refuses nothing (history trimmed)
    "if (messageCount > maxMessages) { history = history.slice(-maxMessages); }",
    # a refusal with no count compared to a limit
    'if (!session) { return new Response("rate limit", { status: 429 }); }',
], ids=["request_size", "no_refusal", "no_comparison"])
def test_no_quota_without_a_count_limit_and_refusal(tmp_path: Path, body: str) -> None:
    route = f"export async function POST(request: Request) {{\n  {body}\n  return new Response('ok');\n}}\n"
    assert analyse(list_files(_write(tmp_path, {"app/api/chat/route.ts": route}))).quota_checks == []
