"""Tests for the JavaScript/TypeScript source collector: snippets written into tmp_path, parsed with
tree-sitter (never run). Each table row is one planted fact and what the collector must report."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditlib.analysis.layers import package_of, sdk_of_module
from auditlib.analysis.resolve import MAX_BYTES as MAX_JS_BYTES
from auditlib.models import CodeFacts, LLMCallSite
from tests.factories import analyse_files


def _collect(tmp_path: Path, files: dict[str, str]) -> CodeFacts:
    return analyse_files(tmp_path, files)


def _one_call(tmp_path: Path, source: str, name: str = "app.ts") -> LLMCallSite:
    facts = _collect(tmp_path, {name: source})
    assert facts.parse_errors == []
    assert len(facts.llm_calls) == 1, facts.llm_calls
    return facts.llm_calls[0]


# ------------------------------------------------------------------------------- model call sites
EXPRESS_PROMPT_INJECTION = """
import express from "express";
import OpenAI from "openai";

const app = express();
const openai = new OpenAI();

app.post("/chat", async (req, res) => {
  const { question } = req.body;
  const prompt = `You are a helpful assistant. Answer: ${question}`;
  const completion = await openai.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: prompt }],
  });
  res.json({ answer: completion.choices[0].message.content });
});
"""

NEXT_APP_ROUTE = """
import Anthropic from "@anthropic-ai/sdk";
import { NextResponse } from "next/server";

const anthropic = new Anthropic({ timeout: 20_000, maxRetries: 3 });

export async function POST(req: Request) {
  const body = await req.json();
  const msg = await anthropic.messages.create({
    model: "claude-3-5-sonnet-latest",
    max_tokens: 1024,
    system: "You summarise documents.",
    messages: [{ role: "user", content: body.text }],
  });
  return NextResponse.json(msg);
}
"""

OPENAI_GUARDED = """
import OpenAI from "openai";
const client = new OpenAI({ timeout: 10_000, maxRetries: 2 });
export async function answer(messages: any[]) {
  return client.chat.completions.create({ model: MODEL, messages, max_tokens: 300,
    response_format: { type: "json_object" } });
}
"""

OPENAI_BARE = """
import OpenAI from "openai";
const client = new OpenAI();
export async function answer(messages: any[]) {
  return client.chat.completions.create({ model: MODEL, messages });
}
"""

TRY_CATCH_FALLBACK = """
const OpenAI = require("openai");
const openai = new OpenAI();
async function summarise(text) {
  try {
    const r = await openai.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: text }] });
    return r.choices[0].message.content;
  } catch (err) {
    console.error(err);
    return text.slice(0, 200);
  }
}
"""

TRY_CATCH_RETHROW = """
const OpenAI = require("openai");
const openai = new OpenAI();
async function summarise(text) {
  try {
    return await openai.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: text }] });
  } catch (err) {
    console.error(err);
    throw err;
  }
}
"""

TRY_CATCH_500 = """
import OpenAI from "openai";
import { NextResponse } from "next/server";
const openai = new OpenAI();
export async function POST(req) {
  try {
    const r = await openai.chat.completions.create({ model: "gpt-4o", messages: [] });
    return NextResponse.json(r);
  } catch (e) {
    return NextResponse.json({ error: "failed" }, { status: 500 });
  }
}
"""

VERCEL_GENERATE_OBJECT = """
import { generateObject, generateText } from "ai";
import { openai } from "@ai-sdk/openai";
import { z } from "zod";

