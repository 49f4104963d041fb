"""Issue 9, the three LLM rules graded by what the model can do (analysis/llm.py, llm_prompt.py, uses.py
and the probes llm.user_input_in_prompt, llm.api_key_from_user, llm.client_supplied_messages). Each
fixture is the minimal shape of a case hand-labelled on real prototypes (benchmarks/realworld)."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditlib.models import CodeFacts, LLMCallSite, LLMUseSite
from auditlib.probes import run_probes
from auditlib.rubric import load_rubric
from tests.factories import analyse_files, make_facts

RUBRIC = load_rubric()


def _facts(tmp_path: Path, files: dict[str, str]) -> CodeFacts:
    facts = analyse_files(tmp_path, files)
    assert facts.parse_errors == []
    return facts


def _call(tmp_path: Path, name: str, source: str, line: int) -> LLMCallSite:
    calls = [c for c in _facts(tmp_path, {name: source}).llm_calls if c.line == line]
    assert len(calls) == 1, calls
    return calls[0]


def _findings(code: CodeFacts, rule: str):
    return [f for f in run_probes(make_facts(code=code), RUBRIC) if f.rule == rule]


# --------------------------------------------------------------- where the request data lands
PY_CHAT_TEMPLATE = """
    from fastapi import FastAPI
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_openai import ChatOpenAI
    app = FastAPI()
    prompt = ChatPromptTemplate.from_messages([("system", "You are a helpful assistant."), ("human", "{input}")])
    chain = prompt | ChatOpenAI(model="gpt-4o-mini")
    @app.post("/chat")
    def chat(question: str):
        return chain.invoke({"input": question})
"""
PY_TEXT_TEMPLATE = """
    from fastapi import FastAPI
    from langchain.chains import LLMChain
    from langchain.llms import OpenAI
    from langchain.prompts import PromptTemplate
    app = FastAPI()
    title = PromptTemplate(input_variables=["topic"], template="write me a youtube video title about {topic}")
    chain = LLMChain(llm=OpenAI(), prompt=title)
    @app.post("/title")
    def make_title(topic: str):
        return chain.run(topic)
"""
TS_CHAT_TEMPLATE = """
    "use server";
    import { ChatOpenAI } from "@langchain/openai";
    import { ChatPromptTemplate } from "@langchain/core/prompts";
    export async function ask(input: string) {
      const prompt = ChatPromptTemplate.fromMessages([["system", "You are a helpful assistant."], ["human", "{input}"]]);
      const chain = prompt.pipe(new ChatOpenAI({ model: "gpt-4o-mini" }));
      return await chain.invoke({ input });
    }
"""
TS_TEXT_TEMPLATE = """
    import { NextRequest } from "next/server";
    import { ChatOpenAI } from "@langchain/openai";
    import { PromptTemplate } from "@langchain/core/prompts";
    const TEMPLATE = `You are a pirate named Patchy.

    User: {input}
    AI:`;
    export async function POST(req: NextRequest) {
      const body = await req.json();
      const chain = PromptTemplate.fromTemplate(TEMPLATE).pipe(new ChatOpenAI({ model: "gpt-4o-mini" }));
      return await chain.invoke({ input: body.text });
    }
"""
TS_LANGGRAPH_MESSAGES = """
    import { NextRequest } from "next/server";
    import { createReactAgent } from "@langchain/langgraph/prebuilt";
    import { ChatOpenAI } from "@langchain/openai";
    import { HumanMessage, SystemMessage } from "@langchain/core/messages";
    import { Calculator } from "@langchain/community/tools/calculator";
    export async function POST(req: NextRequest) {
      const body = await req.json();
      const messages = body.messages.map((m: any) => new HumanMessage(m.content));
      const agent = createReactAgent({ llm: new ChatOpenAI({}), tools: [new Calculator()],
                                       messageModifier: new SystemMessage("You are a parrot.") });
      return await agent.invoke({ messages });
    }
"""
TS_HUB_PROMPT = """
    "use server";
    import { ChatOpenAI } from "@langchain/openai";
    import { AgentExecutor, createToolCallingAgent } from "langchain/agents";
    import { pull } from "langchain/hub";
    import { TavilySearch } from "@langchain/tavily";
    export async function runAgent(input: string) {
      const tools = [new TavilySearch({ maxResults: 1 })];
      const prompt = await pull("hwchase17/openai-tools-agent");
      const agent = createToolCallingAgent({ llm: new ChatOpenAI({}), tools, prompt });
      const executor = new AgentExecutor({ agent, tools });
      return await executor.invoke({ input });
    }
