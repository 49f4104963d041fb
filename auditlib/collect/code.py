"""Python source facts: model SDK call sites, SQL built from strings, web endpoints, layer mixing.

Every Python file is parsed once with :mod:`ast` (never imported or executed) and walked once by
:class:`_FileCollector`, which records imports, name bindings per scope, calls with their enclosing
statements, and function definitions. The questions that need the whole file (is this name a client
built with ``timeout=``? was this router created with auth dependencies?) are answered afterwards from
those records, so a client defined below the function that uses it is still found.

The analysis is deliberately shallow and local: names are followed through assignments in the same
function (and the module), never across files. Where it cannot tell, it leaves a call out rather than
inventing one: facts here feed probes that raise findings, and a false call site costs the auditor
more than a missed one.
"""

from __future__ import annotations

import ast
import functools
import re
import warnings
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from auditlib.collect.code_facts import FileFacts, aggregate, flag_word_sign
from auditlib.collect.files import FileSet
from auditlib.models import CodeFacts, Endpoint, LLMCallSite, LLMUseSite, SQLSite

MAX_PY_BYTES = 1_000_000
"""Python files larger than this are not parsed (generated code, data dumped into a module)."""

Progress = Callable[[str], None] | None

_INF = (1 << 30, 0)
_MAX_DEPTH = 12
"""How far a name is followed through assignments before giving up (guards cycles and hostile input)."""

# ------------------------------------------------------------------------------------------- tables
_SDK_PREFIXES: tuple[tuple[str, str], ...] = (
    ("google.generativeai", "google"), ("google.genai", "google"), ("vertexai", "google"),
    ("openai", "openai"), ("anthropic", "anthropic"), ("mistralai", "mistralai"),
    ("cohere", "cohere"), ("llama_index", "llama_index"), ("litellm", "litellm"), ("groq", "groq"),
    ("together", "together"), ("replicate", "replicate"), ("ollama", "ollama"),
    ("huggingface_hub", "huggingface_hub"),
)
_PROVIDER = {"mistralai": "mistral"}
"""SDK label (as reported in llm_sdks) -> provider label on call sites, where they differ."""

_OPENAI_TAILS: tuple[tuple[str, ...], ...] = (
    ("chat", "completions", "create"), ("chat", "completions", "parse"),
    ("chat", "completions", "stream"), ("completions", "create"), ("responses", "create"),
    ("responses", "parse"), ("responses", "stream"), ("ChatCompletion", "create"),
    ("ChatCompletion", "acreate"), ("Completion", "create"), ("Completion", "acreate"),
)
_TAILS: dict[str, tuple[tuple[str, ...], ...]] = {
    "openai": _OPENAI_TAILS,
    "groq": _OPENAI_TAILS,
    "together": _OPENAI_TAILS,
    "huggingface_hub": _OPENAI_TAILS + (("text_generation",), ("chat_completion",)),
    "anthropic": (("messages", "create"), ("messages", "stream"), ("completions", "create")),
    "google": (("generate_content",), ("generate_content_async",), ("generate_content_stream",),
               ("send_message",), ("send_message_async",), ("generate_text",)),
    "mistralai": (("chat", "complete"), ("chat", "complete_async"), ("chat", "stream"),
                  ("chat", "stream_async"), ("chat",), ("chat_stream",)),
    "cohere": (("chat",), ("chat_stream",), ("generate",)),
    "litellm": (("completion",), ("acompletion",), ("text_completion",)),
    "ollama": (("chat",), ("generate",)),
    "replicate": (("run",), ("async_run",), ("stream",)),
    "langchain": (("invoke",), ("ainvoke",), ("predict",), ("apredict",), ("stream",),
                  ("astream",), ("batch",), ("abatch",), ("generate",), ("agenerate",), ("run",),
                  ("arun",), ("predict_messages",)),
    "llama_index": (("complete",), ("acomplete",), ("chat",), ("achat",), ("stream_complete",),
                    ("stream_chat",)),
}
# Call shapes unmistakable enough to count even when the receiver cannot be traced to an SDK
# (a client imported from the project's own module, a parameter, an attribute set elsewhere).
_STRONG_TAILS: dict[tuple[str, ...], str] = {
    ("chat", "completions", "create"): "openai", ("chat", "completions", "parse"): "openai",
    ("chat", "completions", "stream"): "openai", ("generate_content",): "google",
    ("generate_content_async",): "google",
}
# Shapes other libraries share (Twilio has ``client.messages.create``): a site only when the file
# imports the SDK that owns the shape.
_GATED_TAILS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("responses", "create"), "openai"), (("responses", "parse"), "openai"),
    (("ChatCompletion", "create"), "openai"), (("Completion", "create"), "openai"),
    (("completions", "create"), "openai"), (("messages", "create"), "anthropic"),
    (("messages", "stream"), "anthropic"), (("completions", "create"), "anthropic"),
    (("chat", "complete"), "mistralai"), (("chat", "complete_async"), "mistralai"),
)
_OPENAI_COMPATIBLE = ("openai", "groq", "together", "huggingface_hub")
_NEEDS_LLM_OBJECT = {"langchain", "llama_index"}
_LLM_CLASS = re.compile(
    r"^(Chat\w+|\w*LLM\w*|init_chat_model|OpenAI|AzureOpenAI|Ollama|Anthropic|Cohere|VertexAI|"
    r"Bedrock\w*|HuggingFace\w*|GoogleGenerativeAI|Gemini|Groq|MistralAI|\w+Chain)$"
)

_NOT_LLM_SUFFIXES = ("Template", "Parser", "History", "Message", "Messages", "Memory", "Loader")

_LLM_HOSTS = ("api.openai.com", "api.anthropic.com", "generativelanguage.googleapis.com",
              "api.mistral.ai", "api.cohere.ai", "api.cohere.com", "openrouter.ai/api",
              "api.groq.com", "api.together.xyz")
_HTTP_METHODS = {"post": 0, "request": 1, "stream": 1}
"""HTTP client method -> index of its URL argument."""

_TIMEOUT_KEYS = {"timeout", "request_timeout", "read_timeout", "connect_timeout"}
_RETRY_KEYS = {"max_retries", "num_retries", "retries"}
_MAX_TOKEN_KEYS = {"max_tokens", "max_output_tokens", "max_completion_tokens",
                   "max_tokens_to_sample", "max_new_tokens", "num_predict"}
_STRUCT_KEYS = {"response_format", "tools", "functions", "tool_choice", "function_call",
                "text_format", "response_schema", "response_model", "json_schema", "output_schema"}
_STRUCT_METHODS = {"with_structured_output", "bind_tools", "parse"}
_MODEL_KEYS = ("model", "model_name", "model_id")
_PROMPT_KEYS = {"messages", "prompt", "contents", "input", "system", "instructions", "message",
                "text", "query", "inputs", "content", "json", "data", "chat_history", "history"}
_NON_PROMPT_DICT_KEYS = {"role", "type", "model", "name", "id", "tool_call_id", "mime_type",
                         "detail", "stream", "temperature", "top_p", "max_tokens", "response_format"}
_ROLE_WORDS = {"system", "user", "assistant", "human", "ai", "tool", "function", "developer", "model"}
_TEMPLATE_CALLS = {"format", "format_map", "join", "dedent", "strip", "HumanMessage",
                   "SystemMessage", "AIMessage", "ChatMessage", "from_template", "from_messages",
                   "PromptTemplate", "ChatPromptTemplate", "Content", "Part", "from_text", "dict",
                   "format_messages", "format_prompt"}
_VALIDATORS = {"model_validate", "model_validate_json", "parse_raw", "parse_obj", "parse_obj_as",
               "validate_json", "validate_python"}

_REQUEST_NAMES = {"request", "req"}
_REQUEST_ATTRS = {"json", "form", "args", "values", "get_json", "data", "get_data", "body",
                  "query_params", "path_params", "POST", "GET", "params", "files", "query",
                  "headers", "cookies", "META"}
_UI_INPUTS = {"text_input", "text_area", "chat_input"}
"""Streamlit widgets whose value is whatever the user typed."""

_ROUTE_ATTRS = {"route", "get", "post", "put", "delete", "patch", "head", "options", "websocket",
                "api_route"}
_AUTH_DECORATOR_WORDS = ("login_required", "auth", "jwt_required", "permission", "token_required",
                         "api_key")
_AUTH_DEP_WORDS = ("auth", "user", "token", "current", "api_key")

_WEB_MODULES = {"flask", "fastapi", "django", "starlette", "rest_framework", "sanic", "quart",
                "litestar", "bottle", "tornado", "falcon", "streamlit", "gradio", "chainlit"}
_DB_MODULES = {"sqlite3", "psycopg", "psycopg2", "pymysql", "sqlalchemy", "pymongo", "redis",
               "asyncpg", "aiosqlite", "motor", "sqlmodel", "peewee", "mysql", "MySQLdb", "duckdb"}

_SQL_CALLS = {"execute", "executemany", "executescript", "raw", "exec_driver_sql", "read_sql",
              "read_sql_query", "fetch", "fetchrow", "fetchval", "fetch_all", "fetch_one"}
_SQL_WORDS = re.compile(r"\b(select|insert|update|delete|create|drop|alter|where)\b", re.I)
_WORDY = re.compile(r"[A-Za-z]{2,}")

_LOG_LEVELS = {"debug", "info", "warning", "warn", "error", "exception", "critical"}
_LOGGER_NAMES = {"logging", "logger", "log", "_logger", "_log", "logger_", "structlog"}
_MUTATORS = {"append", "extend", "insert", "update", "add", "appendleft", "setdefault"}

_INTERESTING_METHODS = (
    {tail[-1] for tails in _TAILS.values() for tail in tails}
    | set(_HTTP_METHODS) | _SQL_CALLS | {"text"}
)

# ---------------------------------------------------------------- model-call defect classes (issue 3)
_META_ATTRS = {"usage", "usage_metadata", "token_usage", "finish_reason", "stop_reason", "id", "model",
               "created", "system_fingerprint", "status_code", "headers", "response_metadata",
               "object", "role", "prompt_feedback", "safety_ratings", "elapsed", "ok", "status"}
"""Attributes of a response that are metadata, not the text: logging ``resp.usage`` is not PII."""
_OPAQUE_CALLS = {"len", "type", "id", "isinstance", "bool", "hash", "callable", "hasattr"}
"""Builtins whose result says nothing of their argument's text (``print(len(prompt))``)."""
_USAGE_FIELDS = {"usage", "usage_metadata", "token_usage", "prompt_tokens", "completion_tokens",
                 "total_tokens", "input_tokens", "output_tokens", "prompt_token_count",
                 "candidates_token_count", "total_token_count", "total_cost", "llm_output"}
_PRINTS = {"print", "pprint"}
_LOG_META_KWARGS = {"exc_info", "stack_info", "stacklevel", "file", "sep", "end", "flush"}
_EXEC_BUILTINS = {"exec", "eval", "compile"}
_SHELL_ALWAYS = {("os", "system"), ("os", "popen"), ("subprocess", "getoutput"),
                 ("subprocess", "getstatusoutput"), ("asyncio", "create_subprocess_shell"),
                 ("commands", "getoutput")}
"""Functions that hand their (first) argument to a shell."""
_SHELL_MAYBE = {("subprocess", "run"), ("subprocess", "call"), ("subprocess", "check_call"),
                ("subprocess", "check_output"), ("subprocess", "Popen"),
                ("asyncio", "create_subprocess_exec")}
"""Functions that run a shell with ``shell=True``, else the program named by their first argument."""
_STRING_CALLS = {"text", "format", "strip", "lstrip", "rstrip", "replace", "lower", "upper", "join",
                 "str", "dedent", "group", "removeprefix", "removesuffix", "sub", "SQL"}