export async function extract(text: string) {
  const { object } = await generateObject({
    model: openai("gpt-4o"),
    schema: z.object({ name: z.string() }),
    prompt: `Extract the name from: ${text}`,
    abortSignal: AbortSignal.timeout(15000),
  });
  return object;
}
"""

VERCEL_GENERATE_TEXT = """
import { generateText } from "ai";
import { anthropic } from "@ai-sdk/anthropic";
export async function reply(q: string) {
  const { text } = await generateText({ model: anthropic("claude-3-haiku"), prompt: q, maxTokens: 200, maxRetries: 3 });
  return text;
}
"""

FETCH_OPENAI = """
export async function ask(q) {
  const res = await fetch("https://api.openai.com/v1/chat/completions", {
    method: "POST",
    headers: { Authorization: `Bearer ${process.env.OPENAI_API_KEY}` },
    body: JSON.stringify({ model: "gpt-3.5-turbo", messages: [{ role: "user", content: q }], max_tokens: 50 }),
  });
  return res.json();
}
"""

AXIOS_ANTHROPIC = """
import axios from "axios";
const URL = "https://api.anthropic.com/v1/messages";
export async function ask(q) {
  return axios.post(URL, { model: "claude-3-opus", messages: [{ role: "user", content: q }] }, { timeout: 5000 });
}
"""

P_RETRY = """
import pRetry from "p-retry";
import OpenAI from "openai";
const openai = new OpenAI();
export const run = (msgs) => pRetry(() => openai.chat.completions.create({ model: "gpt-4o", messages: msgs }), { retries: 3 });
"""

RETRY_LOOP = """
import OpenAI from "openai";
const openai = new OpenAI();
export async function run(msgs) {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await openai.chat.completions.create({ model: "gpt-4o", messages: msgs });
    } catch (e) {
      await sleep(2 ** attempt * 100);
    }
  }
}
"""

ZOD_VALIDATED = """
import OpenAI from "openai";
import { Answer } from "./schema";
const openai = new OpenAI();
export async function run(msgs) {
  const completion = await openai.chat.completions.create({ model: "gpt-4o", messages: msgs });
  const raw = JSON.parse(completion.choices[0].message.content);
  return Answer.parse(raw);
}
"""

GOOGLE_GEMINI = """
import { GoogleGenerativeAI } from "@google/generative-ai";
const genAI = new GoogleGenerativeAI(process.env.GEMINI_API_KEY);
export async function POST(request) {
  const { searchParams } = new URL(request.url);
  const model = genAI.getGenerativeModel({ model: "gemini-1.5-flash", generationConfig: { maxOutputTokens: 256, responseMimeType: "application/json" } });
  const result = await model.generateContent("Describe " + searchParams.get("topic"));
  return Response.json(result.response.text());
}
"""

LANGCHAIN_CHAIN = """
import { ChatOpenAI } from "@langchain/openai";
import { ChatPromptTemplate } from "@langchain/core/prompts";
const model = new ChatOpenAI({ model: "gpt-4o", timeout: 30000, maxRetries: 2 });
const prompt = ChatPromptTemplate.fromMessages([["system", "You are a pirate."], ["human", "{input}"]]);
const chain = prompt.pipe(model);
export async function talk(input) {
  return chain.invoke({ input });
}
"""

ABORT_CONTROLLER = """
import OpenAI from "openai";
const openai = new OpenAI();
export async function run(msgs) {
  const controller = new AbortController();
  const t = setTimeout(() => controller.abort(), 10000);
  return openai.chat.completions.create({ model: "gpt-4o", messages: msgs }, { signal: controller.signal });
}
"""

PROMISE_CATCH = """
import OpenAI from "openai";
const openai = new OpenAI();
export function run(msgs) {
  return openai.chat.completions.create({ model: "gpt-4o", messages: msgs }).catch(() => null);
}
"""

SERVER_ACTION = """
"use server";
import OpenAI from "openai";
const openai = new OpenAI();
export async function ask(formData: FormData) {
  const question = formData.get("q");
  return openai.responses.create({ model: "gpt-4.1", input: `Answer briefly: ${question}` });
}
"""

CASES = [
    ("express route pastes req.body into a template prompt", EXPRESS_PROMPT_INJECTION, "server.js", {
        "provider": "openai", "function": "POST /chat", "user_input_in_prompt": True,
        "prompt_inline": True, "model": "gpt-4o-mini", "has_timeout": False, "has_retry": False,
        "has_fallback": False, "structured_output": False, "max_tokens_set": False}),
    ("next app route POST with await req.json()", NEXT_APP_ROUTE, "app/api/summary/route.ts", {
        # the user's text is passed on its own as the user message: data, not pasted into the prompt
        "provider": "anthropic", "function": "POST", "user_input_in_prompt": False,
        "has_timeout": True, "has_retry": True, "max_tokens_set": True, "prompt_inline": True,
        "model": "claude-3-5-sonnet-latest"}),
    ("openai client with timeout and maxRetries", OPENAI_GUARDED, "lib/answer.ts", {
        "provider": "openai", "function": "answer", "has_timeout": True, "has_retry": True,
        "structured_output": True, "max_tokens_set": True, "model": None, "prompt_inline": False,
        "user_input_in_prompt": False}),
    ("openai client without safeguards", OPENAI_BARE, "lib/answer.ts", {
        "has_timeout": False, "has_retry": False, "structured_output": False,
        "max_tokens_set": False, "has_fallback": False}),
    ("try/catch returning an alternative", TRY_CATCH_FALLBACK, "a.js", {
        "has_fallback": True, "function": "summarise", "model": "gpt-4o"}),
    ("try/catch that logs and rethrows", TRY_CATCH_RETHROW, "a.js", {"has_fallback": False}),
    ("try/catch answering 500", TRY_CATCH_500, "app/api/x/route.js", {"has_fallback": False}),
    ("generateObject is structured", VERCEL_GENERATE_OBJECT, "lib/extract.ts", {
        "provider": "vercel-ai", "structured_output": True, "model": "gpt-4o", "has_timeout": True,
        "prompt_inline": True, "user_input_in_prompt": False}),
    ("generateText with caps", VERCEL_GENERATE_TEXT, "lib/reply.ts", {
        "provider": "vercel-ai", "structured_output": False, "max_tokens_set": True,
        "has_retry": True, "model": "claude-3-haiku", "prompt_inline": False}),
    ("fetch to api.openai.com", FETCH_OPENAI, "lib/ask.js", {
        "provider": "http", "model": "gpt-3.5-turbo", "max_tokens_set": True, "has_timeout": False}),
    ("axios.post to api.anthropic.com via a constant", AXIOS_ANTHROPIC, "lib/ask.js", {
        "provider": "http", "model": "claude-3-opus", "has_timeout": True}),
    ("p-retry wrapper", P_RETRY, "lib/run.js", {"has_retry": True, "function": "run"}),
    ("retry loop with try/catch", RETRY_LOOP, "lib/run.js", {"has_retry": True}),
    ("zod parse of the result", ZOD_VALIDATED, "lib/run.ts", {"structured_output": True}),
    ("gemini with searchParams", GOOGLE_GEMINI, "app/api/describe/route.js", {
        "provider": "google", "model": "gemini-1.5-flash", "max_tokens_set": True,
        "structured_output": True, "user_input_in_prompt": True, "prompt_inline": True}),
    ("langchain chain with a configured model", LANGCHAIN_CHAIN, "lib/chain.js", {
        "provider": "langchain", "has_timeout": True, "has_retry": True, "model": "gpt-4o",
        "prompt_inline": True}),
    ("AbortController with setTimeout", ABORT_CONTROLLER, "lib/run.js", {"has_timeout": True}),
    ("promise .catch(() => null)", PROMISE_CATCH, "lib/run.js", {"has_fallback": True}),
    ("server action argument in the prompt", SERVER_ACTION, "app/actions.ts", {
        "provider": "openai", "user_input_in_prompt": True, "model": "gpt-4.1"}),
]


@pytest.mark.parametrize("label,source,name,expected", CASES, ids=[c[0] for c in CASES])
def test_call_site_facts(tmp_path: Path, label: str, source: str, name: str, expected: dict) -> None:
    site = _one_call(tmp_path, source, name)
    got = {k: getattr(site, k) for k in expected}
    assert got == expected, label


def test_call_site_line_and_api(tmp_path: Path) -> None:
    site = _one_call(tmp_path, EXPRESS_PROMPT_INJECTION, "server.js")
    assert (site.path, site.line, site.api) == ("server.js", 11, "openai.chat.completions.create")


@pytest.mark.parametrize("source", [
    # Stripe and Prisma objects have .create too; Twilio has messages.create.
    """
    import Stripe from "stripe";
    import { PrismaClient } from "@prisma/client";
    const stripe = new Stripe(key);
    const prisma = new PrismaClient();
    export async function buy(id) {
      await stripe.customers.create({ email: "a@b.c" });
      await prisma.message.create({ data: { text: "Hello there" } });
    }
    """,
    """
    const twilio = require("twilio")(sid, token);
    twilio.messages.create({ body: "Your code is 1234", to, from });
    """,
    """
    // no model SDK imported: messages.create on some local store is not Anthropic
    import { db } from "./db";
    export const save = (m) => db.messages.create({ content: "Saved message" });
    """,
])
def test_decoys_are_not_call_sites(tmp_path: Path, source: str) -> None:
    facts = _collect(tmp_path, {"lib/decoy.ts": source})
    assert facts.llm_calls == []


def test_embeddings_are_call_sites_without_the_text_questions(tmp_path: Path) -> None:
    """An embedding request costs money and can hang (timeout, retry, fallback), but has no output to
    cap or validate: its call site is recorded with its kind, and the text-only probes skip it."""
    from auditlib.probes import PROBES
    from tests.factories import make_facts

    facts = _collect(tmp_path, {"lib/embed.ts": """
        import OpenAI from "openai";
        const openai = new OpenAI();
        export const embed = (t) => openai.embeddings.create({ model: "text-embedding-3-small", input: t });
    """})
    (site,) = facts.llm_calls
    assert (site.kind, site.api, site.line) == ("embedding", "openai.embeddings.create", 4)
    fired = {rule for rule in ("llm.call_without_timeout", "llm.max_tokens_unset", "llm.unstructured_output",
                               "llm.inline_prompt", "llm.hardcoded_model")
             if list(PROBES[rule](make_facts(code=facts), {}))}
    assert fired == {"llm.call_without_timeout", "llm.hardcoded_model"}


def test_client_from_project_module_gets_its_constructor_options(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {
        "src/lib/openai.ts": """
            import OpenAI from "openai";
            export const openai = new OpenAI({ timeout: 15000, maxRetries: 4 });
        """,
        "src/app/api/chat/route.ts": """
            import { openai } from "@/lib/openai";
            export async function POST(req: Request) {
              const { messages } = await req.json();
              return openai.chat.completions.create({ model: "gpt-4o", messages });
            }
        """,
    })
    (site,) = facts.llm_calls
    assert site.provider == "openai" and site.has_timeout and site.has_retry
    assert not site.user_input_in_prompt  # the client sent the whole list: client_supplied_messages, not splicing


def test_sdks_and_imports(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {
        "a.ts": 'import OpenAI from "openai";\nimport { ChatAnthropic } from "@langchain/anthropic";\n'
                'import x from "./local";\nimport fs from "node:fs";\n',
        "b.js": 'const { Mistral } = require("@mistralai/mistralai");\nconst ai = require("ai");\n'
                'const { CohereClient } = require("cohere-ai");\nimport("llamaindex");\n',
    })
    assert facts.llm_sdks == ["cohere", "langchain", "llama_index", "mistralai", "openai", "vercel-ai"]
    assert facts.imports == ["@langchain/anthropic", "@mistralai/mistralai", "ai", "cohere-ai", "fs",
                             "llamaindex", "openai"]


@pytest.mark.parametrize("module,package,sdk", [
    ("openai", "openai", "openai"), ("@anthropic-ai/sdk", "@anthropic-ai/sdk", "anthropic"),
    ("@google/genai", "@google/genai", "google"), ("@langchain/core/prompts", "@langchain/core", "langchain"),
    ("next/server", "next", None), ("./openai", None, None), ("@/lib/openai", None, None),
    ("ai", "ai", "vercel-ai"), ("aio", "aio", None), ("openai-edge", "openai-edge", None),
])
def test_module_tables(module: str, package: str | None, sdk: str | None) -> None:
    assert package_of(module) == package
    assert sdk_of_module(module) == sdk


# ------------------------------------------------------------------------------------ SQL sites
SQL_CASES = [
    ("template literal in pool.query", """
        import { Pool } from "pg";
        const pool = new Pool();
        export async function find(req, res) {
          const rows = await pool.query(`SELECT * FROM users WHERE email = '${req.query.email}'`);
          res.json(rows);
        }
    """, [("find", "template literal")]),
    ("concatenation through a variable", """
        const mysql = require("mysql2");
        function byName(name) {
          const q = "SELECT id FROM items WHERE name = '" + name + "'";
          return connection.execute(q);
        }
    """, [("byName", "concatenation")]),
    ("prisma unsafe", """
        export const f = (id) => prisma.$queryRawUnsafe(`DELETE FROM posts WHERE id = ${id}`);
    """, [("f", "template literal")]),
    ("tagged sql template is parameterised", """
        import { sql } from "@vercel/postgres";
        export async function f(id) { return sql`SELECT * FROM users WHERE id = ${id}`; }
    """, []),
    ("prisma $queryRaw tagged template is parameterised", """
        export async function f(id) { return prisma.$queryRaw`SELECT * FROM users WHERE id = ${id}`; }
    """, []),
    ("placeholders are parameterised", """
        export async function f(id) { return pool.query("SELECT * FROM users WHERE id = $1", [id]); }
    """, []),
    ("template literal that is not SQL", """
        export async function f(id) { return cache.get(`user:${id}`); }
    """, []),
]


@pytest.mark.parametrize("label,source,expected", SQL_CASES, ids=[c[0] for c in SQL_CASES])
def test_sql_sites(tmp_path: Path, label: str, source: str, expected: list) -> None:
    facts = _collect(tmp_path, {"db.js": source})
    assert [(s.function, s.how) for s in facts.sql_sites] == expected


# ------------------------------------------------------------------------------------ endpoints
ENDPOINT_CASES = [
    ("express route with requireAuth middleware", "server.js", """
        const express = require("express");
        const { requireAuth } = require("./auth");
        const app = express();
        app.get("/me", requireAuth, (req, res) => res.json({}));
        app.post("/public", (req, res) => res.json({}));
    """, [("express", "/me", True), ("express", "/public", False)]),
    ("passport.authenticate and jwt.verify in the handler", "routes.js", """
        import express from "express";
        const router = express.Router();
        router.delete("/items/:id", passport.authenticate("jwt", { session: false }), remove);
        router.put("/items/:id", async (req, res) => {
          const claims = jwt.verify(req.headers.token, secret);
          res.send(claims);
        });
    """, [("express", "/items/:id", True), ("express", "/items/:id", True)]),
    ("app.use(auth) before routes covers them", "server.js", """
        import express from "express";
        const app = express();
        app.get("/health", (req, res) => res.send("ok"));
        app.use(authenticate);
        app.get("/data", (req, res) => res.send("x"));
    """, [("express", "/health", False), ("express", "/data", True)]),
    ("next pages api default export", "pages/api/chat.ts", """
        export default async function handler(req, res) {
          res.status(200).json({ ok: true });
        }
    """, [("nextjs", "/api/chat", False)]),
    ("next app route with getServerSession", "src/app/(main)/api/items/[id]/route.ts", """
        import { getServerSession } from "next-auth";
        export async function GET(req: Request) {
          const session = await getServerSession(authOptions);
          return Response.json({});
        }
        export const DELETE = async () => new Response(null);
    """, [("nextjs", "/api/items/[id]", True), ("nextjs", "/api/items/[id]", False)]),
    ("hono with clerk middleware", "index.ts", """
        import { Hono } from "hono";
        const app = new Hono();
        app.post("/ask", clerkMiddleware(), async (c) => c.json(await c.req.json()));
    """, [("hono", "/ask", True)]),
    ("fastify route with opts", "server.js", """
        import Fastify from "fastify";
        const fastify = Fastify();
        fastify.get("/x", { preHandler: [fastify.authenticate] }, async () => ({}));
        fastify.route({ method: "POST", url: "/y", handler: async () => ({}) });
    """, [("fastify", "/x", True), ("fastify", "/y", False)]),
    ("axios.get with a callback is not a route", "client.js", """
        import axios from "axios";
        axios.get("/api/users", { params: { id: 1 } }).then((r) => r.data);
        cache.get("/key", () => 1);
    """, []),
]


@pytest.mark.parametrize("label,name,source,expected", ENDPOINT_CASES, ids=[c[0] for c in ENDPOINT_CASES])
def test_endpoints(tmp_path: Path, label: str, name: str, source: str, expected: list) -> None:
    facts = _collect(tmp_path, {name: source})
    assert [(e.framework, e.route, e.has_auth) for e in facts.endpoints] == expected


def test_router_mounted_behind_auth_in_another_file(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {
        "src/server.js": """
            import express from "express";
            import chatRouter from "./routes/chat.js";
            import openRouter from "./routes/open";
            const app = express();
            app.use("/open", openRouter);
            app.use("/api", requireAuth, chatRouter);
        """,
        "src/routes/chat.js": """
            import { Router } from "express";
            const router = Router();
            router.post("/chat", async (req, res) => res.json({}));
            export default router;
        """,
        "src/routes/open.js": """
            import { Router } from "express";
            const router = Router();
            router.get("/status", (req, res) => res.json({}));
            export default router;
        """,
    })
    assert {(e.path, e.has_auth) for e in facts.endpoints} == {
        ("src/routes/chat.js", True), ("src/routes/open.js", False)}


def test_next_middleware_with_auth_covers_next_routes(tmp_path: Path) -> None:
    files = {
        "app/api/chat/route.ts": "export async function POST(req: Request) { return Response.json({}); }\n",
    }
    assert [e.has_auth for e in _collect(tmp_path / "a", files).endpoints] == [False]
    files["middleware.ts"] = ('import { clerkMiddleware } from "@clerk/nextjs/server";\n'
                              "export default clerkMiddleware();\n")
    assert [e.has_auth for e in _collect(tmp_path / "b", files).endpoints] == [True]


# ------------------------------------------------------------------------- layers, logging, files
def test_mixed_layers_and_console_vs_logger(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {
        "server.ts": EXPRESS_PROMPT_INJECTION + '\nimport { Pool } from "pg";\nconsole.log("up");\n',
        "lib/log.ts": 'import pino from "pino";\nconst logger = pino();\nlogger.info("a");\nlogger.error("b");\n',
        "app/api/x/route.ts": 'import { prisma } from "@/lib/prisma";\n'
                              "export async function GET() { console.log(1); return Response.json(await prisma.x.findMany()); }\n",
    })
    assert [(m.path, m.layers) for m in facts.mixed_files] == [
        ("app/api/x/route.ts", ["db", "web"]), ("server.ts", ["db", "llm", "web"])]
    # issue 9: console.* in server code is the service's logging (two console.log, two pino calls)
    assert (facts.print_calls, facts.logging_calls) == (0, 4)


def test_broken_tsx_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "junk.js").write_bytes(b"\x00\x01\x02" * 100)
    facts = _collect(tmp_path, {
        # A syntax error below the call: tree-sitter recovers, the call is still found.
        "components/Broken.tsx": OPENAI_BARE + "export default function Page() { return <div>{ broken ( </div> }\n",
        "components/Worse.tsx": "export default function Page() { return <div>{ broken ( </div> }\n"
                                "const openai = new OpenAI(\n",
        "garbage.ts": ")))))) }}}}} ]]]]\n",
        "lib/ok.ts": OPENAI_BARE,
    })
    assert facts.available
    assert [c.path for c in facts.llm_calls] == ["components/Broken.tsx", "lib/ok.ts"]
    assert [e.split(":")[0] for e in facts.parse_errors] == ["garbage.ts", "junk.js"]
    assert facts.files_parsed == 3


def test_oversize_minified_and_declaration_files_are_skipped(tmp_path: Path) -> None:
    big = "const a = 1;\n" * (MAX_JS_BYTES // 13 + 10)
    minified = "var a=1;" * 1000 + "\n"
    facts = _collect(tmp_path, {"big.js": big, "public/app.js": minified, "vendor.min.js": "var a;",
                                "types.d.ts": "declare const x: number;\n", "ok.js": "const a = 1;\n"})
    assert facts.files_parsed == 1
    assert sorted(e.split(":")[0] for e in facts.parse_errors) == ["big.js", "public/app.js", "vendor.min.js"]
    assert "3 of 4" in (facts.reason or "")


def test_mixed_repository_counts_both_languages(tmp_path: Path) -> None:
    # One engine reads both: a Python file next to the JS/TS ones is analysed too (was: "no JS files").
    facts = _collect(tmp_path, {"app.py": "print(1)\n", "a.js": "console.log(1);\n", "b.ts": "let x = (;\n",
                                "c.py": "def f(:\n"})
    # the Python print counts; a.js is no server code, so its console.log is neither print nor log (issue 9)
    assert facts.available and facts.files_parsed == 3 and facts.print_calls == 1
    assert facts.reason == "1 of 4 source files not parsed"


# ------------------------------------------------------------------ model-call defect classes
DEFECT_CASES = [
    ("client message list forwarded through convertToCoreMessages", "app/api/chat/route.ts", """
        import { streamText, convertToCoreMessages } from "ai";
        import { openai } from "@ai-sdk/openai";
        export async function POST(req: Request) {
          const { messages } = await req.json();
          const result = streamText({ model: openai("gpt-4o"), messages: convertToCoreMessages(messages) });
          return result.toDataStreamResponse();
        }
    """, {"messages_from_client": True, "user_input_in_prompt": False}),  # client_supplied_messages covers it
    ("server builds the list: only the user's text is the client's", "app/api/chat/route.ts", """
        import OpenAI from "openai";
        const openai = new OpenAI();
        export async function POST(req: Request) {
          const body = await req.json();
          return openai.chat.completions.create({ model: "gpt-4o", messages: [
            { role: "system", content: "You are terse." }, { role: "user", content: body.question }] });
        }
    """, {"messages_from_client": False, "user_input_in_prompt": False}),
    ("server splices the user's text into its prompt", "app/api/chat/route.ts", """
        import OpenAI from "openai";
        const openai = new OpenAI();
        export async function POST(req: Request) {
          const body = await req.json();
          const prompt = "You are terse. Answer: " + body.question;
          return openai.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: prompt }] });
        }
    """, {"messages_from_client": False, "user_input_in_prompt": True}),
    ("spread of the client's list keeps its roles", "server.js", """
        import express from "express";
        import OpenAI from "openai";
        const app = express();
        const openai = new OpenAI();
        app.post("/chat", async (req, res) => {
          const history = req.body.messages;
          res.json(await openai.chat.completions.create({ model: "gpt-4o",
            messages: [{ role: "system", content: "Be nice." }, ...history] }));
        });
    """, {"messages_from_client": True}),
    ("prompt read from a prompts file", "lib/ask.ts", """
        import fs from "node:fs";
        import OpenAI from "openai";
        const SYSTEM = fs.readFileSync("prompts/system.txt", "utf8");
        const openai = new OpenAI();
        export const ask = (q: string) => openai.chat.completions.create({ model: "gpt-4o",
          messages: [{ role: "system", content: SYSTEM }, { role: "user", content: q }] });
    """, {"prompt_source": "file", "prompt_inline": False}),
    ("prompt imported from a project prompts module", "lib/ask.ts", """
        import OpenAI from "openai";
        import { SYSTEM_PROMPT } from "@/lib/prompts";
        const openai = new OpenAI();
        export const ask = (q: string) => openai.chat.completions.create({ model: "gpt-4o",
          messages: [{ role: "system", content: SYSTEM_PROMPT }, { role: "user", content: q }] });
    """, {"prompt_source": "file"}),
    ("inline prompt text", "lib/ask.ts", """
        import OpenAI from "openai";
        const openai = new OpenAI();
        export const ask = (q: string) => openai.chat.completions.create({ model: "gpt-4o",
          messages: [{ role: "system", content: "You are a lawyer." }, { role: "user", content: q }] });
    """, {"prompt_source": "inline", "prompt_inline": True}),
    ("call under if (process.env.AI_ENABLED === 'true')", "lib/ask.js", """
        import OpenAI from "openai";
        const openai = new OpenAI();
        export async function ask(msgs) {
          if (process.env.AI_ENABLED === "true") {
            return openai.chat.completions.create({ model: "gpt-4o", messages: msgs });
          }
          return null;
        }
    """, {"guarded_by_flag": True}),
    ("early return when the kill switch is on", "lib/ask.js", """
        import OpenAI from "openai";
        const openai = new OpenAI();
        export async function ask(msgs) {
          if (process.env.AI_KILL_SWITCH) return null;
          return openai.chat.completions.create({ model: "gpt-4o", messages: msgs });
        }
    """, {"guarded_by_flag": True}),
    ("a check of the api key is not a kill switch", "lib/ask.js", """
        import OpenAI from "openai";
        const openai = new OpenAI();
        export async function ask(msgs) {
          if (!process.env.OPENAI_API_KEY) throw new Error("missing key");
          if (process.env.OPENAI_API_KEY) { return openai.chat.completions.create({ model: "gpt-4o", messages: msgs }); }
        }
    """, {"guarded_by_flag": False}),
]


@pytest.mark.parametrize("label,name,source,expected", DEFECT_CASES, ids=[c[0] for c in DEFECT_CASES])
def test_defect_class_fields(tmp_path: Path, label: str, name: str, source: str, expected: dict) -> None:
    site = _one_call(tmp_path, source, name)
    assert {k: getattr(site, k) for k in expected} == expected, label


USES = """
import OpenAI from "openai";
import { execSync } from "child_process";
import { Pool } from "pg";
import express from "express";
const pool = new Pool();
const app = express();

