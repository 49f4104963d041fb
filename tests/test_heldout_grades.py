"""Issue 9, the error groups of the held-out list (benchmarks/realworld/heldout.yaml): grades that
depend on what the model's SQL, shell command or tools can reach, and a key a tool generates for itself.
Each fixture is a minimal synthetic shape of a hand-labelled case (no third-party code):

- ``llm.model_output_to_sql``: a database opened read-only (``mode=ro``) is medium, the visitor's own
  database (a URL they type) low, a toolkit handed to an agent one finding;
- ``llm.model_output_to_shell``: a command-line tool that runs the model's command only on the user's
  choice is low, without asking medium, a server critical;
- ``llm.user_input_in_prompt``: a key typed in a Streamlit sidebar is the visitor's own; tools that only
  search make it medium on the server's key, tools that act keep it high;
- ``secret.in_history``: Ollama's generated identity key is medium at low confidence.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from auditlib.collect.secrets import scan_line
from auditlib.masking import fingerprint, mask
from auditlib.models import CodeFacts, SecretFacts, SecretHit
from auditlib.probes import run_probes
from auditlib.rubric import load_rubric
from tests.factories import analyse_files, make_facts

RUBRIC = load_rubric()


def _code(tmp_path: Path, files: dict[str, str]) -> CodeFacts:
    code = analyse_files(tmp_path, files)
    assert code.parse_errors == []
    return code


def _findings(code: CodeFacts, rule: str):
    return [f for f in run_probes(make_facts(code=code), RUBRIC) if f.rule == rule]


def _line(source: str, text: str) -> int:
    """The line of the file written from ``source`` that holds ``text`` (first one)."""
    return next(i for i, row in enumerate(textwrap.dedent(source).splitlines(), 1) if text in row)


# ------------------------------------------------------------------------------ model-written SQL
SQL_HEAD = """
    import sqlite3
    import streamlit as st
    from langchain.agents import create_sql_agent
    from langchain.agents.agent_toolkits import SQLDatabaseToolkit
    from langchain.llms import OpenAI
    from langchain.sql_database import SQLDatabase
    from langchain_experimental.sql import SQLDatabaseChain
    from sqlalchemy import create_engine
    llm = OpenAI(temperature=0)
"""
SQL_RO_CREATOR = SQL_HEAD + """
    opener = lambda: sqlite3.connect("file:shop.db?mode=ro", uri=True)
    db = SQLDatabase(create_engine("sqlite:///", creator=opener))
    kit = SQLDatabaseToolkit(db=db, llm=llm)
    agent = create_sql_agent(llm=llm, toolkit=kit)
    q = st.chat_input("Ask")
    if q:
        st.write(agent.run(q))
"""
SQL_RO_URL = SQL_HEAD + """
    db = SQLDatabase.from_uri("sqlite:///file:shop.db?mode=ro&uri=true")
    chain = SQLDatabaseChain.from_llm(llm, db)
    q = st.chat_input("Ask")
    if q:
        st.write(chain.run(q))
"""
SQL_VISITOR = SQL_HEAD + """
    url = st.sidebar.text_input("Database URI", placeholder="postgresql://user:pass@host/db")
    agent = create_sql_agent(llm=llm, db=SQLDatabase.from_uri(url))
    q = st.chat_input("Ask")
    if q:
        st.write(agent.run(q))
"""
SQL_SAMPLE_OR_VISITOR = SQL_HEAD + """
    SAMPLE = "USE_SAMPLE"
    choice = st.sidebar.radio("Database", ["sample", "mine"])
    uri = st.sidebar.text_input("Database URI") if choice == "mine" else SAMPLE
    def open_db(uri):
        if uri == SAMPLE:
            return SQLDatabase(create_engine("sqlite:///", creator=lambda: sqlite3.connect("file:s.db?mode=ro", uri=True)))
        return SQLDatabase.from_uri(database_uri=uri)
    kit = SQLDatabaseToolkit(db=open_db(uri), llm=llm)
    agent = create_sql_agent(llm=llm, toolkit=kit)
    q = st.chat_input("Ask")
    if q:
        st.write(agent.run(q))
"""
SQL_SERVER = SQL_HEAD + """
    import os
    db = SQLDatabase.from_uri(os.environ["DATABASE_URL"])
    agent = create_sql_agent(llm=llm, db=db)
    q = st.chat_input("Ask")
    if q:
        st.write(agent.run(q))
