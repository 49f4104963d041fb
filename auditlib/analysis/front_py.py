"""Python front end: ``ast`` -> IR (ir.py)."""

from __future__ import annotations

import ast
import time

from .ir import (
    UNKNOWN,
    AnnotatedElem,
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

_BINOPS = {ast.BitOr: "|", ast.Add: "+", ast.Mod: "%"}
_CMPOPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Is: "==", ast.IsNot: "!=", ast.In: "in", ast.NotIn: "not in",
           ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_LOG_LEVELS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
_EXIT_CALLS = {"stop", "exit", "abort", "quit"}


def _exits(stmt: ast.stmt) -> bool:
    """A statement that leaves the code path: return, raise, continue, break, st.stop(), sys.exit(), abort()."""
    if isinstance(stmt, (ast.Return, ast.Raise, ast.Continue, ast.Break)):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        return _dotted(stmt.value.func).split(".")[-1] in _EXIT_CALLS
    return False


def _handler_is_fallback(handler: ast.ExceptHandler) -> bool:
    """The handler produces an alternative (returns, assigns, calls something) instead of failing:
    not only ``raise``, ``pass``, ``continue``, a docstring, ``print`` or a log call."""
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
                name = _dotted(value.func)
                if name == "print" or (name.split(".")[-1] in _LOG_LEVELS and "." in name
                                       and name.split(".")[-2].lower().lstrip("_") in
                                       {"logging", "logger", "log", "structlog", "self.logger", "app.logger"}):
                    continue
        meaningful = True
    return meaningful


_CATCH_ALL = {"Exception", "BaseException"}


def _swallows(handlers: list[ast.ExceptHandler]) -> tuple[int, str] | None:
    """``(line, "silent" | "printed")`` for the first handler that catches everything (bare ``except``,
    ``Exception``, ``BaseException``) and neither re-raises, logs nor uses the error: its body is only
    ``pass`` / ``continue`` / ``break``, a docstring, a constant return (``return None``, ``return
    {"error": "failed"}, 500``), or ``print(...)`` (then "printed")."""
    for h in handlers:
        types = h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]
        if not any(t is None or _dotted(t).split(".")[-1] in _CATCH_ALL for t in types):
            continue
        printed = False
        for stmt in h.body:
            if isinstance(stmt, (ast.Pass, ast.Continue, ast.Break)):
                continue
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and _dotted(stmt.value.func) == "print":
                if h.name and any(isinstance(n, ast.Name) and n.id == h.name for n in ast.walk(stmt.value)):
                    break  # print(e): the error is written out (stdout is the log of a server)
                printed = True
                continue
            if isinstance(stmt, ast.Return) and _constant_value(stmt.value, h.name):
                continue
            break
        else:
            return h.lineno, "printed" if printed else "silent"
    return None


def _constant_value(e: ast.expr | None, error: str | None) -> bool:
    """A value built of constants only (``None``, ``[]``, ``{"error": "x"}``, ``jsonify({...}), 500``):
    calls given constants are allowed (not ``fallback()``), names other than their callees are not."""
    if e is None:
        return True
    if any(isinstance(c, ast.Call) and not (c.args or c.keywords) for c in ast.walk(e)):
        return False
    callees = {id(n) for c in ast.walk(e) if isinstance(c, ast.Call) for n in ast.walk(c.func)}
    return not any(isinstance(n, (ast.Name, ast.Attribute, ast.Subscript, ast.Starred, ast.Await,
                                  ast.JoinedStr)) and id(n) not in callees
                   for n in ast.walk(e))


def _has_try(stmts: list[ast.stmt]) -> bool:
    stack = list(stmts)
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.Try, ast.TryStar)):
            return True
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(c for c in ast.iter_child_nodes(n) if isinstance(c, ast.stmt))
    return False


def _dotted(node: ast.AST, depth: int = 0) -> str:
    if depth > 12:
        return "?"
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value, depth + 1)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{_dotted(node.func, depth + 1)}()"
    if isinstance(node, ast.Subscript):
        return f"{_dotted(node.value, depth + 1)}[]"
    return "(...)"


