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


def flag_word_sign(ws: list[str]) -> int:
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

    def _literal_step(self, e: Expr, scope: Scope, again) -> bool:
        if isinstance(e, (Lit, Tmpl)):
            return is_prompt_text(literal_text(e))
        if isinstance(e, Call):
            return self._call_has_literal(e, again)
        return self._any_part(e, scope, again)

    def _any_part(self, e: Expr, scope: Scope, again) -> bool:
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

    def _call_has_literal(self, e: Call, again) -> bool:
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

    def _file_step(self, e: Expr, scope: Scope, again) -> bool:
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

    def _call_from_file(self, e: Call, scope: Scope, again) -> bool:
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
        return _search(self._splice_step, e, scope)

    def _splice_step(self, e: Expr, scope: Scope, again) -> bool:
        for node in walk(e, 500):
            if self._splices(node, scope):
                return True
            if isinstance(node, Name) and any(again(b, s) for b, s in self._bindings(node, scope)):
                return True
        return False

    def _splices(self, node: Expr, scope: Scope) -> bool:
        """``node`` builds a string from prompt text and request data (f-string, +, %, .format, join)."""
        taint = self.ctx.tainted
        if isinstance(node, Tmpl):
            return is_prompt_text(literal_text(node)) and any(
                taint(p, scope) for p in node.parts if isinstance(p, Expr))
        if isinstance(node, Bin) and node.op == "+":
            leaves = plus_leaves(node, 500)
            return any(_has_text(x) for x in leaves) and any(taint(x, scope) for x in leaves)
        if isinstance(node, Bin) and node.op == "%":
            return _has_text(node.left) and taint(node.right, scope)
        if isinstance(node, Call) and isinstance(node.callee, Attr):
            if node.callee.name == "format" and _has_text(node.callee.obj):
                return any(taint(a, scope) for a in list(node.args) + list(node.kwargs.values()))
            if node.callee.name == "join" and node.args and isinstance(node.args[0], Arr):
                items = node.args[0].items
                return any(_has_text(x) for x in items) and any(taint(x, scope) for x in items)
        return False

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

    def _call_messages(self, e: Call, scope: Scope, again) -> bool:
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

    def _item_messages(self, x: Expr, scope: Scope, again) -> bool:
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
        again = lambda x: self.flag_polarity(x, scope, depth + 1)
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

    def _call_sign(self, test: Call, again) -> int:
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

    def guarded(self, guards: list) -> bool:
        """Under ``if <flag>:`` (or its else branch for an off-switch), or after ``if not <flag>: return``:
        ``guards`` are (Guard, scope of its test) pairs around a call."""
        for g, scope in guards:
            if g.kind != "if":
                continue
            sign = self.flag_polarity(g.test, scope)
            if (sign > 0 and g.branch) or (sign < 0 and not g.branch):
                return True
        return False


def _search(step, e: Expr, scope: Scope) -> bool:
    """``step(e, scope, again)``, where ``again(x, s=scope)`` applies ``step`` to a part ``x`` of ``e``
    (or to what it is bound to, in ``s``): each (expression, scope) pair is looked at once, at most
    ``MAX_DEPTH`` steps deep, so a walk through cyclic bindings ends."""
    seen: set[tuple[int, int]] = set()

    def visit(x: Expr, s: Scope, depth: int) -> bool:
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


def _has_text(e: Expr) -> bool:
    return isinstance(e, (Lit, Tmpl)) and is_prompt_text(literal_text(e))


__all__ = ["Prompt", "flag_word_sign", "is_prompt_text"]