app.post("/ask", async (req, res) => {
  const openai = new OpenAI({ apiKey: req.body.apiKey });
  const prompt = `Write SQL for: ${req.body.question}`;
  console.log("prompt:", prompt);
  const completion = await openai.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: prompt }] });
  const answer = completion.choices[0].message.content;
  console.log(answer);
  logger.info({ tokens: completion.usage.total_tokens });
  const rows = await pool.query(answer);
  execSync(answer);
  const fn = eval(answer);
  res.json(rows);
});

app.get("/config", (req, res) => {
  process.env.OPENAI_API_KEY = req.query.key;
  res.send("ok");
});
"""


def test_llm_uses(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {"server.js": USES})
    got = [(u.line, u.kind, u.call_line) for u in facts.llm_uses]
    assert got == [  # line 10: a client per request from the caller's key (bring your own key) is no use site
        (12, "prompt_logged", 13),
        (15, "response_logged", 13),
        (16, "usage_read", None),
        (17, "model_output_to_sql", 13),
        (18, "model_output_to_shell", 13),
        (19, "model_output_executed", 13),
        (24, "api_key_from_user", None),
    ], got
    assert all(u.function in {"POST /ask", "GET /config"} for u in facts.llm_uses)


NAMED_BY_HOLDER = {
    "pages/api/generate.js": """
