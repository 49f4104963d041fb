"""Model call sites and their safeguards, from the engine's IR (port of the two old analysers).

``call_sites(q)`` returns one ``LLMCallSite`` per call that sends a model request (``q.site(call)``
is one of the ``call_sites.kinds`` of checklists/models.yaml: chat, completion, agent, raw HTTP, and
the paid requests that generate no text, embedding, image, audio, video, moderation), for Python and
JS/TS alike. Each field is read off the IR:

- options: the call's own (keywords, options objects, nested config objects) and those of the calls
  that built its client (``OpenAI(timeout=20)``, ``new Anthropic({maxRetries})``, ``with_options``,
  ``getGenerativeModel({...})``, ``ChatOpenAI(...).with_structured_output(...)``), followed through
  names, fields, imports, parameters and returns; a client that cannot be traced gets the options of
  the clients of the same provider built in its module;
- the control context (``Call.guards``, looking through callbacks handed to another call:
  ``pRetry(() => ...)``): try with a fallback handler, retry loops, ``if`` on a feature flag;
- the prompt (llm_prompt.py): inline or read from a file, request data pasted in, the client's
  whole conversation.

Which option names mean timeout, retries, an output cap, structured output or the model is data
(``call_sites`` in checklists/models.yaml).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property
from typing import Literal

from ..models import LLMCallSite
from .ir import Arr, Attr, Call, Expr, Fn, Guard, Module, Name, Obj, Param, Scope
from .irtools import (
    function_scope,
    last_name,
    scopes_in,
    strict_dotted,
    string_value,
    walk,
)
from .llm_flow import ANONYMOUS, Ctx
from .llm_prompt import Prompt
from .query import Query
from .resolve import Knowledge

Opts = dict[str, tuple[Expr, Scope]]
LOG_RECEIVERS = {"console", "logger", "log", "logging", "_logger", "_log", "structlog"}
LOG_METHODS = {"debug", "info", "warn", "warning", "error", "exception", "critical", "fatal", "trace", "log",
               "verbose", "captureException", "captureMessage"}


def text_kinds() -> frozenset[str]:
    """The call kinds whose prompt, output cap and output schema are questions (``call_sites.text_kinds``
    of checklists/models.yaml): the probes of those questions skip embeddings, images and the like."""
    return frozenset(Knowledge.load().call_sites.get("text_kinds") or ())


def call_sites(q: Query) -> list[LLMCallSite]:
    """One LLMCallSite per model request of the repository (every module, both languages): the kinds
    of ``call_sites.kinds`` in checklists/models.yaml."""
    ctx = Ctx(q)
    prompt = Prompt(ctx)
    out = []
    for path in sorted(q.repo.modules):
        for call in q.repo.modules[path].calls:
            site = q.site(call)
            if site is None or (ctx.t.kinds and site[0] not in ctx.t.kinds):
                continue
            out.append(_Site(ctx, prompt, call, site).facts())
    return out


class _Site:
    """The facts of one call site, each computed once."""

    def __init__(self, ctx: Ctx, prompt: Prompt, call: Call, site: tuple[str, str]) -> None:
        self.ctx, self.p, self.call, self.site = ctx, prompt, call, site
        self.t = ctx.t
        self.scope = call.scope

    def facts(self) -> LLMCallSite:
        inline = self.inline
        from_file = self.from_file
        return LLMCallSite(
            path=self.scope.module.path,
            line=self.call.line,
            function=self.ctx.q.function_name(self.scope),
            provider=self.provider,
            api=(strict_dotted(self.call.callee) or self.call.text)[:120],
            kind=self.site[0],
            has_timeout=self.has_timeout,
            has_retry=self.has_retry,
            has_fallback=self.has_fallback,
            structured_output=self.structured,
            model=self.model,
            prompt_inline=inline and not from_file,
            user_input_in_prompt=self.user_input,
            user_input_where=self.user_input_at,
            max_tokens_set=bool(self.keys & self.t.opt("max_tokens")),
            prompt_source="file" if from_file else "inline" if inline else "unknown",
            guarded_by_flag=self.guarded_by_flag,
            messages_from_client=self.messages_from_client,
            tools=self.tools,
            tools_run_code=self.tools_run_code,
            tools_read_only=self.tools_read_only,
            key_source=self.key_source,
        )

    # --------------------------------------------------------------------------- options
    @cached_property
    def source(self) -> tuple[str, str]:
        """What the resolver matched: ("fn", qual) | ("obj", kind) | ("http", qual) | ("shape", path) |
        ("wrapper", name)."""
        how = self.site[1]
        while how.startswith("through "):
            how = how[len("through "):]
        if self.site[0] == "http":
            return "http", how.split("(", 1)[0]
        if how.startswith(("shape ", "wrapper.")):
            return ("shape", how[6:]) if how.startswith("shape ") else ("wrapper", how[8:])
        kinds = [k for k in self.ctx.q.k.kinds if how.startswith(k + ".")]
        if kinds:
            return "obj", max(kinds, key=len)
        return "fn", how.removesuffix("()")

    @cached_property
    def target(self) -> Expr:
        """What the call runs: its callee, or the function handed to ``asyncio.to_thread(f, ...)``,
        ``loop.run_in_executor(None, f, ...)`` (the resolver's callthrough table)."""
        if self.site[1].startswith("through "):
            qual = self.ctx.qual(self.call) or ""
            for rx, idx in self.ctx.q.k.callthrough:
                if rx.search(qual) and len(self.call.args) > idx:
                    return self.call.args[idx]
        return self.call.callee

    @cached_property
    def chain(self) -> tuple[Call, ...]:
        """The calls that built the call's receiver (client constructor, with_options, composition)."""
        callee = self.target
        if self.source[0] == "http":
            recv = callee.obj if isinstance(callee, Attr) else None
            return self.ctx.origin_calls(recv, self.scope) if recv is not None else ()
        if not isinstance(callee, Attr):
            return self.ctx.origin_calls(callee, self.scope) if isinstance(callee, Name) else ()
        return self.ctx.origin_calls(callee.obj, self.scope)

    @cached_property
    def opts(self) -> Opts:
        return options(self.ctx, self.call)

    @cached_property
    def chain_opts(self) -> Opts:
        out: Opts = {}
        for c in self.chain:
            for k, v in options(self.ctx, c).items():
                out.setdefault(k, v)
        return out

    @cached_property
    def keys(self) -> set[str]:
        keys = set(self.opts) | set(self.chain_opts)
        if self.source[0] in {"obj", "shape", "wrapper"} and not any(self.ctx.is_constructor(c) for c in self.chain):
            # the client could not be traced to its constructor: the clients of the same provider
            # built in this module are the best evidence there is
            keys |= module_clients(self.ctx, self.scope.module).get(self.provider, set())
        return keys

    @cached_property
    def qual(self) -> str | None:
        return self.source[1] if self.source[0] in {"fn", "http"} else self.ctx.qual(self.call)

    @cached_property
    def guards(self) -> list[tuple[Guard, Scope]]:
        return guards_of(self.ctx, self.call)

    # ------------------------------------------------------------------------- provider
    @cached_property
    def provider(self) -> str:
        return provider_of(self.ctx, self.call, self.source, self.chain)

    # ------------------------------------------------------------------------ safeguards
    @cached_property
    def has_timeout(self) -> bool:
        if self.keys & self.t.opt("timeout"):
            return True
        mod = self.scope.module
        if mod.lang == "js" and "maxDuration" in mod.exports:
            return True  # a Next.js route's maxDuration bounds every request it makes
        signals = {**self.chain_opts, **self.opts}
        if any(_is_timeout_signal(self.ctx, *signals[k]) for k in self.t.opt("signal") if k in signals):
            return True
        for h in self.enclosing_calls:
            if strict_dotted(h.callee) == "Promise.race" and _calls_named(h, "setTimeout"):
                return True
            if self.t.timeout_wrappers.search(self.ctx.qual(h) or ""):
                return True  # asyncio.wait_for(client.chat(...), timeout=30)
        return False

    @cached_property
    def enclosing_calls(self) -> list[Call]:
        """The calls the site sits in: as an argument, a receiver, or inside a callback handed to them."""
        idx = self.ctx.index(self.scope.module)
        out: list[Call] = []
        cur: Call | None = self.call
        scope = self.scope
        while cur is not None and len(out) < 24:
            got = idx.parent.get(id(cur))
            if got is None:
                fs = function_scope(scope)
                cur = idx.holder.get(id(fs)) if fs is not None else None
                if cur is not None:
                    scope = cur.scope
            else:
                cur = got[0]
            if cur is not None:
                out.append(cur)
        return out

    @cached_property
    def has_retry(self) -> bool:
        if self.keys & self.t.opt("retries"):
            return True
        if any(last_name(c.callee) in self.t.methods.get("retry", ()) for c in self.chain):
            return True
        if any(g.kind == "loop" and (g.retry or "Retrying" in (_callee_text(g.test) or "")) for g, _s in self.guards):
            return True
        if any(_says_retry(strict_dotted(h.callee)) for h in self.enclosing_calls):
            return True  # pRetry(() => ...), backoff(fn)
        fs = function_scope(self.scope)
        while fs is not None:
            if "retry" in fs.name.lower() or any(_retry_decorator(self.ctx, d, fs) for d in fs.decorator_exprs):
                return True
            if fs.name not in ANONYMOUS:
                break
            fs = function_scope(fs.parent) if fs.parent is not None else None
        return False

    @cached_property
    def has_fallback(self) -> bool:
        if any(g.kind == "try" and g.fallback for g, _s in self.guards):
            return True
        idx = self.ctx.index(self.scope.module)
        cur = self.call
        while (got := idx.parent.get(id(cur))) is not None and got[1]:
            outer = got[0]
            if last_name(outer.callee) == "catch" and outer.args and _callback_is_fallback(outer.args[0]):
                return True  # create(...).catch(() => null)
            cur = outer
        return False

    # ------------------------------------------------------------------------ structured
    @cached_property
    def structured(self) -> bool:
        if self.keys & self.t.opt("structured"):
            return True
        both = {**self.chain_opts, **self.opts}
        for k in self.t.opt("json_mime"):
            if k in both and "json" in (string_value(both[k][0]) or "").lower():
                return True
        for k in self.t.opt("format"):
            value = both.get(k, (None,))[0]
            if isinstance(value, Obj) or "json" in (string_value(value) or "").lower():
                return True
        if self.method_names & self.t.methods.get("structured", frozenset()):
            return True
        return result_validated(self.ctx, self.call, envelope=self.source[0] == "http")

    @cached_property
    def method_names(self) -> set[str]:
        """Method names on the way to the call: its callee path, its function, the chain's methods."""
        names: set[str] = set()
        e: Expr = self.target
        while isinstance(e, Attr):
            names.add(e.name)
            e = e.obj
        if self.qual:
            names.add(self.qual.replace(":", ".").rsplit(".", 1)[-1])
        names |= {last_name(c.callee) for c in self.chain}
        return names

    # ----------------------------------------------------------------------------- model
    @cached_property
    def model(self) -> str | None:
        own = options(self.ctx, self.call, inner_calls=False)
        cands = [own[k] for k in self.t.opt("model") if k in own]
        if self.qual and self.t.model_arg0.search(self.qual) and self.call.args:
            cands.append((self.call.args[0], self.scope))
        for c in self.chain:  # not the model of an embedder built inside an option (embed_model=...)
            got = options(self.ctx, c, inner_calls=False)
            cands += [got[k] for k in self.t.opt("model") if k in got]
        for c in self.chain:
            qual = self.ctx.qual(c) or ""
            if c.args and (self.t.model_arg0.search(qual) or last_name(c.callee).endswith("Model")):
                cands.append((c.args[0], c.scope))
        for e, s in cands:
            text = model_text(self.ctx, e, s)
            if text:
                return text
        return None

    # ---------------------------------------------------------------------------- prompt
    @cached_property
    def prompts(self) -> list[tuple[Expr, Scope]]:
        out = [v for k, v in self.opts.items() if k in self.t.opt("prompt")]
        if self.source[0] != "http":
            args = self.call.args
            if self.qual and self.t.model_arg0.search(self.qual):
                args = args[1:]
            # a JS options object holds the prompt under its keys (above); a Python dict, or the input
            # map of a LangChain/LlamaIndex runnable, is the input itself
            whole = self.scope.module.lang == "python" or self.provider in {"langchain", "llama_index"}
            for a in args:
                if isinstance(a, Obj) and not whole:
                    out += [(v, self.scope) for k, v in a.items if k is None]
                else:
                    out.append((a, self.scope))
        if self.provider in {"langchain", "llama_index"} and isinstance(self.target, Attr):
            out.append((self.target.obj, self.scope))  # the chain holds the prompt template: prompt | llm
        return out

    @cached_property
    def from_file(self) -> bool:
        return any(self.p.from_file(e, s) for e, s in self.prompts)

    @cached_property
    def inline(self) -> bool:
        return any(self.p.has_literal(e, s) for e, s in self.prompts)

    @cached_property
    def user_input(self) -> bool:
        """Request data pasted into prompt text. Request data passed on its own (the user's message, a
        LangChain chat template's ``("human", "{input}")``, a message list) is data, not a splice."""
        return self.user_input_at is not None

    @cached_property
    def user_input_at(self) -> str | None:
        """How the request data is pasted into prompt text (evidence), or None."""
        if self.provider == "langchain":
            return self.p.chain_input(self.call, self.chain, self.scope)
        for e, s in self.prompts:
            how = self.p.spliced_at(e, s)
            if how:
                return f"pasted into the prompt text by {how}"
        return None

    # ------------------------------------------------------------ what the model can do
    @cached_property
    def tools(self) -> list[str]:
        """Tools, functions or an agent the model is given (issue 9), as written."""
        t = self.t.data.get("tools") or {}
        options, methods = set(t.get("options") or ()), set(t.get("methods") or ())
        agents = re.compile(t.get("agents") or r"^$")
        out: list[str] = []
        for k in sorted(options & set(self.opts)):
            e, sc = self.opts[k]
            # tools the client sends itself give a forged turn nothing the client does not hold already
            out.append(f"{k}= from the request" if self.ctx.tainted(e, sc) else f"{k}=")
        for k in sorted(options & set(self.chain_opts) - set(self.opts)):
            out.append(f"{k}= on its client")
        for c in self.chain:
            name = last_name(c.callee)
            if name in methods or agents.search(self.ctx.qual(c) or name):
                out.append(f"{strict_dotted(c.callee) or name} (line {c.line})")
        return list(dict.fromkeys(out))[:5]

    @cached_property
    def tools_run_code(self) -> bool:
        """An agent or tool of the chain runs model-written code, SQL or shell commands (the ``agents`` of
        checklists/uses.yaml)."""
        from .uses import (
            knowledge,  # uses imports this module's neighbours: imported here
        )

        rules = knowledge().agents
        for c in self.chain:
            qual = self.ctx.qual(c) or ""
            for r in rules:
                if not qual or r.get("kind") == "unsafe_deserialization" or not r["match"].search(qual):
                    continue
                if "tools" in r:  # load_tools([...]): only when it lists a tool that runs code
                    listed = {string_value(e) for a in c.args if isinstance(a, Arr) for e in a.items}
                    if not listed & set(r["tools"]):
                        continue
                if r.get("kind") == "model_output_to_sql" and self._safe_database(c):
                    continue  # its SQL runs read-only, or on the visitor's own database: not on the server's
                return True
        return False

    def _safe_database(self, c: Call) -> bool:
        """A SQL agent or chain whose every database is opened read-only or is the visitor's own."""
        from .uses import DatabaseAccess, knowledge

        key = ("safe_db", id(c))
        got = self.ctx.memo.get(key)
        if got is None:
            dbs = DatabaseAccess(self.ctx.q, knowledge(), self.ctx.tainted)
            got = self.ctx.memo[key] = dbs.grade(dbs.of_agent(c)) is not None
        return got

    @cached_property
    def tools_read_only(self) -> bool:
        """Every tool the model is given is known to only look things up (``tools.read_only`` of
        checklists/models.yaml: a web search, Wikipedia; SQL on a database opened read-only or the
        visitor's own): an injected instruction can make it search, not act. False when a tool cannot be
        named (a function of the repository, a JSON function definition)."""
        if not self.tools or self.tools_run_code:
            return False
        t = self.t.data.get("tools") or {}
        options = set(t.get("options") or ())
        agents = re.compile(t.get("agents") or r"(?!)")
        exprs = [v for k, v in {**self.chain_opts, **self.opts}.items() if k in options]
        for c in self.chain:
            name = last_name(c.callee)
            if name in set(t.get("methods") or ()) or agents.search(self.ctx.qual(c) or name):
                exprs += [(a, c.scope) for a in c.args if self._tool_list(a, c.scope)]
        names: list[str | None] = []
        for e, sc in exprs:
            names += self._tool_names(e, sc, 0)
        if not names:
            return False
        ro = re.compile(t.get("read_only") or r"(?!)")
        acting = re.compile(t.get("acting") or r"(?!)")
        return all(n is not None and (n == "read-only database" or (ro.search(n) and not acting.search(n)))
                   for n in names)

    def _tool_list(self, e: Expr, scope: Scope) -> bool:
        """A positional argument of an agent that is its tool list (a list, or a name bound to one or to
        ``load_tools(...)``), not its model or prompt."""
        loaders = set((self.t.data.get("tools") or {}).get("tool_loaders") or ())
        vals = [e] if not isinstance(e, Name) else [b for b, _s in self.ctx.binding(e.id, scope)]
        return bool(vals) and all(isinstance(v, Arr) or (isinstance(v, Call) and last_name(v.callee) in loaders)
                                  for v in vals)

    def _tool_names(self, e: Expr, scope: Scope, depth: int) -> list[str | None]:
        """What each tool of a tool list is, by name (None: a tool that cannot be named)."""
        t = self.t.data.get("tools") or {}
        if depth > 5:
            return [None]
        if isinstance(e, Arr):
            return [n for x in e.items for n in self._tool_names(x, scope, depth + 1)]
        if isinstance(e, Name):
            bound = self.ctx.binding(e.id, scope)
            return [n for b, s in bound for n in self._tool_names(b, s, depth + 1)] if bound else [None]
        if isinstance(e, Call):
            name = last_name(e.callee, through_calls=True)
            if name in set(t.get("tool_loaders") or ()):
                listed = [string_value(x) for a in e.args if isinstance(a, Arr) for x in a.items]
                return listed or [None]
            if name in set(t.get("tool_wrappers") or ()):
                func = e.kwargs.get("func") or e.kwargs.get("coroutine") or (e.args[1] if len(e.args) > 1 else None)
                if isinstance(func, Attr) and isinstance(func.obj, Name):  # search.run: what search is
                    built = [b for b, _s in self.ctx.binding(func.obj.id, scope)]
                    return [self._tool_name(b) if isinstance(b, Call) else None for b in built] or [None]
                return [None]
            return [self._tool_name(e)]
        return [None]

    def _tool_name(self, c: Call) -> str | None:
        """A tool by the call that builds it: its name, or ``read-only database`` for SQL on a database
        opened read-only or the visitor's own."""
        if self._is_sql_agent(c):
            return "read-only database" if self._safe_database(c) else None
        return last_name(c.callee, through_calls=True) or None

    def _is_sql_agent(self, c: Call) -> bool:
        from .uses import knowledge

        qual = self.ctx.qual(c) or ""
        return bool(qual) and any(r.get("kind") == "model_output_to_sql" and r["match"].search(qual)
                                  for r in knowledge().agents)

    @cached_property
    def key_source(self) -> Literal["server", "user", "local"]:
        """``local`` (Ollama, a localhost URL), ``user`` (the client's key comes from the request or a UI
        input: bring your own key), else ``server``."""
        from .tables import tables
        from .uses import knowledge

        local = tables().reach.local_model_pattern
        texts = [self.site[1], self.provider] + [self.ctx.qual(c) or "" for c in self.chain]
        for k in ("base_url", "baseURL", "host", "api_base", "endpoint", "url"):
            if k in self.chain_opts or k in self.opts:
                e, s = self.opts.get(k) or self.chain_opts[k]
                texts += [string_value(e) or ""] + list(self.ctx.repo.texts(e, s))[:3]
        if self.provider == "ollama" or any(local.search(x) for x in texts if x):
            return "local"
        keys = knowledge().key_options
        for c in (self.call, *self.chain):
            for k, v in options(self.ctx, c, inner_calls=False).items():
                if k in keys and self.ctx.tainted(v[0], v[1]):
                    return "user"
        return "server"

    @cached_property
    def messages_from_client(self) -> bool:
        cands = [v for k, v in self.opts.items() if k in self.t.opt("messages")]
        if self.provider in {"langchain", "llama_index"} and self.call.args:
            cands.append((self.call.args[0], self.scope))
        return any(self.p.client_messages(e, s) for e, s in cands)

    # ------------------------------------------------------------------------------ flags
    @cached_property
    def guarded_by_flag(self) -> bool:
        if self.p.guarded(self.guards):
            return True
        fs = function_scope(self.scope)
        if fs is None:
            return False
        callers = self.ctx.callers(fs)  # every caller checks the flag first
        return bool(callers) and all(self.p.guarded(guards_of(self.ctx, c)) for c in callers)


# ------------------------------------------------------------------------------- free helpers
def options(ctx: Ctx, call: Call, inner_calls: bool = True) -> Opts:
    """Option names given to a call, with their values: keywords, options objects, the objects held by
    the names passed, nested config objects (``generation_config={...}``, ``body: JSON.stringify({...})``),
    spreads (``**params``, ``{...defaults}``) and, with ``inner_calls``, the keywords of the calls that
    build an option's value (``config=GenerateContentConfig(max_output_tokens=...)``,
    ``http_client=httpx.Client(timeout=...)``)."""
    key = ("opts", id(call), inner_calls)
    got = ctx.memo.get(key)
    if got is None:
        got = {}
        for k, v in call.kwargs.items():
            got.setdefault(k, (v, call.scope))
            _add_options(ctx, v, call.scope, got, 1, inner_calls)
        for a in call.args:
            if isinstance(a, (Obj, Name)):
                _add_options(ctx, a, call.scope, got, 0, inner_calls)
            elif isinstance(a, Call) and last_name(a.callee) in _SERIALISERS:
                _add_options(ctx, a, call.scope, got, 1, inner_calls)
        ctx.memo[key] = got
    return got


_SERIALISERS = {"stringify", "assign", "dumps"}
"""``JSON.stringify({...})``, ``Object.assign({}, a, b)``, ``json.dumps({...})``: the object is the option bag."""


def _add_options(ctx: Ctx, e: Expr, scope: Scope, found: Opts, depth: int, inner_calls: bool) -> None:
    if depth > 4:
        return
    if isinstance(e, Name):
        for b, s in ctx.binding(e.id, scope):
            if isinstance(b, Obj) or (depth > 0 and isinstance(b, Call)):
                _add_options(ctx, b, s, found, depth + 1, inner_calls)
    elif isinstance(e, Obj):
        for k, v in e.items:
            if k is None:
                _add_options(ctx, v, scope, found, depth + 1, inner_calls)
            elif k != "?":
                found.setdefault(k, (v, scope))
                if isinstance(v, (Obj, Name, Call)):
                    _add_options(ctx, v, scope, found, depth + 1, inner_calls)
    elif isinstance(e, Call) and depth > 0:
        if last_name(e.callee) in _SERIALISERS:
            for a in e.args:
                _add_options(ctx, a, scope, found, depth + 1, inner_calls)
        elif inner_calls:
            for k, v in e.kwargs.items():
                found.setdefault(k, (v, scope))
                _add_options(ctx, v, scope, found, depth + 1, inner_calls)


def module_clients(ctx: Ctx, mod: Module) -> dict[str, set[str]]:
    """Provider -> the option names given to the SDK clients constructed in a module."""
    key = ("clients", mod.path)
    got = ctx.memo.get(key)
    if got is None:
        got = {}
        for c in mod.calls:
            if not (c.new or last_name(c.callee)[:1].isupper() or isinstance(c.callee, Name)):
                continue
            qual = ctx.qual(c)
            if not qual or not ctx.q.k.constructor(qual):
                continue
            prov = ctx.t.provider_of_qual(qual) or _kind_provider(ctx, ctx.q.k.constructor(qual)[0][1])
            if prov:
                got.setdefault(prov, set()).update(options(ctx, c))
        ctx.memo[key] = got
    return got


def provider_of(ctx: Ctx, call: Call, source: tuple[str, str], chain: tuple[Call, ...]) -> str:
    """openai, anthropic, google, mistral, cohere, langchain, litellm, vercel-ai, http, ...: from the SDK
    function, the client's constructor, the client's kind, or the call's shape."""
    tag, what = source
    if tag == "http":
        return "http"
    if tag == "fn":
        return ctx.t.provider_of_qual(what) or "other"
    if tag == "shape":
        shapes = ctx.t.provider_shapes
        return shapes.get(what) or shapes.get(what.split(".")[0]) or "other"
    for c in chain:
        qual = ctx.qual(c)
        if qual and ctx.q.k.constructor(qual):
            got = ctx.t.provider_of_qual(qual)
            if got:
                return got
    if tag == "obj":
        return _kind_provider(ctx, what) or "other"
    return _wrapper_provider(ctx, call) or "other"


def _kind_provider(ctx: Ctx, kind: str) -> str | None:
    return ctx.t.provider_kinds.get(kind.split(".", 1)[0])


def _wrapper_provider(ctx: Ctx, call: Call) -> str | None:
    """An object literal standing in for a model (``{ call: (m) => api.call(m) }``): its model call's provider."""
    if not isinstance(call.callee, Attr):
        return None
    for v in ctx.repo.values(call.callee.obj, call.scope):
        if v[0] != "dict":
            continue
        for k, item in v[1].items:
            if k == call.callee.name and isinstance(item, Fn):
                for inner in item.scope.calls:
                    site = ctx.q.site(inner)
                    if site is not None and inner is not call:
                        return _Site(ctx, Prompt(ctx), inner, site).provider
    return None


def guards_of(ctx: Ctx, call: Call) -> list[tuple[Guard, Scope]]:
    """The control context of a call in its function, and of the calls its callback is handed to
    (``items.map(async x => ...)``, ``pRetry(() => ...)``), innermost first."""
    out = [(g, call.scope) for g in reversed(call.guards)]
    idx = ctx.index(call.scope.module)
    fs = function_scope(call.scope)
    seen = 0
    while fs is not None and seen < 8:
        holder = idx.holder.get(id(fs))
        if holder is None:
            break
        out += [(g, holder.scope) for g in reversed(holder.guards)]
        fs = function_scope(holder.scope)
        seen += 1
    return out


def model_text(ctx: Ctx, e: Expr, scope: Scope) -> str | None:
    """A model name written in the code: a literal, a name bound to one, a provider's model factory
    called with one (``openai("gpt-4o")``)."""
    text = string_value(e)
    if text is None and isinstance(e, Name):
        binds = ctx.binding(e.id, scope)
        text = string_value(binds[-1][0]) if binds else None
    if text is None and isinstance(e, Call) and e.args:
        qual = ctx.qual(e) or ""
        if ctx.t.model_arg0.search(qual) and ctx.t.provider_of_qual(qual):
            text = string_value(e.args[0])
    return text or None


def result_validated(ctx: Ctx, call: Call, envelope: bool = False) -> bool:
    """The call's result reaches a validator (json.loads, JSON.parse, Model.model_validate_json,
    schema.parse) in the same function: directly, or through the names bound from it. ``envelope``:
    the result is an HTTP response, whose body any client parses as JSON: only a schema counts."""
    idx = ctx.index(call.scope.module)
    cur = call
    for _ in range(12):
        got = idx.parent.get(id(cur))
        if got is None:
            break
        if _is_validator(ctx, got[0], envelope):
            return True
        cur = got[0]
    scope = call.scope
    seeds = {name for name, exprs in scope.bindings.items() if any(_holds(e, call) for e in exprs)}
    if not seeds:
        return False
    derived = _derived(ctx, scope, seeds)
    for v in _calls_within(scope):
        if _is_validator(ctx, v, envelope) and any(isinstance(n, Name) and n.id in derived
                                         for a in list(v.args) + list(v.kwargs.values()) for n in walk(a, 200)):
            return True
    return False


def _holds(e: Expr, call: Call) -> bool:
    return any(n is call for n in walk(e, 300))


def _derived(ctx: Ctx, scope: Scope, seeds: set[str]) -> set[str]:
    """Names of ``scope`` whose values are computed from ``seeds`` (flow-insensitive)."""
    key = ("users", id(scope))
    users = ctx.memo.get(key)
    if users is None:
        users = {}
        for name, exprs in scope.bindings.items():
            for e in exprs:
                for n in walk(e, 300):
                    if isinstance(n, Name):
                        users.setdefault(n.id, set()).add(name)
        ctx.memo[key] = users
    reached, queue = set(seeds), list(seeds)
    while queue:
        for name in users.get(queue.pop(), ()):
            if name not in reached:
                reached.add(name)
                queue.append(name)
    return reached


def _calls_within(scope: Scope, limit: int = 2_000) -> list[Call]:
    """The calls of ``scope`` and of the scopes nested in it (whole scopes, until ``limit`` is reached)."""
    out: list[Call] = []
    for s in scopes_in(scope):
        if len(out) >= limit:
            break
        out += s.calls
    return out


def _is_validator(ctx: Ctx, c: Call, envelope: bool = False) -> bool:
    qual = ctx.qual(c)
    if qual and ctx.t.validator_functions.search(qual):
        return not envelope  # json.loads / JSON.parse
    if isinstance(c.callee, Attr) and c.callee.name in ctx.t.validator_methods:
        recv = strict_dotted(c.callee.obj) or ""
        return recv not in ctx.t.not_receivers and last_name(c.callee.obj) not in ctx.t.not_receivers
    return False


def _is_timeout_signal(ctx: Ctx, e: Expr, scope: Scope) -> bool:
    """``signal: AbortSignal.timeout(ms)`` (or a name bound to one), or an AbortController its
    function aborts from a ``setTimeout``."""
    values = [e] + [b for b, _s in ctx.binding(e.id, scope)] if isinstance(e, Name) else [e]
    for v in values:
        if any(isinstance(n, Call) and (strict_dotted(n.callee) or "") in {"AbortSignal.timeout", "AbortSignal.any"}
               for n in walk(v, 100)):
            return True
    fs = function_scope(scope) or scope.module.scope
    calls = _calls_within(fs, 500)
    return any(strict_dotted(c.callee) == "setTimeout" for c in calls) and any(
        last_name(c.callee) == "abort" for c in calls)


def _calls_named(call: Call, name: str) -> bool:
    """A call of ``name`` among the arguments of ``call`` (callbacks included)."""
    for a in call.args:
        for n in walk(a, 300):
            if isinstance(n, Call) and strict_dotted(n.callee) == name:
                return True
            if isinstance(n, Fn) and any(strict_dotted(c.callee) == name for c in _calls_within(n.scope, 200)):
                return True
    return False


def _callee_text(e: Expr | None) -> str | None:
    if isinstance(e, Call):
        return strict_dotted(e.callee)
    return None


def _says_retry(text: str | None) -> bool:
    low = (text or "").lower()
    return "retry" in low or "retries" in low or "backoff" in low


def _retry_decorator(ctx: Ctx, d: Expr, fs: Scope) -> bool:
    """``@retry(...)`` (tenacity, retrying), ``@backoff.on_exception(...)``, ``@with_retries``."""
    target = d.callee if isinstance(d, Call) else d
    text = strict_dotted(target) or ""
    qual = next((v[2] for v in ctx.repo.values(target, fs.parent or fs) if v[0] == "ext"), "")
    both = f"{text} {qual}".lower()
    return "retry" in both or ("backoff" in both and text.rsplit(".", 1)[-1] in {"on_exception", "on_predicate"})


def _callback_is_fallback(cb: Expr) -> bool:
    """A ``.catch(cb)`` that produces an alternative (returns a value, calls something other than a
    logger) instead of only logging or rethrowing."""
    if not isinstance(cb, Fn):
        return False
    fs = cb.scope
    if any(not _is_log_call(r) for r in fs.returns):
        return True
    if any(not isinstance(b, Param) for exprs in fs.bindings.values() for b in exprs):
        return True  # assigns something
    if any(st.scope is fs for st in fs.module.stores) or any(fields for fields in _fields_set_in(fs)):
        return True  # resets a state: el.style.display = "none", this.loading = false
    return any(not _is_log_call(c) for c in fs.calls)


def _fields_set_in(fs: Scope) -> Iterator[list[Expr]]:
    for cls in fs.module.classes:
        for values in cls.fields.values():
            yield [v for v, s in values if s is fs]


def _is_log_call(e: Expr) -> bool:
    if not isinstance(e, Call):
        return False
    text = strict_dotted(e.callee) or ""
    parts = text.split(".")
    if len(parts) < 2:
        return text == "print"
    recv = parts[-2].lower()
    return parts[0] == "console" or (parts[-1] in LOG_METHODS and (recv in LOG_RECEIVERS or recv.endswith("logger")))


__all__ = ["call_sites", "options"]
