"""What a model call's prompt is made of, whose conversation it sends, and whether a flag guards it
(the prompt and kill-switch facts of ``LLMCallSite``; llm.py assembles them).

- ``has_literal``: prompt text written in the code (a literal, an f-string or template literal);
- ``from_file``: the prompt template is read from a file or a prompt store (``open("prompts/x.txt")``,
  ``Path(...).read_text()``, ``fs.readFileSync``, a Jinja template, ``hub.pull``, a prompts module);
- ``spliced``: request data is pasted into prompt text (f-string, template literal, ``+``, ``%``,
  ``.format``, ``join``);
- ``client_messages``: the whole message list comes from the request, roles included;
- ``flag_polarity`` / ``guarded_by_flag``: the call only runs under an ``if`` on a feature flag.

Each follows names through their bindings (and what ``x.append(...)`` adds), never running anything.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar

from .ir import (
    Arr,
    Attr,
    Bin,
    Call,
    Cmp,
    Elem,
    Expr,
    Imp,
    Lit,
    Name,
    Not,
    Obj,
    Param,
    Scope,
    Tmpl,
    Union,
)
from .irtools import (
    children,
    last_name,
    literal_text,
    plus_leaves,
    strict_dotted,
    string_value,
    walk,
)
from .llm_flow import MAX_DEPTH, Ctx, words

ROLE_WORDS = {"system", "user", "assistant", "human", "ai", "tool", "function", "developer", "model"}
NOT_TEXT = ROLE_WORDS | {"true", "false", "null", "undefined", "none"}
"""Literals that are no prompt text (role names; JS keywords, which the IR keeps as their text)."""
TEMPLATE_CALLS = {"format", "format_map", "join", "dedent", "strip", "HumanMessage", "SystemMessage", "AIMessage",
                  "ChatMessage", "from_template", "from_messages", "PromptTemplate", "ChatPromptTemplate", "Content",
                  "Part", "from_text", "dict", "format_messages", "format_prompt", "trim", "replace", "replaceAll",
                  "concat", "stripIndent", "stripIndents", "fromTemplate", "fromMessages", "formatMessages", "map",
                  "toString"}
"""Calls whose arguments are (part of) the prompt text they return."""
TEMPLATE_METHODS = {"read", "readlines", "format", "format_map", "render", "strip", "dedent", "substitute",
                    "safe_substitute", "partial", "format_prompt", "format_messages", "decode", "splitlines",
                    "lstrip", "rstrip", "toString", "compile", "invoke", "trim", "replace", "replaceAll"}
"""Methods whose receiver is the template: ``open(p).read()``, ``tpl.render(q=q)``."""
FILE_CALLS = {"read_text", "read_bytes", "get_template", "from_file", "load_prompt", "load_prompts", "read_prompt",
              "pull_prompt", "from_template_file", "FileSystemLoader", "readFileSync", "readFile", "loadPrompt",
              "loadPrompts", "readPrompt", "getPrompt", "pullPrompt", "loadTemplate", "fromFile"}
"""Calls that read a template from a file or a prompt store."""
PATH_READS = {"read_text", "read_bytes", "readFileSync", "readFile", "open"}
"""File reads that count only when the path names a prompt (a user's document is not a template)."""
PARSE_CALLS = {"load", "loads", "safe_load", "load_all", "safe_load_all", "parse", "dedent", "Template"}
PROMPT_PATH = re.compile(r"prompt|template|instruction|persona|system|\.(j2|jinja2?|prompty|tmpl|mustache|hbs)"
                         r"(\?raw)?$", re.IGNORECASE)
"""A path (or the name of the variable holding it) that names a prompt file, not a document."""
PATH_LIKE = re.compile(r"/|\\|\.\w{1,8}$")
"""A literal that looks like a path (``load("prompts/qa.txt")``), not an id (``getElementById("userPrompt")``)."""
AS_IS_CALLS = {"list", "tuple", "deepcopy", "copy", "dict", "model_dump", "to_dict", "jsonable_encoder",
               "convertToCoreMessages", "convertToModelMessages", "structuredClone", "from", "slice", "concat",
               "map", "toArray"}
"""Calls that pass a message list on unchanged (roles kept); ``filter`` is the server choosing."""
FLAG_CLIENT_METHODS = {"is_enabled", "is_feature_enabled", "feature_enabled", "is_on", "variation", "bool_variation",
                       "get_flag", "get_feature_flag", "is_feature_on", "evaluate_flag", "get_boolean_value",
                       "is_active_feature", "isEnabled", "isFeatureEnabled", "featureEnabled", "isOn",
                       "boolVariation", "getFlag", "getFeatureFlag", "isFeatureOn", "evaluateFlag",
                       "getBooleanValue", "checkGate", "getFeatureValue", "isActiveFeature"}
FLAG_FUNCTION = re.compile(r"flag|feature_?(is_)?(enabled|on|active)|^is_?\w*enabled$", re.IGNORECASE)
"""A function of the project's own that answers a flag question: ``feature_enabled("ai")``."""
FLAG_GETTERS = {"getenv", "get", "getbool", "get_bool", "getboolean"}
CASE_WRAPPERS = {"lower", "upper", "strip", "casefold", "toLowerCase", "toUpperCase", "trim"}
VALUE_WRAPPERS = {"bool", "int", "str2bool", "strtobool", "to_bool", "as_bool", "parse_bool", "_bool", "getboolean",
                  "Boolean", "Number", "parseInt", "parse"}
FALSY = {"false", "0", "off", "no", "n", "", "disabled", "null", "undefined", "none"}
FLAG_ON_WORDS = {"enable", "enabled", "feature", "features", "flag", "flags", "switch", "toggle"}
FLAG_OFF_WORDS = {"disable", "disabled", "kill", "killswitch", "off", "offline", "mock", "fake", "stub", "dry",
                  "maintenance"}
AI_WORDS = {"ai", "llm", "llms", "gpt", "openai", "anthropic", "claude", "gemini", "model", "genai", "chatbot",
            "assistant", "copilot"}


def is_prompt_text(text: str) -> bool:
    stripped = text.strip()
    return bool(re.search(r"[A-Za-z]{2,}", stripped)) and stripped.lower() not in NOT_TEXT


def flag_word_sign(ws: Sequence[str]) -> int:
    """For the words of a name: +1 when it reads as "feature on" (AI_ENABLED, use_llm, feature_chat),
    -1 for "off" (DISABLE_AI, KILL_SWITCH, MOCK_LLM), 0 for anything else (OPENAI_API_KEY, DEBUG)."""
    if any(w in FLAG_OFF_WORDS for w in ws):
        return -1
    if any(w in FLAG_ON_WORDS for w in ws):
        return 1
    for first, second in itertools.pairwise(ws):
        if first == "use" and second in AI_WORDS:
            return 1
    return 0


def name_sign(name: str) -> int:
    return flag_word_sign(words(name))


# ------------------------------------------------------------------------------ prompt provenance
class Prompt:
    """Prompt questions over one analysis (``Ctx``), each walk bounded and cycle-safe."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.not_prompt = ctx.t.opt("not_prompt")
        self.msg_names = ctx.t.opt("messages")
        self.prompt_keys = ctx.t.opt("prompt") | {"template", "prompt_template", "promptTemplate"}

    def _bindings(self, name: Name, scope: Scope) -> list[tuple[Expr, Scope]]:
        return self.ctx.binding(name.id, scope, mutations=True)

    def _obj_values(self, e: Obj) -> list[Expr]:
        return [v for k, v in e.items if k not in self.not_prompt]

    # ------------------------------------------------------------------------- inline text
    def has_literal(self, e: Expr, scope: Scope) -> bool:
        """``e`` holds prompt text written in the code (not a role name, not a blank)."""
        return _search(self._literal_step, e, scope)

    def _literal_step(self, e: Expr, scope: Scope, again: Callable[..., bool]) -> bool:
        if isinstance(e, (Lit, Tmpl)):
            return is_prompt_text(literal_text(e))
        if isinstance(e, Call):
            return self._call_has_literal(e, again)
        return self._any_part(e, scope, again)

    def _any_part(self, e: Expr, scope: Scope, again: Callable[..., bool]) -> bool:
        """What ``has_literal`` and ``from_file`` both look into: a list's or union's items, an object's
        values (not under a key that holds no prompt), both sides of an operator, a name's bindings."""
        if isinstance(e, (Arr, Union)):
            return any(again(x) for x in e.items)
        if isinstance(e, Obj):
            return any(again(v) for v in self._obj_values(e))
        if isinstance(e, Bin):
            return again(e.left) or again(e.right)
        if isinstance(e, Name):
            return any(again(b, s) for b, s in self._bindings(e, scope))
        return False

    def _call_has_literal(self, e: Call, again: Callable[..., bool]) -> bool:
        if isinstance(e.callee, Attr) and again(e.callee.obj):
            return True  # "Answer: {q}".format(q=q), prompt.format_messages(...)
        if last_name(e.callee) in TEMPLATE_CALLS:
            return any(again(a) for a in e.args) or any(
                again(v) for k, v in e.kwargs.items() if k not in self.not_prompt)
        return any(again(v) for v in self._prompt_options(e))  # LLMChain(llm=llm, prompt=template)

    def _prompt_options(self, e: Call) -> list[Expr]:
        """The values a call is given under a prompt's name (``prompt=``, ``template=``, ``{ messages }``)."""
        out = [v for k, v in e.kwargs.items() if k in self.prompt_keys]
        for a in e.args:
            if isinstance(a, Obj):
                out += [v for k, v in a.items if k in self.prompt_keys]
        return out

    # --------------------------------------------------------------------------- from a file
    def from_file(self, e: Expr, scope: Scope) -> bool:
        """The prompt template (not the data put into it) is read from a file or a prompt store."""
        return _search(self._file_step, e, scope)

    def _file_step(self, e: Expr, scope: Scope, again: Callable[..., bool]) -> bool:
        if isinstance(e, Tmpl):
            return any(again(p) for p in e.parts if isinstance(p, Expr))
        if isinstance(e, (Elem, Attr)):
            binds = self.ctx.member_defs(e, scope) if isinstance(e, Attr) else []
            return any(again(b, s) for b, s in binds) or again(e.obj)
        if isinstance(e, Imp):
            return self._prompt_module(e, scope)
        if isinstance(e, Call):
            return self._call_from_file(e, scope, again)
        return self._any_part(e, scope, again)

    def _prompt_module(self, imp: Imp, scope: Scope) -> bool:
        """``import { SYSTEM } from "@/lib/prompts"`` / ``from .prompts import SYSTEM``: a module of the
        project that keeps the prompts."""
        local = imp.level > 0 or imp.spec.startswith((".", "@/", "~/"))
        if not local and scope.module.lang == "python":
            local = self.ctx.repo._py_module(imp.spec, 0, scope.module.path) is not None
        return local and bool(PROMPT_PATH.search(imp.spec))

    def _call_from_file(self, e: Call, scope: Scope, again: Callable[..., bool]) -> bool:
        name = last_name(e.callee)
        text = strict_dotted(e.callee) or ""
        if name in FILE_CALLS or (name == "pull" and "hub" in text):
            if name not in PATH_READS:
                return True
            target = e.callee.obj if isinstance(e.callee, Attr) and name in {"read_text", "read_bytes"} else e
            return self.names_prompt_path(target, scope)
        if name == "open" and (isinstance(e.callee, Name) or text in {"io.open", "codecs.open", "aiofiles.open"}):
            return self.names_prompt_path(e, scope)
        if isinstance(e.callee, Attr) and name in TEMPLATE_METHODS and again(e.callee.obj):
            return True
        if name in PARSE_CALLS or name in TEMPLATE_CALLS:
            return any(again(a) for a in e.args) or any(
                again(v) for k, v in e.kwargs.items() if k not in self.not_prompt)
        if any(again(v) for v in self._prompt_options(e)):
            return True  # LLMChain(llm=llm, prompt=load_prompt("prompts/qa.yaml"))
        return any(PROMPT_PATH.search(t) and PATH_LIKE.search(t) for a in e.args if (t := string_value(a)))

    def names_prompt_path(self, e: Expr, scope: Scope) -> bool:
        """The path read names a prompt file (``prompts/system.txt``, ``PROMPT_DIR / name``), not a
        user's document: its strings, or the names holding it, say so."""
        for node in walk(e, 200):
            texts: list[str] = []
            if isinstance(node, (Lit, Tmpl)):
                texts.append(literal_text(node))
            elif isinstance(node, Name):
                texts.append(node.id)
                texts += list(self.ctx.repo.texts(node, scope))[:3]
            elif isinstance(node, Attr):
                texts.append(node.name)
            if any(t and PROMPT_PATH.search(t) for t in texts):
                return True
        return False

    # ------------------------------------------------------------------------ request data
    def spliced(self, e: Expr, scope: Scope) -> bool:
        """Request data is pasted into prompt text somewhere in ``e``, or in a variable it uses."""
        return self.spliced_at(e, scope) is not None

    def spliced_at(self, e: Expr, scope: Scope) -> str | None:
        """How request data is pasted into prompt text in ``e`` (``an f-string``, ``+``), or None."""
        return _search(self._splice_step, e, scope) or None

    def _splice_step(self, e: Expr, scope: Scope, again: Callable[..., str | None]) -> str | None:
        for node in walk(e, 500):
            how = self._splices(node, scope)
            if how:
                return how
            if isinstance(node, Name):
                for b, s in self._bindings(node, scope):
                    got = again(b, s)
                    if got:
                        return got
        return None

    # ------------------------------------------------------------------- the user's words
    def user_text(self, e: Expr | None, scope: Scope, depth: int = 0) -> bool:
        """``e`` carries the request's own text (issue 9): request data (``Ctx.tainted``), except what only
        derives from it through a model call (another model's answer), a method of an SDK or library
        object (search or retrieval results: ``kb.retrieve(q)``, ``wiki.run(q)``), or a function of the
        repository whose returns do not carry its parameters (``retrieveContext(q)`` returning documents)."""
        if e is None or not self.ctx.tainted(e, scope):
            return False
        key = (id(e), id(scope))
        memo = self.ctx.memo.setdefault("user_text", {})
        got: bool | None = memo.get(key)
        if got is not None:
            return got
        if depth > MAX_DEPTH:
            return True  # too deep to refine: the taint stands
        memo[key] = True  # a cycle reads as the taint
        got = self._user_text(e, scope, depth)
        memo[key] = got
        return got

    def _user_text(self, e: Expr, scope: Scope, depth: int) -> bool:
        def again(x: Expr | None, s: Scope = scope) -> bool:
            return self.user_text(x, s, depth + 1)

        if isinstance(e, Name):
            binds = self._bindings(e, scope)
            return any(again(b, s) for b, s in binds) if binds else True
        if isinstance(e, Attr):
            return self.ctx.from_request(e, scope) or again(e.obj) or not self.ctx.tainted(e.obj, scope)
        if isinstance(e, Call):
            if self.ctx.q.site(e) is not None:
                return False  # a model's answer, not the user's words
            if self.ctx.from_request(e, scope):
                return True
            if isinstance(e.callee, Attr) and self.ctx.tainted(e.callee.obj, scope):
                return again(e.callee.obj)  # text.strip(), req.json(), body.get("q")
            args = [*e.args, *e.kwargs.values()]
            vals = self.ctx.repo.values(e.callee, scope)
            fns = [v[1] for v in vals if v[0] == "fn"]
            if fns:
                return any(self._returns_params(fs, depth) for fs in fns) and any(again(a) for a in args)
            if any(v[0] == "obj" for v in vals) or isinstance(e.callee, Attr) and any(
                    v[0] == "obj" for v in self.ctx.repo.values(e.callee.obj, scope)):
                return False  # an SDK or library object's method: its results, not the text sent
            return any(again(a) for a in args)
        return any(again(x) for x in children(e)) or not any(True for _ in children(e))

    def _returns_params(self, fs: Scope, depth: int) -> bool:
        """Some return value of the repository's function ``fs`` carries one of its parameters' text."""
        memo = self.ctx.memo.setdefault("returns_params", {})
        got: bool | None = memo.get(id(fs))
        if got is None:
            memo[id(fs)] = True  # recursion reads as yes
            params = {id(p) for p in fs.params}
            got = any(self._carries(r, fs, params, depth + 1, set()) for r in fs.returns)
            memo[id(fs)] = got
        return got

    def _carries(self, e: Expr, scope: Scope, params: set[int], depth: int, seen: set[int]) -> bool:
        if depth > MAX_DEPTH or id(e) in seen:
            return False
        seen.add(id(e))
        def again(x: Expr, s: Scope = scope) -> bool:
            return self._carries(x, s, params, depth + 1, seen)

        if isinstance(e, Param):
            return id(e) in params
        if isinstance(e, Name):
            return any(again(b, s) for b, s in self._bindings(e, scope))
        if isinstance(e, Call):
            if self.ctx.q.site(e) is not None:
                return False
            if isinstance(e.callee, Attr):
                if any(v[0] == "obj" for v in self.ctx.repo.values(e.callee.obj, scope)):
                    return False
                if again(e.callee.obj):
                    return True
            vals = self.ctx.repo.values(e.callee, scope)
            if any(v[0] == "obj" for v in vals):
                return False
            return any(again(a) for a in [*e.args, *e.kwargs.values()])
        return any(again(x) for x in children(e))

    def _splices(self, node: Expr, scope: Scope) -> str | None:
        """How ``node`` builds a string from prompt text and request data (f-string, +, %, .format, join)."""
        taint = self.user_text
        if isinstance(node, Tmpl):
            if is_prompt_text(literal_text(node)) and any(taint(p, scope) for p in node.parts if isinstance(p, Expr)):
                return "an f-string" if scope.module.lang == "python" else "a template literal"
            return None
        if isinstance(node, Bin) and node.op == "+":
            leaves = plus_leaves(node, 500)
            ok = any(_has_text(x) for x in leaves) and any(taint(x, scope) for x in leaves)
            return "string concatenation" if ok else None
        if isinstance(node, Bin) and node.op == "%":
            return "% formatting" if _has_text(node.left) and taint(node.right, scope) else None
        if isinstance(node, Call) and isinstance(node.callee, Attr):
            if node.callee.name == "format" and _has_text(node.callee.obj):
                ok = any(taint(a, scope) for a in list(node.args) + list(node.kwargs.values()))
                return ".format()" if ok else None
            if node.callee.name == "join" and node.args and isinstance(node.args[0], Arr):
                items = node.args[0].items
                ok = any(_has_text(x) for x in items) and any(taint(x, scope) for x in items)
                return "join()" if ok else None
        return None

    # ------------------------------------------------------------- LangChain templates
    def chain_input(self, call: Call, chain: tuple[Call, ...], scope: Scope) -> str | None:
        """Where the request data given to a LangChain chain lands (issue 9), as evidence text, when it is
        pasted into prompt text; None when it stays the user's own message (a chat template's
        ``("human", "{input}")``, a message list), is the whole prompt, or lands in a template whose shape
        the code does not show (a prompt-hub pull)."""
        inputs = self._chain_inputs(call, scope)
        tainted = [(k, v) for k, v in inputs if self.user_text(v, scope)]
        if not tainted:
            return None
        t = self.templates
        keys = {k for k, _v in tainted}
        own: list[str] = []
        for c in chain:
            name = last_name(c.callee)
            kind = self._template_kind(c, name)
            if kind is None:
                continue
            for role, text in self._slots(c, kind, c.scope):
                hit = _slot_hit(role, text, keys)
                where = f"{_role_text(role)} of {strict_dotted(c.callee) or name} (line {c.line})"
                if hit == "spliced":
                    return f"formatted into the {where}"
                if hit:
                    own.append(where)
        if own:
            return None  # the input is its own message, a message list, or the whole prompt
        quals = [(c, self.ctx.qual(c) or "") for c in chain]
        for c, q in quals:
            if t["hub"].search(q):
                hub_name = string_value(c.args[0]) if c.args else None
                if hub_name and t["hub_text"].search(hub_name):
                    return f"formatted into the hub's text template {hub_name} (line {c.line})"
        if any(t["hub"].search(q) for _c, q in quals):
            return None  # a hub prompt whose shape the code does not show: nothing is claimed
        if any(t["message_agents"].search(q) for _c, q in quals):
            return self._messages_spliced(tainted, scope)
        for c, _q in quals:
            if t["text_agents"].search(last_name(c.callee)):
                return ("formatted into the built-in text template of "
                        f"{strict_dotted(c.callee) or last_name(c.callee)} (line {c.line})")
        return self._messages_spliced(tainted, scope)

    def _messages_spliced(self, tainted: list[Any], scope: Scope) -> str | None:
        """A chat model or a message-list agent called directly: the input is the prompt itself; it is
        spliced only when the code pastes it into text (an f-string in a HumanMessage)."""
        for _k, v in tainted:
            how = self.spliced_at(v, scope)
            if how:
                return f"pasted into the message text by {how}"
        return None

    @property
    def templates(self) -> dict[str, Any]:
        got = getattr(self, "_templates", None)
        if got is None:
            data = self.ctx.t.data.get("templates") or {}
            got = {k: frozenset(data.get(k) or ()) for k in ("text", "chat", "placeholders", "human", "system")}
            for k in ("hub", "hub_text", "text_agents", "message_agents"):
                got[k] = re.compile(data.get(k) or r"^$")
            self._templates = got
        return got

    def _template_kind(self, c: Call, name: str) -> str | None:
        t = self.templates
        recv = last_name(c.callee.obj) if isinstance(c.callee, Attr) else ""
        if name in t["chat"]:
            return "chat"
        if name in t["text"]:
            if recv in t["human"] or recv in {"ChatPromptTemplate"}:
                return "human"  # ChatPromptTemplate.from_template(t): one human message
            if recv in t["system"]:
                return "system"
            return "text"
        return None

    def _chain_inputs(self, call: Call, scope: Scope) -> list[tuple[str | None, Expr]]:
        """The input map of ``chain.invoke({...})`` / ``chain.run(x)`` / ``chain(question=q)``: (variable
        or None for a single unnamed input, value)."""
        out: list[tuple[str | None, Expr]] = [(k, v) for k, v in call.kwargs.items()
                                               if k not in {"callbacks", "config", "run_manager", "tags"}]
        for a in call.args[:1]:
            obj = a
            if isinstance(a, Name):
                objs = [b for b, _s in self.ctx.binding(a.id, scope) if isinstance(b, Obj)]
                obj = objs[0] if objs else a
            if isinstance(obj, Obj):
                out += [(k, v) for k, v in obj.items if k not in (None, "?")]
                out += [(None, v) for k, v in obj.items if k in (None, "?")]
            else:
                out.append((None, a))
        return out

    def _slots(self, c: Call, kind: str, scope: Scope) -> list[tuple[str | None, str | None]]:
        """(role, template text) of the messages a template call builds; role None for a text template,
        ``placeholder`` for a message-list slot; text None when it could not be read."""
        t = self.templates
        if kind in {"text", "human", "system"}:
            e = c.args[0] if c.args else c.kwargs.get("template")
            role = None if kind == "text" else kind
            return [(role, self._text(e, scope))]
        items: list[Expr] = []
        src = c.args[0] if c.args else c.kwargs.get("messages")
        for arr in self._resolve(src, scope):
            if isinstance(arr, Arr):
                items += arr.items
        out: list[tuple[str | None, str | None]] = []
        for item in items:
            for x in self._resolve(item, scope) or [item]:
                if isinstance(x, Arr) and len(x.items) == 2:
                    role = (string_value(x.items[0]) or "").lower() or None
                    out.append(("placeholder" if role == "placeholder" else role, self._text(x.items[1], scope)))
                elif isinstance(x, Call):
                    n = last_name(x.callee)
                    recv = last_name(x.callee.obj) if isinstance(x.callee, Attr) else ""
                    if n in t["placeholders"] or recv in t["placeholders"]:
                        out.append(("placeholder", None))
                    elif n in t["human"] or recv in t["human"]:
                        out.append(("human", self._text(x.args[0] if x.args else x.kwargs.get("content")
                                                        or x.kwargs.get("template"), scope)))
                    elif n in t["system"] or recv in t["system"]:
                        out.append(("system", self._text(x.args[0] if x.args else x.kwargs.get("content")
                                                         or x.kwargs.get("template"), scope)))
                    else:
                        out.append((None, None))
                else:
                    out.append((None, None))
        return out

    def _resolve(self, e: Expr | None, scope: Scope, depth: int = 0) -> list[Expr]:
        """``e``, or what the name (or import) ``e`` is bound to, a few steps."""
        if e is None or depth > 4:
            return []
        if isinstance(e, Name):
            return [x for b, s in self.ctx.binding(e.id, scope) for x in self._resolve(b, s, depth + 1)]
        if isinstance(e, Imp):
            return [x for b, s in self.ctx.import_defs(e, scope.module) for x in self._resolve(b, s, depth + 1)]
        return [e]

    def _text(self, e: Expr | None, scope: Scope) -> str | None:
        """The text of a template argument (a literal, or a name or import bound to one)."""
        for x in self._resolve(e, scope):
            if isinstance(x, (Lit, Tmpl)):
                text = literal_text(x)
                if text:
                    return text
        return None

    def mentions_taint(self, e: Expr, scope: Scope) -> bool:
        return self.ctx.tainted(e, scope)

    # ---------------------------------------------------------------- the client's messages
    def client_messages(self, e: Expr, scope: Scope, depth: int = 0) -> bool:
        """The whole conversation ``e`` is the client's, roles included: ``request.json["messages"]``,
        ``body.messages``, a handler's ``messages`` parameter, ``[system, *req.messages]``,
        ``[m.model_dump() for m in body.messages]`` (not when the server filters or fixes the roles)."""
        if depth > 8:
            return False

        def again(x: Expr, s: Scope = scope) -> bool:
            return self.client_messages(x, s, depth + 1)

        if isinstance(e, Attr):
            return e.name in self.msg_names and self.ctx.tainted(e.obj, scope)
        if isinstance(e, Elem):
            return again(e.obj)  # iterating the client's list yields its messages
        if isinstance(e, Call):
            return self._call_messages(e, scope, again)
        if isinstance(e, Name):
            return any(again(b, s) for b, s in self.ctx.binding(e.id, scope))
        if isinstance(e, Param):
            return self._param_messages(e, depth)
        if isinstance(e, Bin) and e.op == "+":
            return again(e.left) or again(e.right)
        if isinstance(e, Arr):
            return not e.filtered and any(self._item_messages(x, scope, again) for x in e.items)
        return False

    def _call_messages(self, e: Call, scope: Scope, again: Callable[..., bool]) -> bool:
        name = last_name(e.callee)
        if name == "get" and isinstance(e.callee, Attr) and e.args:
            return string_value(e.args[0]) in self.msg_names and self.ctx.tainted(e.callee.obj, scope)
        if name in AS_IS_CALLS:
            return (bool(e.args) and again(e.args[0])) or (
                isinstance(e.callee, Attr) and name != "from" and again(e.callee.obj))
        return False

    def _param_messages(self, p: Param, depth: int) -> bool:
        fs = p.scope
        if p.name in self.ctx.handler_params(fs):
            return p.name in self.msg_names  # def chat(messages: list[Message]): the route's parameter
        if self.ctx.is_handler(fs):
            return False
        # a helper handing its parameter to the SDK: what its callers pass (ask(data["messages"]))
        return any(self.client_messages(a, s, depth + 1) for a, s in self.ctx.param_args(p) if a is not p.default)

    def _item_messages(self, x: Expr, scope: Scope, again: Callable[..., bool]) -> bool:
        """An element of a list literal: a spread of the client's list, or a message rebuilt from a
        client message with the client's role (``{"role": m.role, ...} for m in req.messages``)."""
        if isinstance(x, Obj):
            role = next((v for k, v in x.items if k == "role"), None)
            if role is None or isinstance(role, (Lit, Tmpl)):
                return False
            root = role
            while isinstance(root, (Attr, Elem)):
                root = root.obj
            return isinstance(root, Name) and again(root)
        if isinstance(x, (Lit, Tmpl)):
            return False
        return again(x)

    # ------------------------------------------------------------------------------ flags
    def flag_polarity(self, test: Expr | None, scope: Scope, depth: int = 0) -> int:
        """+1 when ``test`` being true means a flag switches the feature on, -1 when it means off,
        0 when ``test`` is not about a flag (or reads the flag from the request: not a kill switch)."""
        if test is None or depth > 6 or (depth == 0 and self.ctx.reads_request(test, scope)):
            return 0
        def again(x: Expr | None) -> int:
            return self.flag_polarity(x, scope, depth + 1)

        if isinstance(test, Not):
            return -again(test.operand)
        if isinstance(test, Union) and test.op in {"and", "or"}:
            signs = [again(x) for x in test.items]
            if test.op == "and":
                return 1 if 1 in signs else 0
            return -1 if -1 in signs else 0  # `if not enabled or ...: return` still exits when off
        if isinstance(test, Cmp):
            return _compare_sign(test, again(test.left))
        if isinstance(test, Call):
            return self._call_sign(test, again)
        if isinstance(test, Attr):
            return name_sign(test.name)
        if isinstance(test, Name):
            return name_sign(test.id)
        return 0

    def _call_sign(self, test: Call, again: Callable[..., int]) -> int:
        name = last_name(test.callee)
        receiver = (strict_dotted(test.callee.obj) or "").lower() if isinstance(test.callee, Attr) else ""
        key = string_value(test.args[0]) if test.args else None
        if name in FLAG_GETTERS and key is not None:
            if name == "get" and ("feature" in receiver or "flag" in receiver):
                return -1 if name_sign(key) < 0 else 1  # flags.get("ai-chat")
            if name != "get" or any(w in receiver for w in ("environ", "env", "config", "setting")):
                return name_sign(key)
        if name in FLAG_CLIENT_METHODS or FLAG_FUNCTION.search(name):
            return 1
        if name in CASE_WRAPPERS and isinstance(test.callee, Attr):
            return again(test.callee.obj)
        if name in VALUE_WRAPPERS and test.args:
            return again(test.args[0])
        return 0

    def guarded(self, guards: list[Any]) -> bool:
        """Under ``if <flag>:`` (or its else branch for an off-switch), or after ``if not <flag>: return``:
        ``guards`` are (Guard, scope of its test) pairs around a call."""
        for g, scope in guards:
            if g.kind != "if":
                continue
            sign = self.flag_polarity(g.test, scope)
            if (sign > 0 and g.branch) or (sign < 0 and not g.branch):
                return True
        return False


_T = TypeVar("_T")


def _search(step: Callable[[Expr, Scope, Callable[..., Any]], _T], e: Expr, scope: Scope) -> _T | Literal[False]:
    """``step(e, scope, again)``, where ``again(x, s=scope)`` applies ``step`` to a part ``x`` of ``e``
    (or to what it is bound to, in ``s``): each (expression, scope) pair is looked at once, at most
    ``MAX_DEPTH`` steps deep, so a walk through cyclic bindings ends."""
    seen: set[tuple[int, int]] = set()

    def visit(x: Expr, s: Scope, depth: int) -> _T | Literal[False]:
        if depth > MAX_DEPTH or (id(x), id(s)) in seen:
            return False
        seen.add((id(x), id(s)))
        return step(x, s, lambda y, t=s: visit(y, t, depth + 1))

    return visit(e, scope, 0)


def _compare_sign(test: Cmp, sign: int) -> int:
    right = test.right
    value = right.value if isinstance(right, Lit) else None
    falsy = isinstance(right, Lit) and (value in (False, None, 0) or str(value).lower() in FALSY)
    if test.op == "==":
        return -sign if falsy else sign
    if test.op == "!=":
        return sign if falsy else -sign
    if test.op == "in":
        return sign
    return 0


_VAR = re.compile(r"\{\{?\s*(\w+)\s*\}?\}")


def _slot_hit(role: str | None, text: str | None, keys: set[str | None]) -> str | None:
    """``spliced`` when one of the input ``keys`` (None: any variable) is formatted into ``text`` with
    other text around it (or into a system message); ``own`` when it is alone in a human message, a
    message-list placeholder, or the whole text of a text template; None when it is not there."""
    if role == "placeholder":
        return "own" if text is None or any(k is None or k in text for k in keys) else None
    if text is None:
        return None
    names = set(_VAR.findall(text))
    hit = names if None in keys else names & {k for k in keys if k}
    if not hit:
        return None
    alone = _VAR.fullmatch(text.strip()) is not None
    if alone and role in (None, "human", "user"):
        return "own"
    return "spliced"


def _role_text(role: str | None) -> str:
    return "template" if role is None else f"{role} message"


def _has_text(e: Expr) -> bool:
    return isinstance(e, (Lit, Tmpl)) and is_prompt_text(literal_text(e))


__all__ = ["Prompt", "flag_word_sign", "is_prompt_text"]