"""
SQL_FORMATTED_URL = SQL_HEAD + """
    tenant = st.sidebar.text_input("Tenant")
    db = SQLDatabase.from_uri(f"postgresql://app@db.internal/{tenant}")
    agent = create_sql_agent(llm=llm, db=db)
    q = st.chat_input("Ask")
    if q:
        st.write(agent.run(q))
"""


@pytest.mark.parametrize("source, at, severity, says", [
    (SQL_RO_CREATOR, "create_sql_agent(", "medium", "opened read-only (line {sqlite3.connect})"),
    (SQL_RO_URL, "SQLDatabaseChain.from_llm(", "medium", "opened read-only (line {mode=ro&})"),
    (SQL_VISITOR, "create_sql_agent(", "low", "the visitor's own, from a URL they type (line {create_sql_agent(})"),
    (SQL_SAMPLE_OR_VISITOR, "create_sql_agent(", "medium",
     "opened read-only (line {sqlite3.connect}) or the visitor's own, from a URL they type (line {database_uri=})"),
    (SQL_SERVER, "create_sql_agent(", "high", None),
    (SQL_FORMATTED_URL, "create_sql_agent(", "high", None),
], ids=["sqlite_mode_ro_creator", "sqlalchemy_mode_ro_url", "visitors_own_database", "sample_or_visitors_own",
        "server_database_from_env", "url_formatted_from_input"])
def test_model_written_sql_graded_by_the_database(tmp_path, source, at, severity, says):
    [f] = _findings(_code(tmp_path, {"app.py": source}), "llm.model_output_to_sql")
    assert (f.line, f.severity) == (_line(source, at), severity), f.evidence
    if says:
        for marker in ("sqlite3.connect", "mode=ro&", "create_sql_agent(", "database_uri="):
            if "{" + marker + "}" in says:
                says = says.replace("{" + marker + "}", str(_line(source, marker)))
        assert says in f.evidence and f.confidence == "medium"
    else:
        assert "read-only" not in f.evidence and "visitor" not in f.evidence


def test_toolkit_handed_to_an_agent_is_one_finding(tmp_path):
    """The toolkit and the agent built from it are one agent: one finding, at the agent, naming both."""
    findings = _findings(_code(tmp_path, {"app.py": SQL_RO_CREATOR}), "llm.model_output_to_sql")
    assert [f.line for f in findings] == [_line(SQL_RO_CREATOR, "create_sql_agent(")]
    assert f"SQLDatabaseToolkit, line {_line(SQL_RO_CREATOR, 'kit = ')}" in findings[0].evidence


# --------------------------------------------------------------------------- model output to a shell
CLI_HEAD = """
    import os
    import typer
    from openai import OpenAI
    client = OpenAI()
    def run(command):
        os.system(command)
    def suggest(task):
        return client.chat.completions.create(model="m", messages=[{"role": "user", "content": task}]).choices[0].message.content
"""
CLI_CHOICE = CLI_HEAD + """
    def main(task: str):
        cmd = suggest(task)
        typer.echo(cmd)
        choice = typer.prompt("[E]xecute, [A]bort", default="a")
        if choice.lower() in ("e", "y"):
            run(cmd)
    if __name__ == "__main__":
        typer.run(main)
"""
CLI_CONFIRM = CLI_HEAD + """
    def main(task: str):
        cmd = suggest(task)
        if not typer.confirm(f"Run {cmd}?"):
            raise typer.Abort()
        run(cmd)
    if __name__ == "__main__":
        typer.run(main)
"""
CLI_INPUT = CLI_HEAD + """
    def main(task: str):
        cmd = suggest(task)
        if input(f"Run {cmd}? [y/N] ").strip().lower() == "y":
            run(cmd)
    if __name__ == "__main__":
        typer.run(main)
"""
CLI_NO_CONFIRM = CLI_HEAD + """
    def main(task: str):
        cmd = suggest(task)
        if cmd:
            run(cmd)
    if __name__ == "__main__":
        typer.run(main)
"""
CLI_ASKS_THE_TASK_ONLY = CLI_HEAD + """
    def main():
        cmd = suggest(input("Task? "))
        if cmd:
            run(cmd)
    if __name__ == "__main__":
        typer.run(main)
"""
CLI_AUTO_OR_CONFIRM = CLI_HEAD + """
    def main(task: str, yes: bool = False):
        cmd = suggest(task)
        if yes or typer.confirm("Run it?"):
            run(cmd)
    if __name__ == "__main__":
        typer.run(main)
