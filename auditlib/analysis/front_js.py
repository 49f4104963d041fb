"""JavaScript / TypeScript front end: tree-sitter -> IR (ir.py)."""

from __future__ import annotations

import functools
import posixpath
import re
import time
from typing import TYPE_CHECKING

from .ir import (
    UNKNOWN,
    Arr,
    Attr,
    Bin,
    Call,
    ClassDef,
    ClsRef,
    Cmp,
    Elem,
    Expr,
    Fn,
    Guard,
    Imp,
    Lit,
    Module,
    Name,
    Not,
    Obj,
    Param,
    Scope,
    Store,
    Tmpl,
    Union,
)
from .irtools import binding_scope

if TYPE_CHECKING:
    import tree_sitter

JS_SUFFIXES = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
"""The JS/TS suffixes, TypeScript first (an import of ``./x`` resolves to ``x.ts`` before ``x.js``)."""


@functools.cache
def parser(kind: str) -> tree_sitter.Parser:
    import tree_sitter

    if kind == "js":
        import tree_sitter_javascript

        lang = tree_sitter.Language(tree_sitter_javascript.language())
    else:
        import tree_sitter_typescript

        lang = tree_sitter.Language(tree_sitter_typescript.language_tsx() if kind == "tsx"
                                    else tree_sitter_typescript.language_typescript())
    return tree_sitter.Parser(lang)


def kind_of(path: str) -> str:
    suffix = posixpath.splitext(path)[1].lower()
    if suffix == ".tsx":
        return "tsx"
    if suffix in {".ts", ".mts", ".cts"}:
        return "ts"
    return "js"


_FUNCS = {"function_declaration", "generator_function_declaration", "function_expression", "function",
          "generator_function", "arrow_function"}
_CLASSES = {"class_declaration", "class", "abstract_class_declaration"}
_WRAP = {"await_expression", "parenthesized_expression", "as_expression", "satisfies_expression",
         "non_null_expression", "type_assertion"}
_EXPR = ({"identifier", "this", "super", "member_expression", "subscript_expression", "call_expression",
          "new_expression", "string", "template_string", "number", "true", "false", "null", "undefined",
          "binary_expression", "ternary_expression", "object", "array", "assignment_expression",
          "augmented_assignment_expression", "sequence_expression", "unary_expression", "update_expression",
          "spread_element", "regex", "yield_expression"} | _FUNCS | _CLASSES | _WRAP)


def _t(node: tree_sitter.Node | None) -> str:
    return (node.text or b"").decode("utf-8", "replace") if node is not None else ""


def _line(node: tree_sitter.Node) -> int:
    return node.start_point.row + 1


def _str(node: tree_sitter.Node | None) -> str | None:
    if node is None:
        return None
    if node.type == "string":
        return "".join(_t(c) for c in node.named_children if c.type in {"string_fragment", "escape_sequence"})
    if node.type == "template_string" and not any(c.type == "template_substitution" for c in node.named_children):
        return "".join(_t(c) for c in node.named_children if c.type == "string_fragment")
    return None


def _key(node: tree_sitter.Node | None) -> str | None:
    if node is None:
        return None
    if node.type in {"property_identifier", "identifier", "private_property_identifier", "number",
                     "shorthand_property_identifier"}:
        return _t(node)
    return _str(node)


_EXIT_STATEMENTS = {"return_statement", "throw_statement", "continue_statement", "break_statement"}
_LOGGERS = {"console", "logger", "log", "this.logger"}
_CMP = {"==": "==", "===": "==", "!=": "!=", "!==": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=",
        "in": "in", "instanceof": "instanceof"}


def _exits(node: tree_sitter.Node | None) -> bool:
    """``return``/``throw``/``continue``/``break``, alone or last in a block; ``process.exit()``, ``redirect()``,
    ``notFound()`` (they throw in Next.js)."""
    if node is None:
        return False
    if node.type == "statement_block":
        kids = [c for c in node.named_children if c.type != "comment"]
        return bool(kids) and _exits(kids[-1])
    if node.type in _EXIT_STATEMENTS:
        return True
    if node.type == "expression_statement" and node.named_children:
        e = node.named_children[0]
        if e.type == "call_expression":
            fn = _t(e.child_by_field_name("function"))
            return fn in {"process.exit", "redirect", "notFound", "abort"}
    return False


