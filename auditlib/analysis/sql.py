"""SQL text built by string formatting at an execute call, from the IR.

A call is an SQL site when its callee is a driver's execute/query method (checklists/web.yaml:
``sql_calls`` / ``sql_methods``; in Python a bare name only when imported, ``sqlalchemy.text`` too; in
JS/TS the bare ``query(...)`` helpers) and its first argument is query text built from values: an
f-string / template literal with substitutions, ``+`` concatenation with a non-constant part, ``%`` or
``.format()`` (Python), directly or through the last assignment of a local name (``q += value``
included). The text's constant parts must read as SQL. Tagged templates (``sql`...${x}```) and
placeholders are parameterised: not sites.
"""

from __future__ import annotations

from ..models import SQLSite
from .ir import Attr, Bin, Call, Expr, Lit, Name, Scope, Tmpl
from .irtools import binding_scope, last_name, plus_leaves
from .query import Query
from .tables import tables

MAX_DEPTH = 12


def sql_sites(q: Query) -> list[SQLSite]:
    """Every SQL site of the repository, in path and line order (computed once per Query)."""
    memo = q.__dict__.setdefault("_facts_memo", {})
    if "sql" not in memo:
        out: list[SQLSite] = []
        for mod in q.parsed_modules():
            for call in mod.calls:
                how = _site(q, call)
                if how is not None:
                    out.append(SQLSite(path=mod.path, line=call.line, function=q.function_name(call.scope),
                                       how=how))
        memo["sql"] = out
    return list(memo["sql"])


def db_call(q: Query, call: Call) -> bool:
    """A Python driver call with literal SQL text (``db.execute("SELECT ...")``): the file talks to a database."""
    if call.scope.module.lang != "python" or not call.args:
        return False
    if last_name(call.callee) not in tables().py.sql_calls:
        return False
    text = _text(call.args[0], call.scope, "python")
    return text is not None and bool(tables().py.sql_words.search(text))


# ------------------------------------------------------------------------------------------- sites
def _site(q: Query, call: Call) -> str | None:
    """How the query text of ``call`` was built, when ``call`` runs SQL built from values."""
    if not call.args or call.tagged or not _is_sql_call(q, call):
        return None
    lang = call.scope.module.lang
    found = _kind(call.args[0], call.scope, lang, 0)
    if found is None:
        return None
    how, text = found
    return how if tables().lang(lang).sql_words.search(text) else None


def _is_sql_call(q: Query, call: Call) -> bool:
    lang = call.scope.module.lang
    t = tables().lang(lang)
    callee = call.callee
    if lang == "js":
        if isinstance(callee, Attr):
            return callee.name in t.sql_methods
        return isinstance(callee, Name) and callee.id in t.bare_sql_functions
    name = last_name(callee)
    text_fn = any(f.rsplit(".", 1)[-1] == name for f in t.sql_text_functions)  # sqlalchemy.text(...)
    if name not in t.sql_calls and not text_fn:
        return False
    if isinstance(callee, Attr) and not text_fn:
        return True
    qual = q.callee_qual(call)  # a bare execute(...) is some local helper unless imported
    return qual is not None and (qual in t.sql_text_functions or (not text_fn and qual.endswith("." + name)))


# ------------------------------------------------------------------------------------- query text
def _kind(e: Expr, scope: Scope, lang: str, depth: int) -> tuple[str, str] | None:
    """(how, constant text) when ``e`` is query text built from values; None for a constant."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(e, Tmpl):
        if any(not isinstance(p, str) for p in e.parts):
            return tables().lang(lang).template_label, _text(e, scope, lang) or ""
        return None
    if isinstance(e, Bin) and e.op == "%" and lang == "python":
        text = _text(e.left, scope, lang)
        return ("%-formatting", text) if text is not None else None
    if isinstance(e, Bin) and e.op == "+":
        leaves = plus_leaves(e)
        texts = [_text(leaf, scope, lang) for leaf in leaves]
        variable = any(t is None or _substitutes(leaf) for leaf, t in zip(leaves, texts))
        if variable and any(t is not None for t in texts):
            return "concatenation", "".join(t or "" for t in texts)
        return None
    if _is_format(e, lang):
        text = _text(e.callee.obj, scope, lang)  # type: ignore[union-attr]
        return (".format()", text) if text is not None else None
    if isinstance(e, Name):
        home = binding_scope(e.id, scope)
        if home is None:
            return None
        return _kind_of_name(e.id, home, list(home.bindings[e.id]), lang, depth + 1)
    return None


def _kind_of_name(name: str, scope: Scope, binds: list[Expr], lang: str, depth: int) -> tuple[str, str] | None:
    """The kind of the last assignment of ``name``; ``q += value`` builds on the assignments before it."""
    if not binds or depth > MAX_DEPTH:
        return None
    last = binds[-1]
    if not _augments(last, name):
        return _kind(last, scope, lang, depth + 1)
    earlier = _kind_of_name(name, scope, binds[:-1], lang, depth + 1)
    added_expr = last.right  # type: ignore[union-attr]
    before = earlier[1] if earlier else (_text_of_binds(name, scope, binds[:-1], lang, depth) or "")
    own = _kind(added_expr, scope, lang, depth + 1)
    added = _text(added_expr, scope, lang)
    text = before + (added or "")
    if own is not None:
        return own[0], text
    if added is None or _substitutes(added_expr):
        return "concatenation", text
    return (earlier[0], text) if earlier else None


def _augments(e: Expr, name: str) -> bool:
    """``name = name + value`` / ``name += value``."""
    return isinstance(e, Bin) and e.op == "+" and isinstance(e.left, Name) and e.left.id == name


def _text(e: Expr | None, scope: Scope, lang: str, depth: int = 0) -> str | None:
    """The constant text of a string expression (its literal parts), following local names; None when
    nothing of it is constant."""
    if e is None or depth > MAX_DEPTH:
        return None
    if isinstance(e, Tmpl):
        return "".join(p for p in e.parts if isinstance(p, str))
    if isinstance(e, Lit):
        return e.value if isinstance(e.value, str) else None
    if isinstance(e, Bin) and (e.op == "+" or (e.op == "%" and lang == "python")):
        left = _text(e.left, scope, lang, depth + 1)
        right = _text(e.right, scope, lang, depth + 1) if e.op == "+" else None
        if left is None and right is None:
            return None
        return (left or "") + (right or "")
    if _is_format(e, lang):
        return _text(e.callee.obj, scope, lang, depth + 1)  # type: ignore[union-attr]
    if isinstance(e, Name):
        home = binding_scope(e.id, scope)
        if home is not None:
            return _text_of_binds(e.id, home, list(home.bindings[e.id]), lang, depth + 1)
    return None


def _text_of_binds(name: str, scope: Scope, binds: list[Expr], lang: str, depth: int) -> str | None:
    if not binds or depth > MAX_DEPTH:
        return None
    last = binds[-1]
    if _augments(last, name):
        before = _text_of_binds(name, scope, binds[:-1], lang, depth + 1)
        added = _text(last.right, scope, lang, depth + 1)  # type: ignore[union-attr]
        return None if before is None and added is None else (before or "") + (added or "")
    return _text(last, scope, lang, depth + 1)


def _is_format(e: Expr, lang: str) -> bool:
    return (lang == "python" and isinstance(e, Call) and isinstance(e.callee, Attr) and e.callee.name == "format"
            and bool(e.args or e.kwargs))


def _substitutes(e: Expr) -> bool:
    return isinstance(e, Tmpl) and any(not isinstance(p, str) for p in e.parts)

