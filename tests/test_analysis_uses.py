"""What the code does with model prompts, responses and keys (analysis/uses.py), across files and in
both languages: cases beyond the per-language tables of test_analysis_py.py / test_analysis_js.py."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from auditlib.analysis import analyse
from auditlib.analysis.uses import knowledge
from auditlib.collect.files import list_files


def _uses(tmp_path: Path, files: dict[str, str]) -> set[tuple[str, int, str]]:
    for name, source in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(source), encoding="utf-8")
    facts = analyse(list_files(tmp_path))
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
    source = """
        import streamlit as st
        from openai import OpenAI
        def make(key):
            return OpenAI(api_key=key)
        make(st.sidebar.text_input("OpenAI key", type="password"))
    """
    assert _uses(tmp_path, {"app.py": source}) == {("app.py", 5, "api_key_from_user")}


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