"""
SERVER_SHELL = """
    import subprocess
    from flask import Flask, request
    from openai import OpenAI
    app = Flask(__name__)
    client = OpenAI()
    @app.post("/run")
    def run():
        cmd = client.chat.completions.create(model="m", messages=[{"role": "user", "content": request.json["task"]}]).choices[0].message.content
        return subprocess.check_output(cmd, shell=True)
"""


@pytest.mark.parametrize("name, source, severity, chosen", [
    ("sgpt.py", CLI_CHOICE, "low", True),
    ("sgpt.py", CLI_CONFIRM, "low", True),
    ("sgpt.py", CLI_INPUT, "low", True),
    ("sgpt.py", CLI_NO_CONFIRM, "medium", False),
    ("sgpt.py", CLI_ASKS_THE_TASK_ONLY, "medium", False),
    ("sgpt.py", CLI_AUTO_OR_CONFIRM, "medium", False),
    ("app.py", SERVER_SHELL, "critical", False),
], ids=["cli_execute_prompt", "cli_typer_confirm", "cli_input_yes_no", "cli_without_asking",
        "cli_input_is_the_task_not_a_choice", "cli_flag_skips_the_confirmation", "server"])
def test_model_command_in_a_shell_graded_by_where_and_who_chooses(tmp_path, name, source, severity, chosen):
    code = _code(tmp_path, {name: source})
    [u] = [u for u in code.llm_uses if u.kind == "model_output_to_shell"]
    assert u.confirmed is chosen
    [f] = _findings(code, "llm.model_output_to_shell")
    assert f.severity == severity, f.evidence
    if severity != "critical":
        assert "user's own machine" in f.evidence


# ------------------------------------------------------------------------------ request data in prompts
def _prompt_finding(tmp_path, source: str, at: str):
    code = _code(tmp_path, {"app.py": source})
    line = _line(source, at)
    [f] = [f for f in _findings(code, "llm.user_input_in_prompt") if f.line == line]
    [c] = [c for c in code.llm_calls if c.line == line]
    return c, f


def test_sidebar_key_with_a_read_only_sql_agent_is_low(tmp_path):
    """Bring your own key typed in the sidebar; the agent's SQL runs on a sample opened read-only."""
    source = """
        import sqlite3
        import streamlit as st
        from langchain.agents import create_sql_agent
        from langchain.agents.agent_toolkits import SQLDatabaseToolkit
        from langchain.llms import OpenAI
        from langchain.sql_database import SQLDatabase
        from sqlalchemy import create_engine
        openai_api_key = st.sidebar.text_input(label="OpenAI API Key", type="password")
        llm = OpenAI(openai_api_key=openai_api_key, temperature=0)
        db = SQLDatabase(create_engine("sqlite:///", creator=lambda: sqlite3.connect("file:s.db?mode=ro", uri=True)))
        agent = create_sql_agent(llm=llm, toolkit=SQLDatabaseToolkit(db=db, llm=llm))
        q = st.chat_input("Ask")
        if q:
            st.write(agent.run(q))
    """
    c, f = _prompt_finding(tmp_path, source, "agent.run(")
    assert (c.key_source, c.tools_run_code) == ("user", False)
    assert f.severity == "low" and "own key" in f.evidence


def test_sidebar_key_through_a_fallback_name_is_the_visitors(tmp_path):
    """The key typed in the sidebar, or a dummy when empty (sample answers are replayed): still theirs."""
    source = """
        import streamlit as st
        from langchain.agents import AgentExecutor, Tool, create_react_agent
        from langchain import hub
        from langchain_community.utilities import DuckDuckGoSearchAPIWrapper
        from langchain_openai import OpenAI
        typed = st.sidebar.text_input("OpenAI API Key", type="password")
        if typed:
            key = typed
        else:
            key = "not_supplied"
        llm = OpenAI(openai_api_key=key)
        search = DuckDuckGoSearchAPIWrapper()
        tools = [Tool(name="Search", func=search.run, description="current events")]
        agent = AgentExecutor(agent=create_react_agent(llm, tools, hub.pull("hwchase17/react")), tools=tools)
        q = st.text_input("Your question")
        if q:
            st.write(agent.invoke({"input": q}))
    """
    c, f = _prompt_finding(tmp_path, source, "agent.invoke(")
    assert c.key_source == "user" and f.severity == "low"