"""
TS_RETRIEVED_CONTEXT = """
    import Anthropic from "@anthropic-ai/sdk";
    import { BedrockAgentRuntimeClient, RetrieveCommand } from "@aws-sdk/client-bedrock-agent-runtime";
    const anthropic = new Anthropic();
    const kb = new BedrockAgentRuntimeClient({});
    async function retrieveContext(query: string) {
      const response = await kb.send(new RetrieveCommand({ retrievalQuery: { text: query } }));
      const context = (response.retrievalResults || []).map((r: any) => r.content.text).join("\\n");
      return { context };
    }
    export async function POST(req: Request) {
      const { messages } = await req.json();
      const question = messages[messages.length - 1].content;
      const result = await retrieveContext(question);
      const system = `Answer from these documents only:\\n${result.context}`;
      return await anthropic.messages.create({ model: "claude-3-5-haiku-latest", max_tokens: 500, system,
        messages: [{ role: "user", content: question }] });
    }
"""


@pytest.mark.parametrize("name, source, line, spliced, where", [
    ("app.py", PY_CHAT_TEMPLATE, 10, False, None),  # ("human", "{input}"): the user's own message
    ("app.py", PY_TEXT_TEMPLATE, 11, True, "template of PromptTemplate"),
    ("app.ts", TS_CHAT_TEMPLATE, 8, False, None),
    ("route.ts", TS_TEXT_TEMPLATE, 12, True, "template of PromptTemplate.fromTemplate"),
    ("route.ts", TS_LANGGRAPH_MESSAGES, 12, False, None),  # HumanMessage objects, the system prompt the server's
    ("action.ts", TS_HUB_PROMPT, 12, False, None),  # a hub prompt: its shape is not in the code
    ("route.ts", TS_RETRIEVED_CONTEXT, 16, False, None),  # retrieved documents are not the user's words
], ids=["py_chat_human_turn", "py_text_template", "ts_chat_human_turn", "ts_text_template",
        "ts_langgraph_messages", "ts_hub_prompt", "ts_retrieved_context_in_system"])
def test_where_request_data_lands(tmp_path, name, source, line, spliced, where):
    c = _call(tmp_path, name, source, line)
    assert c.user_input_in_prompt is spliced
    if where:
        assert where in (c.user_input_where or ""), c.user_input_where
    else:
        assert c.user_input_where is None


def test_user_text_still_found_through_a_text_transform(tmp_path):
    """The refinement stops at model calls, SDK objects and helpers returning other data, not at the
    request's own text transformed (``.strip()``, a helper returning its parameter's text)."""
    source = """
        from flask import Flask, request
        from openai import OpenAI
        app = Flask(__name__)
        client = OpenAI()
        def clean(text):
            return text.strip().lower()
        @app.post("/ask")
        def ask():
            q = clean(request.form["q"])
            return client.chat.completions.create(model="m", messages=[{"role": "system", "content": f"Answer as Acme's agent: {q}"}])
    """
    c = _call(tmp_path, "app.py", source, 11)
    assert c.user_input_in_prompt and "f-string" in c.user_input_where


# ------------------------------------------------------------------ what the model can do, who pays
PY_BYOK = """
    import streamlit as st
    import anthropic
    key = st.sidebar.text_input("Anthropic API Key", type="password")
    question = st.text_input("Ask something")
    client = anthropic.Client(api_key=key)
    r = client.completions.create(prompt=f"Here is the question: {question}", model="claude-v1", max_tokens_to_sample=100)
"""
PY_OLLAMA = """
    from fastapi import FastAPI
    from langchain_community.chat_models import ChatOllama
    app = FastAPI()
    llm = ChatOllama(model="llama3")
    @app.post("/ask")
    def ask(q: str):
        return llm.invoke(f"Answer briefly: {q}")
"""
PY_TOOLS = """
    from fastapi import FastAPI
    from openai import OpenAI
    app = FastAPI()
    client = OpenAI()
    TOOLS = [{"type": "function", "function": {"name": "refund", "parameters": {}}}]
    @app.post("/ask")
    def ask(q: str):
        return client.chat.completions.create(model="m", tools=TOOLS, messages=[{"role": "user", "content": f"Customer says: {q}"}])
