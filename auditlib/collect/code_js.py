"""JavaScript / TypeScript source facts: model calls, SQL built from strings, endpoints, layer mixing.

Every .js/.jsx/.mjs/.cjs/.ts/.tsx/.mts/.cts file is parsed once with tree-sitter (never run, never
bundled, never type-checked) and walked once by :class:`_FileWalker`, which records imports, name
bindings per function scope, calls and function definitions. The questions that need the whole file
(was this client built with ``timeout``? was this router mounted behind ``requireAuth``?) are
answered afterwards from those records, and a few questions that need the whole repository (a client
exported by ``lib/openai.ts`` and used by a route; a Next.js ``middleware.ts`` that authenticates)
are answered by :func:`collect_code_js` once every file is read.

The facts are the same :class:`~auditlib.models.CodeFacts` the Python collector returns, so the
same probes judge both languages; :func:`merge_code_facts` combines the two.

As in the Python collector the analysis is shallow and local: names are followed through
assignments in the same file, never through types or across packages. Where it cannot tell it
leaves a call out rather than inventing one: a false finding costs the auditor more than a miss.
tree-sitter is error tolerant, so a file with a syntax error is still analysed as far as it parses.
"""

from __future__ import annotations

import functools
import posixpath
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from auditlib.collect.code_facts import FileFacts, aggregate, flag_word_sign
from auditlib.collect.files import FileSet
from auditlib.models import CodeFacts, Endpoint, LLMCallSite, LLMUseSite, SQLSite

MAX_JS_BYTES = 1_000_000
"""JS/TS files larger than this are not parsed (bundles, generated clients, data in a module)."""
MAX_LINE_CHARS = 5_000
"""A file with a line longer than this is minified or generated: not the prototype's own code."""
JS_SUFFIXES = (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts")

Progress = Callable[[str], None] | None

_MAX_DEPTH = 12
"""How far a name is followed through assignments before giving up (cycles, hostile input)."""
_INF = 1 << 62

# ------------------------------------------------------------------------------------------- tables
_SDK_MODULES: tuple[tuple[str, str], ...] = (
    ("openai", "openai"), ("@azure/openai", "openai"), ("@anthropic-ai/", "anthropic"),
    ("@google/generative-ai", "google"), ("@google/genai", "google"),
    ("@google-cloud/vertexai", "google"), ("@mistralai/mistralai", "mistralai"),
    ("cohere-ai", "cohere"), ("langchain", "langchain"), ("@langchain/", "langchain"),
    ("ai", "vercel-ai"), ("@ai-sdk/", "vercel-ai"), ("llamaindex", "llama_index"),
    ("@llamaindex/", "llama_index"), ("groq-sdk", "groq"), ("ollama", "ollama"),
    ("together-ai", "together"), ("replicate", "replicate"), ("@huggingface/inference", "huggingface_hub"),
)
"""Module (exact, or prefix when it ends with ``/``) -> SDK label, the same labels as for Python."""
_PROVIDER = {"mistralai": "mistral"}

_OPENAI_TAILS: tuple[tuple[str, ...], ...] = (
    ("chat", "completions", "create"), ("chat", "completions", "parse"),
    ("chat", "completions", "stream"), ("completions", "create"), ("responses", "create"),
    ("responses", "parse"), ("responses", "stream"), ("chat", "completions", "runTools"),
)
_TAILS: dict[str, tuple[tuple[str, ...], ...]] = {
    "openai": _OPENAI_TAILS,
    "groq": _OPENAI_TAILS,
    "together": _OPENAI_TAILS,
    "anthropic": (("messages", "create"), ("messages", "stream"), ("completions", "create")),
    "google": (("generateContent",), ("generateContentStream",), ("sendMessage",),
               ("sendMessageStream",)),
    "mistralai": (("chat", "complete"), ("chat", "stream"), ("chat",), ("chatStream",)),
    "cohere": (("chat",), ("chatStream",), ("generate",)),
    "ollama": (("chat",), ("generate",)),
    "replicate": (("run",), ("stream",)),
    "huggingface_hub": (("chatCompletion",), ("textGeneration",), ("chatCompletionStream",)),
    "vercel-ai": (("generateText",), ("streamText",), ("generateObject",), ("streamObject",)),
    "langchain": (("invoke",), ("stream",), ("batch",), ("call",), ("predict",),
                  ("streamEvents",), ("generate",)),
    "llama_index": (("chat",), ("complete",)),
}
_NEEDS_LLM_OBJECT = {"langchain", "llama_index"}
_VERCEL_STRUCTURED = {"generateObject", "streamObject"}
# Shapes unmistakable enough to count when the client cannot be traced to an SDK import (it comes
# from the project's own lib/openai.ts, a parameter, a property set elsewhere).
_STRONG_TAILS: dict[tuple[str, ...], str] = {
    ("chat", "completions", "create"): "openai", ("chat", "completions", "parse"): "openai",
    ("chat", "completions", "stream"): "openai", ("generateContent",): "google",
    ("generateContentStream",): "google",
}
# Shapes other libraries share (Twilio has ``client.messages.create``): a site only when the file
# imports the SDK that owns the shape.
_GATED_TAILS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("responses", "create"), "openai"), (("responses", "parse"), "openai"),
    (("completions", "create"), "openai"), (("messages", "create"), "anthropic"),
    (("messages", "stream"), "anthropic"), (("chat", "complete"), "mistralai"),
)
_OPENAI_COMPATIBLE = ("openai", "groq", "together")
_LLM_CLASS = re.compile(
    r"^(Chat\w+|\w*LLM\w*|initChatModel|OpenAI|AzureOpenAI|Ollama|Anthropic|Cohere|VertexAI|"
    r"Bedrock\w*|HuggingFace\w*|GoogleGenerativeAI|Gemini|Groq|MistralAI|\w+Chain|AgentExecutor)$"
)
_NOT_LLM_SUFFIXES = ("Template", "Parser", "History", "Message", "Messages", "Memory", "Loader")

_LLM_HOSTS = ("api.openai.com", "api.anthropic.com", "generativelanguage.googleapis.com",
              "api.mistral.ai", "api.cohere.ai", "api.cohere.com", "openrouter.ai/api",
              "api.groq.com", "api.together.xyz")
_HTTP_FUNCS = {"fetch", "$fetch", "ofetch", "axios", "got", "ky", "request", "superagent"}
_HTTP_METHODS = {"post", "request", "put", "stream"}
_HTTP_MODULES = {"axios", "got", "ky", "node-fetch", "undici", "ofetch", "superagent", "cross-fetch",
                 "isomorphic-fetch", "redaxios"}

_TIMEOUT_KEYS = {"timeout", "timeoutMs", "timeout_ms", "requestTimeout", "timeoutInMs"}
_SIGNAL_KEYS = {"signal", "abortSignal"}
_RETRY_KEYS = {"maxRetries", "max_retries", "retries", "maxAttempts", "retry", "numRetries"}
_MAX_TOKEN_KEYS = {"max_tokens", "maxTokens", "max_output_tokens", "maxOutputTokens",
                   "max_completion_tokens", "maxCompletionTokens", "max_tokens_to_sample",
                   "maxTokensToSample", "num_predict", "numPredict", "max_new_tokens"}
_STRUCT_KEYS = {"response_format", "responseFormat", "tools", "functions", "tool_choice",
                "toolChoice", "function_call", "responseSchema", "response_schema", "schema",
                "json_schema", "jsonSchema", "experimental_output", "output"}
_STRUCT_METHODS = {"withStructuredOutput", "bindTools", "parse"}
_MODEL_KEYS = ("model", "modelName", "model_name", "modelId", "deployment")
_PROMPT_KEYS = {"messages", "prompt", "contents", "input", "system", "instructions", "message",
                "text", "query", "inputs", "content", "chatHistory", "history", "question"}
_NON_PROMPT_KEYS = {"role", "type", "model", "name", "id", "tool_call_id", "mimeType", "detail",
                    "stream", "temperature", "top_p", "max_tokens", "response_format", "format"}
_ROLE_WORDS = {"system", "user", "assistant", "human", "ai", "tool", "function", "developer", "model"}
_TEMPLATE_CALLS = {"join", "trim", "replace", "replaceAll", "concat", "dedent", "stripIndent",
                   "stripIndents", "fromTemplate", "fromMessages", "HumanMessage", "SystemMessage",
                   "AIMessage", "ChatMessage", "PromptTemplate", "ChatPromptTemplate", "format",
                   "formatMessages", "map", "toString"}
_MUTATORS = {"push", "unshift", "splice"}
_VALIDATE_METHODS = {"parse", "safeParse", "parseAsync", "safeParseAsync", "validate", "validateSync"}

_REQUEST_OBJECTS = {"req", "request", "event"}
_REQUEST_PROPS = {"body", "query", "params", "searchParams", "nextUrl", "url", "queryStringParameters",
                  "rawBody"}
_REQUEST_READERS = {"json", "formData", "text", "parseBody", "query", "queries", "param", "valid",
                    "blob", "arrayBuffer"}

_ROUTE_METHODS = {"get", "post", "put", "delete", "patch", "all", "options", "head"}
_NEXT_METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"}
_WEB_FRAMEWORKS: dict[str, str] = {
    "express": "express", "fastify": "fastify", "hono": "hono", "koa": "koa",
    "@koa/router": "koa", "koa-router": "koa", "@hapi/hapi": "hapi", "restify": "restify",
    "polka": "polka", "next/server": "nextjs", "@nestjs/common": "nestjs", "elysia": "elysia",
}
_DB_MODULES = {"pg", "postgres", "mysql", "mysql2", "mysql2/promise", "prisma", "@prisma/client",
               "mongoose", "mongodb", "drizzle-orm", "knex", "sequelize", "better-sqlite3",
               "sqlite3", "sqlite", "redis", "ioredis", "typeorm", "kysely", "@vercel/postgres",
               "@neondatabase/serverless", "@planetscale/database", "@supabase/supabase-js",
               "@libsql/client", "firebase-admin/firestore", "@upstash/redis", "pg-promise"}
_LOCAL_DB_NAMES = {"db", "prisma", "database", "drizzle", "supabase", "mongo", "mongodb", "knex",
                   "pg", "redis", "sql", "postgres", "mysql", "sequelize", "kysely"}
"""A project module named like this (``@/lib/db``, ``../prisma``) is the data layer."""

_SQL_METHODS = {"query", "execute", "raw", "unsafe", "$queryRawUnsafe", "$executeRawUnsafe",
                "whereRaw", "orderByRaw", "havingRaw", "joinRaw", "selectRaw", "prepare", "exec",
                "all", "get", "run", "each", "none", "one", "many", "any", "oneOrNone", "manyOrNone"}
_BARE_SQL_FUNCS = {"query", "execute", "sql_query", "runQuery", "executeQuery", "dbQuery"}
_SQL_SHAPE = re.compile(
    r"\bselect\b[\s\S]*\bfrom\b|\binsert\s+into\b|\bupdate\b[\s\S]*\bset\b|\bdelete\s+from\b|"
    r"\b(create|drop|alter|truncate)\s+table\b|\bwhere\b[\s\S]*(=|\blike\b|\bin\b)", re.I)

_LOG_LEVELS = {"debug", "info", "warn", "warning", "error", "fatal", "trace", "log", "verbose"}
_LOGGER_NAMES = {"logger", "log", "_logger", "_log", "pino", "winston", "bunyan", "signale"}

_AUTH_WORDS = {"auth", "authenticate", "authenticated", "authentication", "authorize", "authorized",
               "authorization", "jwt", "login", "protect", "protected", "guard", "permission",
               "permissions", "clerk", "passport", "apikey", "bearer", "requireuser", "currentuser",
               "kinde", "lucia", "nextauth", "firebaseauth", "jose"}
_AUTH_PAIRS = {("api", "key"), ("verify", "token"), ("get", "token"), ("server", "session"),
               ("get", "session"), ("current", "user"), ("require", "user"), ("logged", "in"),
               ("signed", "in"), ("id", "token"), ("verify", "session"), ("require", "session"),
               ("validate", "session"), ("access", "token"), ("jwt", "verify")}
_AUTH_PROPS = {"user", "auth", "session", "userId"}
"""``req.user`` / ``req.auth`` read in a handler: a global auth middleware put them there."""

# Model-call defect classes (the same LLMCallSite / LLMUseSite fields the Python collector fills).
_USAGE_FIELDS = {"usage", "usageMetadata", "tokenUsage", "prompt_tokens", "completion_tokens",
                 "total_tokens", "input_tokens", "output_tokens", "promptTokens", "completionTokens",
                 "totalTokens", "inputTokens", "outputTokens", "promptTokenCount",
                 "candidatesTokenCount", "totalTokenCount", "llmOutput", "totalUsage"}