import OpenAI from "openai";
const openai = new OpenAI();
export default async function (req, res) {
  const completion = await openai.chat.completions.create({ model: "gpt-4o", messages: [] });
  console.log(completion.choices[0].message.content);
}
""",
    "server.js": """
import express from "express";
import OpenAI from "openai";
import pRetry from "p-retry";
const app = express();
const openai = new OpenAI();
app.route("/ask").get((req, res) => res.send("ok")).post(async (req, res) => {
  const completion = await openai.chat.completions.create({ model: "gpt-4o", messages: [] });
  console.log(completion.choices[0].message.content);
});
const handlers = {};
handlers.summarise = async (text) => {
  const completion = await openai.chat.completions.create({ model: "gpt-4o", messages: [] });
  console.log(completion.choices[0].message.content);
};
export async function answer(q) {
  const result = await pRetry(async () => {
    const completion = await openai.chat.completions.create({ model: "gpt-4o", messages: [] });
    console.log(completion.choices[0].message.content);
    return completion;
  });
  return result;
}
""",
}


def test_call_and_use_sites_name_anonymous_functions_alike(tmp_path: Path) -> None:
    """An anonymous function is named by what holds it (a default export, a chained route, the slot it
    is stored in), a callback by its enclosing function: the same name for the call and its uses."""
    facts = _collect(tmp_path, NAMED_BY_HOLDER)
    calls = [(c.path, c.function) for c in facts.llm_calls]
    assert calls == [("pages/api/generate.js", "default export"), ("server.js", "POST /ask"), ("server.js", "summarise"),
                     ("server.js", "answer")], calls
    assert [(u.path, u.function) for u in facts.llm_uses] == calls


def test_no_uses_without_model_output(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {"server.js": """
        import { Pool } from "pg";
        const pool = new Pool();
        export async function f(sql) {
          console.log(sql);
          const usage = await pool.query("SELECT 1");
          return usage;
        }
    """})
    assert facts.llm_uses == []


WELL_BUILT = """
import OpenAI from "openai";
import fs from "node:fs";
import { z } from "zod";
import { auth } from "@/auth";