SEARCH_ONLY_LOADED = """
    import streamlit as st
    from langchain.agents import AgentType, initialize_agent, load_tools
    from langchain.llms import OpenAI
    llm = OpenAI(temperature=0)
    tools = load_tools(["ddg-search", "wikipedia"])
    agent = initialize_agent(tools, llm, agent=AgentType.ZERO_SHOT_REACT_DESCRIPTION)
    if prompt := st.chat_input():
        st.write(agent.run(prompt))
"""
SEARCH_ONLY_CLASSES = """
    import streamlit as st
    from langchain.agents import AgentExecutor, Tool, create_react_agent
    from langchain import hub
    from langchain_community.tools import WikipediaQueryRun
    from langchain_community.utilities import DuckDuckGoSearchAPIWrapper, WikipediaAPIWrapper
    from langchain_openai import ChatOpenAI
    llm = ChatOpenAI()
    search = DuckDuckGoSearchAPIWrapper()
    tools = [Tool(name="Search", func=search.run, description="web"), WikipediaQueryRun(api_wrapper=WikipediaAPIWrapper())]
    agent = AgentExecutor(agent=create_react_agent(llm, tools, hub.pull("hwchase17/react")), tools=tools)
    if q := st.chat_input():
        st.write(agent.invoke({"input": q}))
"""
ACTING_TOOLS_LOADED = """
    import streamlit as st
    from langchain.agents import AgentType, initialize_agent, load_tools
    from langchain.llms import OpenAI
    llm = OpenAI(temperature=0)
    tools = load_tools(["ddg-search", "requests_all"])
    agent = initialize_agent(tools, llm, agent=AgentType.ZERO_SHOT_REACT_DESCRIPTION)
    if prompt := st.chat_input():
        st.write(agent.run(prompt))
"""
OWN_TOOL_FUNCTION = """
    import streamlit as st
    from langchain.agents import AgentExecutor, create_react_agent
    from langchain import hub
    from langchain_core.tools import tool
    from langchain_community.tools import DuckDuckGoSearchRun
    from langchain_openai import ChatOpenAI
    @tool
    def refund(order_id: str) -> str:
        \"\"\"Refund an order.\"\"\"
        return order_id
    llm = ChatOpenAI()
    tools = [DuckDuckGoSearchRun(), refund]
    agent = AgentExecutor(agent=create_react_agent(llm, tools, hub.pull("hwchase17/react")), tools=tools)
    if q := st.chat_input():
        st.write(agent.invoke({"input": q}))
"""


@pytest.mark.parametrize("source, at, read_only, severity", [
    (SEARCH_ONLY_LOADED, "agent.run(", True, "medium"),
    (SEARCH_ONLY_CLASSES, "agent.invoke(", True, "medium"),
    (ACTING_TOOLS_LOADED, "agent.run(", False, "high"),
    (OWN_TOOL_FUNCTION, "agent.invoke(", False, "high"),
], ids=["load_tools_search_only", "search_and_wikipedia_classes", "requests_tool_acts", "own_tool_function"])
def test_search_only_tools_on_the_servers_key_are_medium(tmp_path, source, at, read_only, severity):
    c, f = _prompt_finding(tmp_path, source, at)
    assert (c.key_source, bool(c.tools), c.tools_read_only) == ("server", True, read_only)
    assert f.severity == severity
    if read_only:
        assert "only look things up" in f.evidence


# ------------------------------------------------------------------------------ generated identity keys
def _key_hit(path: str) -> SecretHit:
    body = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQ"
    secret = "-----BEGIN OPENSSH PRIVATE KEY-----:" + body
    return SecretHit(detector="private_key", path=path, line=1, commit="a" * 40, in_tree=False,
                     masked=mask(body), fingerprint=fingerprint(secret), confidence="high")


@pytest.mark.parametrize("path, severity, confidence", [
    ("ollama/ollama/id_ed25519", "medium", "low"),
    ("docker/.ollama/id_ed25519", "medium", "low"),
    ("deploy/id_ed25519", "high", "high"),
    ("keys/server.pem", "high", "high"),
])
def test_ollama_identity_key_in_history_is_medium_low(path, severity, confidence):
    facts = make_facts(secrets=SecretFacts(hits=[_key_hit(path)], history_checked=True))
    [f] = [f for f in run_probes(facts, RUBRIC) if f.rule == "secret.in_history"]
    assert (f.severity, f.confidence) == (severity, confidence)
    assert ("Ollama" in f.evidence) == (severity == "medium")


def test_ollama_identity_key_is_found_by_the_private_key_detector():
    """How it is detected: the OpenSSH PEM header, like any private key (the grade comes from its path)."""
    body = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQAAACBq"
    [c] = scan_line("-----BEGIN OPENSSH " + "PRIVATE KEY-----", body)
    assert c.detector == "private_key" and c.confidence == "high"
