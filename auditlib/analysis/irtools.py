"""Small helpers over the IR (ir.py) that the fact builders and checks share: an expression as text,
a string constant, walking sub-expressions, and finding the scope a name or a function lives in.

Nothing here knows about models, web frameworks or the knowledge tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

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

MAX_PATH = 20
"""Attributes, calls and subscripts read back from the end of a chain before it counts as too deep."""


# ---------------------------------------------------------------------------------- as text
def dotted(e: Expr | None) -> str:
    """An expression as written, roughly: names and attributes, ``()`` for a call and ``[]`` for a
    subscript on the way (``OpenAI().chat.create``, ``r.choices[].message``); ``(...)`` stands for any
    other part, ``?`` for a missing one or one nested too deep."""
    return _path(e, "(...)", "?")  # type: ignore[return-value]


def strict_dotted(e: Expr | None) -> str | None:
    """``dotted(e)`` when every part of ``e`` is a name, attribute, call, subscript or parameter, else None."""
    return _path(e, None, None)


def _path(e: Expr | None, other: str | None, missing: str | None) -> str | None:
    """``dotted``: ``other`` for a part that is no name, ``missing`` for None or past ``MAX_PATH``
    (either None: the whole text is None)."""
    tail: list[str] = []
    for _ in range(MAX_PATH + 1):
        if isinstance(e, Attr):
            tail.append("." + e.name)
            e = e.obj
        elif isinstance(e, Call):
            tail.append("()")
            e = e.callee
        elif isinstance(e, Elem):
            tail.append("[]")
            e = e.obj
        else:
            break
    else:
        e = None  # too deep: read as missing
    head = e.id if isinstance(e, Name) else e.name if isinstance(e, Param) else missing if e is None else other
    return None if head is None else head + "".join(reversed(tail))


def render(e: Expr | None, depth: int = 0) -> str:
    """An argument as text, deep enough to read the names in it (``passport.authenticate("jwt")``,
    ``{ preHandler: [fastify.authenticate] }``)."""
    if e is None or depth > 4:
        return ""
    if isinstance(e, (Name, Attr)) or (isinstance(e, Call) and depth > 3):
        return dotted(e)
    if isinstance(e, Call):
        return f"{render(e.callee, depth + 1)}({', '.join(render(a, depth + 1) for a in e.args[:6])})"
    if isinstance(e, Lit):
        return e.value if isinstance(e.value, str) else ""
    if isinstance(e, (Arr, Union)):
        return "[" + ", ".join(render(x, depth + 1) for x in e.items[:8]) + "]"
    if isinstance(e, Obj):
        return "{" + ", ".join(f"{k or '...'}: {render(v, depth + 1)}" for k, v in e.items[:8]) + "}"
    return ""


def last_name(e: Expr | None, *, through_calls: bool = False) -> str:
    """The last name of a name or attribute chain (``a.b.create`` -> ``create``), else ''. With
    ``through_calls``, a call is read as what it calls (``make_agent()`` -> ``make_agent``)."""
    while through_calls and isinstance(e, Call):
        e = e.callee
    if isinstance(e, Attr):
        return e.name
    if isinstance(e, Name):
        return e.id
    return ""


def _root_bindings(f: Expr, scope: Scope) -> tuple[Expr, list[Expr] | None]:
    """The root of a callee's attribute chain (``requests`` of ``requests.get``), and what that name is
    bound to in the scope that binds it (None: not a name, or bound nowhere in the file)."""
    root = f
    while isinstance(root, Attr):
        root = root.obj
    if not isinstance(root, Name):
        return root, None
    home = binding_scope(root.id, scope)
    return root, (home.bindings.get(root.id) if home is not None else None)


def may_be_external(f: Expr, scope: Scope) -> bool:
    """Whether a callee can resolve to an imported name (``requests.get``, ``json.loads``): not a
    method of a string literal (``"".join``) or of a collection's element (``item.get`` in a ``for
    item in rows`` loop). Those are the most common calls of real code, and resolving them is most
    of the cost of the checks that look for a few library functions by their method names."""
    root, bound = _root_bindings(f, scope)
    if isinstance(root, Lit):
        return False
    return not (root is not f and bound and all(type(v) is Elem for v in bound))


def may_be_import(f: Expr, scope: Scope) -> bool:
    """Whether a callee can be a library's function called by its imported name (``CORS(app)``,
    ``flask_cors.CORS``, ``cors()`` of ``const cors = require("cors")``): its root name is bound to an
    import (or a call, which may be ``require``). A cheap test before resolving, for checks that look
    for one library function among every call of a repository."""
    return any(isinstance(v, (Imp, Call)) for v in _root_bindings(f, scope)[1] or ())


def imported_from(f: Expr, scope: Scope, packages: frozenset[str]) -> bool:
    """Whether the root name of a callee is bound to an import of one of ``packages`` (top-level
    names: ``flask_cors``, ``cors``), by ``import``/``from ... import`` or ``require("...")``. A
    cheaper question than resolving the callee, for checks about one library's functions."""
    for v in _root_bindings(f, scope)[1] or ():
        spec = v.spec if isinstance(v, Imp) else string_value(v.args[0]) if isinstance(v, Call) and v.args else None
        if spec and spec.lstrip("@").split("/")[0].split(".")[0].removeprefix("node:") in packages:
            return True
    return False


