"""The intermediate representation: one small, language-neutral shape for Python and JS/TS.

A file is lowered to a ``Module``: a tree of ``Scope`` objects (module, class body, function) whose
``bindings`` map each local name to every expression assigned to it (flow-insensitive), plus the
call sites (``Call``) and the attribute stores (``Store``: ``st.session_state.x = ...``) found in it.
Classes keep their methods and the fields assigned through ``self.x =`` / ``this.x =`` / class
fields. Expressions are a dozen node types; anything else lowers to ``UNKNOWN`` (its inner calls are
still recorded). Nothing here knows about models: that is the resolver's and the knowledge table's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


# --------------------------------------------------------------------------------------- expressions
class Expr:
    __slots__ = ()


class Name(Expr):
    __slots__ = ("id",)

    def __init__(self, id: str) -> None:
        self.id = id


class Attr(Expr):
    """``obj.name``; also ``obj["name"]`` with a literal key (a dict item, a session-state slot).
    ``line``: where the read is (0 when unknown), for facts about a read itself (a token-usage field)."""

    __slots__ = ("line", "name", "obj")

    def __init__(self, obj: Expr, name: str, line: int = 0) -> None:
        self.obj, self.name, self.line = obj, name, line


class Call(Expr):
    """A call site: ``callee(args..., key=value...)`` or ``new callee(...)``. ``kwargs`` holds Python
    keywords; a JS options object stays a positional ``Obj`` (``options()`` reads both)."""

    __slots__ = ("args", "callee", "end_line", "guards", "kwargs", "line", "new", "scope", "tagged", "text")

    def __init__(self, callee: Expr, args: list[Expr], kwargs: dict[str, Expr], line: int, end_line: int,
                 new: bool, scope: Scope, text: str, guards: tuple[Guard, ...] = (), tagged: bool = False) -> None:
        self.callee, self.args, self.kwargs = callee, args, kwargs
        self.line, self.end_line, self.new, self.scope, self.text = line, end_line, new, scope, text
        self.guards = guards
        self.tagged = tagged  # JS tagged template (sql`...${x}`): the template is the one argument

    def options(self) -> dict[str, Expr]:
        """Keyword arguments and the keys of object-literal arguments (JS options bags)."""
        out = dict(self.kwargs)
        for a in self.args:
            if isinstance(a, Obj):
                for k, v in a.items:
                    if k is not None:
                        out.setdefault(k, v)
        return out


class Not(Expr):
    """``not x`` / ``!x``."""

    __slots__ = ("operand",)

    def __init__(self, operand: Expr) -> None:
        self.operand = operand


class Cmp(Expr):
    """A comparison ``left op right`` (``==``, ``!=``, ``is``, ``is not``, ``in``, ``<``...; JS ``===`` is ``==``)."""

    __slots__ = ("left", "op", "right")

    def __init__(self, op: str, left: Expr, right: Expr) -> None:
        self.op, self.left, self.right = op, left, right


class Lit(Expr):
    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value


class Tmpl(Expr):
    """f-string / template literal: literal text and expressions."""

    __slots__ = ("parts",)

    def __init__(self, parts: list[Any]) -> None:
        self.parts = parts  # str | Expr


class Bin(Expr):
    __slots__ = ("left", "op", "right")

    def __init__(self, op: str, left: Expr, right: Expr) -> None:
        self.op, self.left, self.right = op, left, right


class Union(Expr):
    """Any of: ``a or b``, ``a ?? b``, ``c ? a : b``, a type annotation ``A | None``. ``op`` is
    ``"or"`` / ``"and"`` for a boolean operator (``&&`` is ``and``, ``||`` and ``??`` are ``or``)."""

    __slots__ = ("items", "op")

    def __init__(self, items: list[Expr], op: str | None = None) -> None:
        self.items, self.op = items, op


class Obj(Expr):
    """Dict / object literal; key None is a spread (``**x``, ``...x``)."""

    __slots__ = ("items", "scope")

    def __init__(self, items: list[tuple[str | None, Expr]], scope: Scope) -> None:
        self.items, self.scope = items, scope


class Arr(Expr):
    """A list / array literal; also a comprehension (``filtered``: it has an ``if`` clause, so the
    list holds only some of what it iterates)."""

    __slots__ = ("filtered", "items")

    def __init__(self, items: list[Expr], filtered: bool = False) -> None:
        self.items, self.filtered = items, filtered


class Elem(Expr):
    """An element of ``obj`` (``for x in obj``, ``a, b = obj``, ``const [a] = obj``)."""

    __slots__ = ("obj",)

    def __init__(self, obj: Expr) -> None:
        self.obj = obj


class AnnotatedElem(Elem):
    """Python ``Annotated[T, x, ...]`` as a value (a type alias: ``CurrentUser = Annotated[User,
    Depends(get_current_user)]``): an ``Elem`` like any subscript, with its extras (``x, ...``) kept."""

    __slots__ = ("meta",)

    def __init__(self, obj: Expr, meta: tuple[Expr, ...]) -> None:
        super().__init__(obj)
        self.meta = meta


class Fn(Expr):
    """A function value (def, lambda, arrow, method): its scope."""

    __slots__ = ("scope",)

    def __init__(self, scope: Scope) -> None:
        self.scope = scope


class ClsRef(Expr):
    __slots__ = ("cls",)

    def __init__(self, cls: ClassDef) -> None:
        self.cls = cls


class Imp(Expr):
    """What an import binds: module specifier, imported name (None: the module itself / namespace,
    "default": a JS default import), Python relative level."""

    __slots__ = ("level", "name", "spec")

    def __init__(self, spec: str, name: str | None, level: int = 0) -> None:
        self.spec, self.name, self.level = spec, name, level


class Param(Expr):
    __slots__ = ("annotation", "default", "index", "kw_only", "meta", "name", "scope")

    def __init__(self, name: str, index: int, annotation: Expr | None, default: Expr | None,
                 scope: Scope, kw_only: bool = False, meta: tuple[Expr, ...] = ()) -> None:
        self.name, self.index, self.annotation, self.default = name, index, annotation, default
        self.scope, self.kw_only = scope, kw_only
        self.meta = meta  # Python Annotated[T, x, ...] extras (Depends(...)), not recorded as calls


class Unknown(Expr):
    __slots__ = ()


UNKNOWN = Unknown()


# ------------------------------------------------------------------------------------ control context
class Guard:
    """One control statement around a call, inside the call's function (innermost last in
    ``Call.guards``):

    - ``try``: the call is in a try body; ``fallback`` says whether a handler does something other
      than re-raise, log or pass (returns, assigns, calls something else);
    - ``except``: the call is in an except/catch handler;
    - ``if``: the call runs when ``test`` is ``branch`` (True: the if body, False: the else branch,
      or the statements after ``if test: return``, for which ``early`` is True);
    - ``loop``: the call is in a loop body; ``test`` is the iterated value (for) or condition (while),
      ``retry`` says whether a try sits in the loop body (a hand-written retry loop).

    A ``try`` also says whether a handler that catches everything swallows the error (``swallows``:
    ``(handler line, "silent")`` for ``except Exception: pass`` / ``catch (e) {}`` / a constant return,
    ``(handler line, "printed")`` when it only prints it (print, console.*); None otherwise).
    """

    __slots__ = ("branch", "early", "fallback", "kind", "line", "retry", "swallows", "test")

    def __init__(self, kind: str, line: int, test: Expr | None = None, branch: bool = True,
                 fallback: bool = False, early: bool = False, retry: bool = False,
                 swallows: tuple[int, str] | None = None) -> None:
        self.kind, self.line, self.test, self.branch = kind, line, test, branch
        self.fallback, self.early, self.retry = fallback, early, retry
        self.swallows = swallows


# ------------------------------------------------------------------------------------------- program
@dataclass(eq=False)
class Scope:
    kind: str                       # module | class | function
    name: str
    module: Module
    parent: Scope | None
    line: int = 0
    bindings: dict[str, list[Expr]] = field(default_factory=dict)
    params: list[Param] = field(default_factory=list)
    returns: list[Expr] = field(default_factory=list)
    cls: ClassDef | None = None   # the class of a method
    arrow: bool = False             # JS arrow function: `this` is the enclosing one's
    static: bool = False
    decorators: list[str] = field(default_factory=list)
    decorator_exprs: list[Expr] = field(default_factory=list)  # Python decorators as expressions
    end_line: int = 0
    is_async: bool = False
    guards: tuple[Guard, ...] = ()  # the control context the function is defined in (a nested def)
    children: list[Scope] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    self_name: str | None = None    # Python: the first parameter of a method
    globals: set[str] = field(default_factory=set)
    obj: Obj | None = None        # JS: the object literal a method belongs to
    yields: list[Expr] = field(default_factory=list)  # what a generator yields (``yield x``, ``yield from xs``)

    def bind(self, name: str, value: Expr) -> None:
        self.bindings.setdefault(name, []).append(value)

    def qualname(self) -> str:
        parts = []
        s: Scope | None = self
        while s is not None and s.kind != "module":
            parts.append(s.name)
            s = s.parent
        return ".".join(reversed(parts)) or "<module>"


@dataclass(eq=False)
class ClassDef:
    name: str
    module: Module
    scope: Scope                                     # the class body
    bases: list[Expr] = field(default_factory=list)
    methods: dict[str, Scope] = field(default_factory=dict)
    fields: dict[str, list[tuple[Expr, Scope]]] = field(default_factory=dict)
    annotations: dict[str, Expr] = field(default_factory=dict)   # `name: Type` without a value
    line: int = 0

    def add_field(self, name: str, value: Expr, scope: Scope) -> None:
        self.fields.setdefault(name, []).append((value, scope))


@dataclass(eq=False)
class Store:
    """``target.name = value`` where target is not self/this: a heap slot keyed by access path."""

    target: Expr
    name: str
    value: Expr
    scope: Scope
    line: int = 0                    # the assignment's line (0 when unknown)
    guards: tuple[Guard, ...] = ()   # its control context, as for a Call (``if __name__ == "__main__"``)


@dataclass(eq=False)
class Module:
    path: str                        # repository-relative, posix
    lang: str                        # python | js
    scope: Scope = None              # type: ignore[assignment]
    exports: dict[str, Expr] = field(default_factory=dict)     # JS: exported name -> expr (module scope)
    reexports: list[tuple[str, str | None, str | None]] = field(default_factory=list)  # (spec, name, as)
    stores: list[Store] = field(default_factory=list)
    item_stores: list[tuple[Expr, Scope, int]] = field(default_factory=list)
    """``x[key] = value`` with a key that is not a string literal: (the container ``x``, the scope of the
    assignment, its line). The value is not kept (a literal key is a ``Store``)."""
    calls: list[Call] = field(default_factory=list)
    classes: list[ClassDef] = field(default_factory=list)
    scopes: list[Scope] = field(default_factory=list)
    error: str | None = None
    error_line: int = 0              # Python: the line of the syntax error
    directives: list[str] = field(default_factory=list)  # JS directive prologue ("use server", "use client")
    imports: list[str] = field(default_factory=list)  # specifiers as written: Python absolute dotted paths
    # (import a.b -> a.b; from a import b -> a, a.b), JS/TS import/export-from/require()/import() specifiers
    lines: int = 0
    reads_argv: bool = False         # reads ``sys.argv`` / ``process.argv`` (set while lowering)
    parse_seconds: float = 0.0       # time in ast.parse / tree-sitter (shareable with complexity)
    syntax: object | None = None     # the parse tree (ast.Module / tree_sitter.Tree) until the engine
    # has handed it to its on_parsed hook (the complexity collector), then dropped