_KEY_OPTIONS = {"apiKey", "api_key", "openAIApiKey", "anthropicApiKey", "apiToken", "token"}
_KEY_NAME = re.compile(r"key|token|secret|password", re.I)
_MSG_NAMES = {"messages", "history", "chatHistory", "chat_history", "conversation", "contents"}
"""Request fields (and SDK options) that hold a whole conversation, roles included."""
_AS_IS_CALLS = {"convertToCoreMessages", "convertToModelMessages", "structuredClone", "from", "slice",
                "concat", "map", "toArray"}
"""Calls that hand the conversation on unchanged (roles kept); ``filter`` is the server choosing."""
_FILE_CALLS = {"readFileSync", "readFile", "loadPrompt", "loadPrompts", "readPrompt", "getPrompt",
               "pullPrompt", "loadTemplate", "fromFile"}
_PROMPT_PATH = re.compile(r"prompt|template|instruction|persona|system|\.(txt|md|prompty|tmpl|"
                          r"mustache|hbs|j2|jinja2?)(\?raw)?$", re.I)
_FLAG_CLIENT_METHODS = {"isEnabled", "isFeatureEnabled", "featureEnabled", "isOn", "variation",
                        "boolVariation", "getFlag", "getFeatureFlag", "isFeatureOn", "evaluateFlag",
                        "getBooleanValue", "checkGate", "getFeatureValue", "isActiveFeature"}
_FALSY = {"false", "0", "off", "no", "n", "", "disabled", "null", "undefined"}
_EXEC_SINKS = {"eval", "Function", "runInNewContext", "runInThisContext", "runInContext", "Script",
               "compileFunction"}
_SHELL_SINKS = {"exec", "execSync", "spawn", "spawnSync", "execFile", "execFileSync", "execa",
                "execaCommand", "execaCommandSync", "execaSync", "execCommand"}
_SHELL_MODULES = {"child_process", "node:child_process", "execa", "shelljs", "zx"}
_SQL_SINKS = {"query", "execute", "raw", "unsafe", "$queryRawUnsafe", "$executeRawUnsafe", "prepare",
              "whereRaw"}
_SQL_ONLY_SINKS = {"unsafe", "$queryRawUnsafe", "$executeRawUnsafe", "whereRaw", "raw", "prepare"}

_USAGE_FIELDS_B = frozenset(f.encode() for f in _USAGE_FIELDS)
_LEAVES = frozenset({"identifier", "property_identifier", "string_fragment", "number",
                     "type_identifier", "predefined_type", "this", "true", "false", "null",
                     "undefined", "escape_sequence", "shorthand_property_identifier", "jsx_text",
                     "statement_identifier", "regex_pattern", "private_property_identifier"})
"""Leaf node types the walk counts and passes over (the bulk of any tree)."""
_INTERESTING = ({tail[-1] for tails in _TAILS.values() for tail in tails} | _HTTP_FUNCS
                | _HTTP_METHODS)
"""Method names worth tracing to an import (the last name of some model-call shape)."""

_FUNC_TYPES = {"function_declaration", "function_expression", "arrow_function", "method_definition",
               "generator_function_declaration", "generator_function", "function"}
_LOOP_TYPES = {"for_statement", "for_in_statement", "while_statement", "do_statement"}
_WRAPPERS = {"await_expression", "parenthesized_expression", "non_null_expression", "as_expression",
             "satisfies_expression", "type_assertion"}
_ERROR_STATUS = re.compile(r"\b(status|code)\s*[:(]\s*(4|5)\d\d\b|\bsendStatus\s*\(\s*(4|5)\d\d|"
                           r"\.error\s*\(\s*\)|\b(4|5)\d\d\s*\)")


def sdk_of_module(module: str) -> str | None:
    """The model SDK label (as in ``CodeFacts.llm_sdks``) an import specifier belongs to, or None."""
    for prefix, sdk in _SDK_MODULES:
        if prefix.endswith("/"):
            if module.startswith(prefix):
                return sdk
        elif module == prefix or module.startswith(prefix + "/"):
            return sdk
    return None


def package_of(module: str) -> str | None:
    """Top-level package of an import specifier (``@org/pkg``, ``pkg``); None for project modules."""
    if not module or module.startswith((".", "/", "@/", "~/", "#", "http:", "https:", "data:")):
        return None
    if module.startswith("node:"):
        module = module[5:]
    parts = module.split("/")
    if module.startswith("@"):
        return "/".join(parts[:2]) if len(parts) >= 2 and parts[1] else None
    return parts[0] or None


def _is_local(module: str) -> bool:
    return package_of(module) is None


# ------------------------------------------------------------------------------------------ parsing
@functools.lru_cache(maxsize=None)
def _parser(kind: str):
    """A tree-sitter parser for ``js``, ``ts`` or ``tsx`` (the grammars ship as prebuilt wheels)."""
    import tree_sitter

    if kind == "js":
        import tree_sitter_javascript as grammar_js

        lang = tree_sitter.Language(grammar_js.language())
    else:
        import tree_sitter_typescript as grammar_ts

        lang = tree_sitter.Language(grammar_ts.language_tsx() if kind == "tsx"
                                    else grammar_ts.language_typescript())
    return tree_sitter.Parser(lang)


def _kind_of(path: str) -> str:
    suffix = posixpath.splitext(path)[1].lower()
    if suffix == ".tsx":
        return "tsx"
    if suffix in {".ts", ".mts", ".cts"}:
        return "ts"  # the tsx grammar would misread `<T>value` casts as JSX
    return "js"  # the JavaScript grammar reads JSX too


# ----------------------------------------------------------------------------------------- helpers
def _text(node) -> str:
    return node.text.decode("utf-8", "replace") if node is not None else ""


def _line(node) -> int:
    return node.start_point[0] + 1


def _unwrap(node):
    while node is not None and node.type in _WRAPPERS:
        inner = node.named_children
        node = inner[0] if inner else None
    return node


def _field(node, name: str):
    return node.child_by_field_name(name) if node is not None else None


def _args(call) -> list:
    """Positional argument nodes of a call or ``new`` (empty for a tagged template)."""
    args = _field(call, "arguments")
    if args is None or args.type != "arguments":
        return []
    return [a for a in args.named_children if a.type != "comment"]


def _last_name(node) -> str:
    node = _unwrap(node)
    if node is None:
        return ""
    if node.type in {"identifier", "property_identifier", "this"}:
        return _text(node)
    if node.type == "member_expression":
        return _text(_field(node, "property"))
    return ""


def _raw(node, depth: int = 0) -> str:
    """A call target as written, with ``()`` for intermediate calls: ``OpenAI().chat.create``."""
    node = _unwrap(node)
    if node is None or depth > 20:
        return "?"
    if node.type in {"identifier", "this", "property_identifier", "super"}:
        return _text(node)
    if node.type == "member_expression":
        return f"{_raw(_field(node, 'object'), depth + 1)}.{_text(_field(node, 'property'))}"
    if node.type == "subscript_expression":
        return f"{_raw(_field(node, 'object'), depth + 1)}[]"
    if node.type == "call_expression":
        return f"{_raw(_field(node, 'function'), depth + 1)}()"
    if node.type == "new_expression":
        return f"{_raw(_field(node, 'constructor'), depth + 1)}()"
    return "(" + " ".join(_text(node).split())[:60] + ")"


def _simple_dotted(node) -> str | None:
    """``this.client`` for a chain of plain names and properties, else None."""
    parts = []
    while node is not None and node.type == "member_expression":
        parts.append(_text(_field(node, "property")))
        node = _field(node, "object")
    if node is None or node.type not in {"identifier", "this"}:
        return None
    parts.append(_text(node))
    return ".".join(reversed(parts))


def _string_literal(node) -> str | None:
    """The value of a plain string (or a template without substitutions), else None."""
    node = _unwrap(node)
    if node is None:
        return None
    if node.type == "string":
        return "".join(_text(c) for c in node.named_children if c.type in {"string_fragment",
                                                                          "escape_sequence"})
    if node.type == "template_string" and not any(
            c.type == "template_substitution" for c in node.named_children):
        return "".join(_text(c) for c in node.named_children if c.type == "string_fragment")
    return None


def _template_text(node) -> str:
    return "".join(_text(c) for c in node.named_children if c.type == "string_fragment")


def _has_substitution(node) -> bool:
    return node.type == "template_string" and any(
        c.type == "template_substitution" for c in node.named_children)


def _key_name(key) -> str | None:
    if key is None:
        return None
    if key.type in {"property_identifier", "identifier", "private_property_identifier", "number"}:
        return _text(key)
    return _string_literal(key)


def _plus_leaves(node) -> list:
    """The operands of a chain of ``+`` (``a + b + c``)."""
    node = _unwrap(node)
    if node is not None and node.type == "binary_expression" and _text(_field(node, "operator")) == "+":
        return _plus_leaves(_field(node, "left")) + _plus_leaves(_field(node, "right"))
    return [node] if node is not None else []


def _walk(node, *, into_functions: bool = True) -> Iterator:
    stack = [node]
    while stack:
        cur = stack.pop()
        yield cur
        for child in cur.named_children:
            if into_functions or child.type not in _FUNC_TYPES:
                stack.append(child)


def _words(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", text)]


def _is_auth_text(text: str) -> bool:
    """Named like authentication: requireAuth, passport.authenticate, getServerSession, jwt.verify."""
    words = _words(text)
    if any(w in _AUTH_WORDS for w in words):
        return True
    return any(pair in _AUTH_PAIRS for pair in zip(words, words[1:]))


def _is_prompt_text(text: str) -> bool:
    stripped = text.strip()
    return bool(re.search(r"[A-Za-z]{2,}", stripped)) and stripped.lower() not in _ROLE_WORDS


# -------------------------------------------------------------------------------------- scopes
@dataclass(eq=False)
class _Binding:
    """One thing bound to a name: ``const x = value`` (exact), ``for (x of value)``, ``x.push(v)``."""

    value: object
    pos: int
    """Byte offset where the binding takes effect."""
    scope: "_Scope"
    exact: bool
    defines: bool = True
    prop: str | None = None
    """Destructured property: ``const { OpenAI } = require("openai")`` binds OpenAI to .OpenAI."""


@dataclass(eq=False)
class _Scope:
    node: object
    parent: "_Scope | None"
    name: str | None
    bindings: dict[str, list[_Binding]] = field(default_factory=dict)
    returns: list = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    tainted: set[str] | None = None


@dataclass(frozen=True)
class _Res:
    """A call target traced back through imports and assignments: openai / OpenAI() / chat / create."""

    segs: tuple[str, ...]
    calls: tuple = ()
    """Calls and ``new`` met on the way (client constructors, ``getGenerativeModel(...)``)."""
    module: str | None = None
    """The import specifier the first segment came from."""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.split("(", 1)[0].split("[", 1)[0] for s in self.segs)

    @property
    def sdk(self) -> str | None:
        return sdk_of_module(self.module) if self.module else None


@dataclass
class _FileResult(FileFacts):
    client_options: dict[str, set[str]] = field(default_factory=dict)
    """SDK -> option keys given to its client constructors in this file (for importers)."""
    pending_clients: list[tuple[int, str, tuple[str, ...]]] = field(default_factory=list)
    """(index in llm_calls, sdk, candidate paths of the module the untraced client came from)."""
    authed_modules: set[str] = field(default_factory=set)
    """Candidate paths of router modules this file mounts behind auth middleware."""
    auth_middleware: bool = False
    """This is a Next.js middleware file that authenticates."""
    meaningful: int = 0
    """Syntax nodes read that are not errors (0: tree-sitter could make nothing of the file)."""