def _catch_is_fallback(catch: tree_sitter.Node | None) -> bool:
    """The catch body produces an alternative (returns, assigns, calls something) instead of only
    rethrowing, logging or ignoring the error."""
    body = catch.child_by_field_name("body") if catch is not None else None
    if body is None:
        return False
    meaningful = False
    for st in body.named_children:
        if st.type == "comment" or st.type == "empty_statement":
            continue
        if st.type == "throw_statement":
            return False
        if st.type == "expression_statement" and st.named_children:
            e = st.named_children[0]
            if e.type == "call_expression":
                fn = _t(e.child_by_field_name("function"))
                if "." in fn and (fn.rsplit(".", 1)[0] in _LOGGERS or fn.rsplit(".", 1)[1] in _REPORTERS):
                    continue
        if _is_error_response(st):
            continue  # the request fails either way: an error status is not an alternative answer
        meaningful = True
    return meaningful


_QUIET_VALUES = {"null", "undefined", "false", "true", "[]", "{}", "number", "string", "template_string"}


def _catch_swallows(catch: tree_sitter.Node | None) -> tuple[int, str] | None:
    """``(line, "silent" | "printed")`` when the catch neither rethrows, logs nor uses the error: its body
    is empty, ``continue`` / ``break``, ``return`` of nothing or of a literal, or only ``console.*(...)``
    calls that leave the error out (then "printed"). Only comments: a documented decision, not reported."""
    if catch is None:
        return None
    body = catch.child_by_field_name("body")
    if body is None:
        return None
    printed = False
    param = _t(catch.child_by_field_name("parameter"))
    stmts = body.named_children
    if stmts and all(st.type == "comment" and st.start_point.row > body.start_point.row for st in stmts) \
            and not re.search(r"TODO|FIXME|XXX", _t(body)):
        return None  # catch (_) { // ignore redis errors }: a documented decision
    for st in stmts:
        if st.type in {"comment", "empty_statement", "continue_statement", "break_statement"}:
            continue
        if st.type == "return_statement":
            value = st.named_children[0] if st.named_children else None
            if value is None or value.type in _QUIET_VALUES or _t(value) in _QUIET_VALUES:
                continue
            return None
        if st.type == "expression_statement" and st.named_children:
            e = st.named_children[0]
            if e.type == "call_expression" and _t(e.child_by_field_name("function")).startswith("console."):
                if param and re.search(rf"(?<![\w$]){re.escape(param)}(?![\w$])", _t(e.child_by_field_name("arguments"))):
                    return None  # console.error("...", err): the error is logged (console is a server's log)
                printed = True
                continue
        return None
    return _line(catch), "printed" if printed else "silent"


_REPORTERS = {"captureException", "captureMessage"}
_ERROR_STATUS = re.compile(r"\b(status|code)\s*[:(]\s*(4|5)\d\d\b|\bsendStatus\s*\(\s*(4|5)\d\d|"
                           r"\.error\s*\(\s*\)|\b(4|5)\d\d\s*\)")


def _is_error_response(st: tree_sitter.Node) -> bool:
    """``return res.status(500).json(...)``, ``NextResponse.json(..., { status: 500 })``, ``next(err)``."""
    text = " ".join(_t(st).split())
    return bool(_ERROR_STATUS.search(text) or re.match(r"^(return\s+)?next\s*\(\s*\w+\s*\)", text))


def _directives(root: tree_sitter.Node) -> list[str]:
    """The directive prologue of a file: ``"use server"``, ``"use client"``."""
    out = []
    for c in root.named_children:
        if c.type == "comment":
            continue
        kids = c.named_children if c.type == "expression_statement" else []
        if len(kids) != 1 or kids[0].type != "string":
            break
        out.append(_str(kids[0]) or "")
    return out