"""Calls whose result is still query text (``text(sql)``, ``sql.strip()``, ``match.group(1)``)."""
_SHELL_NAMES = {name for _, name in _SHELL_ALWAYS | _SHELL_MAYBE}
_SHELLS = {"sh", "bash", "zsh", "cmd", "cmd.exe", "powershell", "pwsh", "/bin/sh", "/bin/bash"}
_SQL_DRIVER_HINT = re.compile(r"cur|conn|db|session|engine|sql|database|query", re.I)
_CODE_AGENTS = {"create_pandas_dataframe_agent", "create_csv_agent", "create_spark_dataframe_agent",
                "create_python_agent", "create_xorbits_agent", "PythonREPLTool", "PythonREPL",
                "PythonAstREPLTool", "ShellTool", "BashProcess"}
"""LangChain agents and tools that run model-written Python or shell commands."""
_SQL_AGENTS = {"create_sql_agent", "SQLDatabaseChain", "SQLDatabaseToolkit"}
"""LangChain agents that run model-written SQL against a live database."""
_DANGEROUS_TOOL_NAMES = {"python_repl", "terminal", "shell", "bash"}
"""``load_tools([...])`` names that give the agent a Python or shell interpreter."""
_SAFE_EXECUTORS = {"docker", "e2b", "modal", "wasm", "blaxel"}
_KEY_KWARGS = {"api_key", "openai_api_key", "anthropic_api_key", "google_api_key", "groq_api_key",
               "cohere_api_key", "mistral_api_key", "together_api_key", "api_token"}
_KEY_NAME = re.compile(r"key|token|secret|password", re.I)
_MSG_NAMES = {"messages", "history", "chat_history", "conversation", "contents"}
"""Request fields (and SDK arguments) that hold a whole conversation, roles included."""
_AS_IS_CALLS = {"list", "tuple", "deepcopy", "copy", "dict", "model_dump", "to_dict", "jsonable_encoder"}
"""Calls that pass a message list on unchanged: ``list(msgs)``, ``[m.model_dump() for m in msgs]``."""
_FILE_CALLS = {"read_text", "read_bytes", "get_template", "from_file", "load_prompt", "load_prompts",
               "read_prompt", "pull_prompt", "from_template_file", "FileSystemLoader"}
_TEMPLATE_METHODS = {"read", "readlines", "format", "format_map", "render", "strip", "dedent",
                     "substitute", "safe_substitute", "partial", "format_prompt", "format_messages",
                     "decode", "splitlines", "lstrip", "rstrip"}
"""Methods whose receiver is the template: ``open(p).read()``, ``tpl.render(q=q)``."""
_PARSE_CALLS = {"load", "loads", "safe_load", "load_all", "safe_load_all", "parse"}
_PROMPT_PATH = re.compile(
    r"prompt|template|instruction|persona|system|\.(j2|jinja2?|prompty|tmpl|mustache|hbs)$", re.I)
"""A path (or the name of the variable holding it) that names a prompt file, not a document."""
_FLAG_CLIENT_METHODS = {"is_enabled", "is_feature_enabled", "feature_enabled", "is_on", "variation",
                        "bool_variation", "get_flag", "get_feature_flag", "is_feature_on", "evaluate_flag",
                        "get_boolean_value", "is_active_feature"}
_WRAPPERS = {"lower", "upper", "strip", "casefold", "bool", "int", "str2bool", "strtobool", "to_bool",
             "as_bool", "parse_bool", "_bool", "getboolean"}
_FALSY = {"false", "0", "off", "no", "n", "", "disabled"}
_FLAG_FUNCTION = re.compile(r"flag|feature_?(is_)?(enabled|on|active)|^is_\w*enabled$", re.I)
"""A function of the project's own that answers a flag question: ``feature_enabled("ai")``."""
_EXIT_CALLS = {"stop", "exit", "abort", "quit"}

_FUNC_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_LOOP_NODES = (ast.For, ast.AsyncFor, ast.While)


def sdk_of(module: str) -> str | None:
    """The model SDK label (as in ``CodeFacts.llm_sdks``) a dotted module path belongs to, or None."""
    if module.split(".", 1)[0].startswith("langchain"):
        return "langchain"
    for prefix, sdk in _SDK_PREFIXES:
        if module == prefix or module.startswith(prefix + "."):
            return sdk
    return None


# -------------------------------------------------------------------------------------- AST helpers
def _pos(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def _end(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "end_lineno", None) or getattr(node, "lineno", 0),
            getattr(node, "end_col_offset", None) or 0)


def _strip(seg: str) -> str:
    return seg.split("(", 1)[0].split("[", 1)[0]