# ------------------------------------------------------------------------------------- the walker
class _FileWalker:
    """One pass over a file's tree recording what the later questions need."""

    def __init__(self, path: str, root) -> None:
        self.path = path
        self.root = root
        self.aliases: dict[str, tuple[str, str | None]] = {}
        """Local name -> (module, exported name or None for default / namespace imports)."""
        self.modules: set[str] = set()
        self.module_scope = _Scope(root, None, None)
        self.attr_bindings: dict[str, list[_Binding]] = {}
        self.calls: list[tuple[object, _Scope]] = []
        self.news: list[tuple[object, _Scope]] = []
        self.fn_scopes: dict[int, _Scope] = {}
        self.exports: list[tuple[str, object, object]] = []
        """(exported name, value node, export statement) for Next.js handlers."""
        self.default_export: tuple[object, object] | None = None
        self.prints = 0
        self.logs = 0
        self.meaningful = 0
        self.use_server = False
        self.usage_reads: list[tuple[object, _Scope]] = []
        self.env_writes: list[tuple[object, _Scope]] = []
        self._sites: list[tuple[object, LLMCallSite, _Scope, list]] = []
        self._res_cache: dict[int, _Res] = {}
        self._last_prompts: list = []
        self.sdks: set[str] = set()

    # ---------------------------------------------------------------- the pass
    def run(self) -> None:
        first = next((c for c in self.root.named_children if c.type != "comment"), None)
        if first is not None and first.type == "expression_statement" and \
                _string_literal(first.named_children[0] if first.named_children else None) == "use server":
            self.use_server = True
        stack = [(self.root, self.module_scope)]
        while stack:
            node, scope = stack.pop()
            t = node.type
            if t in _LEAVES:
                self.meaningful += 1  # most nodes: nothing to record, nothing below
                continue
            if t not in {"ERROR", "program", "comment"}:
                self.meaningful += 1
            if t in _FUNC_TYPES:
                scope = self._enter_function(node, scope)
            elif t == "variable_declarator":
                value = _field(node, "value")
                if value is not None:
                    self._bind(_field(node, "name"), value, node.end_byte, scope, exact=True)
            elif t == "assignment_expression":
                left = _field(node, "left")
                self._bind(left, _field(node, "right"), node.end_byte, scope, exact=True)
                if left is not None and _text(left).startswith("process.env"):
                    self.env_writes.append((node, scope))
            elif t == "member_expression":
                prop = node.child_by_field_name("property")
                if prop is not None and prop.text in _USAGE_FIELDS_B:
                    parent = node.parent
                    if not (parent is not None and parent.type == "assignment_expression"
                            and _field(parent, "left") == node):
                        self.usage_reads.append((node, scope))
            elif t == "shorthand_property_identifier_pattern":
                if _text(node) in _USAGE_FIELDS:
                    self.usage_reads.append((node, scope))
            elif t == "augmented_assignment_expression":
                self._bind(_field(node, "left"), node, node.end_byte, scope, exact=False)
            elif t == "for_in_statement":
                right = _field(node, "right")
                if right is not None:
                    self._bind(_field(node, "left"), right, right.end_byte, scope, exact=False)
            elif t in {"public_field_definition", "field_definition"}:
                value = _field(node, "value")
                name = _field(node, "name") or _field(node, "property")
                if value is not None and name is not None:
                    self.attr_bindings.setdefault(f"this.{_text(name)}", []).append(
                        _Binding(value, node.end_byte, scope, True))
            elif t == "call_expression":
                self._visit_call(node, scope)
            elif t == "new_expression":
                self.news.append((node, scope))
            elif t == "import_statement":
                self._visit_import(node)
            elif t == "export_statement":
                self._visit_export(node)
            elif t == "return_statement":
                value = next((c for c in node.named_children if c.type != "comment"), None)
                if value is not None:
                    scope.returns.append(value)
            for child in reversed(node.named_children):
                stack.append((child, scope))

    def _enter_function(self, node, parent: _Scope) -> _Scope:
        scope = _Scope(node, parent, self._function_name(node, parent))
        self.fn_scopes[node.id] = scope
        name = _field(node, "name")
        if name is not None and node.type in {"function_declaration",
                                              "generator_function_declaration"}:
            parent.bindings.setdefault(_text(name), []).append(
                _Binding(node, 0, parent, True))  # hoisted: visible from the top
        params = _field(node, "parameters") or _field(node, "parameter")
        if params is not None:
            scope.params = [_text(n) for n in _walk(params) if n.type in {
                "identifier", "shorthand_property_identifier_pattern"}]
        body = _field(node, "body")
        if node.type == "arrow_function" and body is not None and body.type != "statement_block":
            scope.returns.append(body)
        return scope

    def _function_name(self, node, parent: _Scope) -> str | None:
        name = _field(node, "name")
        if name is not None:
            return _text(name)
        owner = node.parent
        while owner is not None and owner.type in _WRAPPERS:
            owner = owner.parent
        if owner is None:
            return parent.name
        if owner.type == "variable_declarator":
            return _text(_field(owner, "name"))
        if owner.type in {"pair", "public_field_definition", "field_definition"}:
            return _key_name(_field(owner, "key") or _field(owner, "name") or _field(owner, "property"))
        if owner.type == "assignment_expression":
            return _last_name(_field(owner, "left")) or parent.name
        if owner.type == "export_statement":
            return "default"
        if owner.type == "arguments":
            call = owner.parent
            route = self._route_of_call(call) if call is not None else None
            if route is not None:
                return f"{route[0].upper()} {route[1]}"
            if call is not None and call.type == "call_expression":
                # export const POST = withAuth(async (req) => ...): the handler is POST
                holder = call.parent
                while holder is not None and holder.type in _WRAPPERS:
                    holder = holder.parent
                if holder is not None and holder.type == "variable_declarator":
                    name = _text(_field(holder, "name"))
                    exported = holder.parent is not None and holder.parent.parent is not None \
                        and holder.parent.parent.type == "export_statement"
                    if exported or name in _NEXT_METHODS:
                        return name
        return parent.name

    def _route_of_call(self, call) -> tuple[str, str] | None:
        """(method, route) when ``call`` registers a route handler: app.post("/x", ...)."""
        if call is None or call.type != "call_expression":
            return None
        func = _field(call, "function")
        if func is None or func.type != "member_expression":
            return None
        method = _text(_field(func, "property"))
        if method not in _ROUTE_METHODS:
            return None
        args = _args(call)
        receiver = _field(func, "object")
        if receiver is not None and receiver.type == "call_expression" and \
                _last_name(_field(receiver, "function")) == "route":
            # app.route("/x").get(handler)
            inner = _args(receiver)
            route = _string_literal(inner[0]) if inner else None
            return (method, route) if route and args else None
        if len(args) < 2:
            return None
        route = _string_literal(args[0])
        if route is None or not route.startswith(("/", "*")):
            return None
        return method, route

    def _bind(self, target, value, pos: int, scope: _Scope, *, exact: bool, defines: bool = True,
              prop: str | None = None) -> None:
        if target is None or value is None:
            return
        t = target.type
        if t in {"identifier", "shorthand_property_identifier_pattern"}:
            scope.bindings.setdefault(_text(target), []).append(
                _Binding(value, pos, scope, exact, defines, prop))
        elif t == "member_expression":
            key = _simple_dotted(target)
            if key:
                self.attr_bindings.setdefault(key, []).append(
                    _Binding(value, pos, scope, exact, defines))
        elif t == "object_pattern":
            for child in target.named_children:
                if child.type == "shorthand_property_identifier_pattern":
                    self._bind(child, value, pos, scope, exact=exact, defines=defines,
                               prop=_text(child))
                elif child.type == "pair_pattern":
                    self._bind(_field(child, "value"), value, pos, scope, exact=exact,
                               defines=defines, prop=_key_name(_field(child, "key")))
                elif child.type == "object_assignment_pattern":
                    left = _field(child, "left")
                    self._bind(left, value, pos, scope, exact=exact, defines=defines,
                               prop=_text(left) if left is not None else None)
                elif child.type == "rest_pattern":
                    for inner in child.named_children:
                        self._bind(inner, value, pos, scope, exact=False, defines=defines)
        elif t in {"array_pattern", "rest_pattern"}:
            for child in target.named_children:
                self._bind(child, value, pos, scope, exact=False, defines=defines)
        elif t in {"assignment_pattern", "object_assignment_pattern"}:
            self._bind(_field(target, "left"), value, pos, scope, exact=exact, defines=defines,
                       prop=prop)
        elif t in _WRAPPERS:
            self._bind(_unwrap(target), value, pos, scope, exact=exact, defines=defines, prop=prop)

    def _visit_call(self, node, scope: _Scope) -> None:
        self.calls.append((node, scope))
        func = _field(node, "function")
        if func is None:
            return
        if func.type in {"identifier", "import"} and _text(func) in {"require", "import"}:
            args = _args(node)
            module = _string_literal(args[0]) if args else None
            if module:
                self.modules.add(module)
            return
        if func.type != "member_expression":
            return
        prop = _text(_field(func, "property"))
        obj = _field(func, "object")
        obj_name = _last_name(obj)
        if obj is not None and obj.type == "identifier" and obj_name == "console":
            self.prints += 1
        elif prop in _LOG_LEVELS and (obj_name.lower() in _LOGGER_NAMES
                                      or obj_name.lower().endswith("logger")):
            self.logs += 1
        if prop in _MUTATORS and obj is not None and obj.type in {"identifier", "member_expression"}:
            # messages.push({...}) changes what `messages` holds: prompts are built this way.
            self._bind(obj, node, node.end_byte, scope, exact=False, defines=False)

    def _visit_import(self, node) -> None:
        source = _field(node, "source")
        module = _string_literal(source)
        if not module:
            return
        self.modules.add(module)
        for clause in node.named_children:
            if clause.type == "import_require_clause":  # import x = require("m")
                name = next((c for c in clause.named_children if c.type == "identifier"), None)
                if name is not None:
                    self.aliases[_text(name)] = (module, None)
            if clause.type != "import_clause":
                continue
            for part in clause.named_children:
                if part.type == "identifier":
                    self.aliases[_text(part)] = (module, None)
                elif part.type == "namespace_import":
                    name = next((c for c in part.named_children if c.type == "identifier"), None)
                    if name is not None:
                        self.aliases[_text(name)] = (module, None)
                elif part.type == "named_imports":
                    for spec in part.named_children:
                        if spec.type != "import_specifier":
                            continue
                        name = _field(spec, "name")
                        alias = _field(spec, "alias") or name
                        if name is not None and alias is not None:
                            self.aliases[_text(alias)] = (module, _key_name(name) or _text(name))

    def _visit_export(self, node) -> None:
        source = _field(node, "source")
        if source is not None:
            module = _string_literal(source)
            if module:
                self.modules.add(module)
        decl = _field(node, "declaration")
        value = _field(node, "value")
        is_default = any(c.type == "default" for c in node.children)
        if is_default:
            self.default_export = (decl or value, node)
        if decl is not None:
            if decl.type in {"function_declaration", "generator_function_declaration"}:
                name = _field(decl, "name")
                if name is not None:
                    self.exports.append((_text(name), decl, node))
            elif decl.type in {"lexical_declaration", "variable_declaration"}:
                for d in decl.named_children:
                    if d.type == "variable_declarator":
                        self.exports.append((_text(_field(d, "name")), _field(d, "value"), node))
        for clause in node.named_children:
            if clause.type == "export_clause":
                for spec in clause.named_children:
                    if spec.type == "export_specifier":
                        name = _field(spec, "name")
                        alias = _field(spec, "alias") or name
                        if name is not None:
                            self.exports.append((_text(alias), name, node))

    # ---------------------------------------------------------------- name lookup and tracing
    def _scope_of(self, node) -> _Scope:
        cur = node.parent
        while cur is not None:
            if cur.type in _FUNC_TYPES and cur.id in self.fn_scopes:
                return self.fn_scopes[cur.id]
            cur = cur.parent
        return self.module_scope

    def _bindings(self, name: str, scope: _Scope, pos: int) -> list[_Binding]:
        """Bindings of ``name`` visible at ``pos``: the scope's own before ``pos``, enclosing all."""
        out: list[_Binding] = []
        current: _Scope | None = scope
        inner = True
        while current is not None:
            found = current.bindings.get(name, [])
            out = ([b for b in found if b.pos < pos] if inner else list(found)) + out
            if any(b.defines for b in found):
                break
            current = current.parent
            inner = False
        return out

    def _exact(self, name: str, scope: _Scope, pos: int) -> _Binding | None:
        defining = [b for b in self._bindings(name, scope, pos) if b.defines]
        if defining and defining[-1].exact:
            return defining[-1]
        return None

    def resolve(self, node, scope: _Scope, pos: int, depth: int = 0) -> _Res:
        """Trace a call target back to an import: ``client.chat`` -> openai / OpenAI() / chat."""
        node = _unwrap(node)
        if node is None or depth > _MAX_DEPTH:
            return _Res(("?",))
        t = node.type
        if t == "identifier":
            name = _text(node)
            binds = self._bindings(name, scope, pos)
            if any(b.defines for b in binds):
                b = self._exact(name, scope, pos)
                if b is None:
                    return _Res((name,))
                if b.value.type in _FUNC_TYPES:
                    return _Res((name,))
                base = self.resolve(b.value, b.scope, b.pos, depth + 1)
                if b.prop:
                    return _Res(base.segs + (b.prop,), base.calls, base.module)
                return base
            if name in self.aliases:
                module, member = self.aliases[name]
                return _Res((module,) + ((member,) if member else ()), module=module)
            return _Res((name,))
        if t == "member_expression":
            key = _simple_dotted(node)
            if key and key in self.attr_bindings:
                defining = [b for b in self.attr_bindings[key] if b.defines]
                if defining and defining[-1].exact:
                    b = defining[-1]
                    return self.resolve(b.value, b.scope, b.pos, depth + 1)
            base = self.resolve(_field(node, "object"), scope, pos, depth + 1)
            return _Res(base.segs + (_text(_field(node, "property")),), base.calls, base.module)
        if t == "subscript_expression":
            base = self.resolve(_field(node, "object"), scope, pos, depth + 1)
            return _Res(base.segs[:-1] + (base.segs[-1] + "[]",), base.calls, base.module)
        if t == "call_expression":
            func = _unwrap(_field(node, "function"))
            if func is not None and func.type in {"identifier", "import"} and \
                    _text(func) in {"require", "import"} and not self._bindings(_text(func), scope, pos):
                args = _args(node)
                module = _string_literal(args[0]) if args else None
                return _Res((module,), module=module) if module else _Res(("?",))
            if func is not None and func.type == "identifier":
                b = self._exact(_text(func), scope, pos)
                if b is not None and b.value.type in _FUNC_TYPES and b.value.id in self.fn_scopes:
                    # getClient() defined in this file: trace what it returns.
                    fscope = self.fn_scopes[b.value.id]
                    for ret in fscope.returns:
                        res = self.resolve(ret, fscope, _INF, depth + 1)
                        if res.module:
                            return res
            if func is not None and func.type == "member_expression" and \
                    _text(_field(func, "property")) in {"pipe", "from"}:
                # A LangChain pipeline (prompt.pipe(model), RunnableSequence.from([...])) calls the
                # model inside it.
                candidates = [_field(func, "object")] + _args(node)
                for cand in list(candidates):
                    if cand is not None and cand.type == "array":
                        candidates += cand.named_children
                for cand in candidates:
                    if cand is None or cand.type == "array":
                        continue
                    res = self.resolve(cand, scope, pos, depth + 1)
                    if res.sdk == "langchain" and _has_llm_object(res):
                        return _Res(res.segs + ("pipe()",), res.calls + (node,), res.module)
            base = self.resolve(func, scope, pos, depth + 1)
            return _Res(base.segs[:-1] + (base.segs[-1] + "()",), base.calls + (node,), base.module)
        if t == "new_expression":
            base = self.resolve(_field(node, "constructor"), scope, pos, depth + 1)
            return _Res(base.segs[:-1] + (base.segs[-1] + "()",), base.calls + (node,), base.module)
        if t == "this":
            return _Res(("this",))
        return _Res(("?",))

    def _worth_resolving(self, call) -> bool:
        """Cheap pre-filter: only calls whose name could make them a model call are traced."""
        func = _unwrap(_field(call, "function"))
        name = _last_name(func)
        return name in _INTERESTING or (func is not None and func.type == "identifier"
                                        and name in self.aliases)

    def _resolve_call(self, call, scope: _Scope) -> _Res:
        if call.id not in self._res_cache:
            self._res_cache[call.id] = self.resolve(_field(call, "function"), scope, call.start_byte)
        return self._res_cache[call.id]

    # ---------------------------------------------------------------- values
    def _string_value(self, node, scope: _Scope, pos: int, depth: int = 0) -> str | None:
        """The literal text of a string expression (constant parts only), following names."""
        node = _unwrap(node)
        if node is None or depth > _MAX_DEPTH:
            return None
        if node.type == "string":
            return _string_literal(node)
        if node.type == "template_string":
            return _template_text(node)
        if node.type == "binary_expression" and _text(_field(node, "operator")) == "+":
            left = self._string_value(_field(node, "left"), scope, pos, depth + 1)
            right = self._string_value(_field(node, "right"), scope, pos, depth + 1)
            if left is None and right is None:
                return None
            return (left or "") + (right or "")
        if node.type == "identifier":
            b = self._exact(_text(node), scope, pos)
            if b is not None and b.prop is None:
                return self._string_value(b.value, b.scope, b.pos, depth + 1)
        if node.type == "member_expression":
            key = _simple_dotted(node)
            if key and key in self.attr_bindings:
                b = self.attr_bindings[key][-1]
                return self._string_value(b.value, b.scope, b.pos, depth + 1)
        if node.type == "new_expression" and _last_name(_field(node, "constructor")) == "URL":
            args = _args(node)
            texts = [self._string_value(a, scope, pos, depth + 1) or "" for a in args[:2]]
            return "".join(reversed(texts)) if texts else None
        return None

    def _options(self, nodes: Iterable, scope: _Scope, pos: int) -> dict[str, object]:
        """Option keys given to the calls, including nested config objects and spread values.

        ``{ generationConfig: { maxOutputTokens } }``, ``body: JSON.stringify(payload)`` and
        ``{...defaults}`` all count: the model receives them the same way.
        """
        found: dict[str, object] = {}

        def add(node, depth: int) -> None:
            node = _unwrap(node)
            if node is None or depth > 4:
                return
            t = node.type
            if t == "identifier":
                b = self._exact(_text(node), scope, pos)
                if b is not None and b.prop is None and b.value.type not in _FUNC_TYPES:
                    add(b.value, depth + 1)
            elif t == "object":
                for child in node.named_children:
                    if child.type == "pair":
                        key = _key_name(_field(child, "key"))
                        value = _field(child, "value")
                        if key is not None:
                            found.setdefault(key, value)
                        if value is not None and value.type in {"object", "identifier",
                                                                "call_expression"}:
                            add(value, depth + 1)
                    elif child.type == "shorthand_property_identifier":
                        found.setdefault(_text(child), child)
                    elif child.type == "spread_element":
                        for inner in child.named_children:
                            add(inner, depth + 1)
            elif t in {"call_expression", "new_expression"}:
                func = _field(node, "function") or _field(node, "constructor")
                if depth == 0 or _raw(func) in {"JSON.stringify", "Object.assign"} \
                        or _last_name(func) in {"stringify"}:
                    for arg in _args(node):
                        add(arg, depth + 1)

        for node in nodes:
            add(node, 0)
        return found

    # ---------------------------------------------------------------- questions about a call
    def _ancestors(self, node) -> Iterator:
        cur = node.parent
        while cur is not None:
            yield cur
            cur = cur.parent

    def _local_ancestors(self, call) -> Iterator[tuple[object, object]]:
        """(ancestor, child on the way) up to the enclosing function; callbacks handed to a call
        (``pRetry(() => ...)``, ``items.map(async x => ...)``) are looked through."""
        child = call
        for node in self._ancestors(call):
            yield node, child
            if node.type in _FUNC_TYPES:
                holder = node.parent
                if holder is None or holder.type != "arguments":
                    return
            child = node

    def _has_fallback(self, call) -> bool:
        for node, child in self._local_ancestors(call):
            if node.type == "try_statement" and child == _field(node, "body"):
                handler = _field(node, "handler")
                if handler is not None and _catch_is_fallback(_field(handler, "body")):
                    return True
            if node.type == "member_expression" and child == _field(node, "object") and \
                    _text(_field(node, "property")) == "catch":
                promise_call = node.parent
                if promise_call is not None and promise_call.type == "call_expression":
                    cb = next(iter(_args(promise_call)), None)
                    if cb is not None and _callback_is_fallback(cb):
                        return True
        return False

    def _has_retry(self, call, scope: _Scope) -> bool:
        if scope.name and "retry" in scope.name.lower():
            return True
        for node, child in self._local_ancestors(call):
            if node.type == "call_expression" and child.type == "arguments":
                name = _raw(_field(node, "function")).lower()
                if "retry" in name or "backoff" in name or "retryable" in name:
                    return True
            if node.type in _LOOP_TYPES and child == _field(node, "body"):
                if any(n.type == "try_statement" for n in _walk(child, into_functions=False)):
                    return True
        return False

    def _has_timeout_signal(self, call, opts: dict[str, object]) -> bool:
        for key in _SIGNAL_KEYS:
            value = opts.get(key)
            if value is None:
                continue
            text = _text(value)
            if "AbortSignal.timeout" in text or "AbortSignal.any" in text:
                return True
            fn = self._enclosing_function(call)
            body = _text(fn if fn is not None else self.root)
            if "setTimeout" in body and ".abort(" in body:
                return True
            # signal: AbortSignal.timeout(ms) held in a variable
            if value.type == "identifier":
                b = self._exact(_text(value), self._scope_of(call), call.start_byte)
                if b is not None and "AbortSignal.timeout" in _text(b.value):
                    return True
        for node, child in self._local_ancestors(call):
            if node.type == "call_expression" and _raw(_field(node, "function")) == "Promise.race" \
                    and "setTimeout" in _text(node):
                return True
        return False

    def _enclosing_function(self, node):
        for anc in self._ancestors(node):
            if anc.type in _FUNC_TYPES:
                return anc
        return None

    def _result_is_validated(self, call, scope: _Scope) -> bool:
        """The call's result reaches schema.parse / safeParse / validate in the same function."""
        result_names: set[str] = set()
        for node, child in self._local_ancestors(call):
            if node.type == "call_expression" and child.type == "arguments" and \
                    self._is_validator(node):
                return True
            if node.type == "variable_declarator":
                target = _field(node, "name")
                result_names |= {_text(n) for n in _walk(target) if n.type in {
                    "identifier", "shorthand_property_identifier_pattern"}}
                break
            if node.type == "assignment_expression":
                left = _field(node, "left")
                if left is not None and left.type == "identifier":
                    result_names.add(_text(left))
                break
            if node.type in {"expression_statement", "statement_block", "return_statement"} | _FUNC_TYPES:
                break
        if not result_names:
            return False
        derived = _propagate(scope, result_names)
        fn = scope.node
        for n in _walk(fn):
            if n.type == "call_expression" and self._is_validator(n):
                if any(a.type == "identifier" and _text(a) in derived
                       for arg in _args(n) for a in _walk(arg)):
                    return True
        return False

    @staticmethod
    def _is_validator(call) -> bool:
        func = _unwrap(_field(call, "function"))
        if func is None or func.type != "member_expression":
            return False
        if _text(_field(func, "property")) not in _VALIDATE_METHODS:
            return False
        return _raw(_field(func, "object")) not in {"JSON", "Date", "URL", "path", "querystring",
                                                   "qs", "yaml", "YAML", "Number", "url"}

    def _prompt_exprs(self, call, provider: str, opts: dict[str, object]) -> list:
        exprs = [v for k, v in opts.items() if k in _PROMPT_KEYS and v is not None]
        if provider != "http":
            exprs += [a for a in _args(call) if _unwrap(a) is not None and _unwrap(a).type != "object"]
        return exprs

    def _has_literal(self, node, scope: _Scope, pos: int, depth: int = 0,
                     seen: set[int] | None = None) -> bool:
        """The expression holds prompt text written in the code (not a role name, not a blank)."""
        node = _unwrap(node)
        if node is None or depth > _MAX_DEPTH:
            return False
        seen = set() if seen is None else seen
        if node.id in seen:
            return False
        seen.add(node.id)

        def again(n, s: _Scope = scope, p: int = pos) -> bool:
            return self._has_literal(n, s, p, depth + 1, seen)

        t = node.type
        if t == "string":
            return _is_prompt_text(_string_literal(node) or "")
        if t == "template_string":
            return _is_prompt_text(_template_text(node))
        if t == "array":
            return any(again(e) for e in node.named_children)
        if t == "object":
            for child in node.named_children:
                if child.type == "pair" and _key_name(_field(child, "key")) not in _NON_PROMPT_KEYS:
                    if again(_field(child, "value")):
                        return True
                elif child.type == "spread_element" and any(again(c) for c in child.named_children):
                    return True
            return False
        if t == "binary_expression":
            return again(_field(node, "left")) or again(_field(node, "right"))
        if t == "ternary_expression":
            return again(_field(node, "consequence")) or again(_field(node, "alternative"))
        if t == "spread_element":
            return any(again(c) for c in node.named_children)
        if t == "identifier":
            for b in self._bindings(_text(node), scope, pos):
                value = b.value
                if value.type == "augmented_assignment_expression":
                    value = _field(value, "right")
                if b.prop is None and (b.exact or value.type == "call_expression" or not b.defines):
                    if again(value, b.scope, b.pos):
                        return True
            return False
        if t in {"call_expression", "new_expression"}:
            func = _unwrap(_field(node, "function") or _field(node, "constructor"))
            name = _last_name(func)
            if func is not None and func.type == "member_expression" and name in _MUTATORS:
                return any(again(a) for a in _args(node))
            if func is not None and func.type == "member_expression" and \
                    again(_field(func, "object")):
                return True
            if name in _TEMPLATE_CALLS:
                return any(again(a) for a in _args(node))
        return False

    def _tainted(self, scope: _Scope) -> set[str]:
        """Names visible in the scope holding request data, by assignment (closures included)."""
        if scope.tainted is None:
            seeds: set[str] = set()
            chain = []
            cur: _Scope | None = scope
            while cur is not None:
                chain.append(cur)
                if self.use_server and cur.parent is self.module_scope and cur.name and \
                        any(name == cur.name for name, _, _ in self.exports):
                    seeds |= set(cur.params)  # a server action's arguments come from the browser
                cur = cur.parent
            flat = [(name, b) for s in chain for name, binds in s.bindings.items() for b in binds]
            scope.tainted = _propagate_flat(flat, seeds, sources=True)
        return scope.tainted

    # ---------------------------------------------------------------- call classification
    def _classify_llm(self, res: _Res) -> str | None:
        names = res.names
        sdk = res.sdk
        if sdk is not None:
            if not any(_ends_with(names, t) for t in _TAILS.get(sdk, ())):
                return None
            if sdk == "vercel-ai" and len(names) != 2:
                return None  # generateText imported from "ai", called directly
            if sdk in _NEEDS_LLM_OBJECT and not _has_llm_object(res):
                return None
            return _PROVIDER.get(sdk, sdk)
        if res.module and not _is_local(res.module):
            return None  # traced to a package that is not a model SDK (twilio.messages.create)
        for tail, provider in _STRONG_TAILS.items():
            if _ends_with(names, tail):
                if provider == "openai":
                    provider = next((s for s in _OPENAI_COMPATIBLE if s in self.sdks), "openai")
                return provider
        for tail, sdk_needed in _GATED_TAILS:
            if _ends_with(names, tail) and sdk_needed in self.sdks:
                return _PROVIDER.get(sdk_needed, sdk_needed)
        return None

    def _http_target(self, call, res: _Res, scope: _Scope) -> tuple[bool, list]:
        """Whether ``call`` sends a request to a model provider's URL; and its option nodes."""
        names = res.names
        if not names:
            return False, []
        head, last = names[0], names[-1]
        args = _args(call)
        module_pkg = package_of(res.module) if res.module else None
        is_client = head in _HTTP_FUNCS or (module_pkg in _HTTP_MODULES)
        if not is_client:
            return False, []
        if len(names) == 1 or (len(names) == 2 and head == "globalThis"):
            url_node, rest = (args[0] if args else None), args[1:]
        elif last in _HTTP_METHODS:
            url_node, rest = (args[0] if args else None), args[1:]
        else:
            return False, []
        texts = [self._string_value(url_node, scope, call.start_byte) or ""]
        if url_node is not None and _unwrap(url_node) is not None and _unwrap(url_node).type == "object":
            # axios({ url, method, data }) / axios.request({ url })
            opts = self._options([url_node], scope, call.start_byte)
            texts.append(self._string_value(opts.get("url"), scope, call.start_byte) or "")
            rest = [url_node]
        for ctor in res.calls:  # axios.create({ baseURL: "https://api.openai.com/v1" })
            opts = self._options([ctor], scope, call.start_byte)
            for key in ("baseURL", "prefixUrl", "baseUrl"):
                texts.append(self._string_value(opts.get(key), scope, call.start_byte) or "")
            rest = rest + [ctor]
        hit = any(host in text for text in texts for host in _LLM_HOSTS)
        return hit, rest

    # ---------------------------------------------------------------- per-file answers
    def finish(self) -> _FileResult:
        """Answer the per-file questions from what the pass recorded."""
        self.sdks = {s for s in (sdk_of_module(m) for m in self.modules) if s}
        out = _FileResult(sdks=set(self.sdks), prints=self.prints, logs=self.logs,
                          meaningful=self.meaningful)
        out.imports = {p for p in (package_of(m) for m in self.modules) if p}
        out.client_options = self._client_constructor_options()
        for call, scope in self.calls:
            if not self._worth_resolving(call):
                sql = self._sql_site(call, scope, None)
                if sql is not None:
                    out.sql_sites.append(sql)
                continue
            res = self._resolve_call(call, scope)
            site, pending = self._llm_site(call, scope, res, out.client_options)
            if site is not None:
                self._sites.append((call, site, scope, self._last_prompts))
                if pending is not None:
                    out.pending_clients.append((len(out.llm_calls), pending[0], pending[1]))
                out.llm_calls.append(site)
                continue
            sql = self._sql_site(call, scope, res)
            if sql is not None:
                out.sql_sites.append(sql)
        out.endpoints = self._endpoints(out)
        out.auth_middleware = self._is_auth_middleware()
        web_modules = {m for m in self.modules if m in _WEB_FRAMEWORKS or package_of(m) in
                       {"express", "fastify", "hono", "koa", "@hapi/hapi", "restify", "elysia"}}
        if out.endpoints or web_modules:
            out.layers.add("web")
        if out.llm_calls:
            out.layers.add("llm")
        local_db = any(_is_local(m) and posixpath.basename(m.rstrip("/")).lower() in _LOCAL_DB_NAMES
                       for m in self.modules)
        if {m for m in self.modules if m in _DB_MODULES or package_of(m) in _DB_MODULES} \
                or out.sql_sites or local_db:
            out.layers.add("db")
        out.llm_uses = self._llm_uses(bool(self.sdks) or bool(out.llm_calls), "db" in out.layers)
        return out

    def _client_constructor_options(self) -> dict[str, set[str]]:
        """SDK -> option keys given to any of its client classes in the file (new OpenAI({...}))."""
        opts: dict[str, set[str]] = {}
        for node, scope in self.news:
            res = self.resolve(_field(node, "constructor"), scope, node.start_byte)
            sdk = res.sdk
            if sdk:  # `new` names a class: the SDK's client (new OpenAI(), new Anthropic())
                opts.setdefault(sdk, set()).update(self._options([node], scope, node.start_byte))
        return opts

    def _llm_site(self, call, scope: _Scope, res: _Res, ctor_opts: dict[str, set[str]]
                  ) -> tuple[LLMCallSite | None, tuple[str, tuple[str, ...]] | None]:
        provider = self._classify_llm(res)
        extra: list = []
        if provider is None:
            hit, extra = self._http_target(call, res, scope)
            if not hit:
                return None, None
            provider = "http"
        pos = call.start_byte
        chain = [c for c in res.calls if c != call]
        opts = self._options([call] + (extra if provider == "http" else []), scope, pos)
        chain_opts = self._options(chain, scope, pos) if provider != "http" else {}
        keys = set(opts) | set(chain_opts)
        pending = None
        traced = any(c.type == "new_expression" or _last_name(
            _field(c, "function") or _field(c, "constructor"))[:1].isupper() for c in chain)
        if provider != "http" and not traced:
            # The client could not be traced to its constructor: a client of the same SDK built in
            # this file, or in the project module it was imported from, is the best evidence.
            sdk = res.sdk or {"mistral": "mistralai"}.get(provider, provider)
            keys |= ctor_opts.get(sdk, set())
            if res.module and _is_local(res.module):
                pending = (sdk, _module_candidates(self.path, res.module))
        names = res.names
        structured = bool(keys & _STRUCT_KEYS) or (names and names[-1] in _VERCEL_STRUCTURED)
        mime = opts.get("responseMimeType") or chain_opts.get("responseMimeType")
        structured = structured or "json" in (_string_literal(mime) or "")
        fmt = opts.get("format") or chain_opts.get("format")
        structured = structured or (fmt is not None and (fmt.type == "object" or "json" in _text(fmt)))
        structured = structured or any(n in _STRUCT_METHODS for n in names[1:]) \
            or self._result_is_validated(call, scope)
        all_opts = {**chain_opts, **opts}
        timeout = bool(keys & _TIMEOUT_KEYS) or self._has_timeout_signal(call, all_opts)
        prompts = self._prompt_exprs(call, provider, opts)
        if provider == "langchain":
            func = _unwrap(_field(call, "function"))
            if func is not None and func.type == "member_expression":
                prompts.append(_field(func, "object"))  # prompt.pipe(model): the chain holds it
        tainted = self._tainted(scope)
        self._last_prompts = prompts
        from_file = any(self._from_file(e, scope, pos) for e in prompts)
        inline = any(self._has_literal(e, scope, pos) for e in prompts)
        site = LLMCallSite(
            path=self.path,
            line=_line(call),
            function=scope.name,
            provider=provider,
            api=_raw(_field(call, "function"))[:120],
            has_timeout=timeout,
            has_retry=bool(keys & _RETRY_KEYS) or self._has_retry(call, scope),
            has_fallback=self._has_fallback(call),
            structured_output=bool(structured),
            model=self._model_literal(call, chain, opts, chain_opts, scope),
            prompt_inline=inline and not from_file,
            # as in the Python collector: request data is "pasted into the prompt" when spliced into
            # prompt text (template literal, +); passed on its own as a message it is data
            user_input_in_prompt=any(
                self._mentions_taint(e, tainted, scope, pos) if provider == "langchain"
                else self._spliced(e, tainted, scope, pos) for e in prompts),
            max_tokens_set=bool(keys & _MAX_TOKEN_KEYS),
            prompt_source="file" if from_file else "inline" if inline else "unknown",
            guarded_by_flag=self._guarded_by_flag(call, scope),
            messages_from_client=self._messages_from_client(call, provider, opts, scope),
        )
        return site, pending

    def _spliced(self, node, tainted: set[str], scope: _Scope, pos: int, depth: int = 0) -> bool:
        """Request data is spliced into prompt text in ``node`` or in a variable it uses."""
        if node is None or depth > _MAX_DEPTH:
            return False
        for n in _walk(node):
            if n.type == "template_string" and _is_prompt_text(_template_text(n)) and any(
                    self._mentions_taint(c, tainted, scope, pos) for c in n.named_children
                    if c.type == "template_substitution"):
                return True
            if n.type == "binary_expression" and _text(_field(n, "operator")) == "+":
                leaves = _plus_leaves(n)
                texty = any((leaf.type == "string" and _is_prompt_text(_string_literal(leaf) or ""))
                            or (leaf.type == "template_string" and _is_prompt_text(_template_text(leaf)))
                            for leaf in leaves)
                if texty and any(self._mentions_taint(leaf, tainted, scope, pos) for leaf in leaves):
                    return True
            if n.type in {"identifier", "shorthand_property_identifier"} and _text(n) in tainted:
                for b in self._bindings(_text(n), scope, pos):
                    if b.value is not node and self._spliced(b.value, tainted, b.scope, b.pos, depth + 1):
                        return True
        return False

    def _mentions_taint(self, node, tainted: set[str], scope: _Scope, pos: int) -> bool:
        for n in _walk(node):
            if n.type in {"identifier", "shorthand_property_identifier"} and _text(n) in tainted:
                return True
            if _is_source(n):
                return True
        return False

    def _model_literal(self, call, chain: list, opts: dict, chain_opts: dict, scope: _Scope
                       ) -> str | None:
        candidates = [opts[k] for k in _MODEL_KEYS if k in opts]
        candidates += [chain_opts[k] for k in _MODEL_KEYS if k in chain_opts]
        for ctor in chain:
            name = _last_name(_field(ctor, "function") or _field(ctor, "constructor"))
            args = _args(ctor)
            if args and ("Model" in name or name in {"initChatModel"}):
                candidates.append(args[0])
        for cand in candidates:
            cand = _unwrap(cand)
            if cand is None:
                continue
            if cand.type in {"call_expression"}:
                # Vercel AI SDK: model: openai("gpt-4o") / anthropic.chat("claude-...")
                args = _args(cand)
                cand = args[0] if args else None
                if cand is None:
                    continue
            text = _string_literal(cand)
            if text is None and cand.type in {"identifier", "shorthand_property_identifier"}:
                b = self._exact(_text(cand), scope, call.start_byte)
                text = _string_literal(b.value) if b is not None and b.prop is None else None
            if text:
                return text
        return None


    # ---------------------------------------------------------------- defect classes of a call
    def _from_file(self, node, scope: _Scope, pos: int, depth: int = 0,
                   seen: set[int] | None = None) -> bool:
        """The prompt template (not the data put into it) is read from a file or a prompt store."""
        node = _unwrap(node)
        if node is None or depth > _MAX_DEPTH:
            return False
        seen = set() if seen is None else seen
        if node.id in seen:
            return False
        seen.add(node.id)

        def again(n, s: _Scope = scope, p: int = pos) -> bool:
            return self._from_file(n, s, p, depth + 1, seen)

        t = node.type
        if t == "array":
            return any(again(e) for e in node.named_children)
        if t == "object":
            return any(again(_field(c, "value")) for c in node.named_children if c.type == "pair"
                       and _key_name(_field(c, "key")) not in _NON_PROMPT_KEYS)
        if t == "binary_expression":
            return again(_field(node, "left")) or again(_field(node, "right"))
        if t == "ternary_expression":
            return again(_field(node, "consequence")) or again(_field(node, "alternative"))
        if t in {"spread_element", "template_substitution"}:
            return any(again(c) for c in node.named_children)
        if t == "template_string":
            return any(again(c) for c in node.named_children if c.type == "template_substitution")
        if t == "subscript_expression":
            return again(_field(node, "object"))
        if t == "identifier":
            name = _text(node)
            binds = self._bindings(name, scope, pos)
            if not any(b.defines for b in binds) and name in self.aliases:
                module = self.aliases[name][0]
                # import SYSTEM from "./prompts/system.txt?raw" / from "@/lib/prompts"
                return _is_local(module) and bool(_PROMPT_PATH.search(module))
            return any((b.exact or not b.defines or b.value.type == "call_expression")
                       and again(b.value, b.scope, b.pos) for b in binds)
        if t == "member_expression":
            key = _simple_dotted(node)
            if key and key in self.attr_bindings:
                return any(again(b.value, b.scope, b.pos) for b in self.attr_bindings[key] if b.exact)
            return again(_field(node, "object"))
        if t in {"call_expression", "new_expression"}:
            func = _unwrap(_field(node, "function") or _field(node, "constructor"))
            name = _last_name(func)
            args = _args(node)
            if name in _FILE_CALLS or (name == "pull" and "hub" in _raw(func)):
                if name not in {"readFileSync", "readFile"}:
                    return True
                return any(self._names_prompt_path(a, scope, pos) for a in args)
            if func is not None and func.type == "member_expression" and \
                    name in _TEMPLATE_CALLS | {"toString", "render", "compile", "format", "invoke"}:
                if again(_field(func, "object")):
                    return True
            if name in _TEMPLATE_CALLS or name in {"parse", "load"}:
                return any(again(a) for a in args)
            return False
        return False

    def _names_prompt_path(self, node, scope: _Scope, pos: int) -> bool:
        """The path read names a prompt file (``prompts/system.txt``), not a user document."""
        for n in _walk(node):
            texts: list[str] = []
            if n.type in {"string", "template_string"}:
                texts.append(_string_literal(n) or _template_text(n))
            elif n.type == "identifier":
                texts += [_text(n), self._string_value(n, scope, pos) or ""]
            elif n.type == "property_identifier":
                texts.append(_text(n))
            if any(t and _PROMPT_PATH.search(t) for t in texts):
                return True
        return False

    def _flag_polarity(self, node, depth: int = 0) -> int:
        """+1 when ``node`` being true means a flag switches the feature on, -1 when it means off,
        0 when it is not about a flag (or reads the request: not a kill switch)."""
        node = _unwrap(node)
        if node is None or depth > 6 or any(_is_source(n) for n in _walk(node)):
            return 0
        t = node.type
        if t == "unary_expression" and _text(_field(node, "operator")) == "!":
            return -self._flag_polarity(_field(node, "argument"), depth + 1)
        if t == "binary_expression":
            op = _text(_field(node, "operator"))
            left, right = _field(node, "left"), _field(node, "right")
            if op in {"&&", "||"}:
                signs = [self._flag_polarity(left, depth + 1), self._flag_polarity(right, depth + 1)]
                if op == "&&":
                    return 1 if 1 in signs else 0
                return -1 if -1 in signs else 0
            if op in {"===", "==", "!==", "!="}:
                sign = self._flag_polarity(left, depth + 1)
                value = _unwrap(right)
                literal = _string_literal(value)
                if literal is None and value is not None and value.type in {
                        "true", "false", "null", "undefined", "number"}:
                    literal = _text(value)
                falsy = literal is not None and literal.lower() in _FALSY
                if op in {"===", "=="}:
                    return -sign if falsy else sign
                return sign if falsy else -sign
            return 0
        if t == "call_expression":
            func = _unwrap(_field(node, "function"))
            name = _last_name(func)
            if name in _FLAG_CLIENT_METHODS or "flag" in name.lower() or "feature" in name.lower():
                return 1
            if func is not None and func.type == "member_expression" and name in {
                    "toLowerCase", "toUpperCase", "trim"}:
                return self._flag_polarity(_field(func, "object"), depth + 1)
            if name in {"Boolean", "Number", "parseInt", "JSON.parse"} or _raw(func) == "JSON.parse":
                args = _args(node)
                return self._flag_polarity(args[0], depth + 1) if args else 0
            return 0
        if t == "subscript_expression":
            key = _string_literal(_field(node, "index"))
            return _flag_word_sign(key) if key else 0
        if t == "member_expression":
            return _flag_word_sign(_text(_field(node, "property")))
        if t == "identifier":
            return _flag_word_sign(_text(node))
        return 0

    def _guarded_by_flag(self, call, scope: _Scope) -> bool:
        """The call sits under ``if (flag)`` or after ``if (!flag) return`` in its function."""
        top = None
        for node, child in self._local_ancestors(call):
            if node.type == "if_statement":
                sign = self._flag_polarity(_field(node, "condition"))
                if (sign > 0 and child == _field(node, "consequence")) or \
                        (sign < 0 and child == _field(node, "alternative")):
                    return True
            if node.type == "ternary_expression":
                sign = self._flag_polarity(_field(node, "condition"))
                if (sign > 0 and child == _field(node, "consequence")) or \
                        (sign < 0 and child == _field(node, "alternative")):
                    return True
            if node.type == "statement_block" and node.parent is not None and \
                    node.parent.type in _FUNC_TYPES:
                top = child
                break
            if node.type == "program":
                top = child
                break
        if top is None:
            return False
        for stmt in top.parent.named_children:
            if stmt == top:
                break
            if stmt.type == "if_statement" and _exits(_field(stmt, "consequence")) \
                    and self._flag_polarity(_field(stmt, "condition")) < 0:
                return True
        return False

    def _messages_from_client(self, call, provider: str, opts: dict[str, object],
                              scope: _Scope) -> bool:
        """The whole conversation passed to the model is the client's, roles included."""
        candidates = [v for k, v in opts.items() if k in _MSG_NAMES and v is not None]
        if provider in {"langchain", "llama_index"}:
            candidates += _args(call)[:1]
        tainted = self._tainted(scope)
        return any(self._is_client_messages(e, scope, tainted, 0) for e in candidates)

    def _is_client_messages(self, node, scope: _Scope, tainted: set[str], depth: int) -> bool:
        node = _unwrap(node)
        if node is None or depth > 6:
            return False

        def requestish(n) -> bool:
            return any((m.type == "identifier" and _text(m) in tainted) or _is_source(m)
                       for m in _walk(n))

        def again(n) -> bool:
            return self._is_client_messages(n, scope, tainted, depth + 1)

        t = node.type
        if t == "member_expression":
            return _text(_field(node, "property")) in _MSG_NAMES and requestish(_field(node, "object"))
        if t == "subscript_expression":
            return _string_literal(_field(node, "index")) in _MSG_NAMES and \
                requestish(_field(node, "object"))
        if t == "call_expression":
            func = _unwrap(_field(node, "function"))
            name = _last_name(func)
            args = _args(node)
            if name == "get" and func is not None and func.type == "member_expression" and args:
                return _string_literal(args[0]) in _MSG_NAMES and requestish(_field(func, "object"))
            if name in _AS_IS_CALLS:
                if func is not None and func.type == "member_expression" and name != "from":
                    return again(_field(func, "object"))
                return bool(args) and again(args[0])
            return False
        if t in {"identifier", "shorthand_property_identifier"}:
            name = _text(node)
            b = self._exact(name, scope, _INF)
            if b is None:
                return False
            if b.prop is not None:
                # const { messages } = await req.json()
                return b.prop in _MSG_NAMES and requestish(b.value)
            return again(b.value)
        if t == "array":
            return any(c.type == "spread_element" and any(again(x) for x in c.named_children)
                       for c in node.named_children)
        return False

    # ---------------------------------------------------------------- model input/output uses
    def _use(self, kind: str, node, scope_name: str | None, api: str, detail: str,
             call_line: int | None) -> LLMUseSite:
        return LLMUseSite(path=self.path, line=_line(node), function=scope_name, kind=kind,
                          api=api[:120], detail=detail[:200], call_line=call_line)

    def _result_names(self, call) -> set[str]:
        """Names the call's result is bound to: ``const { text } = await generateText(...)``."""
        for node, child in self._local_ancestors(call):
            if node.type in _FUNC_TYPES:
                return set()
            if node.type == "variable_declarator":
                if child != _field(node, "value"):
                    return set()
                return {_text(n) for n in _walk(_field(node, "name")) if n.type in {
                    "identifier", "shorthand_property_identifier_pattern"}}
            if node.type == "assignment_expression":
                left = _field(node, "left")
                return {_text(left)} if left is not None and left.type == "identifier" else set()
            if node.type in {"expression_statement", "statement_block", "return_statement",
                             "arguments"}:
                return set()
        return set()

    def _sink(self, call) -> tuple[str, str, list] | None:
        """(kind, api, argument nodes) when ``call`` logs, evaluates, queries or shells out."""
        func = _unwrap(_field(call, "function") or _field(call, "constructor"))
        if func is None:
            return None
        name = _last_name(func)
        args = _args(call)
        api = _raw(func)
        if func.type == "member_expression":
            obj = _last_name(_field(func, "object")).lower()
            if obj == "console" or (name in _LOG_LEVELS and (obj in _LOGGER_NAMES or obj.endswith("logger"))):
                return "log", api, args
        if name in _EXEC_SINKS and (func.type == "identifier" or _last_name(_field(func, "object")) == "vm"):
            return "exec", api, args[:1]
        if name in _SHELL_SINKS and self.modules & _SHELL_MODULES:
            return "shell", api, args[:2]
        if func.type == "member_expression" and name in _SQL_SINKS:
            return "sql", api, args[:1]
        return None

    def _llm_uses(self, file_has_llm: bool, has_db: bool) -> list[LLMUseSite]:
        """Every model-related use site of the file (see :class:`auditlib.models.LLMUseSite`)."""
        uses: dict[tuple[str, int], LLMUseSite] = {}

        def add(use: LLMUseSite) -> None:
            uses.setdefault((use.kind, use.line), use)

        kinds = {"log": "response_logged", "exec": "model_output_executed",
                 "sql": "model_output_to_sql", "shell": "model_output_to_shell"}
        sinks = [(c, s, self._sink(c)) for c, s in self.calls + self.news] if self._sites else []
        sinks = [(c, s, k) for c, s, k in sinks if k is not None]
        for call, site, scope, prompts in self._sites:
            derived = _propagate(scope, self._result_names(call)) if self._result_names(call) else set()
            prompt_names = self._prompt_names(prompts, scope)
            for sink, sscope, (kind, api, args) in sinks:
                if not _scope_within(sscope, scope):
                    continue
                if kind == "sql" and not has_db and _last_name(_field(sink, "function")) not in _SQL_ONLY_SINKS:
                    continue
                direct = any(sink == a for a in self._ancestors(call)) and \
                    any(a.start_byte <= call.start_byte < a.end_byte for a in args)
                names = {_text(n) for a in args for n in _walk(a) if n.type in {
                    "identifier", "shorthand_property_identifier"} and not _reads_usage(n)}
                if direct or (names & derived):
                    add(self._use(kinds[kind], sink, sscope.name, api,
                                  f"output of {site.api} (line {site.line}) reaches {api}", site.line))
                elif kind == "log" and (hit := next(iter(sorted(names & prompt_names)), None)):
                    add(self._use("prompt_logged", sink, sscope.name, api,
                                  f"prompt part `{hit}` of {site.api} (line {site.line}) reaches {api}",
                                  site.line))
        if file_has_llm:
            for node, scope in self.usage_reads:
                text = " ".join(_text(node).split())[:80]
                add(self._use("usage_read", node, scope.name, text, f"reads token usage: {text}", None))
        for use in self._key_from_user():
            add(use)
        return sorted(uses.values(), key=lambda u: (u.line, u.kind))

    def _prompt_names(self, prompts: list, scope: _Scope) -> set[str]:
        """Names making up a call's prompt, constants, imports, functions and request objects left out."""
        out: set[str] = set()
        for expr in prompts:
            for n in _walk(expr, into_functions=False):
                if n.type not in {"identifier", "shorthand_property_identifier"}:
                    continue
                name = _text(n)
                if name in _REQUEST_OBJECTS | {"res", "ctx", "c"}:
                    continue
                parent = n.parent
                if parent is not None and parent.type == "member_expression" and \
                        _field(parent, "property") == n:
                    continue
                binds = self._bindings(name, scope, _INF)
                if not binds and name not in scope.params:
                    continue
                if binds and name not in scope.params and all(
                        b.exact and b.prop is None and _is_constant(b.value) for b in binds):
                    continue
                if any(b.value.type in _FUNC_TYPES for b in binds):
                    continue
                out.add(name)
        return out

    def _key_from_user(self) -> list[LLMUseSite]:
        """Provider keys taken from the request (process.env writes, SDK clients built with them)."""
        out = []
        for node, scope in self.env_writes:
            left, right = _field(node, "left"), _field(node, "right")
            name = _last_name(left) if left.type == "member_expression" else \
                _string_literal(_field(left, "index")) or ""
            if not _KEY_NAME.search(name) or not self._mentions_taint(right, self._tainted(scope), scope, 0):
                continue
            out.append(self._use("api_key_from_user", node, scope.name, f"process.env.{name} =",
                                 "a key from the request is written to the process environment, "
                                 "shared by every user of the server", None))
        for node, scope in self.calls + self.news:
            func = _field(node, "function") or _field(node, "constructor")
            args = _args(node)
            if not args or _unwrap(args[0]) is None or _unwrap(args[0]).type != "object":
                continue
            keys = [v for k, v in self._options([args[0]], scope, node.start_byte).items()
                    if k in _KEY_OPTIONS and v is not None]
            if not keys:
                continue
            res = self.resolve(func, scope, node.start_byte)
            if not res.sdk:
                continue
            tainted = self._tainted(scope)
            if any(self._mentions_taint(v, tainted, scope, 0) for v in keys):
                out.append(self._use("api_key_from_user", node, scope.name, _raw(func),
                                     f"the {res.sdk} client gets its api key from the request "
                                     "(users supply the provider credential)", None))
        return out

    # ---------------------------------------------------------------- SQL
    def _sql_site(self, call, scope: _Scope, res: _Res) -> SQLSite | None:
        func = _unwrap(_field(call, "function"))
        if func is None:
            return None
        args = _args(call)  # empty for tagged templates: sql`...${x}` is parameterised
        if not args:
            return None
        if func.type == "member_expression":
            if _text(_field(func, "property")) not in _SQL_METHODS:
                return None
        elif func.type == "identifier":
            if _text(func) not in _BARE_SQL_FUNCS:
                return None
        else:
            return None
        found = self._sql_kind(args[0], scope, call.start_byte)
        if found is None:
            return None
        how, text = found
        if not _SQL_SHAPE.search(text):
            return None
        return SQLSite(path=self.path, line=_line(call), function=scope.name, how=how)

    def _sql_kind(self, node, scope: _Scope, pos: int, depth: int = 0) -> tuple[str, str] | None:
        """How a query string was built from values, and its literal text; None for a constant."""
        node = _unwrap(node)
        if node is None or depth > _MAX_DEPTH:
            return None
        if node.type == "template_string":
            if _has_substitution(node):
                return "template literal", _template_text(node)
            return None
        if node.type == "binary_expression" and _text(_field(node, "operator")) == "+":
            leaves = _add_leaves(node)
            texts = [self._string_value(leaf, scope, pos) for leaf in leaves]
            variable = [leaf for leaf, t in zip(leaves, texts)
                        if t is None or _has_substitution(_unwrap(leaf))]
            if variable and any(t is not None for t in texts):
                return "concatenation", "".join(t or "" for t in texts)
            return None
        if node.type == "identifier":
            defining = [b for b in self._bindings(_text(node), scope, pos) if b.defines]
            if not defining:
                return None
            last = defining[-1]
            if last.exact and last.prop is None:
                return self._sql_kind(last.value, last.scope, last.pos, depth + 1)
            if last.value.type == "augmented_assignment_expression":
                # let q = "SELECT ... WHERE a = "; q += value
                earlier = self._sql_kind(node, last.scope, last.pos, depth + 1)
                added_node = _field(last.value, "right")
                own = self._sql_kind(added_node, last.scope, last.pos, depth + 1)
                before = earlier[1] if earlier else (
                    self._string_value(node, last.scope, last.pos) or "")
                added = self._string_value(added_node, last.scope, last.pos)
                text = before + (added or "")
                if own is not None:
                    return own[0], text
                if added is None or (added_node is not None and _has_substitution(added_node)):
                    return "concatenation", text
                return (earlier[0], text) if earlier else None
        return None

    # ---------------------------------------------------------------- endpoints
    def _framework(self, receiver_res: _Res | None) -> str | None:
        if receiver_res is not None and receiver_res.module:
            fw = _WEB_FRAMEWORKS.get(receiver_res.module) or _WEB_FRAMEWORKS.get(
                package_of(receiver_res.module) or "")
            if fw:
                return fw
            if package_of(receiver_res.module):
                return None  # traced to a non-web package (axios.get("/x", cb), cache.get)
        for module in sorted(self.modules):
            fw = _WEB_FRAMEWORKS.get(module) or _WEB_FRAMEWORKS.get(package_of(module) or "")
            if fw and fw != "nextjs":
                return fw
        return None

    def _endpoints(self, out: _FileResult) -> list[Endpoint]:
        found: list[Endpoint] = []
        authed_receivers = self._authed_receivers(out)
        for call, scope in self.calls:
            route = self._route_of_call(call)
            func = _field(call, "function")
            if route is None:
                if func is not None and func.type == "member_expression" and \
                        _text(_field(func, "property")) == "route" and self._framework(None) == "fastify":
                    found += self._fastify_route(call, scope)
                continue
            method, path = route
            receiver = _field(func, "object")
            if receiver is not None and receiver.type == "call_expression":
                handlers = _args(call)
                receiver = _field(_field(receiver, "function"), "object")
            else:
                handlers = _args(call)[1:]
            res = self.resolve(receiver, scope, call.start_byte) if receiver is not None else None
            framework = self._framework(res)
            if framework is None:
                # No web framework in sight: only a call whose last argument is a function literal
                # and whose receiver is not an imported package reads as a route.
                last = _unwrap(handlers[-1]) if handlers else None
                if res is not None and res.module:
                    continue
                if last is None or last.type not in _FUNC_TYPES:
                    continue
                owner = _raw(receiver).rsplit(".", 1)[-1].lower() if receiver is not None else ""
                if not (owner in {"app", "server", "api", "routes", "route"}
                        or owner.endswith(("router", "app"))):
                    continue  # cache.get("/key", () => ...) is not a route
                framework = "other"
            if not handlers:
                continue
            handler = _unwrap(handlers[-1])
            middlewares = handlers[:-1]
            name = _text(handler) if handler is not None and handler.type == "identifier" \
                else f"{method.upper()} {path}"
            has_auth = any(_is_auth_text(_text(m)) for m in middlewares) \
                or self._handler_checks_auth(handler, scope) \
                or (receiver is not None and self._receiver_authed(receiver, call, authed_receivers))
            found.append(Endpoint(path=self.path, line=_line(call), function=name,
                                  framework=framework, route=path, has_auth=has_auth))
        found += self._next_endpoints()
        return found

    def _fastify_route(self, call, scope: _Scope) -> list[Endpoint]:
        args = _args(call)
        if not args or _unwrap(args[0]).type != "object":
            return []
        opts = self._options([args[0]], scope, call.start_byte)
        url = _string_literal(opts.get("url"))
        if not url:
            return []
        method = _string_literal(opts.get("method")) or "route"
        hooks = " ".join(_text(opts[k]) for k in ("preHandler", "onRequest", "preValidation")
                         if k in opts and opts[k] is not None)
        handler = opts.get("handler")
        has_auth = _is_auth_text(hooks) or self._handler_checks_auth(_unwrap(handler), scope)
        return [Endpoint(path=self.path, line=_line(call), function=f"{method.upper()} {url}",
                         framework="fastify", route=url, has_auth=has_auth)]

    def _handler_checks_auth(self, handler, scope: _Scope) -> bool:
        """The handler calls something named like auth, or reads what an auth middleware set."""
        if handler is None:
            return False
        if handler.type == "identifier":
            b = self._exact(_text(handler), scope, _INF)
            if b is None:
                return False
            handler = b.value
        if handler.type == "call_expression":
            # withAuth(async (req) => ...), withApiAuthRequired(handler)
            if _is_auth_text(_raw(_field(handler, "function"))):
                return True
            inner = _args(handler)
            return bool(inner) and self._handler_checks_auth(_unwrap(inner[-1]), scope)
        if handler.type not in _FUNC_TYPES:
            return False
        for n in _walk(handler):
            if n.type == "call_expression":
                name = _raw(_field(n, "function"))
                if not name.startswith("console.") and _is_auth_text(name):
                    return True
            elif n.type == "member_expression":
                obj = _last_name(_field(n, "object"))
                prop = _text(_field(n, "property"))
                if obj in _REQUEST_OBJECTS | {"ctx", "c", "locals"} and prop in _AUTH_PROPS:
                    return True
                if prop in {"authorization", "Authorization"}:
                    return True
            elif n.type == "string" and n.parent is not None and n.parent.type == "arguments":
                # headers.get("authorization"), req.header("x-api-key"): the handler checks a
                # credential (a header it merely sends upstream is a pair key, not an argument)
                if (_string_literal(n) or "").lower() in {"authorization", "x-api-key"}:
                    return True
        return False

    def _authed_receivers(self, out: _FileResult) -> list[tuple[str, int]]:
        """``app.use(requireAuth)`` calls: (receiver, where); routers mounted behind auth go to
        ``out.authed_modules`` so routes declared in their own files are credited."""
        authed: list[tuple[str, int]] = []
        for call, scope in self.calls:
            func = _field(call, "function")
            if func is None or func.type != "member_expression":
                continue
            prop = _text(_field(func, "property"))
            args = _args(call)
            if prop == "addHook" and len(args) >= 2 and _is_auth_text(_text(args[1])):
                authed.append((_raw(_field(func, "object")), call.start_byte))
                continue
            if prop != "use":
                continue
            receiver = _raw(_field(func, "object"))
            with_auth = any(_is_auth_text(_text(a)) for a in args
                            if _unwrap(a) is not None and _unwrap(a).type != "string")
            has_path = bool(args) and _string_literal(args[0]) is not None
            if with_auth and not has_path:
                authed.append((receiver, call.start_byte))
            behind = with_auth or any(r == receiver and p < call.start_byte for r, p in authed)
            if not behind:
                continue
            for a in args:
                a = _unwrap(a)
                if a is None or a.type != "identifier" or _text(a) not in self.aliases:
                    continue
                module = self.aliases[_text(a)][0]
                if _is_local(module):
                    out.authed_modules.update(_module_candidates(self.path, module))
                else:
                    continue
            for a in args:
                a = _unwrap(a)
                if a is not None and a.type == "identifier" and _text(a) not in self.aliases:
                    authed.append((_text(a), call.start_byte))  # a router defined in this file
        return authed

    @staticmethod
    def _receiver_authed(receiver, call, authed: list[tuple[str, int]]) -> bool:
        name = _raw(receiver)
        return any(r == name and (p < call.start_byte or r not in {"app", "server", "fastify"})
                   for r, p in authed)

    def _next_endpoints(self) -> list[Endpoint]:
        path = self.path
        pages = re.search(r"(?:^|/)pages/(api/.+?)\.(?:js|jsx|ts|tsx|mjs|cjs)$", path)
        app = re.search(r"(?:^|/)app/((?:.+/)?)route\.(?:js|jsx|ts|tsx|mjs|cjs)$", path)
        found: list[Endpoint] = []
        if pages and self.default_export is not None:
            value, stmt = self.default_export
            route = "/" + re.sub(r"(^|/)index$", "", pages.group(1))
            handler = _unwrap(value)
            name = "handler"
            if handler is not None and handler.type in _FUNC_TYPES and _field(handler, "name") is not None:
                name = _text(_field(handler, "name"))
            elif handler is not None and handler.type == "identifier":
                name = _text(handler)
            found.append(Endpoint(path=path, line=_line(stmt), function=name, framework="nextjs",
                                  route=route, has_auth=self._handler_checks_auth(
                                      handler, self.module_scope)))
        if app:
            segments = [s for s in app.group(1).strip("/").split("/")
                        if s and not (s.startswith("(") and s.endswith(")")) and not s.startswith("@")]
            route = "/" + "/".join(segments)
            for name, value, stmt in self.exports:
                if name not in _NEXT_METHODS:
                    continue
                handler = _unwrap(value)
                found.append(Endpoint(path=path, line=_line(stmt), function=name,
                                      framework="nextjs", route=route,
                                      has_auth=self._handler_checks_auth(handler, self.module_scope)))
        return found

    def _is_auth_middleware(self) -> bool:
        """A Next.js middleware.ts that authenticates (clerkMiddleware, next-auth, withAuth)."""
        if not re.search(r"(?:^|/)(?:src/)?middleware\.(?:js|ts|mjs)$", self.path):
            return False
        if any("auth" in m or "clerk" in m or "supabase" in m for m in self.modules):
            return True
        return any(_is_auth_text(_raw(_field(c, "function"))) for c, _ in self.calls)