const openai = new OpenAI({ timeout: 20_000, maxRetries: 3 });
const SYSTEM = fs.readFileSync("prompts/support.txt", "utf8");
const Answer = z.object({ text: z.string() });

export async function POST(req: Request) {
  const session = await auth();
  if (!session) return new Response(null, { status: 401 });
  const { question } = await req.json();
  if (process.env.AI_ENABLED !== "1") return Response.json({ text: "The assistant is off." });
  try {
    const completion = await openai.chat.completions.create({
      model: process.env.MODEL_NAME!, max_tokens: 400, response_format: { type: "json_object" },
      messages: [{ role: "system", content: SYSTEM }, { role: "user", content: question }],
    });
    logger.info({ tokens: completion.usage?.total_tokens });
    return Response.json(Answer.parse(JSON.parse(completion.choices[0].message.content ?? "")));
  } catch (err) {
    logger.error(err);
    return Response.json({ text: "Sorry, a person will reply." });
  }
}
"""


def test_well_built_route_has_every_safeguard(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {"app/api/support/route.ts": WELL_BUILT})
    (site,) = facts.llm_calls
    assert site.has_timeout and site.has_retry and site.has_fallback and site.structured_output
    assert site.max_tokens_set and site.guarded_by_flag and site.model is None
    assert site.prompt_source == "file" and not site.prompt_inline
    assert not site.messages_from_client
    assert not site.user_input_in_prompt  # the question goes in on its own, as data
    assert [e.has_auth for e in facts.endpoints] == [True]
    # the answer is parsed (JSON.parse) and then checked by a schema: a neutral use, no finding
    assert [u.kind for u in facts.llm_uses] == ["usage_read", "model_output_parsed"]
    assert facts.sql_sites == [] and facts.logging_calls == 2 and facts.print_calls == 0


@pytest.mark.parametrize(("extra", "bounded"), [
    ("export const maxDuration = 30;\n", True),  # issue 9: the route's function limit is a timeout
    ("export const runtime = 'nodejs';\n", False),
])
def test_vercel_max_duration_is_a_timeout(tmp_path: Path, extra: str, bounded: bool) -> None:
    facts = _collect(tmp_path, {"app/api/chat/route.ts": OPENAI_BARE + extra})
    [site] = facts.llm_calls
    assert site.has_timeout is bounded


def test_json_parse_is_not_a_schema_but_a_zod_parse_is(tmp_path: Path) -> None:
    """``JSON.parse`` only reads the text as JSON (its receiver is the JSON global, not a schema):
    the call stays unstructured; ``Answer.parse(JSON.parse(text))`` validates it."""
    head = ('import OpenAI from "openai";\nimport { z } from "zod";\nconst openai = new OpenAI();\n'
            'const Answer = z.object({ text: z.string() });\nexport async function POST(req: Request) {\n'
            '  const { q } = await req.json();\n'
            '  const c = await openai.chat.completions.create({ model: "m", messages: [{ role: "user", content: q }] });\n')
    plain = head + '  return Response.json(JSON.parse(c.choices[0].message.content ?? "{}"));\n}\n'
    schema = head + '  return Response.json(Answer.parse(JSON.parse(c.choices[0].message.content ?? "{}")));\n}\n'
    assert _one_call(tmp_path / "plain", plain, "app/api/a/route.ts").structured_output is False
    assert _one_call(tmp_path / "schema", schema, "app/api/a/route.ts").structured_output is True