def _raw(expr: ast.AST) -> str:
    """A call target as written, with ``()`` for intermediate calls: ``OpenAI().chat.create``."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return f"{_raw(expr.value)}.{expr.attr}"
    if isinstance(expr, ast.Call):
        return f"{_raw(expr.func)}()"
    if isinstance(expr, ast.Subscript):
        return f"{_raw(expr.value)}[]"
    if isinstance(expr, ast.Await):
        return _raw(expr.value)
    try:
        text = ast.unparse(expr)
    except Exception:  # noqa: BLE001 - unparse of odd trees is best effort
        return "?"
    return f"({text[:80]})"


def _simple_dotted(expr: ast.AST) -> str | None:
    """``self.client`` for a chain of plain names and attributes, else None."""
    parts = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    parts.append(expr.id)
    return ".".join(reversed(parts))


def _last_name(expr: ast.AST) -> str:
    if isinstance(expr, ast.Attribute):
        return expr.attr
    if isinstance(expr, ast.Name):
        return expr.id
    return ""


def _str_const(expr: ast.AST | None) -> str | None:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    return None


def _ends_with(names: tuple[str, ...], tail: tuple[str, ...]) -> bool:
    return len(names) >= len(tail) and names[-len(tail):] == tail


def _walk_local(nodes: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Walk statements without descending into nested functions or classes (their own scopes)."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, _FUNC_NODES):
                stack.append(child)


def _names_in(expr: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}


# -------------------------------------------------------------------------------------- scopes
@dataclass(eq=False)
class _Binding:
    """One thing bound to a name: ``x = value`` (exact), ``for x in value``, ``x.append(value)``."""

    value: ast.AST
    pos: tuple[int, int]
    """Where the binding takes effect (end of its statement)."""
    scope: "_Scope"
    exact: bool
    """The name now refers to ``value`` itself (not an element of it, not a mutation of it)."""
    defines: bool = True
    """A real assignment (makes the name local), as opposed to a mutation like ``x.append(...)``."""


@dataclass(eq=False)
class _Scope:
    node: ast.AST
    parent: "_Scope | None"
    name: str | None
    bindings: dict[str, list[_Binding]] = field(default_factory=dict)
    validators: list[ast.Call] = field(default_factory=list)
    returns: list[ast.expr] = field(default_factory=list)
    is_route: bool = False
    _tainted: set[str] | None = None


@dataclass(frozen=True)
class _Res:
    """A call target traced back through imports and assignments, e.g. openai / OpenAI() / chat."""

    segs: tuple[str, ...]
    calls: tuple[ast.Call, ...] = ()
    """The calls met along the way (client constructors, ``with_options(...)``)."""
    imported: bool = False
    """The first segment is an imported module, so the path is a real qualified name."""

    @functools.cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(_strip(s) for s in self.segs)

    @functools.cached_property
    def sdk(self) -> str | None:
        return sdk_of(".".join(self.names)) if self.imported else None


_FileResult = FileFacts


# ------------------------------------------------------------------------------------ the collector
class _FileCollector(ast.NodeVisitor):
    """One pass over a module's tree recording what the later questions need."""

    def __init__(self, path: str, tree: ast.Module) -> None:
        self.path = path
        self.aliases: dict[str, str] = {}
        self.imports: set[str] = set()
        self.import_paths: set[str] = set()
        self.module_scope = _Scope(tree, None, None)
        self.scope = self.module_scope
        self.attr_bindings: dict[str, list[_Binding]] = {}
        self.stack: list[ast.AST] = []
        self.calls: list[tuple[ast.Call, _Scope, tuple[ast.AST, ...]]] = []
        self.functions: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, _Scope, _Scope]] = []
        self.func_scopes: dict[str, list[_Scope]] = {}
        self.prints = 0
        self.logs = 0
        self._res_cache: dict[int, _Res] = {}
        self.sdks: set[str] = set()
        """Model SDKs the file imports (filled in by :meth:`finish`)."""
        # issue 3: what the model-call defect questions need beyond calls and bindings
        self.env_writes: list[tuple[ast.stmt, ast.expr, ast.expr, _Scope]] = []
        """``os.environ[key] = value`` and ``x.api_key = value``: (statement, key or target, value)."""
        self._llm_nodes: dict[int, tuple[ast.Call, LLMCallSite, _Scope]] = {}
        self._model_funcs: dict[str, LLMCallSite] = {}
        self._derived_cache: dict[int, dict[str, LLMCallSite]] = {}
        self._sink_params: dict[str, list[tuple[int, str, str, str, int]]] = {}
        """Local function -> (parameter index, name, sink kind, sink api, sink line) it reaches."""
        self._binding_cache: dict[int, list[tuple[str, set[str], list[ast.Call]]]] = {}
        self._users_cache: dict[int, dict[str, set[str]]] = {}
        self._is_server = False
        self._msg_params: dict[str, list[tuple[int, str, ast.Call]]] = {}
        """Local function -> (parameter index, name, model call) where the parameter is the
        message list the model receives."""
        """The file is part of a web app or UI server (set by :meth:`finish`)."""
        self._calls_by_scope: dict[int, list[tuple[ast.Call, _Scope, tuple[ast.AST, ...]]]] = {}

    # ---------------------------------------------------------------- visiting
    def visit(self, node: ast.AST) -> None:
        self.stack.append(node)
        try:
            super().visit(node)
        finally:
            self.stack.pop()

    def visit_Constant(self, node: ast.Constant) -> None:
        pass  # a leaf; skips NodeVisitor's slow legacy Num/Str dispatch

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            top = alias.name.split(".", 1)[0]
            self.imports.add(top)
            self.import_paths.add(alias.name)
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                self.aliases[top] = top

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            base = node.module
            self.imports.add(base.split(".", 1)[0])
            self.import_paths.add(base)
        else:  # relative: the project's own module, never an SDK
            base = "." * node.level + (node.module or "")
        for alias in node.names:
            if alias.name == "*":
                continue
            full = f"{base}.{alias.name}" if not base.endswith(".") else f"{base}{alias.name}"
            if node.level == 0:
                self.import_paths.add(full)
            self.aliases[alias.asname or alias.name] = full

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        # Decorators, defaults and annotations run in the enclosing scope.
        for dec in node.decorator_list:
            self.visit(dec)
        self.visit(node.args)
        if node.returns:
            self.visit(node.returns)
        parent = self.scope
        scope = _Scope(node, parent, node.name)
        self.functions.append((node, scope, parent))
        self.func_scopes.setdefault(node.name, []).append(scope)
        self.scope = scope
        try:
            for stmt in node.body:
                self.visit(stmt)
        finally:
            self.scope = parent

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def visit_Return(self, node: ast.Return) -> None:
        if node.value is not None:
            self.scope.returns.append(node.value)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._bind(target, node.value, _end(node), exact=True)
            if isinstance(target, ast.Subscript) and _raw(target.value) in {"os.environ", "environ"}:
                self.env_writes.append((node, target.slice, node.value, self.scope))
            elif isinstance(target, ast.Attribute) and target.attr in _KEY_KWARGS:
                self.env_writes.append((node, target, node.value, self.scope))
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._bind(node.target, node.value, _end(node), exact=True)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._bind(node.target, node, _end(node), exact=False)
        self.generic_visit(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self._bind(node.target, node.value, _end(node), exact=True)
        self.generic_visit(node)

    def _visit_for(self, node: ast.For | ast.AsyncFor) -> None:
        self._bind(node.target, node.iter, _end(node.iter), exact=False)
        self.generic_visit(node)

    visit_For = _visit_for
    visit_AsyncFor = _visit_for

    def _visit_with(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            if item.optional_vars is not None:
                self._bind(item.optional_vars, item.context_expr, _end(item.context_expr), exact=True)
        self.generic_visit(node)

    visit_With = _visit_with
    visit_AsyncWith = _visit_with

    def visit_Call(self, node: ast.Call) -> None:
        self.calls.append((node, self.scope, tuple(self.stack[:-1])))
        func = node.func
        if isinstance(func, ast.Name) and func.id == "print":
            self.prints += 1
        elif isinstance(func, ast.Attribute):
            if func.attr in _LOG_LEVELS and self._is_logger(func.value):
                self.logs += 1
            if func.attr in _MUTATORS and isinstance(func.value, (ast.Name, ast.Attribute)):
                # messages.append({...}) changes what `messages` holds: prompts are built this way.
                self._bind(func.value, node, _end(node), exact=False, defines=False)
            if func.attr in _VALIDATORS or (
                func.attr == "loads" and _raw(func.value) in {"json", "orjson", "ujson"}
            ) or (func.attr == "parse" and "parser" in _raw(func.value).lower()):
                self.scope.validators.append(node)
        self.generic_visit(node)

    @staticmethod
    def _is_logger(expr: ast.AST) -> bool:
        if isinstance(expr, ast.Call):
            return _last_name(expr.func) in {"getLogger", "get_logger"}
        name = _last_name(expr).lower()
        return name in _LOGGER_NAMES or name.endswith("logger")

    def _bind(self, target: ast.AST, value: ast.AST, pos: tuple[int, int], *, exact: bool,
              defines: bool = True) -> None:
        if isinstance(target, ast.Name):
            self.scope.bindings.setdefault(target.id, []).append(
                _Binding(value, pos, self.scope, exact, defines))
        elif isinstance(target, ast.Attribute):
            key = _simple_dotted(target)
            if key:
                self.attr_bindings.setdefault(key, []).append(
                    _Binding(value, pos, self.scope, exact, defines))
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._bind(elt, value, pos, exact=False, defines=defines)
        elif isinstance(target, ast.Starred):
            self._bind(target.value, value, pos, exact=False, defines=defines)
        elif isinstance(target, ast.Subscript):
            # payload["messages"] = [...] adds to what `payload` holds without rebinding it.
            self._bind(target.value, value, pos, exact=False, defines=False)

    # ---------------------------------------------------------------- name lookup and tracing
    def _bindings(self, name: str, scope: _Scope, pos: tuple[int, int]) -> list[_Binding]:
        """Bindings of ``name`` visible at ``pos`` in ``scope``: the scope's own before ``pos``,
        enclosing scopes' (all of them: they ran before the function is called)."""
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

    def _exact_value(self, name: str, scope: _Scope, pos: tuple[int, int]) -> _Binding | None:
        """The latest plain assignment to ``name`` (None when the latest binding is not plain)."""
        defining = [b for b in self._bindings(name, scope, pos) if b.defines]
        if defining and defining[-1].exact:
            return defining[-1]
        return None

    def resolve(self, expr: ast.AST, scope: _Scope, pos: tuple[int, int], depth: int = 0) -> _Res:
        """Trace a call target back to an import: ``client.chat`` -> openai / OpenAI() / chat."""
        if depth > _MAX_DEPTH:
            return _Res(("?",))
        if isinstance(expr, ast.Name):
            binds = self._bindings(expr.id, scope, pos)
            if any(b.defines for b in binds):
                b = self._exact_value(expr.id, scope, pos)
                if b is not None:
                    return self.resolve(b.value, b.scope, b.pos, depth + 1)
                return _Res((expr.id,))
            if expr.id in self.aliases:
                return _Res(tuple(self.aliases[expr.id].split(".")), imported=True)
            return _Res((expr.id,))
        if isinstance(expr, ast.Attribute):
            key = _simple_dotted(expr)
            if key and key in self.attr_bindings:
                defining = [b for b in self.attr_bindings[key] if b.defines]
                if defining and defining[-1].exact:
                    b = defining[-1]
                    return self.resolve(b.value, b.scope, b.pos, depth + 1)
            base = self.resolve(expr.value, scope, pos, depth + 1)
            return _Res(base.segs + (expr.attr,), base.calls, base.imported)
        if isinstance(expr, ast.Call):
            func = expr.func
            if (isinstance(func, ast.Name) and func.id in self.func_scopes
                    and not self._bindings(func.id, scope, pos) and func.id not in self.aliases):
                # get_client() defined in this file: trace what it returns.
                for fscope in self.func_scopes[func.id]:
                    for ret in fscope.returns:
                        res = self.resolve(ret, fscope, _INF, depth + 1)
                        if res.imported:
                            return res
            base = self.resolve(func, scope, pos, depth + 1)
            segs = base.segs[:-1] + (base.segs[-1] + "()",) if base.segs else ("?()",)
            return _Res(segs, base.calls + (expr,), base.imported)
        if isinstance(expr, ast.Await):
            return self.resolve(expr.value, scope, pos, depth + 1)
        if isinstance(expr, ast.Subscript):
            base = self.resolve(expr.value, scope, pos, depth + 1)
            return _Res(base.segs[:-1] + (base.segs[-1] + "[]",), base.calls, base.imported)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
            # A LangChain pipeline (prompt | llm | parser) calls the model inside it.
            left = self.resolve(expr.left, scope, pos, depth + 1)
            right = self.resolve(expr.right, scope, pos, depth + 1)
            for side in (right, left):
                if side.sdk == "langchain" and _has_llm_object(side):
                    return side
            return left
        return _Res(("?",))

    def _aliased(self, func: ast.AST) -> bool:
        return isinstance(func, ast.Name) and func.id in self.aliases

    def _worth_resolving(self, call: ast.Call) -> bool:
        """Cheap pre-filter: only calls whose method name could matter are traced."""
        return _last_name(call.func) in _INTERESTING_METHODS or self._aliased(call.func)

    def _resolve_call(self, call: ast.Call, scope: _Scope) -> _Res:
        key = id(call)
        if key not in self._res_cache:
            self._res_cache[key] = self.resolve(call.func, scope, _pos(call))
        return self._res_cache[key]

    def _string_value(self, expr: ast.AST | None, scope: _Scope, pos: tuple[int, int],
                      depth: int = 0) -> str | None:
        """The literal text of a string expression (constant parts only), following names."""
        if expr is None or depth > _MAX_DEPTH:
            return None
        if isinstance(expr, ast.Constant):
            return expr.value if isinstance(expr.value, str) else None
        if isinstance(expr, ast.JoinedStr):
            return "".join(v.value for v in expr.values
                           if isinstance(v, ast.Constant) and isinstance(v.value, str))
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Mod)):
            left = self._string_value(expr.left, scope, pos, depth + 1)
            right = self._string_value(expr.right, scope, pos, depth + 1) \
                if isinstance(expr.op, ast.Add) else None
            if left is None and right is None:
                return None
            return (left or "") + (right or "")
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) \
                and expr.func.attr == "format":
            return self._string_value(expr.func.value, scope, pos, depth + 1)
        if isinstance(expr, ast.Name):
            b = self._exact_value(expr.id, scope, pos)
            if b is not None:
                return self._string_value(b.value, b.scope, b.pos, depth + 1)
        return None

    # ---------------------------------------------------------------- option keywords
    def _options(self, calls: Iterable[ast.Call], scope: _Scope, pos: tuple[int, int]
                 ) -> dict[str, ast.AST]:
        """Keyword names given to the calls (and inside dict/config values passed to them).

        ``generation_config={"max_output_tokens": 100}``, ``config=GenerateContentConfig(...)`` and
        ``**params`` all count: the model receives them the same way.
        """
        found: dict[str, ast.AST] = {}

        def add_from(expr: ast.AST, depth: int) -> None:
            if depth > 3:
                return
            if isinstance(expr, ast.Name):
                b = self._exact_value(expr.id, scope, pos)
                if b is not None:
                    add_from(b.value, depth + 1)
            elif isinstance(expr, ast.Dict):
                for k, v in zip(expr.keys, expr.values):
                    key = _str_const(k)
                    if key is not None:
                        found.setdefault(key, v)
                        add_from(v, depth + 1)
                    elif k is None:
                        add_from(v, depth + 1)
            elif isinstance(expr, ast.Call):
                for kw in expr.keywords:
                    if kw.arg:
                        found.setdefault(kw.arg, kw.value)
                    add_from(kw.value, depth + 1)

        for call in calls:
            add_from(call, 0)
        return found

    # ---------------------------------------------------------------- questions about a call
    def _enclosing(self, ancestors: tuple[ast.AST, ...]) -> list[ast.AST]:
        """Ancestors inside the innermost function, innermost first."""
        out = []
        for node in reversed(ancestors):
            if isinstance(node, _FUNC_NODES):
                break
            out.append(node)
        return out

    def _has_fallback(self, call: ast.Call, ancestors: tuple[ast.AST, ...]) -> bool:
        child: ast.AST = call
        for node in self._enclosing(ancestors):
            if isinstance(node, (ast.Try, ast.TryStar)) and any(child is s for s in node.body):
                if any(_handler_is_fallback(h) for h in node.handlers):
                    return True
            child = node
        return False

    def _has_retry(self, scope: _Scope, ancestors: tuple[ast.AST, ...]) -> bool:
        fn = scope.node
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for dec in fn.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                res = self.resolve(target, scope.parent or scope, _INF)
                text = (_raw(target) + " " + ".".join(res.names)).lower()
                if "retry" in text or (
                    "backoff" in text and res.names[-1] in {"on_exception", "on_predicate"}
                ):
                    return True
        for node in self._enclosing(ancestors):
            if isinstance(node, _LOOP_NODES):
                if isinstance(node, (ast.For, ast.AsyncFor)) and "Retrying" in _raw(node.iter):
                    return True
                if any(isinstance(n, (ast.Try, ast.TryStar)) for n in _walk_local(node.body)):
                    return True
        return False

    def _result_is_validated(self, call: ast.Call, scope: _Scope,
                             ancestors: tuple[ast.AST, ...]) -> bool:
        """The call's result reaches json.loads / model_validate / a parser in the same function."""
        results: set[str] = set()
        for node in self._enclosing(ancestors):
            if isinstance(node, ast.Call) and node in scope.validators:
                return True
            if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
                results.add(node.target.id)
            if isinstance(node, ast.stmt):
                if isinstance(node, (ast.Assign, ast.AnnAssign)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for t in targets:
                        results |= _names_in(t)
                break
        if not results or not scope.validators:
            return False
        derived = _propagate(scope, results)
        return any(_names_in(v) & derived for v in scope.validators)

    def _prompt_exprs(self, call: ast.Call, provider: str) -> list[ast.AST]:
        exprs: list[ast.AST] = [kw.value for kw in call.keywords
                                if kw.arg is None or kw.arg in _PROMPT_KEYS]
        if provider in {"litellm", "ollama", "replicate"}:
            exprs += call.args[1:]
        elif provider != "http":
            exprs += call.args
        return exprs

    def _has_literal(self, expr: ast.AST, scope: _Scope, pos: tuple[int, int], depth: int = 0,
                     seen: set[int] | None = None) -> bool:
        """The expression holds prompt text written in the code (not a role name, not a blank)."""
        if depth > _MAX_DEPTH:
            return False
        seen = set() if seen is None else seen
        if id(expr) in seen:
            return False
        seen.add(id(expr))

        def again(e: ast.AST, s: _Scope = scope, p: tuple[int, int] = pos) -> bool:
            return self._has_literal(e, s, p, depth + 1, seen)

        if isinstance(expr, ast.Constant):
            return isinstance(expr.value, str) and _is_prompt_text(expr.value)
        if isinstance(expr, ast.JoinedStr):
            return _is_prompt_text("".join(v.value for v in expr.values
                                           if isinstance(v, ast.Constant)))
        if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
            return any(again(e) for e in expr.elts)
        if isinstance(expr, ast.Dict):
            return any(again(v) for k, v in zip(expr.keys, expr.values)
                       if _str_const(k) not in _NON_PROMPT_DICT_KEYS)
        if isinstance(expr, ast.BinOp):
            return again(expr.left) or again(expr.right)
        if isinstance(expr, ast.IfExp):
            return again(expr.body) or again(expr.orelse)
        if isinstance(expr, (ast.Starred, ast.Await)):
            return again(expr.value)
        if isinstance(expr, ast.Name):
            for b in self._bindings(expr.id, scope, pos):
                value = b.value.value if isinstance(b.value, ast.AugAssign) else b.value
                if b.exact or isinstance(b.value, (ast.AugAssign, ast.Call)):
                    if again(value, b.scope, b.pos):
                        return True
            return False
        if isinstance(expr, ast.Call):
            func = expr.func
            if isinstance(func, ast.Attribute) and func.attr in _MUTATORS:
                return any(again(a) for a in expr.args)
            if isinstance(func, ast.Attribute) and again(func.value):
                return True
            if _last_name(func) in _TEMPLATE_CALLS:
                return any(again(a) for a in expr.args) or any(
                    again(kw.value) for kw in expr.keywords if kw.arg not in _NON_PROMPT_DICT_KEYS)
        return False

    def _tainted(self, scope: _Scope) -> set[str]:
        """Names in the scope holding request data (or route parameters), by assignment."""
        if scope._tainted is None:
            seeds: set[str] = set()
            fn = scope.node
            if scope.is_route and isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for arg, default in _params_with_defaults(fn.args):
                    if arg.arg in {"self", "cls"}:
                        continue
                    if _has_depends(default) or _has_depends(arg.annotation):
                        continue  # a database session or the current user, not request input
                    seeds.add(arg.arg)
            scope._tainted = _propagate(scope, seeds, sources=True)
        return scope._tainted

    # ---------------------------------------------------------------- call classification
    def _classify_llm(self, call: ast.Call, res: _Res) -> str | None:
        names = res.names
        sdk = res.sdk
        if sdk is not None:
            if not any(_ends_with(names, t) for t in _TAILS.get(sdk, ())):
                return None
            if sdk in _NEEDS_LLM_OBJECT and not _has_llm_object(res):
                return None
            return _PROVIDER.get(sdk, sdk)
        file_sdks = self.sdks
        for tail, provider in _STRONG_TAILS.items():
            if _ends_with(names, tail):
                if provider == "openai":
                    provider = next((s for s in _OPENAI_COMPATIBLE if s in file_sdks), "openai")
                return provider
        for tail, sdk_needed in _GATED_TAILS:
            if _ends_with(names, tail) and sdk_needed in file_sdks:
                return _PROVIDER.get(sdk_needed, sdk_needed)
        return None

    def _http_url(self, call: ast.Call, res: _Res, scope: _Scope) -> bool:
        method = res.names[-1] if res.names else ""
        if method not in _HTTP_METHODS:
            return False
        idx = _HTTP_METHODS[method]
        url_expr = next((kw.value for kw in call.keywords if kw.arg == "url"), None)
        if url_expr is None and len(call.args) > idx:
            url_expr = call.args[idx]
        texts = [self._string_value(url_expr, scope, _pos(call)) or ""]
        for ctor in res.calls:  # httpx.Client(base_url="https://api.openai.com/v1")
            texts += [self._string_value(kw.value, scope, _pos(call)) or ""
                      for kw in ctor.keywords if kw.arg == "base_url"]
        return any(host in text for text in texts for host in _LLM_HOSTS)

    # ---------------------------------------------------------------- per-file answers
    def finish(self) -> _FileResult:
        """Answer the per-file questions from what the pass recorded."""
        self.sdks = {s for s in (sdk_of(p) for p in self.import_paths) if s}
        out = _FileResult(imports=set(self.imports), sdks=self.sdks, prints=self.prints,
                          logs=self.logs)
        out.endpoints = self._endpoints()
        ctor_opts = self._client_constructor_options()
        db_calls = False
        for call, scope, ancestors in self.calls:
            if not self._worth_resolving(call):
                continue
            res = self._resolve_call(call, scope)
            site = self._llm_site(call, scope, ancestors, res, ctor_opts)
            if site is not None:
                out.llm_calls.append(site)
                self._llm_nodes[id(call)] = (call, site, scope)
                continue
            sql = self._sql_site(call, scope, res)
            if sql is not None:
                out.sql_sites.append(sql)
            if res.names and res.names[-1] in _SQL_CALLS and call.args:
                text = self._string_value(call.args[0], scope, _pos(call)) or ""
                db_calls = db_calls or bool(_SQL_WORDS.search(text))
        web = bool(out.endpoints) or bool(self.imports & _WEB_MODULES) or "aiohttp.web" in self.import_paths
        if web:
            out.layers.add("web")
        if out.llm_calls:
            out.layers.add("llm")
        if self.imports & _DB_MODULES or out.sql_sites or db_calls:
            out.layers.add("db")
        self._is_server = web
        if out.llm_calls:
            out.llm_calls = self._facts_from_callers(out.llm_calls)
        out.llm_uses = self._llm_uses(bool(self.sdks) or bool(out.llm_calls))
        return out

    def _facts_from_callers(self, sites: list[LLMCallSite]) -> list[LLMCallSite]:
        """What a model call inherits from the callers of its function in this module: the client's
        message list passed in by a handler (``ask_openai(data["messages"])``: the helper hands its
        parameter to the SDK), and a flag check around every call of the function."""
        marked: set[int] = set()
        callers: dict[str, list[bool]] = {}
        for call, scope, ancestors in self.calls:
            name = self._local_function(call.func, scope)
            if not name:
                continue
            callers.setdefault(name, []).append(self._guarded_by_flag(call, scope, ancestors))
            if name not in self._msg_params:
                continue
            offset = 1 if isinstance(call.func, ast.Attribute) else 0
            for index, pname, site_call in self._msg_params[name]:
                arg = next((kw.value for kw in call.keywords if kw.arg == pname), None)
                if arg is None and 0 <= index - offset < len(call.args):
                    arg = call.args[index - offset]
                if arg is not None and not isinstance(arg, ast.Starred) and \
                        self._is_client_messages(arg, scope, self._tainted(scope), 0):
                    marked.add(id(site_call))
        out = []
        for site in sites:
            entry = next((e for e in self._llm_nodes.values() if e[1] is site), None)
            update: dict[str, bool] = {}
            if entry is not None and id(entry[0]) in marked and not site.messages_from_client:
                update["messages_from_client"] = True
            guards = callers.get(site.function or "", [])
            if not site.guarded_by_flag and site.function and guards and all(guards):
                update["guarded_by_flag"] = True  # every caller checks the flag first
            if entry is not None and update:
                site = site.model_copy(update=update)
                self._llm_nodes[id(entry[0])] = (entry[0], site, entry[2])
            out.append(site)
        return out

    def _client_constructor_options(self) -> dict[str, set[str]]:
        """SDK -> option keywords given to any of its client classes in the file (OpenAI(timeout=))."""
        opts: dict[str, set[str]] = {}
        for call, scope, _ in self.calls:
            if not _last_name(call.func)[:1].isupper() and not self._aliased(call.func):
                continue
            res = self._resolve_call(call, scope)
            sdk = res.sdk
            if sdk and res.names and res.names[-1][:1].isupper():
                opts.setdefault(sdk, set()).update(kw.arg for kw in call.keywords if kw.arg)
        return opts

    def _llm_site(self, call: ast.Call, scope: _Scope, ancestors: tuple[ast.AST, ...], res: _Res,
                  ctor_opts: dict[str, set[str]]) -> LLMCallSite | None:
        provider = self._classify_llm(call, res)
        if provider is None:
            if not self._http_url(call, res, scope):
                return None
            provider = "http"
        pos = _pos(call)
        chain = [c for c in res.calls if c is not call]
        opts = self._options([call], scope, pos)
        chain_opts = self._options(chain, scope, pos)
        keys = set(opts) | set(chain_opts)
        if not any(_last_name(c.func)[:1].isupper() for c in chain):
            # The client could not be traced to its constructor: any client of the same SDK built
            # in this file (OpenAI(timeout=...)) is the best evidence there is.
            sdk = res.sdk or {"mistral": "mistralai"}.get(provider, provider)
            keys |= ctor_opts.get(sdk, set())
        structured = bool(keys & _STRUCT_KEYS) or any(
            "json" in (_str_const(v) or "") for k, v in (opts | chain_opts).items()
            if k == "response_mime_type") or ("format" in opts and provider == "ollama")
        structured = structured or any(n in _STRUCT_METHODS for n in res.names[1:]) \
            or self._result_is_validated(call, scope, ancestors)
        prompts = self._prompt_exprs(call, provider)
        if provider == "langchain" and isinstance(call.func, ast.Attribute):
            prompts.append(call.func.value)  # the chain holds the prompt template: prompt | llm
        tainted = self._tainted(scope)
        from_file = any(self._from_file(e, scope, pos) for e in prompts)
        inline = any(self._has_literal(e, scope, pos) for e in prompts)
        return LLMCallSite(
            path=self.path,
            line=call.lineno,
            function=scope.name,
            provider=provider,
            api=_raw(call.func),
            has_timeout=bool(keys & _TIMEOUT_KEYS),
            has_retry=bool(keys & _RETRY_KEYS) or self._has_retry(scope, ancestors),
            has_fallback=self._has_fallback(call, ancestors),
            structured_output=structured,
            model=self._model_literal(call, chain, opts, chain_opts, provider, scope),
            prompt_inline=inline and not from_file,
            # Request data passed on its own (a user message holding just the question) is data, not
            # instructions; it is "pasted into the prompt" when spliced into prompt text. A LangChain
            # chain holds its template: any request data reaching it is spliced.
            user_input_in_prompt=any(
                _mentions_taint(e, tainted) if provider == "langchain" else _spliced(e, tainted, scope)
                for e in prompts),
            max_tokens_set=bool(keys & _MAX_TOKEN_KEYS),
            prompt_source="file" if from_file else "inline" if inline else "unknown",
            guarded_by_flag=self._guarded_by_flag(call, scope, ancestors),
            messages_from_client=self._messages_from_client(call, opts, provider, scope),
        )

    def _model_literal(self, call: ast.Call, chain: list[ast.Call], opts: dict[str, ast.AST],
                       chain_opts: dict[str, ast.AST], provider: str, scope: _Scope) -> str | None:
        candidates: list[ast.AST] = [opts[k] for k in _MODEL_KEYS if k in opts]
        if provider in {"litellm", "ollama", "replicate"} and call.args:
            candidates.append(call.args[0])
        candidates += [chain_opts[k] for k in _MODEL_KEYS if k in chain_opts]
        # GenerativeModel("gemini-pro"), init_chat_model("gpt-4o"): the model is the first argument.
        for ctor in chain:
            name = _last_name(ctor.func)
            if ctor.args and ("Model" in name or name == "init_chat_model"):
                candidates.append(ctor.args[0])
        for cand in candidates:
            text = _str_const(cand)
            if text is None and isinstance(cand, ast.Name):
                b = self._exact_value(cand.id, scope, _pos(call))
                text = _str_const(b.value) if b is not None else None
            if text:
                return text
        return None

    def _sql_site(self, call: ast.Call, scope: _Scope, res: _Res) -> SQLSite | None:
        names = res.names
        if not names or not call.args:
            return None
        is_text = names[-1] == "text" and res.imported and names[0] in {"sqlalchemy", "sqlmodel"}
        if names[-1] not in _SQL_CALLS and not is_text:
            return None
        if isinstance(call.func, ast.Name) and not res.imported:
            return None  # a bare execute(...) is some local helper, not a driver method
        found = self._sql_kind(call.args[0], scope, _pos(call))
        if found is None:
            return None
        how, text = found
        if not _SQL_WORDS.search(text):
            return None
        return SQLSite(path=self.path, line=call.lineno, function=scope.name, how=how)

    def _sql_kind(self, expr: ast.AST, scope: _Scope, pos: tuple[int, int], depth: int = 0
                  ) -> tuple[str, str] | None:
        """How a query string was built from values, and its literal text; None for a constant."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, ast.JoinedStr):
            if any(isinstance(v, ast.FormattedValue) for v in expr.values):
                return "f-string", self._string_value(expr, scope, pos) or ""
            return None
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mod):
            text = self._string_value(expr.left, scope, pos)
            return ("%-formatting", text) if text is not None else None
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            leaves = _add_leaves(expr)
            texts = [self._string_value(leaf, scope, pos) for leaf in leaves]
            variable = [leaf for leaf, t in zip(leaves, texts)
                        if t is None or isinstance(leaf, ast.JoinedStr)
                        and any(isinstance(v, ast.FormattedValue) for v in leaf.values)]
            if variable and any(t is not None for t in texts):
                return "concatenation", "".join(t or "" for t in texts)
            return None
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) \
                and expr.func.attr == "format" and (expr.args or expr.keywords):
            text = self._string_value(expr.func.value, scope, pos)
            return (".format()", text) if text is not None else None
        if isinstance(expr, ast.Name):
            defining = [b for b in self._bindings(expr.id, scope, pos) if b.defines]
            if not defining:
                return None
            last = defining[-1]
            if last.exact:
                return self._sql_kind(last.value, last.scope, last.pos, depth + 1)
            if isinstance(last.value, ast.AugAssign) and isinstance(last.value.op, ast.Add):
                # q = "SELECT ... WHERE a = "; q += user_value
                earlier = self._sql_kind(expr, last.scope, last.pos, depth + 1)
                own = self._sql_kind(last.value.value, last.scope, last.pos, depth + 1)
                before = earlier[1] if earlier else (
                    self._string_value(expr, last.scope, last.pos) or "")
                added = self._string_value(last.value.value, last.scope, last.pos)
                text = before + (added or "")
                if own is not None:
                    return own[0], text
                if added is None:
                    return "concatenation", text
                return (earlier[0], text) if earlier else None
        return None

    # ---------------------------------------------------------------- model-call defect classes
    # (issue 3) What the code does with a model's prompt, output and key. Values are followed by
    # assignment inside a function ("derived" names), through the module's own functions that return
    # model output, and into the module's functions whose parameters reach a sink. Flow-insensitive
    # and shallow on purpose: a sink is reported only when a model response (or a request value, for
    # keys) visibly reaches it.

    def _content(self, expr: ast.AST) -> Iterator[ast.AST]:
        """Nodes of ``expr`` that carry its text: not metadata (``resp.usage``), not ``len(x)``."""
        stack = [expr]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Attribute) and node.attr in _META_ATTRS:
                continue
            if isinstance(node, ast.Subscript) and _str_const(node.slice) in _META_ATTRS:
                continue
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id in _OPAQUE_CALLS:
                continue
            if isinstance(node, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            yield node
            stack.extend(ast.iter_child_nodes(node))

    def _local_function(self, func: ast.AST, scope: _Scope) -> str | None:
        """The name of this module's function a call targets: ``helper(...)`` or ``self.helper(...)``."""
        if isinstance(func, ast.Name):
            if func.id in self.func_scopes and func.id not in self.aliases \
                    and not self._bindings(func.id, scope, _INF):
                return func.id
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                and func.value.id in {"self", "cls"} and func.attr in self.func_scopes:
            return func.attr
        return None

    def _call_origin(self, node: ast.Call, scope: _Scope) -> LLMCallSite | None:
        entry = self._llm_nodes.get(id(node))
        if entry is not None:
            return entry[1]
        name = self._local_function(node.func, scope)
        return self._model_funcs.get(name) if name else None

    def _origin_in(self, expr: ast.AST, scope: _Scope, derived: dict[str, LLMCallSite]
                   ) -> LLMCallSite | None:
        """The model call whose output ``expr`` carries, if any."""
        for node in self._content(expr):
            if isinstance(node, ast.Name) and node.id in derived:
                return derived[node.id]
            if isinstance(node, ast.Call):
                site = self._call_origin(node, scope)
                if site is not None:
                    return site
        return None

    def _binding_facts(self, scope: _Scope) -> list[tuple[str, set[str], list[ast.Call]]]:
        """Per binding of ``scope``: its name, the names its value's text uses, the calls in it."""
        key = id(scope)
        if key not in self._binding_cache:
            facts = []
            for name, binds in scope.bindings.items():
                for b in binds:
                    names: set[str] = set()
                    calls: list[ast.Call] = []
                    for n in self._content(b.value):
                        if isinstance(n, ast.Name):
                            names.add(n.id)
                        elif isinstance(n, ast.Call):
                            calls.append(n)
                    facts.append((name, names, calls))
            self._binding_cache[key] = facts
        return self._binding_cache[key]

    def _derived(self, scope: _Scope) -> dict[str, LLMCallSite]:
        """Names in ``scope`` holding (text derived from) a model response -> that model call."""
        key = id(scope)
        if key in self._derived_cache:
            return self._derived_cache[key]
        facts = self._binding_facts(scope)
        reached: dict[str, LLMCallSite] = {}
        for name, _, calls in facts:
            if name not in reached:
                site = next((s for c in calls if (s := self._call_origin(c, scope))), None)
                if site is not None:
                    reached[name] = site
        users = self._users_of(scope)
        queue = list(reached)
        while queue:
            source = queue.pop()
            for name in users.get(source, ()):
                if name not in reached:
                    reached[name] = reached[source]
                    queue.append(name)
        self._derived_cache[key] = reached
        return reached

    def _users_of(self, scope: _Scope) -> dict[str, set[str]]:
        """Name -> the names bound (in ``scope``) from values that use it: the propagation graph."""
        key = id(scope)
        if key not in self._users_cache:
            users: dict[str, set[str]] = {}
            for name, names, _ in self._binding_facts(scope):
                for used in names:
                    users.setdefault(used, set()).add(name)
            self._users_cache[key] = users
        return self._users_cache[key]

    def _reach(self, scope: _Scope, seeds: set[str]) -> set[str]:
        """Names whose text derives from ``seeds`` by assignment (metadata reads excluded)."""
        users = self._users_of(scope)
        reached = set(seeds)
        queue = list(seeds)
        while queue:
            for name in users.get(queue.pop(), ()):
                if name not in reached:
                    reached.add(name)
                    queue.append(name)
        return reached

    def _find_model_functions(self) -> None:
        """Functions of this module that return model output (helpers calling helpers: 3 levels)."""
        for _ in range(3):
            self._derived_cache.clear()
            changed = False
            for fn, fscope, _ in self.functions:
                if fn.name in self._model_funcs:
                    continue
                derived = self._derived(fscope)
                for ret in fscope.returns:
                    site = self._origin_in(ret, fscope, derived)
                    if site is not None:
                        self._model_funcs[fn.name] = site
                        changed = True
                        break
            if not changed:
                break
        self._derived_cache.clear()

    def _is_unbound_builtin(self, func: ast.AST, names: set[str], scope: _Scope) -> str | None:
        if isinstance(func, ast.Name) and func.id in names and func.id not in self.aliases \
                and func.id not in self.func_scopes and not self._bindings(func.id, scope, _INF):
            return func.id
        return None

    def _direct_sinks(self, call: ast.Call, scope: _Scope) -> list[tuple[str, str, list[ast.expr]]]:
        """(sink kind, api, the argument expressions that matter) for a log/exec/SQL/shell call."""
        func = call.func
        api = _raw(func)
        if self._is_unbound_builtin(func, _PRINTS, scope) and self._is_server:
            # print() in a web app or UI server goes to the server's logs; in a CLI it is the output.
            return [("log", api, list(call.args) + [kw.value for kw in call.keywords
                                                    if kw.arg not in _LOG_META_KWARGS])]
        if isinstance(func, ast.Attribute) and func.attr in _LOG_LEVELS | {"log"} \
                and self._is_logger(func.value):
            args = list(call.args[1:] if func.attr == "log" else call.args)
            return [("log", api, args + [kw.value for kw in call.keywords
                                         if kw.arg not in _LOG_META_KWARGS])]
        if self._is_unbound_builtin(func, _EXEC_BUILTINS, scope):
            first = call.args[:1] or [kw.value for kw in call.keywords if kw.arg == "source"]
            return [("exec", api, first)]
        name = _last_name(func)
        if name not in _SQL_CALLS and name != "run" and name not in _SHELL_NAMES:
            return []
        res = self._resolve_call(call, scope)
        qual = (res.names[0], res.names[-1]) if res.imported and res.names else None
        first = call.args[0] if call.args else next(
            (kw.value for kw in call.keywords if kw.arg in {"sql", "query", "statement", "command",
                                                              "cmd", "args"}), None)
        if first is None:
            return []
        if qual in _SHELL_ALWAYS:
            return [("shell", api, [first])]
        if qual in _SHELL_MAYBE:
            shell = any(kw.arg == "shell" and not (isinstance(kw.value, ast.Constant)
                                                   and not kw.value.value) for kw in call.keywords)
            if shell or qual[1] == "create_subprocess_exec":
                return [("shell", api, [first])]
            return [("shell", api, self._program_exprs(first, scope))]
        if name in _SQL_CALLS and isinstance(func, ast.Attribute):
            receiver = _raw(func.value)
            if _last_name(func.value) in {"self", "client", "llm", "agent", "chain", "tool"}:
                return []
            if (self.imports & (_DB_MODULES | {"pandas", "databases"})
                    or _SQL_DRIVER_HINT.search(receiver)) and self._is_sql_text(first, scope):
                return [("sql", api, [first])]
        if name == "run" and res.imported and "SQLDatabase" in " ".join(res.names):
            return [("sql", api, [first])]
        return []

    def _is_sql_text(self, expr: ast.AST, scope: _Scope, depth: int = 0) -> bool:
        """``expr`` is query text (a string, model output, a formatted string), not a query built by
        an ORM or query builder (``select(Log).where(Log.text == answer)`` binds values safely)."""
        if depth > 4:
            return False
        if isinstance(expr, (ast.Constant, ast.JoinedStr, ast.BinOp, ast.Attribute, ast.Subscript)):
            return True
        if isinstance(expr, ast.Await):
            return self._is_sql_text(expr.value, scope, depth + 1)
        if isinstance(expr, ast.Call):
            return _last_name(expr.func) in _STRING_CALLS or self._call_origin(expr, scope) is not None
        if isinstance(expr, ast.Name):
            b = self._exact_value(expr.id, scope, _INF)
            return b is None or self._is_sql_text(b.value, b.scope, depth + 1)
        return False

    def _program_exprs(self, expr: ast.AST, scope: _Scope, depth: int = 0) -> list[ast.expr]:
        """What chooses the program of ``subprocess.run(args)`` without a shell: ``args[0]``, the
        script of ``["bash", "-c", script]``, ``shlex.split(text)`` or a plain string command."""
        if depth > 3:
            return []
        if isinstance(expr, (ast.List, ast.Tuple)):
            if not expr.elts:
                return []
            out = [expr.elts[0]]
            if _str_const(expr.elts[0]) in _SHELLS and len(expr.elts) > 2:
                out.append(expr.elts[2])
            return out
        if isinstance(expr, ast.Name):
            b = self._exact_value(expr.id, scope, _INF)
            if b is not None and isinstance(b.value, (ast.List, ast.Tuple, ast.Call)):
                return self._program_exprs(b.value, b.scope, depth + 1)
            return [expr]
        if isinstance(expr, ast.Call) and _last_name(expr.func) == "split":
            return [expr]
        if isinstance(expr, (ast.JoinedStr, ast.BinOp)):
            return [expr]
        return []

    def _sinks(self, call: ast.Call, scope: _Scope
               ) -> list[tuple[str, str, list[ast.expr], int, str | None]]:
        """Sinks of a call: its own (line = the call's) and those it reaches through a local
        function's parameter (line = the sink inside that function, ``via`` = its name)."""
        out = [(kind, api, exprs, call.lineno, None) for kind, api, exprs in self._direct_sinks(call, scope)]
        name = self._local_function(call.func, scope)
        if name and name in self._sink_params:
            for index, pname, kind, api, line in self._sink_params[name]:
                arg = next((kw.value for kw in call.keywords if kw.arg == pname), None)
                if arg is None:
                    offset = 1 if isinstance(call.func, ast.Attribute) else 0
                    if 0 <= index - offset < len(call.args):
                        arg = call.args[index - offset]
                if arg is not None and not isinstance(arg, ast.Starred):
                    out.append((kind, api, [arg], line, name))
        return out

    def _find_sink_parameters(self) -> None:
        """Local functions whose parameters reach a sink (2 levels: a helper calling a helper)."""
        for _ in range(2):
            found: dict[str, list[tuple[int, str, str, str, int]]] = {}
            for fn, fscope, _ in self.functions:
                params = [a.arg for a in fn.args.posonlyargs + fn.args.args]
                params += [a.arg for a in fn.args.kwonlyargs]
                if not params:
                    continue
                reach = {p: self._reach(fscope, {p}) for p in params if p not in {"self", "cls"}}
                for call, scope, _ in self._calls_by_scope.get(id(fscope), []):
                    for kind, api, exprs, line, _via in self._sinks(call, scope):
                        names = {n.id for e in exprs for n in self._content(e) if isinstance(n, ast.Name)}
                        for p, reached in reach.items():
                            if names & reached:
                                entry = (params.index(p), p, kind, api, line)
                                if entry not in found.setdefault(fn.name, []):
                                    found[fn.name].append(entry)
            if found == self._sink_params:
                break
            self._sink_params = found

    def _prompt_names(self, scope: _Scope) -> dict[str, LLMCallSite]:
        """Names in ``scope`` that make up the prompt of one of its model calls (constants left out)."""
        out: dict[str, LLMCallSite] = {}
        params: set[str] = set()
        if isinstance(scope.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            params = {a.arg for a, _ in _params_with_defaults(scope.node.args)} - {"self", "cls"}
        for call, site, cscope in self._llm_nodes.values():
            if cscope is not scope:
                continue
            for expr in self._prompt_exprs(call, site.provider):
                for node in self._content(expr):
                    if not isinstance(node, ast.Name) or node.id in out:
                        continue
                    binds = self._bindings(node.id, scope, _INF)
                    if not binds and node.id not in params:
                        continue  # an import, a builtin, a function: not text of this request
                    if binds and node.id not in params \
                            and self._is_constant(node, scope, _INF):
                        continue  # a constant prompt: logging it exposes nobody
                    out[node.id] = site
        return out

    def _is_constant(self, expr: ast.AST, scope: _Scope, pos: tuple[int, int], depth: int = 0) -> bool:
        """Text fixed in the code: literals, and names only ever bound to literals."""
        if depth > 4:
            return False
        if isinstance(expr, ast.Constant):
            return True
        if isinstance(expr, ast.JoinedStr):
            return not any(isinstance(v, ast.FormattedValue) for v in expr.values)
        if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
            return all(self._is_constant(e, scope, pos, depth + 1) for e in expr.elts)
        if isinstance(expr, ast.Dict):
            return all(v is not None and self._is_constant(v, scope, pos, depth + 1)
                       for v in expr.values) and None not in expr.keys
        if isinstance(expr, ast.Name):
            binds = self._bindings(expr.id, scope, pos)
            return bool(binds) and all(
                b.exact and self._is_constant(b.value, b.scope, b.pos, depth + 1) for b in binds)
        return False

    def _use(self, kind: str, line: int, scope_name: str | None, api: str, detail: str,
             call_line: int | None) -> LLMUseSite:
        return LLMUseSite(path=self.path, line=line, function=scope_name, kind=kind, api=api,
                          detail=detail, call_line=call_line)

    def _llm_uses(self, file_has_llm: bool) -> list[LLMUseSite]:
        """Every model-related use site of the file (see :class:`auditlib.models.LLMUseSite`)."""
        uses: dict[tuple[str, int], LLMUseSite] = {}

        def add(use: LLMUseSite) -> None:
            uses.setdefault((use.kind, use.line), use)

        kinds = {"log": "response_logged", "exec": "model_output_executed",
                 "sql": "model_output_to_sql", "shell": "model_output_to_shell"}
        if self._llm_nodes:
            for call, scope, anc in self.calls:
                self._calls_by_scope.setdefault(id(scope), []).append((call, scope, anc))
            self._find_model_functions()
            self._find_sink_parameters()
            prompt_cache: dict[int, dict[str, LLMCallSite]] = {}
            for call, scope, _ in self.calls:
                for kind, api, exprs, line, via in self._sinks(call, scope):
                    derived = self._derived(scope)
                    site = next((s for e in exprs if (s := self._origin_in(e, scope, derived))), None)
                    fn = via if via else scope.name
                    if site is not None:
                        how = f" passed to {via}() at line {call.lineno}" if via else ""
                        add(self._use(kinds[kind], line, fn, api,
                                      f"output of {site.api} (line {site.line}){how} reaches {api}",
                                      site.line))
                    elif kind == "log" and via is None:
                        if id(scope) not in prompt_cache:
                            prompt_cache[id(scope)] = self._prompt_names(scope)
                        pnames = prompt_cache[id(scope)]
                        hit = next((n.id for e in exprs for n in self._content(e)
                                    if isinstance(n, ast.Name) and n.id in pnames), None)
                        if hit is not None:
                            site = pnames[hit]
                            add(self._use("prompt_logged", line, fn, api,
                                          f"prompt part `{hit}` of {site.api} (line {site.line}) "
                                          f"reaches {api}", site.line))
        if file_has_llm:
            for node, scope_name in self._usage_reads():
                text = ast.unparse(node)[:80]
                add(self._use("usage_read", node.lineno, scope_name, text, f"reads token usage: {text}",
                              None))
        for use in self._key_from_user() + self._agents():
            add(use)
        return sorted(uses.values(), key=lambda u: (u.line, u.kind))

    def _usage_reads(self) -> Iterator[tuple[ast.AST, str | None]]:
        """Reads of token-usage fields (``resp.usage``, ``["total_tokens"]``), with their function.

        A second walk, done only for files that touch a model SDK: cheaper overall than a visitor
        method on every attribute of every file."""
        bodies: list[tuple[list[ast.stmt], str | None]] = [(self.module_scope.node.body, None)]
        bodies += [(fn.body, fn.name) for fn, _, _ in self.functions]
        for body, name in bodies:
            for node in _walk_local(body):
                if isinstance(node, ast.Attribute) and node.attr in _USAGE_FIELDS \
                        or isinstance(node, ast.Subscript) and _str_const(node.slice) in _USAGE_FIELDS:
                    if isinstance(node.ctx, ast.Load):
                        yield node, name

    def _key_from_user(self) -> list[LLMUseSite]:
        """Provider keys taken from the request or a UI input (os.environ, client api_key=)."""
        out = []
        for stmt, key, value, scope in self.env_writes:
            tainted = self._tainted(scope)
            if not _mentions_taint(value, tainted):
                continue
            if isinstance(key, ast.Attribute):  # openai.api_key = request.args["key"]
                res = self.resolve(key.value, scope, _INF)
                if not res.sdk:
                    continue
                api = f"{_raw(key)} ="
                where = f"the {res.sdk} module's global key"
            else:
                name = self._string_value(key, scope, _pos(stmt))
                if not name or not _KEY_NAME.search(name):
                    continue
                api = f"os.environ[{name!r}] ="
                where = "the process environment, shared by every user of the server"
            out.append(self._use("api_key_from_user", stmt.lineno, scope.name, api,
                                 f"a key from the request or a UI input is written to {where}", None))
        for call, scope, _ in self.calls:
            func = call.func
            name = _last_name(func)
            if name in {"update", "setdefault", "putenv"}:
                target = _raw(func.value) if isinstance(func, ast.Attribute) else ""
                if target not in {"os.environ", "environ", "os"} or (name == "putenv") != (target == "os"):
                    continue
                pairs: list[tuple[ast.AST | None, ast.AST]] = []
                if name in {"setdefault", "putenv"} and len(call.args) >= 2:
                    pairs.append((call.args[0], call.args[1]))
                elif name == "update":
                    for arg in call.args:
                        if isinstance(arg, ast.Dict):
                            pairs += list(zip(arg.keys, arg.values))
                    pairs += [(ast.Constant(kw.arg), kw.value) for kw in call.keywords if kw.arg]
                tainted = self._tainted(scope)
                for k, v in pairs:
                    text = _str_const(k) if k is not None else None
                    if text and _KEY_NAME.search(text) and _mentions_taint(v, tainted):
                        out.append(self._use(
                            "api_key_from_user", call.lineno, scope.name, f"{_raw(func)}({text!r})",
                            "a key from the request or a UI input is written to the process "
                            "environment, shared by every user of the server", None))
                        break
                continue
            keys = [kw for kw in call.keywords if kw.arg in _KEY_KWARGS]
            if not keys or not (name[:1].isupper() or name == "configure"):
                continue
            res = self._resolve_call(call, scope)
            if not res.sdk:
                continue
            tainted = self._tainted(scope)
            if any(_mentions_taint(kw.value, tainted) for kw in keys):
                out.append(self._use("api_key_from_user", call.lineno, scope.name, _raw(func),
                                     f"the {res.sdk} client gets its api key from the request or a "
                                     "UI input (users supply the provider credential)", None))
        return out

    def _agents(self) -> list[LLMUseSite]:
        """Agents and tools that run model-written code or SQL; dangerous opt-ins."""
        out = []
        names_of_interest = _CODE_AGENTS | _SQL_AGENTS | {"chat", "CodeAgent", "load_tools", "from_llm",
                                                          "LocalCommandLineCodeExecutor"}
        for call, scope, _ in self.calls:
            flags = {kw.arg: kw.value for kw in call.keywords
                     if kw.arg in {"allow_dangerous_code", "allow_dangerous_deserialization"}
                     and isinstance(kw.value, ast.Constant) and kw.value.value is True}
            name = _last_name(call.func)
            api = _raw(call.func)
            recorded = False
            if name in names_of_interest or self._aliased(call.func):
                res = self._resolve_call(call, scope)
                names = res.names if res.imported else ()
                root = names[0] if names else ""
                last = names[-1] if names else ""
                is_lc = root.startswith("langchain")
                kind = detail = None
                if is_lc and last in _CODE_AGENTS:
                    kind, detail = "code_executing_agent", f"{last} runs model-written code"
                elif is_lc and last == "from_llm" and "SQLDatabaseChain" in names:
                    kind, detail = "model_output_to_sql", "SQLDatabaseChain runs model-written SQL"
                elif is_lc and last in _SQL_AGENTS:
                    kind, detail = "model_output_to_sql", f"{last} runs model-written SQL on the database"
                elif is_lc and last == "load_tools":
                    tools = {_str_const(e) for a in call.args if isinstance(a, (ast.List, ast.Tuple))
                             for e in a.elts}
                    bad = sorted(t for t in tools if t in _DANGEROUS_TOOL_NAMES)
                    if bad:
                        kind, detail = "code_executing_agent", f"load_tools gives the agent {', '.join(bad)}"
                elif root == "pandasai" and last == "chat":
                    sandboxed = any(kw.arg == "sandbox" for c in res.calls for kw in c.keywords)
                    if not sandboxed:
                        kind = "code_executing_agent"
                        detail = "PandasAI generates Python from the question and runs it in-process"
                elif root == "smolagents" and last == "CodeAgent":
                    executor = next((_str_const(kw.value) for kw in call.keywords
                                     if kw.arg == "executor_type"), None)
                    if executor not in _SAFE_EXECUTORS:
                        kind, detail = "code_executing_agent", "CodeAgent runs model-written Python locally"
                elif root.startswith("autogen") and last == "LocalCommandLineCodeExecutor":
                    kind, detail = "code_executing_agent", "autogen runs model-written code on the host"
                if kind is not None:
                    if "allow_dangerous_code" in flags:
                        detail += " (allow_dangerous_code=True)"
                    out.append(self._use(kind, call.lineno, scope.name, api, detail, None))
                    recorded = True
            if "allow_dangerous_code" in flags and not recorded:
                out.append(self._use("code_executing_agent", call.lineno, scope.name, api,
                                     "allow_dangerous_code=True lets the model's code run", None))
            if "allow_dangerous_deserialization" in flags:
                out.append(self._use("unsafe_deserialization", call.lineno, scope.name, api,
                                     "allow_dangerous_deserialization=True unpickles a stored index "
                                     "(arbitrary code if the file is ever replaced)", None))
        return out

    # ---------------------------------------------------------------- per-call defect questions
    def _flag_polarity(self, test: ast.AST, depth: int = 0) -> int:
        """+1 when ``test`` being true means a flag switches the feature on, -1 when it means off,
        0 when ``test`` is not about a flag (or reads the flag from the request: not a kill switch)."""
        if depth > 6 or any(_is_source(n) for n in ast.walk(test)):
            return 0
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return -self._flag_polarity(test.operand, depth + 1)
        if isinstance(test, ast.BoolOp):
            signs = [self._flag_polarity(v, depth + 1) for v in test.values]
            if isinstance(test.op, ast.And):
                return 1 if 1 in signs else 0
            return -1 if -1 in signs else 0  # `if not enabled or ...: return` still exits when off
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            sign = self._flag_polarity(test.left, depth + 1)
            right = test.comparators[0]
            falsy = isinstance(right, ast.Constant) and (
                right.value in (False, None, 0) or str(right.value).lower() in _FALSY)
            if isinstance(test.ops[0], (ast.Eq, ast.Is)):
                return -sign if falsy else sign
            if isinstance(test.ops[0], (ast.NotEq, ast.IsNot)):
                return sign if falsy else -sign
            if isinstance(test.ops[0], ast.In):
                return sign
            return 0
        if isinstance(test, ast.Call):
            func = test.func
            name = _last_name(func)
            if name in {"getenv", "get", "getbool", "get_bool", "getboolean"} and test.args:
                key = _str_const(test.args[0])
                receiver = _raw(func.value).lower() if isinstance(func, ast.Attribute) else ""
                if key is not None and name == "get" and ("feature" in receiver or "flag" in receiver):
                    return -1 if _flag_word_sign(key) < 0 else 1  # flags.get("ai-chat")
                if key is not None and (name != "get" or "environ" in receiver
                                        or "config" in receiver or "setting" in receiver):
                    return _flag_word_sign(key)
            if name in _FLAG_CLIENT_METHODS or _FLAG_FUNCTION.search(name):
                return 1
            if name in _WRAPPERS:
                inner = func.value if isinstance(func, ast.Attribute) and name in {
                    "lower", "upper", "strip", "casefold"} else (test.args[0] if test.args else None)
                return self._flag_polarity(inner, depth + 1) if inner is not None else 0
            return 0
        if isinstance(test, ast.Subscript):
            key = _str_const(test.slice)
            return _flag_word_sign(key) if key else 0
        if isinstance(test, ast.Attribute):
            return _flag_word_sign(test.attr)
        if isinstance(test, ast.Name):
            return _flag_word_sign(test.id)
        return 0

    def _guarded_by_flag(self, call: ast.Call, scope: _Scope, ancestors: tuple[ast.AST, ...]) -> bool:
        """The call sits under ``if <flag>:`` or after ``if not <flag>: return`` in its function."""
        child: ast.AST = call
        top: ast.AST | None = None
        for node in self._enclosing(ancestors):
            if isinstance(node, (ast.If, ast.IfExp)):
                body = node.body if isinstance(node.body, list) else [node.body]
                orelse = node.orelse if isinstance(node.orelse, list) else [node.orelse]
                sign = self._flag_polarity(node.test)
                if (sign > 0 and any(child is s for s in body)) or \
                        (sign < 0 and any(child is s for s in orelse)):
                    return True
            if isinstance(node, ast.stmt):
                top = node
            child = node
        container = getattr(scope.node, "body", None)
        if top is None or not isinstance(container, list):
            return False
        for stmt in container:
            if stmt is top:
                break
            if isinstance(stmt, ast.If) and stmt.body and _exits(stmt.body[-1]) \
                    and self._flag_polarity(stmt.test) < 0:
                return True
        return False

    def _messages_from_client(self, call: ast.Call, opts: dict[str, ast.AST], provider: str,
                              scope: _Scope) -> bool:
        """The whole conversation passed to the model is the client's, roles included."""
        candidates = [v for k, v in opts.items() if k in _MSG_NAMES]
        if provider in {"langchain", "llama_index"} and call.args:
            candidates.append(call.args[0])
        fn = scope.node
        if candidates and isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and not scope.is_route:
            params = [a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs]
            for e in candidates:
                pname = _message_param(e, params, self, scope)
                if pname is not None:
                    entry = (params.index(pname), pname, call)
                    self._msg_params.setdefault(fn.name, []).append(entry)
        tainted = self._tainted(scope)
        return any(self._is_client_messages(e, scope, tainted, 0) for e in candidates)

    def _is_client_messages(self, expr: ast.AST, scope: _Scope, tainted: set[str], depth: int) -> bool:
        if depth > 6:
            return False

        def requestish(e: ast.AST) -> bool:
            return _mentions_taint(e, tainted) or any(_is_source(n) for n in ast.walk(e))

        again = functools.partial(self._is_client_messages, scope=scope, tainted=tainted,
                                  depth=depth + 1)
        if isinstance(expr, ast.Await):
            return again(expr.value)
        if isinstance(expr, ast.Subscript):
            return _str_const(expr.slice) in _MSG_NAMES and requestish(expr.value)
        if isinstance(expr, ast.Attribute):
            return expr.attr in _MSG_NAMES and requestish(expr.value)
        if isinstance(expr, ast.Call):
            func = expr.func
            name = _last_name(func)
            if name == "get" and isinstance(func, ast.Attribute) and expr.args:
                return _str_const(expr.args[0]) in _MSG_NAMES and requestish(func.value)
            if name in _AS_IS_CALLS:
                if expr.args:
                    return again(expr.args[0])
                return isinstance(func, ast.Attribute) and again(func.value)
            return False
        if isinstance(expr, ast.Name):
            fn = scope.node
            if expr.id in _MSG_NAMES and expr.id in tainted and scope.is_route \
                    and isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                    and expr.id in {a.arg for a, _ in _params_with_defaults(fn.args)}:
                return True  # def chat(messages: list[Message]): the route's parameter itself
            b = self._exact_value(expr.id, scope, _INF)
            return b is not None and again(b.value)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            return again(expr.left) or again(expr.right)
        if isinstance(expr, (ast.List, ast.Tuple)):
            return any(isinstance(e, ast.Starred) and again(e.value) for e in expr.elts)
        if isinstance(expr, ast.ListComp) and len(expr.generators) == 1:
            gen = expr.generators[0]
            if gen.ifs or not again(gen.iter):
                return False  # the server filters the list (drops system messages, say)
            elt = expr.elt
            if isinstance(elt, ast.Dict):
                role = next((v for k, v in zip(elt.keys, elt.values) if _str_const(k) == "role"), None)
                return role is not None and not isinstance(role, ast.Constant)
            return isinstance(elt, (ast.Name, ast.Call))
        return False

    def _from_file(self, expr: ast.AST, scope: _Scope, pos: tuple[int, int], depth: int = 0,
                   seen: set[int] | None = None) -> bool:
        """The prompt template (not the data put into it) is read from a file or a prompt store."""
        if depth > _MAX_DEPTH:
            return False
        seen = set() if seen is None else seen
        if id(expr) in seen:
            return False
        seen.add(id(expr))

        def again(e: ast.AST, s: _Scope = scope, p: tuple[int, int] = pos) -> bool:
            return self._from_file(e, s, p, depth + 1, seen)

        if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
            return any(again(e) for e in expr.elts)
        if isinstance(expr, ast.Dict):
            return any(again(v) for k, v in zip(expr.keys, expr.values)
                       if _str_const(k) not in _NON_PROMPT_DICT_KEYS)
        if isinstance(expr, ast.BinOp):
            return again(expr.left) or again(expr.right)
        if isinstance(expr, ast.IfExp):
            return again(expr.body) or again(expr.orelse)
        if isinstance(expr, (ast.Starred, ast.Await)):
            return again(expr.value)
        if isinstance(expr, ast.Subscript):
            return again(expr.value)
        if isinstance(expr, ast.Name):
            for b in self._bindings(expr.id, scope, pos):
                value = b.value.value if isinstance(b.value, ast.AugAssign) else b.value
                if (b.exact or isinstance(b.value, (ast.AugAssign, ast.Call))) \
                        and again(value, b.scope, b.pos):
                    return True
            return False
        if isinstance(expr, ast.Attribute):
            key = _simple_dotted(expr)
            if key and key in self.attr_bindings:
                return any(again(b.value, b.scope, b.pos) for b in self.attr_bindings[key] if b.exact)
            return False
        if isinstance(expr, ast.Call):
            func = expr.func
            name = _last_name(func)
            if name in _FILE_CALLS or (name == "pull" and _raw(func).endswith("hub.pull")):
                if name != "read_text" and name != "read_bytes":
                    return True
                return _names_prompt_path(func.value if isinstance(func, ast.Attribute) else expr,
                                          self, scope, pos)
            if name == "open" and not isinstance(func, ast.Attribute) or \
                    name == "open" and _raw(func) in {"io.open", "codecs.open", "aiofiles.open"}:
                return _names_prompt_path(expr, self, scope, pos)
            if isinstance(func, ast.Attribute) and name in _TEMPLATE_METHODS:
                return again(func.value)
            if name in _PARSE_CALLS or name in {"dedent", "Template"} or \
                    (name in _TEMPLATE_CALLS and name not in _TEMPLATE_METHODS):
                return any(again(a) for a in expr.args) or any(
                    again(kw.value) for kw in expr.keywords if kw.arg not in _NON_PROMPT_DICT_KEYS)
            return any(_PROMPT_PATH.search(t) for a in expr.args if (t := _str_const(a)))
        return False

    # ---------------------------------------------------------------- endpoints
    def _endpoints(self) -> list[Endpoint]:
        authed_routers = self._routers_included_with_auth()
        found: list[Endpoint] = []
        for fn, fscope, parent in self.functions:
            for dec in fn.decorator_list:
                route = self._route_decorator(dec, parent)
                if route is None:
                    continue
                framework, path, receiver = route
                fscope.is_route = True
                found.append(Endpoint(
                    path=self.path, line=fn.lineno, function=fn.name, framework=framework,
                    route=path,
                    has_auth=self._endpoint_has_auth(fn, dec, receiver, parent, authed_routers),
                ))
        return found

    def _framework_by_imports(self) -> str:
        for module, name in (("fastapi", "fastapi"), ("flask", "flask"), ("django", "django"),
                             ("rest_framework", "django")):
            if module in self.imports:
                return name
        return "other"

    def _route_decorator(self, dec: ast.AST, scope: _Scope
                         ) -> tuple[str, str | None, ast.AST | None] | None:
        """(framework, route, receiver) when ``dec`` declares a web route."""
        target = dec.func if isinstance(dec, ast.Call) else dec
        if _last_name(target) == "api_view":
            return "django", None, None
        if not (isinstance(dec, ast.Call) and isinstance(target, ast.Attribute)
                and target.attr in _ROUTE_ATTRS):
            return None
        route = _str_const(dec.args[0]) if dec.args else None
        if route is None:
            route = next((_str_const(kw.value) for kw in dec.keywords
                          if kw.arg in {"path", "rule"}), None)
        res = self.resolve(target.value, scope, _INF)
        root = res.names[0] if res.imported and res.names else None
        if root in {"fastapi", "flask"}:
            framework = root
        elif root in _WEB_MODULES or self.imports & _WEB_MODULES:
            framework = self._framework_by_imports()
        elif route is not None and route.startswith("/"):
            framework = "other"
        else:
            return None  # cache.get(...) and friends: not a route without a web framework in sight
        return framework, route, target.value

    def _routers_included_with_auth(self) -> set[str]:
        """Routers this file mounts with auth dependencies: app.include_router(r, dependencies=)."""
        names = set()
        for call, _, _ in self.calls:
            if _last_name(call.func) == "include_router" and call.args:
                deps = [kw.value for kw in call.keywords if kw.arg == "dependencies"]
                if any(_has_auth_depends(d) for d in deps):
                    names.add(_raw(call.args[0]))
        return names

    def _endpoint_has_auth(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, route_dec: ast.AST,
                           receiver: ast.AST | None, scope: _Scope, authed_routers: set[str]) -> bool:
        for dec in fn.decorator_list:
            if dec is route_dec:
                continue  # @auth_router.post("/login") says nothing about the endpoint's own auth
            target = dec.func if isinstance(dec, ast.Call) else dec
            name = _raw(target).lower()
            if any(word in name for word in _AUTH_DECORATOR_WORDS):
                return True
        if isinstance(route_dec, ast.Call) and any(
            kw.arg == "dependencies" and _has_auth_depends(kw.value) for kw in route_dec.keywords
        ):
            return True
        for arg, default in _params_with_defaults(fn.args):
            if _has_auth_depends(default) or _has_auth_depends(arg.annotation):
                return True
        if receiver is not None:
            if _raw(receiver) in authed_routers:
                return True
            res = self.resolve(receiver, scope, _INF)
            for ctor in res.calls:
                if any(kw.arg == "dependencies" and _has_auth_depends(kw.value)
                       for kw in ctor.keywords):
                    return True
        return False


# --------------------------------------------------------------------------------- free helpers
def _has_llm_object(res: _Res) -> bool:
    """The traced path passes through a model object (ChatOpenAI(), an llms module), not any class."""
    for seg in res.segs:
        name = _strip(seg)
        if seg.endswith("()") and _LLM_CLASS.match(name) and not name.endswith(_NOT_LLM_SUFFIXES):
            return True
    return any(n.lower() in {"llm", "llms"} for n in res.names)


def _is_prompt_text(text: str) -> bool:
    stripped = text.strip()
    return bool(_WORDY.search(stripped)) and stripped.lower() not in _ROLE_WORDS


def _handler_is_fallback(handler: ast.ExceptHandler) -> bool:
    """The handler produces an alternative (returns, assigns, calls something) instead of failing."""
    meaningful = False
    for stmt in handler.body:
        if isinstance(stmt, ast.Raise):
            return False
        if isinstance(stmt, (ast.Pass, ast.Continue)):
            continue
        if isinstance(stmt, ast.Expr):
            value = stmt.value
            if isinstance(value, ast.Constant):
                continue
            if isinstance(value, ast.Call):
                func = value.func
                if isinstance(func, ast.Name) and func.id == "print":
                    continue
                if isinstance(func, ast.Attribute) and func.attr in _LOG_LEVELS | {"log"} \
                        and _FileCollector._is_logger(func.value):
                    continue
        meaningful = True
    return meaningful


def _words(name: str) -> list[str]:
    """``aiEnabled`` / ``AI_ENABLED`` / ``ai-enabled`` -> ["ai", "enabled"]."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+|_", snake.lower()) if w]


def _flag_word_sign(name: str) -> int:
    """+1 for a name that reads as "feature on", -1 for "off", 0 for anything else (see code_facts)."""
    return flag_word_sign(_words(name))


def _message_param(expr: ast.AST, params: list[str], collector: "_FileCollector", scope: _Scope,
                   depth: int = 0) -> str | None:
    """The parameter of the enclosing function that ``expr`` passes on as the whole message list:
    ``messages``, ``[system] + messages``, ``[system, *messages]``, ``list(messages)``."""
    if depth > 4:
        return None
    if isinstance(expr, ast.Name):
        if expr.id in params and not any(b.defines for b in scope.bindings.get(expr.id, [])):
            return expr.id
        b = collector._exact_value(expr.id, scope, _INF)
        return _message_param(b.value, params, collector, scope, depth + 1) if b is not None else None
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        return _message_param(expr.left, params, collector, scope, depth + 1) or \
            _message_param(expr.right, params, collector, scope, depth + 1)
    if isinstance(expr, (ast.List, ast.Tuple)):
        for e in expr.elts:
            if isinstance(e, ast.Starred):
                found = _message_param(e.value, params, collector, scope, depth + 1)
                if found:
                    return found
        return None
    if isinstance(expr, ast.Call) and _last_name(expr.func) in _AS_IS_CALLS and expr.args:
        return _message_param(expr.args[0], params, collector, scope, depth + 1)
    return None


def _exits(stmt: ast.stmt) -> bool:
    """A statement that leaves the code path: return, raise, st.stop(), sys.exit(), abort(503)."""
    if isinstance(stmt, (ast.Return, ast.Raise, ast.Continue, ast.Break)):
        return True
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) \
        and _last_name(stmt.value.func) in _EXIT_CALLS


def _names_prompt_path(expr: ast.AST, collector: "_FileCollector", scope: _Scope,
                       pos: tuple[int, int]) -> bool:
    """The path ``expr`` opens reads as a prompt file: its strings or the names holding it say so
    (``open("prompts/system.txt")``, ``(PROMPT_DIR / name).read_text()``), not a user document."""
    for node in ast.walk(expr):
        texts: list[str] = []
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts.append(node.value)
        elif isinstance(node, ast.Name):
            texts.append(node.id)
            texts.append(collector._string_value(node, scope, pos) or "")
        elif isinstance(node, ast.Attribute):
            texts.append(node.attr)
        if any(t and _PROMPT_PATH.search(t) for t in texts):
            return True
    return False


def _params_with_defaults(args: ast.arguments) -> list[tuple[ast.arg, ast.expr | None]]:
    positional = args.posonlyargs + args.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    out = list(zip(positional, defaults))
    out += list(zip(args.kwonlyargs, args.kw_defaults))
    return out


def _depends_calls(expr: ast.AST | None) -> Iterator[ast.Call]:
    if expr is None:
        return
    for node in ast.walk(expr):
        if isinstance(node, ast.Call) and _last_name(node.func) in {"Depends", "Security"}:
            yield node


def _has_depends(expr: ast.AST | None) -> bool:
    return any(True for _ in _depends_calls(expr))


def _has_auth_depends(expr: ast.AST | None) -> bool:
    """A FastAPI dependency on something named like auth: Depends(get_current_user)."""
    for call in _depends_calls(expr):
        dep = call.args[0] if call.args else next(
            (kw.value for kw in call.keywords if kw.arg == "dependency"), None)
        if dep is not None and any(w in _raw(dep).lower() for w in _AUTH_DEP_WORDS):
            return True
    return False


def _is_source(node: ast.AST) -> bool:
    """Request data read directly: request.json, request.form[...], await request.json(), ..."""
    if isinstance(node, ast.Attribute):
        return (isinstance(node.value, ast.Name) and node.value.id in _REQUEST_NAMES
                and node.attr in _REQUEST_ATTRS)
    if isinstance(node, ast.Call):
        func = node.func
        return isinstance(func, ast.Attribute) and func.attr in _UI_INPUTS \
            and _raw(func.value) in {"st", "streamlit", "st.sidebar", "streamlit.sidebar"}
    return False


def _has_text(expr: ast.AST) -> bool:
    """A string literal (or the literal parts of an f-string) with prompt-like text."""
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, str) and _is_prompt_text(expr.value)
    if isinstance(expr, ast.JoinedStr):
        return _is_prompt_text("".join(v.value for v in expr.values if isinstance(v, ast.Constant)))
    return False


def _splices(node: ast.AST, tainted: set[str]) -> bool:
    """``node`` builds a string from prompt text and request data (f-string, +, %, .format, join)."""
    if isinstance(node, ast.JoinedStr):
        return _has_text(node) and any(_mentions_taint(v, tainted) for v in node.values
                                       if isinstance(v, ast.FormattedValue))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        leaves = _add_leaves(node)
        return any(_has_text(x) for x in leaves) and any(_mentions_taint(x, tainted) for x in leaves)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _has_text(node.left) and _mentions_taint(node.right, tainted)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "format" and _has_text(node.func.value):
            return any(_mentions_taint(a, tainted) for a in [*node.args, *(k.value for k in node.keywords)])
        if node.func.attr == "join" and node.args:
            parts = node.args[0]
            elts = parts.elts if isinstance(parts, (ast.List, ast.Tuple)) else []
            return any(_has_text(e) for e in elts) and any(_mentions_taint(e, tainted) for e in elts)
    return False


def _spliced(expr: ast.AST, tainted: set[str], scope: "_Scope", depth: int = 0) -> bool:
    """Request data is spliced into prompt text somewhere in ``expr``, or in a local variable it uses."""
    if depth > _MAX_DEPTH:
        return False
    for node in ast.walk(expr):
        if _splices(node, tainted):
            return True
        if isinstance(node, ast.Name) and node.id in tainted:
            for binding in _scope_bindings(scope, node.id):
                if binding.value is not expr and _spliced(binding.value, tainted, scope, depth + 1):
                    return True
    return False


def _scope_bindings(scope: "_Scope", name: str) -> list:
    """Assignments to ``name`` in the scope (the function) of a call."""
    return scope.bindings.get(name, [])


def _mentions_taint(expr: ast.AST, tainted: set[str]) -> bool:
    for node in ast.walk(expr):
        if isinstance(node, ast.Name) and node.id in tainted:
            return True
        if _is_source(node):
            return True
    return False


def _propagate(scope: _Scope, seeds: set[str], *, sources: bool = False) -> set[str]:
    """Names reached from ``seeds`` (and, with ``sources``, from request reads) by assignment."""
    reached = set(seeds)
    flat = [(name, b) for name, binds in scope.bindings.items() for b in binds]
    for _ in range(len(flat) + 1):
        changed = False
        for name, b in flat:
            if name in reached:
                continue
            value = b.value
            if any((isinstance(n, ast.Name) and n.id in reached) or (sources and _is_source(n))
                   for n in ast.walk(value)):
                reached.add(name)
                changed = True
        if not changed:
            break
    return reached


def _add_leaves(expr: ast.AST) -> list[ast.AST]:
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        return _add_leaves(expr.left) + _add_leaves(expr.right)
    return [expr]


# ------------------------------------------------------------------------------------ entry point
def _parse(text: str, path: str) -> tuple[ast.Module | None, str | None]:
    try:
        with warnings.catch_warnings():
            # Invalid escape sequences in the target's strings are its business, not noise for us.
            warnings.simplefilter("ignore")
            return ast.parse(text, filename=path), None
    except SyntaxError as exc:
        return None, f"{path}:{exc.lineno or 0}: SyntaxError: {exc.msg}"
    except (ValueError, RecursionError, MemoryError) as exc:
        return None, f"{path}: {type(exc).__name__}: {str(exc)[:120]}"


def collect_code(files: FileSet, *, progress: Progress = None) -> CodeFacts:
    """Parse the target's Python files (never running them) and report what their source shows.

    Returns model SDK call sites with their safeguards (timeout, retry, fallback, structured output,
    token cap) and prompt provenance, SQL built by string formatting, web endpoints and whether they
    declare auth, files mixing the web/llm/db layers, and print vs logging call counts. Files that
    cannot be read or parsed are listed in ``parse_errors``; the rest are still analysed.
    """
    py_files = files.by_suffix(".py")
    if progress:
        progress(f"code: parsing {len(py_files)} Python files")
    if not py_files:
        return CodeFacts(available=False, reason="no Python files")

    errors: list[str] = []
    results: list[tuple[str, FileFacts]] = []

    for i, f in enumerate(py_files, 1):
        if progress and i % 500 == 0:
            progress(f"code: parsed {i}/{len(py_files)} Python files")
        if f.size > MAX_PY_BYTES:
            errors.append(f"{f.path}: not parsed (larger than {MAX_PY_BYTES // 1_000_000} MB)")
            continue
        text = files.read_text(f)
        if text is None:
            errors.append(f"{f.path}: not parsed (unreadable, binary or a link)")
            continue
        tree, error = _parse(text, f.path)
        if tree is None:
            errors.append(error or f"{f.path}: not parsed")
            continue
        try:
            collector = _FileCollector(f.path, tree)
            collector.visit(tree)
            result = collector.finish()
        except RecursionError:
            # Pathologically nested code (hostile or generated): drop this file's partial facts.
            errors.append(f"{f.path}: not analysed (nesting too deep)")
            continue
        results.append((f.path, result))

    facts = aggregate(results, errors=errors, total=len(py_files), language="Python")
    if progress:
        progress(f"code: {len(facts.llm_calls)} model calls, {len(facts.sql_sites)} SQL sites, "
                 f"{len(facts.endpoints)} endpoints in {facts.files_parsed} files")
    return facts