# --------------------------------------------------------------------------------- free helpers
def _ends_with(names: tuple[str, ...], tail: tuple[str, ...]) -> bool:
    return len(names) >= len(tail) and names[-len(tail):] == tail


def _has_llm_object(res: _Res) -> bool:
    """The traced path passes through a model object (new ChatOpenAI()), not any class."""
    for seg in res.segs:
        name = seg.split("(", 1)[0]
        if seg.endswith("()") and _LLM_CLASS.match(name) and not name.endswith(_NOT_LLM_SUFFIXES):
            return True
    return any(n.lower() in {"llm", "llms"} for n in res.names)


def _flag_word_sign(name: str) -> int:
    """+1 for a name that reads as "feature on", -1 for "off", 0 for anything else (see code_facts)."""
    return flag_word_sign(_words(name))


def _exits(stmt) -> bool:
    """A statement (or block ending in one) that leaves the code path: return, throw."""
    if stmt is None:
        return False
    if stmt.type == "statement_block":
        body = [c for c in stmt.named_children if c.type != "comment"]
        return bool(body) and _exits(body[-1])
    return stmt.type in {"return_statement", "throw_statement", "continue_statement", "break_statement"}


def _is_constant(node, depth: int = 0) -> bool:
    """Text fixed in the code: literals, arrays and objects of literals."""
    node = _unwrap(node)
    if node is None or depth > 4:
        return False
    if node.type in {"string", "number", "true", "false", "null"}:
        return True
    if node.type == "template_string":
        return not _has_substitution(node)
    if node.type == "array":
        return all(_is_constant(c, depth + 1) for c in node.named_children)
    if node.type == "object":
        return all(c.type == "pair" and _is_constant(_field(c, "value"), depth + 1)
                   for c in node.named_children)
    return False