def _has_try(node: tree_sitter.Node) -> bool:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "try_statement":
            return True
        if n.type in _FUNCS or n.type in _CLASSES:
            continue
        stack.extend(n.named_children)
    return False


def _readable(root: tree_sitter.Node) -> bool:
    """Whether a tree with syntax errors holds anything but error nodes (tree-sitter recovers most files)."""
    stack = list(root.named_children)
    while stack:
        n = stack.pop()
        if n.type not in {"ERROR", "comment"}:
            return True
        stack.extend(n.named_children)
    return False


class JsFront:
    def __init__(self, path: str, source: bytes) -> None:
        self.mod = Module(path=path, lang="js")
        self.source = source
        self.guards: tuple[Guard, ...] = ()  # control context of the statement being lowered

    def lower(self) -> Module:
        mod = self.mod
        mod.lines = self.source.count(b"\n") + 1
        mod.scope = Scope("module", "<module>", mod, None, 1)
        mod.scopes.append(mod.scope)
        t = time.perf_counter()
        try:
            tree = parser(kind_of(mod.path)).parse(self.source)
            mod.syntax = tree
        except Exception as exc:  # noqa: BLE001 - a file that does not parse is reported, not fatal
            mod.error = f"{type(exc).__name__}: {exc}"
            return mod
        finally:
            mod.parse_seconds = time.perf_counter() - t
        if tree.root_node.has_error and not _readable(tree.root_node):
            mod.error = "syntax errors, nothing readable"
            return mod
        mod.directives = _directives(tree.root_node)
        self.block(tree.root_node, mod.scope)
        return mod

    # ------------------------------------------------------------------------------- statements
    def block(self, node: tree_sitter.Node, scope: Scope) -> None:
        saved = self.guards
        try:
            for c in node.named_children:
                self.stmt(c, scope)
                if c.type == "if_statement" and c.child_by_field_name("alternative") is None \
                        and _exits(c.child_by_field_name("consequence")):
                    test = self.ex_quiet(c.child_by_field_name("condition"), scope)
                    self.guards = self.guards + (Guard("if", _line(c), test, False, early=True),)
        finally:
            self.guards = saved

    def ex_quiet(self, node: tree_sitter.Node | None, scope: Scope) -> Expr:
        """Lower an expression a second time without recording its calls again."""
        mark = len(self.mod.calls), len(scope.calls)
        e = self.ex(node, scope)
        del self.mod.calls[mark[0]:]
        del scope.calls[mark[1]:]
        return e

    def _under(self, guard: Guard, node: tree_sitter.Node | None, scope: Scope) -> None:
        if node is None:
            return
        saved = self.guards
        self.guards = saved + (guard,)
        try:
            self.stmt(node, scope)
        finally:
            self.guards = saved

    def stmt(self, node: tree_sitter.Node, scope: Scope) -> None:
        t = node.type
        if t in _EXPR:
            self.ex(node, scope)
        elif t == "expression_statement":
            for c in node.named_children:
                self.ex(c, scope)
        elif t in {"lexical_declaration", "variable_declaration"}:
            for d in node.named_children:
                if d.type == "variable_declarator":
                    value = d.child_by_field_name("value")
                    name = d.child_by_field_name("name")
                    if value is not None and value.type in _FUNCS and name is not None and name.type == "identifier":
                        v: Expr = Fn(self.function(value, scope, name=_t(name)))  # const f = () => ...
                    else:
                        v = self.ex(value, scope) if value is not None else UNKNOWN
                    self.pattern(name, v, scope, declare=True)
        elif t == "import_statement":
            self.import_(node, scope)
        elif t == "export_statement":
            self.export(node, scope)
        elif t == "return_statement":
            for c in node.named_children:
                scope.returns.append(self.ex(c, scope))
        elif t == "for_in_statement":
            right = node.child_by_field_name("right")
            it = self.ex(right, scope) if right is not None else UNKNOWN
            v = Elem(it) if right is not None else UNKNOWN
            left = node.child_by_field_name("left")
            if left is not None:
                self.pattern(left, v, scope, declare=True)
            body = node.child_by_field_name("body")
            if body is not None:
                self._under(Guard("loop", _line(node), it, retry=_has_try(body)), body, scope)
        elif t in {"for_statement", "while_statement", "do_statement"}:
            body = node.child_by_field_name("body")
            test: Expr = UNKNOWN
            for c in node.named_children:
                if c is body or (body is not None and c.id == body.id):
                    continue
                if c.type == "parenthesized_expression" or c.type in _EXPR:
                    test = self.ex(c, scope)
                else:
                    self.stmt(c, scope)
            if body is not None:
                self._under(Guard("loop", _line(node), test, retry=_has_try(body)), body, scope)
        elif t == "if_statement":
            test = self.ex(node.child_by_field_name("condition"), scope)
            self._under(Guard("if", _line(node), test, True), node.child_by_field_name("consequence"), scope)
            alt = node.child_by_field_name("alternative")
            if alt is not None:
                saved = self.guards
                self.guards = saved + (Guard("if", _line(node), test, False),)
                try:
                    for c in alt.named_children:
                        self.stmt(c, scope)
                finally:
                    self.guards = saved
        elif t == "try_statement":
            handler = node.child_by_field_name("handler")
            self._under(Guard("try", _line(node), fallback=_catch_is_fallback(handler),
                              swallows=_catch_swallows(handler)),
                        node.child_by_field_name("body"), scope)
            if handler is not None:
                self._under(Guard("except", _line(handler)), handler, scope)
            fin = node.child_by_field_name("finalizer")
            if fin is not None:
                self.stmt(fin, scope)
        elif t == "catch_clause":
            p = node.child_by_field_name("parameter")
            if p is not None:
                self.pattern(p, UNKNOWN, scope, declare=True)
            body = node.child_by_field_name("body")
            if body is not None:
                self.block(body, scope)
        elif t in {"comment", "type_alias_declaration", "interface_declaration", "enum_declaration",
                   "ambient_declaration", "module", "internal_module"}:
            return
        else:
            for c in node.named_children:
                self.stmt(c, scope)

    def import_(self, node: tree_sitter.Node, scope: Scope) -> None:
        spec = _str(node.child_by_field_name("source")) or ""
        req = [c for c in node.named_children if c.type == "import_require_clause"]  # import x = require("m")
        spec_seen = spec or (_str(next((c for c in req[0].named_children if c.type == "string"), None)) if req else "")
        if spec_seen:
            self.mod.imports.append(spec_seen)
        for c in node.named_children:
            if c.type != "import_clause":
                continue
            for part in c.named_children:
                if part.type == "identifier":
                    scope.bind(_t(part), Imp(spec, "default"))
                elif part.type == "namespace_import":
                    for n in part.named_children:
                        if n.type == "identifier":
                            scope.bind(_t(n), Imp(spec, None))
                elif part.type == "named_imports":
                    for s in part.named_children:
                        if s.type == "import_specifier":
                            name = s.child_by_field_name("name")
                            alias = s.child_by_field_name("alias")
                            scope.bind(_t(alias or name), Imp(spec, _key(name) or _t(name)))

    def export(self, node: tree_sitter.Node, scope: Scope) -> None:
        mod = self.mod
        source = node.child_by_field_name("source")
        decl = node.child_by_field_name("declaration")
        value = node.child_by_field_name("value")
        is_default = any(c.type == "default" for c in node.children)
        if source is not None:
            spec = _str(source) or ""
            if spec:
                mod.imports.append(spec)
            clause = [c for c in node.named_children if c.type == "export_clause"]
            if clause:
                for s in clause[0].named_children:
                    if s.type == "export_specifier":
                        name = _t(s.child_by_field_name("name"))
                        alias = s.child_by_field_name("alias")
                        mod.reexports.append((spec, name, _t(alias) if alias is not None else name))
            else:
                ns = [c for c in node.named_children if c.type == "namespace_export"]
                mod.reexports.append((spec, None, _t(ns[0].named_children[-1]) if ns else None))
            return
        if decl is not None:
            before = set(scope.bindings)
            if decl.type in _FUNCS or decl.type in _CLASSES:
                v = self.ex(decl, scope)
                nm = decl.child_by_field_name("name")
                if nm is not None:
                    mod.exports[_t(nm)] = Name(_t(nm))
                if is_default:
                    mod.exports["default"] = v
            else:
                self.stmt(decl, scope)
                for name in set(scope.bindings) - before:
                    mod.exports[name] = Name(name)
                for d in decl.named_children:  # re-declared names too
                    if d.type == "variable_declarator":
                        n = d.child_by_field_name("name")
                        if n is not None and n.type == "identifier":
                            mod.exports[_t(n)] = Name(_t(n))
            return
        if value is not None:
            mod.exports["default"] = self.ex(value, scope)
            return
        for c in node.named_children:
            if c.type == "export_clause":
                for s in c.named_children:
                    if s.type == "export_specifier":
                        name = _t(s.child_by_field_name("name"))
                        alias = s.child_by_field_name("alias")
                        mod.exports[_t(alias) if alias is not None else name] = Name(name)

    # ---------------------------------------------------------------------------- binding forms
    def _home(self, name: str, scope: Scope) -> Scope:
        """The scope that binds ``name`` as seen from ``scope`` (an assignment updates it), else ``scope``."""
        return binding_scope(name, scope, class_bodies=True) or scope

    def pattern(self, node: tree_sitter.Node | None, value: Expr, scope: Scope, declare: bool) -> None:
        if node is None:
            return
        t = node.type
        if t in {"identifier", "shorthand_property_identifier_pattern"}:
            (scope if declare else self._home(_t(node), scope)).bind(_t(node), value)
        elif t == "object_pattern":
            for c in node.named_children:
                if c.type == "shorthand_property_identifier_pattern":
                    self.pattern(c, Attr(value, _t(c), _line(c)), scope, declare)
                elif c.type == "pair_pattern":
                    k = _key(c.child_by_field_name("key")) or "?"
                    self.pattern(c.child_by_field_name("value"), Attr(value, k), scope, declare)
                elif c.type == "object_assignment_pattern":
                    left = c.child_by_field_name("left")
                    right = c.child_by_field_name("right")
                    dv = self.ex(right, scope) if right is not None else UNKNOWN
                    self.pattern(left, Union([Attr(value, _t(left)), dv]), scope, declare)
                elif c.type == "rest_pattern":
                    for n in c.named_children:
                        self.pattern(n, value, scope, declare)
        elif t == "array_pattern":
            for c in node.named_children:
                self.pattern(c, Elem(value), scope, declare)
        elif t == "assignment_pattern":
            right = node.child_by_field_name("right")
            dv = self.ex(right, scope) if right is not None else UNKNOWN
            self.pattern(node.child_by_field_name("left"), Union([value, dv]), scope, declare)
        elif t == "rest_pattern":
            for n in node.named_children:
                self.pattern(n, value, scope, declare)
        elif t in {"member_expression", "subscript_expression"}:
            self.store(node, value, scope)
        elif t in _WRAP:
            for n in node.named_children:
                self.pattern(n, value, scope, declare)

    def _this_class(self, scope: Scope) -> ClassDef | None:
        s: Scope | None = scope
        while s is not None:
            if s.kind == "class":
                return s.cls
            if s.kind == "function" and not s.arrow:
                return s.cls
            s = s.parent
        return None

    def store(self, node: tree_sitter.Node, value: Expr, scope: Scope) -> None:
        obj = node.child_by_field_name("object")
        name: str | None
        if node.type == "member_expression":
            name = _t(node.child_by_field_name("property"))
        else:
            idx = node.child_by_field_name("index")
            name = _str(idx) if idx is not None else None
            if name is None:
                target = self.ex(obj, scope)
                if idx is not None:
                    self.ex(idx, scope)
                self.mod.item_stores.append((target, scope, _line(node)))
                return
        if obj is not None and obj.type == "this":
            cls = self._this_class(scope)
            if cls is not None:
                cls.add_field(name, value, scope)
                return
        if obj is not None and obj.type == "identifier" and _t(obj) in {"module", "exports"}:
            if _t(obj) == "module" and name == "exports":
                self.mod.exports["default"] = value
                if isinstance(value, Obj):
                    for k, v in value.items:
                        if k:
                            self.mod.exports.setdefault(k, v)
                return
            if _t(obj) == "exports":
                self.mod.exports[name] = value
                return
        if (obj is not None and obj.type == "member_expression" and _t(obj) == "module.exports"):
            self.mod.exports[name] = value
            return
        self.mod.stores.append(Store(self.ex(obj, scope), name, value, scope, _line(node), self.guards))

    # ------------------------------------------------------------------------------- functions
    def function(self, node: tree_sitter.Node, scope: Scope, name: str | None = None, cls: ClassDef | None = None,
                 obj: Obj | None = None) -> Scope:
        nm = node.child_by_field_name("name")
        fname = name or (_t(nm) if nm is not None else "<anonymous>")
        decos = [c.type for c in node.children if c.type in {"get", "set", "static", "async"}]
        fs = Scope("function", fname, self.mod, scope, _line(node), arrow=node.type == "arrow_function",
                   decorators=decos, end_line=node.end_point.row + 1, is_async="async" in decos,
                   guards=self.guards)
        fs.cls = cls
        fs.obj = obj
        fs.static = "static" in decos
        scope.children.append(fs)
        self.mod.scopes.append(fs)
        params = node.child_by_field_name("parameters")
        if params is None:
            single = node.child_by_field_name("parameter")
            plist = [single] if single is not None else []
        else:
            plist = [p for p in params.named_children if p.type != "comment"]
        for i, p in enumerate(plist):
            self.param(p, i, fs, scope)
        body = node.child_by_field_name("body")
        saved, self.guards = self.guards, ()
        try:
            if body is not None:
                if body.type == "statement_block":
                    self.block(body, fs)
                else:
                    fs.returns.append(self.ex(body, fs))
        finally:
            self.guards = saved
        return fs

    def annot(self, node: tree_sitter.Node | None, scope: Scope) -> Expr | None:
        if node is None:
            return None
        t = node.type
        if t == "type_annotation":
            inner = node.named_children
            return self.annot(inner[0], scope) if inner else None
        if t == "type_identifier":
            return Name(_t(node))
        if t == "nested_type_identifier":
            parts = _t(node).split(".")
            e: Expr = Name(parts[0])
            for p in parts[1:]:
                e = Attr(e, p)
            return e
        if t == "generic_type":
            return self.annot(node.child_by_field_name("name") or node.named_children[0], scope)
        if t == "union_type":
            return Union([x for x in (self.annot(c, scope) for c in node.named_children) if x])
        return None

    def param(self, p: tree_sitter.Node, i: int, fs: Scope, outer: Scope) -> None:
        annotation = None
        default = None
        pat: tree_sitter.Node | None = p
        if p.type in {"required_parameter", "optional_parameter"}:
            pat = p.child_by_field_name("pattern")
            annotation = self.annot(p.child_by_field_name("type"), outer)
            dv = p.child_by_field_name("value")
            default = self.ex(dv, outer) if dv is not None else None
        if pat is not None and pat.type == "assignment_pattern":
            right = pat.child_by_field_name("right")
            default = self.ex(right, outer) if right is not None else None
            pat = pat.child_by_field_name("left")
        if pat is None:
            return
        if pat.type == "identifier":
            prm = Param(_t(pat), i, annotation, default, fs)
            fs.params.append(prm)
            fs.bind(_t(pat), prm)
        elif pat.type == "this":
            return
        else:  # destructured parameter: a synthetic name, its parts bound from it
            prm = Param(f"${i}", i, annotation, default, fs)
            fs.params.append(prm)
            self.pattern(pat, prm, fs, declare=True)

    def klass(self, node: tree_sitter.Node, scope: Scope) -> ClsRef:
        nm = node.child_by_field_name("name")
        name = _t(nm) if nm is not None else "<class>"
        cs = Scope("class", name, self.mod, scope, _line(node))
        cls = ClassDef(name, self.mod, cs, line=_line(node))
        cs.cls = cls
        scope.children.append(cs)
        self.mod.scopes.append(cs)
        self.mod.classes.append(cls)
        for c in node.named_children:
            if c.type == "class_heritage":
                for h in c.named_children:
                    if h.type == "extends_clause":
                        base = h.child_by_field_name("value")
                        if base is not None:
                            cls.bases.append(self.ex(base, scope))
                    elif h.type in _EXPR:
                        cls.bases.append(self.ex(h, scope))
        body = node.child_by_field_name("body")
        for m in body.named_children if body is not None else []:
            if m.type == "method_definition":
                mname = _key(m.child_by_field_name("name")) or "?"
                fs = self.function(m, cs, name=mname, cls=cls)
                cls.methods[mname] = fs
                cs.bind(mname, Fn(fs))
            elif m.type in {"field_definition", "public_field_definition"}:
                key = m.child_by_field_name("name") or m.child_by_field_name("property")
                value = m.child_by_field_name("value")
                ann = self.annot(m.child_by_field_name("type"), cs)
                if key is not None and ann is not None:
                    cls.annotations[_key(key) or "?"] = ann
                if key is not None and value is not None:
                    v = self.ex(value, cs)
                    cls.add_field(_key(key) or "?", v, cs)
            else:
                self.stmt(m, cs)
        ref = ClsRef(cls)
        if node.type != "class":  # a declaration binds its name; a class expression does not
            scope.bind(name, ref)
        return ref

    # ------------------------------------------------------------------------------ expressions
    def ex(self, node: tree_sitter.Node | None, scope: Scope) -> Expr:
        if node is None:
            return UNKNOWN
        t = node.type
        while t in _WRAP:
            inner = [c for c in node.named_children if c.type != "comment"]
            if not inner:
                return UNKNOWN
            if t in {"as_expression", "satisfies_expression", "type_assertion"}:
                node = inner[0] if t != "type_assertion" else inner[-1]
            else:
                node = inner[0]
            t = node.type
        if t == "identifier":
            return Name(_t(node))
        if t == "this":
            return Name("this")
        if t == "super":
            return Name("super")
        if t == "member_expression":
            onode, prop = node.child_by_field_name("object"), _t(node.child_by_field_name("property"))
            if prop == "argv" and onode is not None and onode.type == "identifier" and _t(onode) == "process":
                self.mod.reads_argv = True
            return Attr(self.ex(onode, scope), prop, _line(node))
        if t == "subscript_expression":
            base = self.ex(node.child_by_field_name("object"), scope)
            idx = node.child_by_field_name("index")
            key = _str(idx)
            if key is not None:
                return Attr(base, key, _line(node))
            self.ex(idx, scope)
            return Elem(base)
        if t in {"call_expression", "new_expression"}:
            fn = node.child_by_field_name("function" if t == "call_expression" else "constructor")
            callee = self.ex(fn, scope)
            args_node = node.child_by_field_name("arguments")
            args: list[Expr] = []
            if args_node is not None and args_node.type == "arguments":
                for a in args_node.named_children:
                    if a.type != "comment":
                        args.append(self.ex(a, scope))
            elif args_node is not None:
                args.append(self.ex(args_node, scope))
            text = " ".join(_t(fn).split())[:80] if fn is not None else "?"
            if fn is not None and (fn.type == "import" or _t(fn) == "require") and args and isinstance(args[0], Lit) \
                    and isinstance(args[0].value, str):
                self.mod.imports.append(args[0].value)  # require("m"), import("m")
            call = Call(callee, args, {}, _line(node), node.end_point.row + 1, t == "new_expression", scope, text,
                        self.guards, tagged=args_node is not None and args_node.type == "template_string")
            scope.calls.append(call)
            self.mod.calls.append(call)
            return call
        if t == "string":
            return Lit(_str(node))
        if t == "template_string":
            parts: list[str | Expr] = []
            for c in node.named_children:
                if c.type == "string_fragment":
                    parts.append(_t(c))
                elif c.type == "template_substitution":
                    inner = c.named_children
                    parts.append(self.ex(inner[0], scope) if inner else UNKNOWN)
            return Tmpl(parts)
        if t == "number":
            return Lit(_t(node))
        if t in {"true", "false", "null", "undefined"}:
            return Lit(t)
        if t == "binary_expression":
            op = _t(node.child_by_field_name("operator"))
            left = self.ex(node.child_by_field_name("left"), scope)
            right = self.ex(node.child_by_field_name("right"), scope)
            if op in {"||", "??", "&&"}:
                return Union([left, right], "and" if op == "&&" else "or")
            if op in _CMP:
                return Cmp(_CMP[op], left, right)
            return Bin(op, left, right)
        if t == "unary_expression":
            op_node = node.child_by_field_name("operator")
            arg = self.ex(node.child_by_field_name("argument"), scope)
            return Not(arg) if op_node is not None and _t(op_node) == "!" else UNKNOWN
        if t == "ternary_expression":
            self.ex(node.child_by_field_name("condition"), scope)
            return Union([self.ex(node.child_by_field_name("consequence"), scope),
                          self.ex(node.child_by_field_name("alternative"), scope)])
        if t == "object":
            obj = Obj([], scope)
            for c in node.named_children:
                if c.type == "pair":
                    k = _key(c.child_by_field_name("key"))
                    vnode = c.child_by_field_name("value")
                    if vnode is not None and vnode.type in _FUNCS:
                        v: Expr = Fn(self.function(vnode, scope, name=k, obj=obj))
                    else:
                        v = self.ex(vnode, scope)
                    obj.items.append((k or "?", v))
                elif c.type == "shorthand_property_identifier":
                    obj.items.append((_t(c), Name(_t(c))))
                elif c.type == "spread_element":
                    inner = c.named_children
                    obj.items.append((None, self.ex(inner[0], scope) if inner else UNKNOWN))
                elif c.type == "method_definition":
                    k = _key(c.child_by_field_name("name")) or "?"
                    obj.items.append((k, Fn(self.function(c, scope, name=k, obj=obj))))
            return obj
        if t == "array":
            return Arr([self.ex(c, scope) for c in node.named_children if c.type != "comment"])
        if t == "spread_element":
            inner = node.named_children
            return self.ex(inner[0], scope) if inner else UNKNOWN
        if t in _FUNCS:
            fs = self.function(node, scope)
            if t in {"function_declaration", "generator_function_declaration"}:
                scope.bind(fs.name, Fn(fs))
            return Fn(fs)
        if t in _CLASSES:
            return self.klass(node, scope)
        if t == "assignment_expression":
            value = self.ex(node.child_by_field_name("right"), scope)
            self.pattern(node.child_by_field_name("left"), value, scope, declare=False)
            return value
        if t == "augmented_assignment_expression":
            lnode = node.child_by_field_name("left")
            value = self.ex(node.child_by_field_name("right"), scope)
            if lnode is not None and lnode.type == "identifier":
                self._home(_t(lnode), scope).bind(_t(lnode), Bin("+", Name(_t(lnode)), value))
            return UNKNOWN
        if t == "yield_expression":
            for c in node.named_children:
                if c.type != "comment":
                    scope.yields.append(self.ex(c, scope))
            return UNKNOWN
        if t == "sequence_expression":
            last: Expr = UNKNOWN
            for c in node.named_children:
                last = self.ex(c, scope)
            return last
        for c in node.named_children:
            self.stmt(c, scope)
        return UNKNOWN


def lower_js(path: str, source: bytes) -> Module:
    return JsFront(path, source).lower()
