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


# --------------------------------------------------------------------------------------- expressions
class Expr:
    __slots__ = ()


class Name(Expr):
    __slots__ = ("id",)

    def __init__(self, id: str) -> None:
        self.id = id


class Attr(Expr):
    """``obj.name``; also ``obj["name"]`` with a literal key (a dict item, a session-state slot)."""

    __slots__ = ("name", "obj")

    def __init__(self, obj: Expr, name: str) -> None:
        self.obj, self.name = obj, name


class Call(Expr):
    """A call site: ``callee(args..., key=value...)`` or ``new callee(...)``. ``kwargs`` holds Python
    keywords; a JS options object stays a positional ``Obj`` (``options()`` reads both)."""

    __slots__ = ("args", "callee", "end_line", "kwargs", "line", "new", "scope", "text")

    def __init__(self, callee: Expr, args: list[Expr], kwargs: dict[str, Expr], line: int, end_line: int,
                 new: bool, scope: Scope, text: str) -> None:
        self.callee, self.args, self.kwargs = callee, args, kwargs
        self.line, self.end_line, self.new, self.scope, self.text = line, end_line, new, scope, text

    def options(self) -> dict[str, Expr]:
        """Keyword arguments and the keys of object-literal arguments (JS options bags)."""
        out = dict(self.kwargs)
        for a in self.args:
            if isinstance(a, Obj):
                for k, v in a.items:
                    if k is not None:
                        out.setdefault(k, v)
        return out


class Lit(Expr):
    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value


class Tmpl(Expr):
    """f-string / template literal: literal text and expressions."""

    __slots__ = ("parts",)

    def __init__(self, parts: list) -> None:
        self.parts = parts  # str | Expr


class Bin(Expr):
    __slots__ = ("left", "op", "right")

    def __init__(self, op: str, left: Expr, right: Expr) -> None:
        self.op, self.left, self.right = op, left, right


class Union(Expr):
    """Any of: ``a or b``, ``a ?? b``, ``c ? a : b``, a type annotation ``A | None``."""

    __slots__ = ("items",)

    def __init__(self, items: list[Expr]) -> None:
        self.items = items


class Obj(Expr):
    """Dict / object literal; key None is a spread (``**x``, ``...x``)."""

    __slots__ = ("items", "scope")

    def __init__(self, items: list[tuple[str | None, Expr]], scope: Scope) -> None:
        self.items, self.scope = items, scope


class Arr(Expr):
    __slots__ = ("items",)

    def __init__(self, items: list[Expr]) -> None:
        self.items = items


class Elem(Expr):
    """An element of ``obj`` (``for x in obj``, ``a, b = obj``, ``const [a] = obj``)."""

    __slots__ = ("obj",)

    def __init__(self, obj: Expr) -> None:
        self.obj = obj


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
    __slots__ = ("annotation", "default", "index", "kw_only", "name", "scope")

    def __init__(self, name: str, index: int, annotation: Expr | None, default: Expr | None,
                 scope: Scope, kw_only: bool = False) -> None:
        self.name, self.index, self.annotation, self.default = name, index, annotation, default
        self.scope, self.kw_only = scope, kw_only


class Unknown(Expr):
    __slots__ = ()


UNKNOWN = Unknown()


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
    children: list[Scope] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    self_name: str | None = None    # Python: the first parameter of a method
    globals: set[str] = field(default_factory=set)
    obj: Obj | None = None        # JS: the object literal a method belongs to

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


@dataclass(eq=False)
class Module:
    path: str                        # repository-relative, posix
    lang: str                        # python | js
    scope: Scope = None              # type: ignore[assignment]
    exports: dict[str, Expr] = field(default_factory=dict)     # JS: exported name -> expr (module scope)
    reexports: list[tuple[str, str | None, str | None]] = field(default_factory=list)  # (spec, name, as)
    stores: list[Store] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    classes: list[ClassDef] = field(default_factory=list)
    scopes: list[Scope] = field(default_factory=list)
    error: str | None = None
    lines: int = 0
    parse_seconds: float = 0.0       # time in ast.parse / tree-sitter (shareable with complexity)