def _reads_usage(node) -> bool:
    """``completion.usage.total_tokens``: logging the token count is not logging the response."""
    cur = node.parent
    while cur is not None and cur.type in {"member_expression", "subscript_expression"}:
        if _text(_field(cur, "property")) in _USAGE_FIELDS:
            return True
        cur = cur.parent
    return False


def _scope_within(inner: _Scope, outer: _Scope) -> bool:
    cur: _Scope | None = inner
    while cur is not None:
        if cur is outer:
            return True
        cur = cur.parent
    return False


def _add_leaves(node) -> list:
    """Operands of a chain of ``+`` in source order (iterative: generated code chains thousands)."""
    out = []
    stack = [node]
    while stack:
        cur = _unwrap(stack.pop())
        if cur is not None and cur.type == "binary_expression" and \
                _text(_field(cur, "operator")) == "+":
            stack += [_field(cur, "right"), _field(cur, "left")]
        else:
            out.append(cur)
    return out


def _is_source(node) -> bool:
    """Request data read directly: req.body, req.query, await req.json(), c.req.param(), ..."""
    t = node.type
    if t == "identifier":
        return _text(node) == "searchParams"
    if t == "member_expression":
        obj = _unwrap(_field(node, "object"))
        prop = _text(_field(node, "property"))
        if prop == "searchParams":
            return True
        return prop in _REQUEST_PROPS and _last_name(obj) in _REQUEST_OBJECTS
    if t == "call_expression":
        func = _unwrap(_field(node, "function"))
        if func is None or func.type != "member_expression":
            return False
        prop = _text(_field(func, "property"))
        return prop in _REQUEST_READERS and _last_name(_field(func, "object")) in _REQUEST_OBJECTS
    return False