class PyFront:
    def __init__(self, path: str, source: str) -> None:
        self.mod = Module(path=path, lang="python")
        self.source = source
        self.guards: tuple[Guard, ...] = ()  # control context of the statement being lowered
        self.tree: ast.Module | None = None  # kept for the complexity collector (parse once)

    def lower(self) -> Module:
        mod = self.mod
        mod.lines = self.source.count("\n") + 1
        mod.scope = Scope("module", "<module>", mod, None, 1)
        mod.scopes.append(mod.scope)
        t = time.perf_counter()
        try:
            tree = ast.parse(self.source)
        except (SyntaxError, ValueError, RecursionError) as exc:
            mod.error = f"SyntaxError: {exc.msg}" if isinstance(exc, SyntaxError) else f"{type(exc).__name__}: {exc}"
            mod.error_line = getattr(exc, "lineno", None) or 0
            return mod
        finally:
            mod.parse_seconds = time.perf_counter() - t
        self.tree = tree
        mod.syntax = tree
        self.body(tree.body, mod.scope)
        return mod

    def _under(self, guard: Guard, stmts: list[ast.stmt], scope: Scope) -> None:
        saved = self.guards
        self.guards = saved + (guard,)
        try:
            self.body(stmts, scope)
        finally:
            self.guards = saved

    # ------------------------------------------------------------------------------- statements
    def body(self, stmts: list[ast.stmt], scope: Scope) -> None:
        saved = self.guards
        try:
            for st in stmts:
                self.stmt(st, scope)
                # `if not flag: return` guards the statements after it: they run when the test is false
                if isinstance(st, ast.If) and st.body and _exits(st.body[-1]) and not st.orelse:
                    self.guards = self.guards + (Guard("if", st.lineno, self.ex_quiet(st.test, scope), False,
                                                       early=True),)
        finally:
            self.guards = saved

    def ex_quiet(self, node: ast.AST, scope: Scope) -> Expr:
        """Lower an expression a second time without recording its calls again."""
        mark = len(self.mod.calls), len(scope.calls)
        e = self.ex(node, scope)
        del self.mod.calls[mark[0]:]
        del scope.calls[mark[1]:]
        return e

    def stmt(self, node: ast.stmt, scope: Scope) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            fs = self.function(node, scope)
            if scope.kind == "class":
                scope.cls.methods[node.name] = fs  # type: ignore[union-attr]
            scope.bind(node.name, Fn(fs))
        elif isinstance(node, ast.ClassDef):
            self.klass(node, scope)
        elif isinstance(node, ast.Assign):
            value = self.ex(node.value, scope)
            if isinstance(value, Fn) and value.scope.name == "<lambda>" and isinstance(node.targets[0], ast.Name):
                value.scope.name = node.targets[0].id
            for t in node.targets:
                self.assign(t, value, scope)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.assign(node.target, self.ex(node.value, scope), scope)
        elif isinstance(node, ast.AugAssign):
            value = self.ex(node.value, scope)
            if isinstance(node.target, ast.Name):
                self.assign(node.target, Bin(_BINOPS.get(type(node.op), "op"), Name(node.target.id), value), scope)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            it = self.ex(node.iter, scope)
            self.assign(node.target, Elem(it), scope)
            self._under(Guard("loop", node.lineno, it, retry=_has_try(node.body)), node.body, scope)
            self.body(node.orelse, scope)
        elif isinstance(node, ast.While):
            test = self.ex(node.test, scope)
            self._under(Guard("loop", node.lineno, test, retry=_has_try(node.body)), node.body, scope)
            self.body(node.orelse, scope)
        elif isinstance(node, ast.If):
            test = self.ex(node.test, scope)
            self._under(Guard("if", node.lineno, test, True), node.body, scope)
            if node.orelse:
                self._under(Guard("if", node.lineno, test, False), node.orelse, scope)
        elif isinstance(node, (ast.Try, ast.TryStar)):
            fallback = any(_handler_is_fallback(h) for h in node.handlers)
            self._under(Guard("try", node.lineno, fallback=fallback, swallows=_swallows(node.handlers)),
                        node.body, scope)
            for h in node.handlers:
                if h.type is not None:
                    self.ex(h.type, scope)
                if h.name:
                    scope.bind(h.name, UNKNOWN)
                self._under(Guard("except", h.lineno), h.body, scope)
            self.body(node.orelse, scope)
            self.body(node.finalbody, scope)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                v = self.ex(item.context_expr, scope)
                if item.optional_vars is not None:
                    self.assign(item.optional_vars, v, scope)
            self.body(node.body, scope)
        elif isinstance(node, ast.Return):
            if node.value is not None:
                scope.returns.append(self.ex(node.value, scope))
        elif isinstance(node, ast.Expr):
            self.ex(node.value, scope)
        elif isinstance(node, ast.Import):
            for a in node.names:
                self.mod.imports.append(a.name)
                if a.asname:
                    scope.bind(a.asname, Imp(a.name, None))
                else:
                    top = a.name.split(".")[0]
                    scope.bind(top, Imp(top, None))
        elif isinstance(node, ast.ImportFrom):
            if not node.level and node.module:
                self.mod.imports.append(node.module)
                self.mod.imports += [f"{node.module}.{a.name}" for a in node.names if a.name != "*"]
            for a in node.names:
                if a.name == "*":
                    self.mod.reexports.append((node.module or "", None, None))
                    continue
                scope.bind(a.asname or a.name, Imp(node.module or "", a.name, node.level or 0))
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            scope.globals.update(node.names)
        else:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    self.stmt(child, scope)
                elif isinstance(child, ast.expr):
                    self.ex(child, scope)
                elif isinstance(child, ast.ExceptHandler):
                    if child.type is not None:
                        self.ex(child.type, scope)
                    self.body(child.body, scope)
                elif isinstance(child, ast.match_case):
                    self.body(child.body, scope)

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, scope: Scope) -> Scope:
        decos: list[str] = []
        deco_exprs: list[Expr] = []
        if not isinstance(node, ast.Lambda):
            for d in node.decorator_list:
                deco_exprs.append(self.ex(d, scope))
                decos.append(_dotted(d.func if isinstance(d, ast.Call) else d).split(".")[-1])
        fs = Scope("function", "<lambda>" if isinstance(node, ast.Lambda) else node.name, self.mod, scope, node.lineno,
                   decorators=decos, decorator_exprs=deco_exprs,
                   end_line=getattr(node, "end_lineno", None) or node.lineno,
                   is_async=isinstance(node, ast.AsyncFunctionDef), guards=self.guards)
        if scope.kind == "class":
            fs.cls = scope.cls
            fs.static = "staticmethod" in decos
        scope.children.append(fs)
        self.mod.scopes.append(fs)
        a = node.args
        positional = a.posonlyargs + a.args
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults))
        defaults += a.defaults
        for i, (arg, default) in enumerate(zip(positional, defaults, strict=False)):
            p = Param(arg.arg, i, self.annot(arg.annotation, scope),
                      self.ex(default, scope) if default is not None else None, fs,
                      meta=self.annot_meta(arg.annotation, scope))
            fs.params.append(p)
            fs.bind(arg.arg, p)
        for arg, default in zip(a.kwonlyargs, a.kw_defaults, strict=False):
            p = Param(arg.arg, -1, self.annot(arg.annotation, scope),
                      self.ex(default, scope) if default is not None else None, fs, kw_only=True,
                      meta=self.annot_meta(arg.annotation, scope))
            fs.params.append(p)
            fs.bind(arg.arg, p)
        for star in (a.vararg, a.kwarg):
            if star is not None:
                fs.bind(star.arg, UNKNOWN)
        if fs.cls is not None and not fs.static and positional:
            fs.self_name = positional[0].arg
        saved, self.guards = self.guards, ()
        try:
            if isinstance(node, ast.Lambda):
                fs.returns.append(self.ex(node.body, fs))
            else:
                self.body(node.body, fs)
        finally:
            self.guards = saved
        return fs

    def klass(self, node: ast.ClassDef, scope: Scope) -> None:
        for d in node.decorator_list:
            self.ex(d, scope)
        cs = Scope("class", node.name, self.mod, scope, node.lineno)
        cls = ClassDef(node.name, self.mod, cs, [self.ex(b, scope) for b in node.bases], line=node.lineno)
        cs.cls = cls
        scope.children.append(cs)
        self.mod.scopes.append(cs)
        self.mod.classes.append(cls)
        scope.bind(node.name, ClsRef(cls))
        for st in node.body:
            if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name):
                ann = self.annot(st.annotation, cs)
                if ann is not None:
                    cls.annotations[st.target.id] = ann
            if isinstance(st, (ast.Assign, ast.AnnAssign)) and st.value is not None:
                value = self.ex(st.value, cs)
                targets = st.targets if isinstance(st, ast.Assign) else [st.target]
                for t in targets:
                    if isinstance(t, ast.Name):
                        cls.add_field(t.id, value, cs)
                        cs.bind(t.id, value)
                    else:
                        self.assign(t, value, cs)
            else:
                self.stmt(st, cs)

    def _self_class(self, name: str, scope: Scope) -> ClassDef | None:
        """The class when ``name`` is the self parameter of the method enclosing ``scope``."""
        s: Scope | None = scope
        while s is not None and s.kind == "function":
            if name in s.bindings and not isinstance(s.bindings[name][0], Param):
                return None
            if s.self_name == name:
                return s.cls
            if any(p.name == name for p in s.params):
                return None
            s = s.parent
        return None

    def assign(self, target: ast.AST, value: Expr, scope: Scope) -> None:
        if isinstance(target, ast.Name):
            home = scope
            if target.id in scope.globals:
                home = self.mod.scope
            home.bind(target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self.assign(elt.value if isinstance(elt, ast.Starred) else elt, Elem(value), scope)
        elif isinstance(target, ast.Starred):
            self.assign(target.value, value, scope)
        elif isinstance(target, ast.Attribute):
            if isinstance(target.value, ast.Name):
                cls = self._self_class(target.value.id, scope)
                if cls is not None:
                    cls.add_field(target.attr, value, scope)
                    return
            self.mod.stores.append(Store(self.ex(target.value, scope), target.attr, value, scope, target.lineno,
                                         self.guards))
        elif isinstance(target, ast.Subscript):
            obj = self.ex(target.value, scope)
            key = target.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                self.mod.stores.append(Store(obj, key.value, value, scope, target.lineno, self.guards))
            else:
                self.ex(key, scope)
                self.mod.item_stores.append((obj, scope, target.lineno))

    # ------------------------------------------------------------------------------ expressions
    def annot_meta(self, node: ast.AST | None, scope: Scope) -> tuple[Expr, ...]:
        """The extras of ``Annotated[T, x, ...]`` (FastAPI's ``Depends(...)``), their calls not recorded."""
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Tuple) \
                and _dotted(node.value).split(".")[-1] == "Annotated":
            return tuple(self.ex_quiet(e, scope) for e in node.slice.elts[1:])
        return ()

    def annot(self, node: ast.AST | None, scope: Scope) -> Expr | None:
        """A type annotation as the values it names: ``A | None`` and ``Optional[A]`` -> A."""
        if node is None:
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return Union([x for x in (self.annot(node.left, scope), self.annot(node.right, scope)) if x])
        if isinstance(node, ast.Subscript):
            head = _dotted(node.value).split(".")[-1]
            if head in {"Optional", "Union", "Annotated"}:
                inner = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
                return Union([x for x in (self.annot(e, scope) for e in inner[:1 if head == "Annotated" else None])
                              if x])
            return None
        if isinstance(node, (ast.Name, ast.Attribute)):
            return self.ex(node, scope)
        return None

    def ex(self, node: ast.AST, scope: Scope) -> Expr:
        if isinstance(node, ast.Name):
            return Name(node.id)
        if isinstance(node, ast.Attribute):
            if node.attr == "argv" and isinstance(node.value, ast.Name) and node.value.id == "sys":
                self.mod.reads_argv = True
            return Attr(self.ex(node.value, scope), node.attr, node.lineno)
        if isinstance(node, ast.Call):
            callee = self.ex(node.func, scope)
            args: list[Expr] = []
            for a in node.args:
                args.append(self.ex(a.value if isinstance(a, ast.Starred) else a, scope))
            kwargs: dict[str, Expr] = {}
            for k in node.keywords:
                v = self.ex(k.value, scope)
                if k.arg is None:
                    args.append(Obj([(None, v)], scope))
                else:
                    kwargs[k.arg] = v
            call = Call(callee, args, kwargs, node.lineno, node.end_lineno or node.lineno, False, scope,
                        _dotted(node.func), self.guards)
            scope.calls.append(call)
            self.mod.calls.append(call)
            return call
        if isinstance(node, ast.Constant):
            return Lit(node.value)
        if isinstance(node, ast.JoinedStr):
            parts: list[str | Expr] = []
            for piece in node.values:
                if isinstance(piece, ast.Constant):
                    parts.append(str(piece.value))
                elif isinstance(piece, ast.FormattedValue):
                    parts.append(self.ex(piece.value, scope))
            return Tmpl(parts)
        if isinstance(node, ast.Subscript):
            obj = self.ex(node.value, scope)
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                return Attr(obj, key.value, node.lineno)
            index = self.ex(key, scope)
            if isinstance(index, Arr) and isinstance(key, ast.Tuple) and _dotted(node.value).split(".")[-1] == "Annotated":
                return AnnotatedElem(obj, tuple(index.items[1:]))
            return Elem(obj)
        if isinstance(node, ast.BinOp):
            return Bin(_BINOPS.get(type(node.op), "op"), self.ex(node.left, scope), self.ex(node.right, scope))
        if isinstance(node, ast.BoolOp):
            return Union([self.ex(v, scope) for v in node.values], "and" if isinstance(node.op, ast.And) else "or")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return Not(self.ex(node.operand, scope))
        if isinstance(node, ast.Compare):
            left = self.ex(node.left, scope)
            rights = [self.ex(c, scope) for c in node.comparators]
            if len(rights) == 1:
                return Cmp(_CMPOPS.get(type(node.ops[0]), "?"), left, rights[0])
            return UNKNOWN
        if isinstance(node, ast.IfExp):
            self.ex(node.test, scope)
            return Union([self.ex(node.body, scope), self.ex(node.orelse, scope)])
        if isinstance(node, ast.Await):
            return self.ex(node.value, scope)
        if isinstance(node, ast.Dict):
            items: list[tuple[str | None, Expr]] = []
            for dk, dv in zip(node.keys, node.values, strict=False):
                val = self.ex(dv, scope)
                if dk is None:
                    items.append((None, val))
                elif isinstance(dk, ast.Constant) and isinstance(dk.value, str):
                    items.append((dk.value, val))
                else:
                    self.ex(dk, scope)
                    items.append(("?", val))
            return Obj(items, scope)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return Arr([self.ex(e.value if isinstance(e, ast.Starred) else e, scope) for e in node.elts])
        if isinstance(node, ast.Starred):
            return self.ex(node.value, scope)
        if isinstance(node, ast.Lambda):
            return Fn(self.function(node, scope))
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            if node.value is not None:
                scope.yields.append(self.ex(node.value, scope))
            return UNKNOWN
        if isinstance(node, ast.NamedExpr):
            v = self.ex(node.value, scope)
            self.assign(node.target, v, scope)
            return v
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            for g in node.generators:
                self.assign(g.target, Elem(self.ex(g.iter, scope)), scope)
                for cond in g.ifs:
                    self.ex(cond, scope)
            filtered = any(g.ifs for g in node.generators)
            if isinstance(node, ast.DictComp):
                self.ex(node.key, scope)
                return Arr([self.ex(node.value, scope)], filtered)
            return Arr([self.ex(node.elt, scope)], filtered)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.ex(child, scope)
        return UNKNOWN


def lower_python(path: str, source: str) -> Module:
    return PyFront(path, source).lower()