def string_value(e: Expr | None) -> str | None:
    """The text of a string literal (or a template without substitutions), else None."""
    if isinstance(e, Lit) and isinstance(e.value, str):
        return e.value
    if isinstance(e, Tmpl) and all(isinstance(p, str) for p in e.parts):
        return "".join(e.parts)
    return None


def literal_text(e: Expr) -> str:
    """The literal parts of a string, f-string or template literal ('' for anything else)."""
    if isinstance(e, Lit) and isinstance(e.value, str):
        return e.value
    if isinstance(e, Tmpl):
        return "".join(p for p in e.parts if isinstance(p, str))
    return ""


# ------------------------------------------------------------------------------- sub-expressions
def children(e: Expr) -> Iterator[Expr]:
    """Direct sub-expressions of ``e`` (function bodies are other scopes: not entered)."""
    if isinstance(e, (Attr, Elem)):
        yield e.obj
    elif isinstance(e, Call):
        yield e.callee
        yield from e.args
        yield from e.kwargs.values()
    elif isinstance(e, Tmpl):
        yield from (p for p in e.parts if isinstance(p, Expr))
    elif isinstance(e, (Bin, Cmp)):
        yield e.left
        yield e.right
    elif isinstance(e, (Union, Arr)):
        yield from e.items
    elif isinstance(e, Obj):
        yield from (v for _k, v in e.items)
    elif isinstance(e, Not):
        yield e.operand


def walk(roots: Expr | Iterable[Expr], limit: int = 2_000, *, once: bool = False) -> Iterator[Expr]:
    """The expressions ``roots`` and every expression inside them (not into functions), at most
    ``limit``; with ``once``, an expression shared by several parents is visited once."""
    stack: list[Any] = [roots] if isinstance(roots, Expr) else list(roots)
    seen: set[int] = set()
    n = 0
    while stack and n < limit:
        cur = stack.pop()
        if cur is None:
            continue
        if once:
            if id(cur) in seen:
                continue
            seen.add(id(cur))
        n += 1
        yield cur
        stack.extend(children(cur))


def plus_leaves(e: Expr, limit: int | None = None) -> list[Expr]:
    """Operands of a chain of ``+`` in source order, at most ``limit`` (iterative: generated code
    chains thousands)."""
    out: list[Expr] = []
    stack = [e]
    while stack and (limit is None or len(out) < limit):
        cur = stack.pop()
        if isinstance(cur, Bin) and cur.op == "+":
            stack += [cur.right, cur.left]
        else:
            out.append(cur)
    return out


# ------------------------------------------------------------------------------------- scopes
def binding_scope(name: str, scope: Scope | None, *, class_bodies: bool = False) -> Scope | None:
    """The scope whose binding of ``name`` a read in ``scope`` sees: the nearest that binds it, a class
    body only from its own code (with ``class_bodies``, from its methods too: ``Query.origins``)."""
    s, first = scope, True
    while s is not None:
        if (s.kind != "class" or first or class_bodies) and name in s.bindings:
            return s
        first = False
        s = s.parent
    return None


def function_scope(scope: Scope | None) -> Scope | None:
    """The function ``scope`` is in (itself when it is one), None at module or class level."""
    s = scope
    while s is not None and s.kind != "function":
        s = s.parent
    return s


def scopes_in(fs: Scope) -> Iterator[Scope]:
    """``fs`` and every scope nested in it."""
    stack = [fs]
    while stack:
        s = stack.pop()
        yield s
        stack.extend(s.children)