def _propagate(scope: _Scope, seeds: set[str]) -> set[str]:
    flat = [(name, b) for name, binds in scope.bindings.items() for b in binds]
    return _propagate_flat(flat, seeds, sources=False)


def _propagate_flat(flat: list[tuple[str, _Binding]], seeds: set[str], *, sources: bool) -> set[str]:
    """Names reached from ``seeds`` (and, with ``sources``, from request reads) by assignment."""
    reached = set(seeds)
    idents: dict[int, tuple[set[str], bool]] = {}
    # A function bound to a name is code, not data: walking its body would only cost time.
    flat = [(name, b) for name, b in flat if b.value.type not in _FUNC_TYPES]
    for _, b in flat:
        if id(b) not in idents:
            names: set[str] = set()
            source = False
            for n in _walk(b.value):
                if n.type in {"identifier", "shorthand_property_identifier"}:
                    names.add(_text(n))
                if sources and not source and _is_source(n):
                    source = True
            idents[id(b)] = (names, source)
    for _ in range(len(flat) + 1):
        changed = False
        for name, b in flat:
            if name in reached:
                continue
            names, source = idents[id(b)]
            if source or names & reached:
                reached.add(name)
                changed = True
        if not changed:
            break
    return reached


def _is_error_response(stmt) -> bool:
    """``return res.status(500).json(...)``, ``NextResponse.json(..., { status: 500 })``, next(err)."""
    text = " ".join(_text(stmt).split())
    if _ERROR_STATUS.search(text):
        return True
    return bool(re.match(r"^(return\s+)?next\s*\(\s*\w+\s*\)", text))