"""


@pytest.mark.parametrize("source, line, key_source, has_tools, severity", [
    (PY_BYOK, 7, "user", False, "low"),
    (PY_OLLAMA, 8, "local", False, "low"),
    (PY_TOOLS, 9, "server", True, "high"),
    (PY_TEXT_TEMPLATE, 11, "server", False, "medium"),
], ids=["byok_low", "local_model_low", "tools_high", "server_paid_text_medium"])
def test_prompt_injection_graded_by_what_the_model_can_do(tmp_path, source, line, key_source, has_tools, severity):
    code = _facts(tmp_path, {"app.py": source})
    [c] = [c for c in code.llm_calls if c.line == line]
    assert (c.key_source, bool(c.tools), c.user_input_in_prompt) == (key_source, has_tools, True)
    [f] = [f for f in _findings(code, "llm.user_input_in_prompt") if f.line == line]
    assert f.severity == severity
    # the evidence says why
    assert ("tools" in f.evidence) and (("own key" in f.evidence) == (key_source == "user"))


def test_langchain_sql_agent_is_high_even_with_the_visitors_key(tmp_path):
    """A tool that runs model-written SQL acts on the server's database whoever pays for the tokens."""
    source = """
        import streamlit as st
        from langchain.agents import create_sql_agent
        from langchain.llms import OpenAI
        from langchain.sql_database import SQLDatabase
        key = st.sidebar.text_input("OpenAI API Key", type="password")
        db = SQLDatabase.from_uri("sqlite:///Chinook.db")
        agent = create_sql_agent(llm=OpenAI(openai_api_key=key), db=db)
        q = st.chat_input("Ask")
        answer = agent.run(q)
    """
    code = _facts(tmp_path, {"app.py": source})
    [c] = [c for c in code.llm_calls if c.line == 10]
    assert c.tools_run_code and c.key_source == "user"
    [f] = [f for f in _findings(code, "llm.user_input_in_prompt") if f.line == 10]
    assert f.severity == "high" and "code or SQL" in f.evidence


# ----------------------------------------------------------------------- client-supplied messages
def _messages_call(provider: str, tools: list[str]) -> CodeFacts:
    return CodeFacts(llm_calls=[LLMCallSite(path="route.ts", line=8, provider=provider, api="x.create",
                                            messages_from_client=True, tools=tools)])


@pytest.mark.parametrize("provider, tools, severity", [
    ("mistral", [], "medium"),  # a plain proxy: no server prompt to protect
    ("anthropic", ["tools="], "medium"),  # no system turn can be forged through the messages
    ("openai", ["tools="], "high"),  # a forged system turn steers a model with tools
])
def test_client_supplied_messages_graded(provider, tools, severity):
    [f] = _findings(_messages_call(provider, tools), "llm.client_supplied_messages")
    assert f.severity == severity and f.confidence == "high"


def test_client_supplied_messages_found_in_code(tmp_path):
    source = """
        import OpenAI from "openai";
        const openai = new OpenAI();
        export async function POST(req: Request) {
          const { messages } = await req.json();
          return await openai.chat.completions.create({ model: "gpt-4o", messages });
        }
    """
    code = _facts(tmp_path, {"route.ts": source})
    [f] = _findings(code, "llm.client_supplied_messages")
    assert (f.line, f.severity) == (6, "medium") and "plain proxy" in f.evidence


# ---------------------------------------------------------------------------- keys from visitors
def test_api_key_from_user_once_per_file():
    uses = [LLMUseSite(path="page.py", line=n, function=None, kind="api_key_from_user", api="os.environ['K'] =",
                       detail="a key from the request or a UI input is written to the process environment")
            for n in (87, 90)]
    [f] = _findings(CodeFacts(llm_uses=uses), "llm.api_key_from_user")
    assert (f.line, f.severity) == (87, "high") and "also line 90" in f.evidence


def test_bring_your_own_key_pages_report_nothing(tmp_path):
    """Streamlit pages building clients from the visitor's key for their run only, as in streamlit/llm-examples."""
    source = """
        import streamlit as st
        from openai import OpenAI
        from langchain.llms import OpenAI as LcOpenAI
        openai_api_key = st.sidebar.text_input("OpenAI API Key", type="password")
        client = OpenAI(api_key=openai_api_key)
        def outline(topic):
            llm = LcOpenAI(openai_api_key=openai_api_key)
            return llm(topic)
    """
    code = _facts(tmp_path, {"Chatbot.py": source})
    assert _findings(code, "llm.api_key_from_user") == []


def test_hub_react_prompt_is_a_text_template(tmp_path):
    """hub.pull("hwchase17/react") is one text template (the ReAct prompt): the input is formatted into it,
    unlike the chat agents' hub prompts that keep {input} as its own human message."""
    source = """
        import streamlit as st
        from langchain import hub
        from langchain.agents import AgentExecutor, create_react_agent
        from langchain_openai import ChatOpenAI
        llm = ChatOpenAI()
        agent = AgentExecutor(agent=create_react_agent(llm, [], hub.pull("hwchase17/react")), tools=[])
        q = st.chat_input("Ask")
        answer = agent.invoke({"input": q})
    """
    c = _call(tmp_path, "app.py", source, 9)
    assert c.user_input_in_prompt and "hwchase17/react" in c.user_input_where
