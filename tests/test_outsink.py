"""llm.model_output_to_file_path / llm.model_output_to_url (auditlib/analysis/checks/outsink.py): the grade
a hit gets, where the fixture test (tests/rules/) checks only its place. Writes to a model-chosen path are high
in server code and medium in a command-line tool; reads and URLs one step lower; low when the person at the
terminal confirms first; confidence medium when the model's choice reaches the call through the repository's
functions."""

from __future__ import annotations

from pathlib import Path

from auditlib.models import RuleHit

from .factories import rule_hits

FILE = "llm.model_output_to_file_path"
URL = "llm.model_output_to_url"


def _hits(root: Path, files: dict[str, str], rule: str) -> list[tuple[str, int, str | None, str | None]]:
    hits: list[RuleHit] = rule_hits(root, files, rule)
    assert all(h.evidence and "model" in h.evidence for h in hits)
    return sorted((h.path or "", h.line or 0, h.severity, h.confidence) for h in hits)


TOOLS = """
    import requests
    from langchain_core.tools import tool

    @tool
    def save(path: str, text: str) -> str:
        \"\"\"Save a file.\"\"\"
        open(path, "w").write(text)
        return "ok"

    @tool
    def show(path: str) -> str:
        \"\"\"Read a file.\"\"\"
        return open(path).read()

    @tool
    def visit(url: str) -> str:
        \"\"\"Fetch a page.\"\"\"
        return requests.get(url, timeout=10).text
"""

SERVER = """
    from fastapi import FastAPI
    from agent_tools import save, show, visit

    app = FastAPI()

    @app.post("/chat")
    def chat(q: str):
        return {"tools": [save, show, visit]}
"""


def test_in_server_code_writes_are_high_reads_and_urls_medium(tmp_path: Path) -> None:
    files = {"agent_tools.py": TOOLS, "main.py": SERVER}
    assert _hits(tmp_path, files, FILE) == [("agent_tools.py", 8, "high", "high"), ("agent_tools.py", 14, "medium", "high")]
    assert _hits(tmp_path, files, URL) == [("agent_tools.py", 19, "medium", "high")]


def test_outside_server_code_writes_are_medium_reads_and_urls_low(tmp_path: Path) -> None:
    files = {"agent_tools.py": TOOLS}
    assert _hits(tmp_path, files, FILE) == [("agent_tools.py", 8, "medium", "high"), ("agent_tools.py", 14, "low", "high")]
    assert _hits(tmp_path, files, URL) == [("agent_tools.py", 19, "low", "high")]


CONFIRMED = """
    import json
    import typer
    from openai import OpenAI

    client = OpenAI()

    def main(task: str):
        resp = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": task}])
        plan = json.loads(resp.choices[0].message.content)
        if typer.confirm(f"Write {plan['file']}?"):
            with open(plan["file"], "w") as f:
                f.write(plan["code"])
"""


def test_a_write_the_user_confirms_first_is_low(tmp_path: Path) -> None:
    assert _hits(tmp_path, {"cli.py": CONFIRMED}, FILE) == [("cli.py", 12, "low", "high")]


THROUGH_HELPERS = """
    import json
    from openai import OpenAI

    client = OpenAI()

    def write_out(name, text):
        with open(name, "w") as f:
            f.write(text)

    def run(task):
        resp = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": task}])
        files = json.loads(resp.choices[0].message.content)
        for item in files:
            write_out(item["path"], item["code"])
"""


def test_through_the_repositorys_functions_the_confidence_is_medium(tmp_path: Path) -> None:
    assert _hits(tmp_path, {"gen.py": THROUGH_HELPERS}, FILE) == [("gen.py", 8, "medium", "medium")]


FOLDER = """
    import os
    from pathlib import Path
    from langchain_core.tools import tool

    @tool
    def create_agent(agent_id: str) -> str:
        \"\"\"Create an agent.\"\"\"
        folder = Path("/srv/agents") / agent_id
        os.makedirs(folder, exist_ok=True)
        with open(folder / "cache.json", "w") as f:
            f.write("{}")
        return "ok"
"""


def test_a_folder_or_a_file_of_the_codes_name_in_a_model_chosen_folder_is_one_step_lower(tmp_path: Path) -> None:
    files = {"agent_tools.py": FOLDER, "main.py": SERVER.replace("save, show, visit", "create_agent")}
    assert _hits(tmp_path, files, FILE) == [("agent_tools.py", 10, "medium", "high"), ("agent_tools.py", 11, "medium", "high")]