def _is_log_or_noop(stmt) -> bool:
    if stmt.type in {"empty_statement", "comment"}:
        return True
    if stmt.type != "expression_statement":
        return False
    expr = _unwrap(stmt.named_children[0]) if stmt.named_children else None
    if expr is None or expr.type != "call_expression":
        return expr is None or expr.type in {"string", "identifier"}
    func = _unwrap(_field(expr, "function"))
    if func is None or func.type != "member_expression":
        return False
    obj = _last_name(_field(func, "object")).lower()
    prop = _text(_field(func, "property"))
    return obj == "console" or (prop in _LOG_LEVELS and (obj in _LOGGER_NAMES or obj.endswith("logger"))) \
        or prop in {"captureException", "captureMessage"}


def _catch_is_fallback(body) -> bool:
    """The catch produces an alternative (returns, assigns, calls something) instead of failing:
    not a rethrow, not only logging, not an error response (the request fails either way)."""
    if body is None:
        return False
    meaningful = False
    for stmt in body.named_children:
        if stmt.type == "throw_statement":
            return False
        if _is_log_or_noop(stmt):
            continue
        if _is_error_response(stmt):
            continue
        meaningful = True
    return meaningful


def _callback_is_fallback(cb) -> bool:
    cb = _unwrap(cb)
    if cb is None or cb.type not in _FUNC_TYPES:
        return False
    body = _field(cb, "body")
    if body is None:
        return False
    if body.type == "statement_block":
        return _catch_is_fallback(body)
    # .catch(() => null) / .catch(() => defaultAnswer): an expression body is the alternative,
    # unless it only logs or throws.
    if body.type == "call_expression":
        return not _is_log_or_noop_expr(body)
    return True


def _is_log_or_noop_expr(call) -> bool:
    func = _unwrap(_field(call, "function"))
    if func is None or func.type != "member_expression":
        return False
    obj = _last_name(_field(func, "object")).lower()
    prop = _text(_field(func, "property"))
    return obj == "console" or (prop in _LOG_LEVELS and (obj in _LOGGER_NAMES or obj.endswith("logger")))


def _module_candidates(importer: str, module: str) -> tuple[str, ...]:
    """Repository paths (without extension) a project-relative import may point at."""
    if module.startswith("."):
        base = posixpath.normpath(posixpath.join(posixpath.dirname(importer), module))
        bases = [base]
    elif module.startswith(("@/", "~/")):
        # The usual tsconfig alias: "@/*" -> "./src/*" or "./*" (the file's app root may be nested).
        rest = module[2:]
        parts = importer.split("/")
        roots = {""}
        for i, part in enumerate(parts[:-1]):
            if part == "src":
                roots.add("/".join(parts[:i]))
        roots |= {r + "/src" if r else "src" for r in list(roots)}
        bases = [posixpath.join(r, rest) if r else rest for r in sorted(roots)]
    else:
        return ()
    out: list[str] = []
    for b in bases:
        b = re.sub(r"\.(js|jsx|ts|tsx|mjs|cjs|mts|cts)$", "", b)
        out += [b, b + "/index"]
    return tuple(out)


def _strip_ext(path: str) -> str:
    return re.sub(r"\.(js|jsx|ts|tsx|mjs|cjs|mts|cts)$", "", path)


def _looks_minified(text: str) -> int:
    """Length of the longest line when it is past :data:`MAX_LINE_CHARS`, else 0."""
    if len(text) <= MAX_LINE_CHARS:
        return 0
    longest = max((len(line) for line in text.splitlines()), default=0)
    return longest if longest > MAX_LINE_CHARS else 0


# ------------------------------------------------------------------------------------ entry point
def collect_code_js(files: FileSet, *, progress: Progress = None) -> CodeFacts:
    """Parse the target's JavaScript and TypeScript files (never running them) and report their facts.

    Returns model-SDK and raw-HTTP model call sites with their safeguards (timeout, retry, fallback,
    structured output, token cap) and prompt provenance, SQL built with template literals or ``+``,
    Express / Fastify / Hono / Next.js endpoints and whether they authenticate, files mixing the
    web/llm/db layers, console vs logger call counts and imported packages. Oversized, minified and
    unreadable files are listed in ``parse_errors``; a file with syntax errors is analysed as far as
    tree-sitter could read it. Type declaration files (``.d.ts``) hold no behaviour and are skipped.
    """
    js_files = [f for f in files.by_suffix(*JS_SUFFIXES)
                if not re.search(r"\.d\.[mc]?ts$", f.path)]
    if progress:
        progress(f"code: parsing {len(js_files)} JavaScript/TypeScript files")
    if not js_files:
        return CodeFacts(available=False, reason="no JavaScript or TypeScript files")
    try:
        for kind in ("js", "ts", "tsx"):
            _parser(kind)
    except Exception as exc:  # noqa: BLE001 - a missing or broken grammar wheel is "not measured"
        return CodeFacts(available=False, reason=f"tree-sitter grammars unavailable: {exc}")

    parsed = 0
    errors: list[str] = []
    results: dict[str, _FileResult] = {}
    for i, f in enumerate(js_files, 1):
        if progress and i % 500 == 0:
            progress(f"code: parsed {i}/{len(js_files)} JavaScript/TypeScript files")
        if f.size > MAX_JS_BYTES:
            errors.append(f"{f.path}: not parsed (larger than {MAX_JS_BYTES // 1_000_000} MB)")
            continue
        if re.search(r"[.-]min\.[mc]?js$", f.path):
            errors.append(f"{f.path}: not parsed (minified)")
            continue
        text = files.read_text(f)
        if text is None:
            errors.append(f"{f.path}: not parsed (unreadable, binary or a link)")
            continue
        longest = _looks_minified(text)
        if longest:
            errors.append(f"{f.path}: not parsed (minified or generated: a line of {longest} chars)")
            continue
        try:
            tree = _parser(_kind_of(f.path)).parse(text.encode("utf-8", "surrogatepass"))
            walker = _FileWalker(f.path, tree.root_node)
            walker.run()
            result = walker.finish()
        except (RecursionError, ValueError, UnicodeError) as exc:
            errors.append(f"{f.path}: not analysed ({type(exc).__name__})")
            continue
        if tree.root_node.has_error and result.meaningful == 0:
            errors.append(f"{f.path}: not parsed (syntax errors, nothing readable)")
            continue
        parsed += 1
        results[f.path] = result

    _link_files(results)

    facts = aggregate(results.items(), errors=errors, total=len(js_files), language="JavaScript/TypeScript")
    if progress:
        progress(f"code: {len(facts.llm_calls)} model calls, {len(facts.sql_sites)} SQL sites, "
                 f"{len(facts.endpoints)} endpoints in {facts.files_parsed} JS/TS files")
    return facts


def _link_files(results: dict[str, _FileResult]) -> None:
    """Answer the questions that need more than one file, updating the per-file results in place.

    - a client imported from the project's own module (``import { openai } from "@/lib/openai"``)
      gets the options its constructor was given there (timeout, maxRetries);
    - routes in a router module mounted behind auth middleware elsewhere are authenticated;
    - a Next.js middleware that authenticates covers the project's Next.js API routes.
    """
    by_base = {_strip_ext(p): r for p, r in results.items()}
    authed_modules: set[str] = set()
    next_auth = False
    for r in results.values():
        authed_modules |= r.authed_modules
        next_auth = next_auth or r.auth_middleware
    for path, r in results.items():
        for index, sdk, candidates in r.pending_clients:
            source = next((by_base[c] for c in candidates if c in by_base), None)
            if source is None:
                continue
            keys = source.client_options.get(sdk, set())
            site = r.llm_calls[index]
            r.llm_calls[index] = site.model_copy(update={
                "has_timeout": site.has_timeout or bool(keys & _TIMEOUT_KEYS),
                "has_retry": site.has_retry or bool(keys & _RETRY_KEYS),
                "max_tokens_set": site.max_tokens_set or bool(keys & _MAX_TOKEN_KEYS),
            })
        module_authed = _strip_ext(path) in authed_modules
        if module_authed or next_auth:
            r.endpoints = [e if e.has_auth or not (module_authed or e.framework == "nextjs")
                           else e.model_copy(update={"has_auth": True}) for e in r.endpoints]


def merge_code_facts(python: CodeFacts, js: CodeFacts) -> CodeFacts:
    """One CodeFacts for a repository with both Python and JS/TS code (lists joined, counts added).

    Available when either side is; the reason says which side could not be measured.
    """
    reasons = []
    for label, side, other in (("Python", python, js), ("JS/TS", js, python)):
        # "no Python files" in a TypeScript repository is not a gap worth reporting.
        absent = not side.available and not side.parse_errors and side.files_parsed == 0
        if side.reason and not (absent and other.available):
            reasons.append(f"{label}: {side.reason}")
    merged: dict = {}
    for name, info in CodeFacts.model_fields.items():
        a, b = getattr(python, name), getattr(js, name)
        if name == "available":
            merged[name] = a or b
        elif name == "reason":
            merged[name] = "; ".join(reasons) or None
        elif name in {"imports", "llm_sdks"}:
            merged[name] = sorted(set(a) | set(b))
        elif isinstance(a, list):
            merged[name] = list(a) + list(b)
        elif isinstance(a, bool):
            merged[name] = a or b
        elif isinstance(a, (int, float)) and not isinstance(a, bool):
            merged[name] = a + b
        elif isinstance(a, dict):
            merged[name] = {**a, **b}
        else:
            merged[name] = a if a is not None else b
    return CodeFacts(**merged)
