"""Issue 17, hostile text: no text built by code reaches a Textual widget that parses markup.

Textual's ``Static``, ``Label``, ``Button``, ``Checkbox``, ``RadioButton``, a ``notify`` and
``Text``/``Content.from_markup`` read a ``str`` as markup: a description, lot number, reason
or name stored as ``[@click=app.quit]`` or ``[b]`` would run an action or restyle what a
reviewer reads, and ``[red`` raises. This test walks every module under screens/ and kiosk/
with `ast` and lists, as ``file:line``, every such *sink* whose content is not provably
literal.

The rule. A sink is
  * a construction ``Static(x)``, ``Label(x)``, ``Button(x)``, ``Checkbox(x)``,
    ``RadioButton(x)`` or of a project subclass of one that keeps the base's ``__init__``
    (x: first positional argument, or ``content=``/``label=``); in a subclass that defines
    ``__init__``, its ``super().__init__(x, ...)``;
  * ``w.update(x)`` where ``w`` is known to be such a widget: ``query_one(..., Static)``
    (or ``query_one(Static)``), a local name or ``self.attr`` bound to one of those or to a
    construction, or ``self`` in a subclass. A ``.update`` on anything else is not a sink
    (``dict.update``, ``ProgressBar.update``; an unknown receiver is skipped, not guessed);
  * ``w.label = x`` on a known button (``query_one(..., Button)``, ``event.button``, a local
    bound to one, ``self`` in a Button subclass);
  * ``notify(x)`` / ``x.notify(x)``;
  * ``Text.from_markup(x)`` / ``Content.from_markup(x)``.

A sink is literal (not an offender) when
  * markup is switched off: the construction passes ``markup=False`` (a literal ``False``),
    and so does an ``update`` whose widget provably came from such a construction (Textual
    renders ``update(str)`` with the constructor's ``markup``): ``query_one("#id", ...)`` or
    ``query_one(".class", ...)`` where every construction with that id (an f-string id by
    its template: ``f"#{self.PREFIX}-count"`` is ``id=f"{self.PREFIX}-count"``) or class in
    screens/ and kiosk/ passes ``markup=False``, or ``self`` in a subclass whose
    ``super().__init__`` does. A ``notify`` passing ``markup=False`` is literal, and every
    ``notify`` is when the station app's ``notify`` forces ``markup=False`` (proven below:
    WorkCellApp's does, and it is the one App class);
  * or x is *safe*:
      - a string literal (any markup in it was chosen by the code: ``"[b]Sign in[/b]"``);
      - ``Text(...)``, ``Text.assemble(...)``, ``Text.styled(...)``, ``Content(...)``,
        ``Content.assemble(...)``, ``Content.styled(...)`` (plain spans; ``from_markup`` is
        a sink of its own; ``Text.from_ansi`` is not safe), or a call of a project function
        or method annotated ``-> Text`` / ``-> Content`` (mypy --strict holds it to that),
        e.g. ``literal_label(x)`` (screens/widgets/printable.py) for a Button's label;
      - ``escape(...)`` (rich.markup / textual.markup);
      - an f-string (or ``"...".format(...)`` on a literal) whose every interpolated value
        is escaped, a literal, or provably a number: ``{n:d}``, ``{x:.1f}``, ``{n:,}``,
        ``{when:%Y-%m-%d}`` (a ``str`` there raises), ``len/int/float/round/abs/sum(...)``,
        ``a - b``, ``a // b``, ``a + 1``, ``max``/``min`` of numbers, a name bound only to
        numbers, an item of ``range(...)``;
      - ``a if c else b`` with both safe, ``a + b`` with both safe, ``a or b`` all safe,
        ``x.upper()``/``.lower()``/``.strip()``/... of a safe ``x``;
      - a name every binding of which, in its function (or module), is safe, including a
        loop variable over a literal collection (``for k, label in LABELS.items()``, the
        characters of a literal string, ``RISK_SCALE`` imported from domain/); a class
        constant (``self.X``/``Cls.X``); ``TABLE[key]`` / ``TABLE.get(key, safe)`` of a
        literal dict, list or tuple.
  Anything else is an offender: a variable of unknown origin (a parameter, an attribute of
  a view), a call (``printable(x)`` shows controls but does not escape brackets),
  ``"\\n".join(...)``, an unescaped interpolation of stored text or of a value whose type
  the source does not show (``f"{d.count} lots"``: write ``{d.count:d}`` or switch markup
  off).

ALLOWED lists the few sinks proven safe by other means, each with its reason (none today:
every sink the rule found was fixed, or is proven literal by the rule itself).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("screens", "kiosk")

TEXTUAL_MARKUP_WIDGETS = frozenset({"Static", "Label", "Button", "Checkbox", "RadioButton"})
BUTTONS = frozenset({"Button", "Checkbox", "RadioButton"})
QUERIES = frozenset({"query_one", "query_exactly_one"})
PLAIN_BUILDERS = {"Text": {"assemble", "styled"}, "Content": {"assemble", "styled"}}
NUMERIC_SPECS = tuple("bcdoxXneEfFgG%,")
STR_METHODS = frozenset({"lower", "upper", "capitalize", "title", "strip", "casefold"})
NUMBER_FUNCTIONS = frozenset({"len", "int", "float", "round", "abs", "sum"})
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)

# (file relative to the repository, line text stripped) -> why it is safe. Matched on the
# source line, not its number, so an edit elsewhere in the file keeps it.
ALLOWED: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class ClassInfo:
    bases: tuple[str, ...]
    has_init: bool
    init_markup_false: bool  # its super().__init__ passes markup=False


@dataclass
class Index:
    """What the whole project tells about each sink: its widget classes and ids."""

    classes: dict[str, ClassInfo] = field(default_factory=dict)
    ids: dict[str, list[bool]] = field(default_factory=dict)  # id -> markup=False per build
    notify_literal: bool = False
    modules: dict[str, ast.Module] = field(default_factory=dict)  # dotted name -> tree
    css: dict[str, list[bool]] = field(default_factory=dict)  # class -> markup=False per build
    returns: dict[str, set[str | None]] = field(default_factory=dict)  # function -> annotations

    def kind(self, name: str, seen: frozenset[str] = frozenset()) -> str | None:
        """The Textual base (Static, Button...) ``name`` derives from, if any."""
        if name in TEXTUAL_MARKUP_WIDGETS:
            return name
        info = self.classes.get(name)
        if info is None or name in seen:
            return None
        for base in info.bases:
            found = self.kind(base, seen | {name})
            if found:
                return found
        return None

    def own_init(self, name: str) -> ClassInfo | None:
        """The nearest project class (``name`` or a base) that defines ``__init__``."""
        info = self.classes.get(name)
        while info is not None:
            if info.has_init:
                return info
            info = next((self.classes[b] for b in info.bases if b in self.classes), None)
        return None


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return _name(node.value)  # App[None]
    return None


def _markup_false(call: ast.Call) -> bool:
    return any(
        k.arg == "markup" and isinstance(k.value, ast.Constant) and k.value.value is False
        for k in call.keywords
    )


def _content(call: ast.Call, names: tuple[str, ...]) -> ast.expr | None:
    if call.args and not isinstance(call.args[0], ast.Starred):
        return call.args[0]
    return next((k.value for k in call.keywords if k.arg in names), None)


def _template(node: ast.expr | None) -> str | None:
    """An id or ``#id`` selector as text; an f-string one as its template, so
    ``f"#{self.PREFIX}-count"`` finds the widget built with ``id=f"{self.PREFIX}-count"``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) else "{" + ast.unparse(v) + "}"
            for v in node.values
        )
    return None


def _id_of(call: ast.Call) -> str | None:
    return next((_template(k.value) for k in call.keywords if k.arg == "id"), None)


def _is_super_init(call: ast.Call) -> bool:
    f = call.func
    return (
        isinstance(f, ast.Attribute)
        and f.attr == "__init__"
        and isinstance(f.value, ast.Call)
        and _name(f.value.func) == "super"
    )


def _super_init_markup_false(cls: ast.ClassDef) -> tuple[bool, bool]:
    for item in cls.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            calls = [n for n in ast.walk(item) if isinstance(n, ast.Call) and _is_super_init(n)]
            return True, bool(calls) and all(_markup_false(c) for c in calls)
    return False, False


def build_index(sources: dict[str, str]) -> Index:
    """The classes and widget ids of every module in ``sources`` (path -> text)."""
    index = Index()
    trees = {path: ast.parse(text, path) for path, text in sources.items()}
    for path, tree in [*trees.items(), *_constant_modules(set(sources))]:
        index.modules[_dotted(path)] = tree
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = tuple(b for b in (_name(x) for x in node.bases) if b)
                has_init, markup_false = _super_init_markup_false(node)
                index.classes[node.name] = ClassInfo(bases, has_init, markup_false)
    for tree in trees.values():
        for cls in [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]:
            if index.kind(cls.name) is None:
                continue
            for node in ast.walk(cls):
                if isinstance(node, ast.Call) and _is_super_init(node) and _id_of(node):
                    index.ids.setdefault(_id_of(node) or "", []).append(_markup_false(node))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _is_super_init(node):
                continue
            name = _name(node.func)
            if name and index.kind(name) and _id_of(node):
                own = index.own_init(name)
                literal = _markup_false(node) or (own is not None and own.init_markup_false)
                index.ids.setdefault(_id_of(node) or "", []).append(literal)
            if name and index.kind(name):
                own = index.own_init(name)
                literal = _markup_false(node) or (own is not None and own.init_markup_false)
                for css in _classes_of(node):
                    index.css.setdefault(css, []).append(literal)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                ann = _name(node.returns) if node.returns is not None else None
                index.returns.setdefault(node.name, set()).add(ann)
    return index


def _classes_of(call: ast.Call) -> list[str]:
    for k in call.keywords:
        if k.arg == "classes":
            if isinstance(k.value, ast.Constant) and isinstance(k.value.value, str):
                return k.value.value.split()
            return ["?"]  # computed: matches no selector
    return []


def _dotted(path: str) -> str:
    return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def _constant_modules(checked: set[str]) -> Iterator[tuple[str, ast.Module]]:
    """domain/'s modules: read only for the literal constants screens import from them."""
    if not checked <= set(project_sources()):
        return  # a snippet under test
    for p in sorted((ROOT / "domain").rglob("*.py")):
        yield str(p.relative_to(ROOT)), ast.parse(p.read_text("utf-8"))


def _pure(node: ast.expr) -> bool:
    """A display of literals only (no names): the same in any module."""
    if isinstance(node, ast.Call) and _name(node.func) == "range" and not node.keywords:
        return all(_pure(a) for a in node.args)
    allowed = (ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.UnaryOp, ast.USub)
    return all(isinstance(n, (*allowed, ast.expr_context)) for n in ast.walk(node))


def app_forces_literal_notify(source: str) -> bool:
    """The App class's ``notify`` hands Textual ``markup=False`` whatever it is given."""
    for cls in [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ClassDef)]:
        if not any(_name(b) == "App" for b in cls.bases):
            continue
        for item in cls.body:
            if isinstance(item, ast.FunctionDef) and item.name == "notify":
                calls = [
                    n
                    for n in ast.walk(item)
                    if isinstance(n, ast.Call)
                    and isinstance(n.func, ast.Attribute)
                    and n.func.attr == "notify"
                ]
                return bool(calls) and all(
                    isinstance(c.func, ast.Attribute)
                    and isinstance(c.func.value, ast.Call)
                    and _name(c.func.value.func) == "super"
                    and _markup_false(c)
                    for c in calls
                )
    return False


class _Checker:
    def __init__(self, tree: ast.Module, index: Index) -> None:
        self.index = index
        self.tree = tree
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node

    # --- scopes -------------------------------------------------------------------------
    def _enclosing(self, node: ast.AST, kinds: tuple[type[ast.AST], ...]) -> ast.AST | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, kinds):
                return node
        return None

    def _scope(self, node: ast.AST) -> ast.AST:
        """The function, lambda or class whose names ``node`` binds (or the module)."""
        return self._enclosing(node, (*FUNCTIONS, ast.ClassDef)) or self.tree

    def _class(self, node: ast.AST) -> ast.ClassDef | None:
        found = self._enclosing(node, (ast.ClassDef,))
        return found if isinstance(found, ast.ClassDef) else None

    def _params(self, scope: ast.AST) -> list[ast.arg]:
        if not isinstance(scope, FUNCTIONS):
            return []
        a = scope.args
        return [x for x in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg] if x]

    def _bindings(self, scope: ast.AST, name: str) -> list[ast.expr | None] | None:
        """The values bound to ``name`` in ``scope`` (None: a binding of unknown value);
        None when ``scope`` does not bind it at all."""
        found: list[ast.expr | None] = [None for a in self._params(scope) if a.arg == name]
        for node in ast.walk(scope):
            if node is scope or self._scope(node) is not scope:
                continue  # a nested function's or class's own names
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Name) and t.id == name:
                        found.append(node.value)
                    elif isinstance(t, (ast.Tuple, ast.List)) and any(
                        isinstance(e, ast.Name) and e.id == name for e in ast.walk(t)
                    ):
                        found.append(None)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
                t = node.target
                if isinstance(t, ast.Name) and t.id == name and node.value is not None:
                    found.append(node.value)
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                found += self._loop_values(node.target, node.iter, name)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for w in node.items:
                    v = w.optional_vars
                    if isinstance(v, ast.Name) and v.id == name:
                        found.append(None)
        return found or None

    def _loop_values(self, target: ast.expr, it: ast.expr, name: str) -> list[ast.expr | None]:
        """What ``for target in it`` binds to ``name``: items of a literal collection."""
        if isinstance(target, ast.Name):
            return self._elements(it) if target.id == name else []
        if not any(isinstance(e, ast.Name) and e.id == name for e in ast.walk(target)):
            return []
        if not isinstance(target, ast.Tuple | ast.List):
            return [None]
        at = [i for i, e in enumerate(target.elts) if isinstance(e, ast.Name) and e.id == name]
        if not at:
            return [None]  # nested unpacking
        if (
            isinstance(it, ast.Call)
            and _name(it.func) == "enumerate"
            and isinstance(it.func, ast.Name)
        ):
            if at[0] == 0:
                return [ast.Constant(0)]  # the count: a number
            inner = target.elts[1] if len(target.elts) == 2 else None
            return self._loop_values(inner, it.args[0], name) if inner and it.args else [None]
        values: list[ast.expr | None] = []
        for e in self._elements(it):
            if isinstance(e, ast.Tuple | ast.List) and len(e.elts) == len(target.elts):
                values.append(e.elts[at[0]])
            else:
                values.append(None)
        return values

    def _function_scopes(self, node: ast.AST) -> Iterator[ast.AST]:
        """The functions enclosing ``node``, innermost first, then the module (Python skips
        class bodies when a function looks a name up)."""
        while (found := self._enclosing(node, FUNCTIONS)) is not None:
            yield found
            node = found
        yield self.tree

    def _name_values(self, node: ast.Name) -> list[ast.expr | None]:
        """What ``node`` can be: each binding's value (None: unknown)."""
        for scope in self._function_scopes(node):
            values = self._bindings(scope, node.id)
            if values is not None:
                return values
        return self._imported(node.id)

    def _imported(self, name: str) -> list[ast.expr | None]:
        """A literal constant imported by ``from module import name``."""
        for stmt in self.tree.body:
            if not isinstance(stmt, ast.ImportFrom) or stmt.level or not stmt.module:
                continue
            for alias in stmt.names:
                if (alias.asname or alias.name) != name:
                    continue
                tree = self.index.modules.get(stmt.module)
                values = [
                    b.value
                    for b in (tree.body if tree else [])
                    if isinstance(b, ast.Assign | ast.AnnAssign)
                    and any(
                        isinstance(t, ast.Name) and t.id == alias.name
                        for t in (b.targets if isinstance(b, ast.Assign) else [b.target])
                    )
                ]
                if len(values) == 1 and values[0] is not None and _pure(values[0]):
                    return [values[0]]
        return [None]

    def _elements(self, node: ast.expr, depth: int = 0) -> list[ast.expr | None]:
        """What iterating ``node`` yields, when it is a literal collection (else [None])."""
        if depth > 6:
            return [None]
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            if any(isinstance(e, ast.Starred) for e in node.elts):
                return [None]
            return list(node.elts)
        if isinstance(node, ast.Dict):
            return list(node.keys)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [ast.Constant(c) for c in node.value]  # a literal's characters
        if isinstance(node, ast.Subscript):
            if isinstance(node.slice, ast.Slice):
                return self._elements(node.value, depth + 1)  # a slice of the same items
            return [e for v in self._looked_up(node, depth) for e in (
                self._elements(v, depth + 1) if v else [None])]  # fmt: skip
        if isinstance(node, ast.Name | ast.Attribute):
            values = (
                self._name_values(node)
                if isinstance(node, ast.Name)
                else self._self_attr_values(node) or [None]
            )
            return [e for v in values for e in (self._elements(v, depth + 1) if v else [None])]
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id == "range":
                return [ast.Constant(0)]  # numbers
            if isinstance(f, ast.Name) and f.id in ("reversed", "sorted", "list", "tuple"):
                return self._elements(node.args[0], depth + 1) if node.args else [None]
            if isinstance(f, ast.Attribute) and f.attr in ("items", "values", "keys"):
                dicts = self._dicts(f.value, depth + 1)
                if dicts is None:
                    return [None]
                if f.attr == "keys":
                    return [k for d in dicts for k in d.keys]
                if f.attr == "values":
                    return list(v for d in dicts for v in d.values)
                return [
                    ast.Tuple(elts=[k, v], ctx=ast.Load())
                    for d in dicts
                    for k, v in zip(d.keys, d.values, strict=True)
                    if k is not None
                ]
        return [None]

    def _dicts(self, node: ast.expr, depth: int) -> list[ast.Dict] | None:
        """The dict displays ``node`` can be, when it can be nothing else."""
        if isinstance(node, ast.Dict):
            return [node] if all(k is not None for k in node.keys) else None
        if isinstance(node, ast.Name | ast.Attribute) and depth <= 6:
            values = (
                self._name_values(node)
                if isinstance(node, ast.Name)
                else self._self_attr_values(node) or [None]
            )
            found: list[ast.Dict] = []
            for v in values:
                d = self._dicts(v, depth + 1) if v is not None else None
                if d is None:
                    return None
                found += d
            return found
        return None

    def _looked_up(self, node: ast.expr, depth: int) -> list[ast.expr | None]:
        """What ``CONST[key]`` or ``CONST.get(key, default)`` can be."""
        if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice):
            dicts = self._dicts(node.value, depth + 1)
            if dicts is not None:
                return [v for d in dicts for v in d.values]
            if isinstance(node.value, ast.Tuple | ast.List | ast.Name):
                return self._elements(node.value, depth + 1)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and 1 <= len(node.args) <= 2
        ):
            dicts = self._dicts(node.func.value, depth + 1)
            if dicts is not None:
                default = node.args[1] if len(node.args) == 2 else ast.Constant(None)
                return [*(v for d in dicts for v in d.values), default]
        return [None]

    def _annotation(self, node: ast.Name) -> str | None:
        """The class a parameter named ``node`` is annotated with."""
        for scope in self._function_scopes(node):
            for a in self._params(scope):
                if a.arg == node.id:
                    ann = a.annotation
                    return _name(ann) if ann is not None else None
        return None

    def _self_attr_values(self, node: ast.Attribute) -> list[ast.expr | None] | None:
        """Values given to ``self.attr`` in the class, or to ``attr`` in its body."""
        cls = self._class(node)
        if cls is None or not isinstance(node.value, ast.Name):
            return None
        if node.value.id not in ("self", "cls", cls.name):
            return None
        values: list[ast.expr | None] = []
        for item in cls.body:
            if isinstance(item, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == node.attr for t in item.targets
            ):
                values.append(item.value)
        for n in ast.walk(cls):
            if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = n.targets if isinstance(n, ast.Assign) else [n.target]
                for t in targets:
                    if (
                        isinstance(t, ast.Attribute)
                        and t.attr == node.attr
                        and isinstance(t.value, ast.Name)
                        and t.value.id == "self"
                        and n.value is not None
                    ):
                        values.append(n.value)
        return values or None

    # --- safe content -------------------------------------------------------------------
    def safe(self, node: ast.expr | None, depth: int = 0) -> bool:
        if node is None or depth > 8:
            return node is None
        if isinstance(node, ast.Constant):
            return node.value is None or isinstance(node.value, str)
        if isinstance(node, ast.JoinedStr):
            return all(
                self._safe_value(v.value, v.format_spec, v.conversion, depth + 1)
                for v in node.values
                if isinstance(v, ast.FormattedValue)
            )
        if isinstance(node, ast.IfExp):
            return self.safe(node.body, depth + 1) and self.safe(node.orelse, depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.safe(node.left, depth + 1) and self.safe(node.right, depth + 1)
        if isinstance(node, ast.BoolOp):
            return all(self.safe(v, depth + 1) for v in node.values)
        if isinstance(node, ast.Subscript) or (
            isinstance(node, ast.Call) and _name(node.func) == "get"
        ):
            return self._all(self._looked_up(node, depth), depth, self.safe)
        if isinstance(node, ast.Call):
            return self._safe_call(node, depth)
        if isinstance(node, ast.Name):
            return self._all(self._name_values(node), depth, self.safe)
        if isinstance(node, ast.Attribute):
            return self._all(self._self_attr_values(node), depth, self.safe)
        return False

    def _all(self, values: list[ast.expr | None] | None, depth: int, check: Any) -> bool:
        """Every binding known and passing ``check``."""
        return bool(values) and all(v is not None and check(v, depth + 1) for v in values or [])

    def _escaped(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Call) and _name(node.func) == "escape"

    def _safe_value(
        self, node: ast.expr, spec: ast.expr | None = None, conversion: int = -1, depth: int = 0
    ) -> bool:
        """``node`` interpolated into a string adds no markup of its own."""
        if depth > 8:
            return False
        if conversion == -1 and isinstance(spec, ast.JoinedStr):
            text = "".join(v.value for v in spec.values if isinstance(v, ast.Constant))
            if text.endswith(NUMERIC_SPECS):
                return True  # a str there raises: the value is a number (or a date)
        if conversion != -1:
            return False  # !r/!s/!a of a string keeps its brackets
        if self._escaped(node) or isinstance(node, ast.Constant) or self._numeric(node, depth):
            return True
        if isinstance(node, ast.JoinedStr):
            return self.safe(node, depth + 1)
        if isinstance(node, ast.Subscript) or (
            isinstance(node, ast.Call) and _name(node.func) == "get"
        ):
            check_item = lambda v, d: self._safe_value(v, depth=d)  # noqa: E731
            return self._all(self._looked_up(node, depth), depth, check_item)
        if isinstance(node, ast.Call):
            return False
        if isinstance(node, ast.IfExp):
            return self._safe_value(node.body, depth=depth + 1) and self._safe_value(
                node.orelse, depth=depth + 1
            )
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._safe_value(node.left, depth=depth + 1) and self._safe_value(
                node.right, depth=depth + 1
            )
        check = lambda v, d: self._safe_value(v, depth=d)  # noqa: E731
        if isinstance(node, ast.Name):
            return self._all(self._name_values(node), depth, check)
        if isinstance(node, ast.Attribute):
            return self._all(self._self_attr_values(node), depth, check)
        return False

    def _method_returns(self, node: ast.Call) -> set[str | None] | None:
        """The return annotation of ``self.method`` when the enclosing class defines it."""
        f, cls = node.func, self._class(node)
        if not isinstance(f, ast.Attribute) or cls is None:
            return None
        for item in cls.body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name == f.attr:
                return {_name(item.returns) if item.returns is not None else None}
        return None

    def _numeric(self, node: ast.expr, depth: int = 0) -> bool:
        """``node`` is a number (or the expression raises): its text has no brackets."""
        if depth > 8:
            return False
        if isinstance(node, ast.Constant):
            return isinstance(node.value, int | float)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            return True  # a str has no unary minus
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Sub | ast.Div | ast.FloorDiv | ast.Pow):
                return True  # none of these is defined on str
            sides = (self._numeric(node.left, depth + 1), self._numeric(node.right, depth + 1))
            if isinstance(node.op, ast.Add):
                return any(sides)  # str + number raises
            return all(sides)  # "[" * 3 and "%s" % x are strings
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in NUMBER_FUNCTIONS:
                return True
            if node.func.id in ("max", "min") and node.args:
                return all(self._numeric(a, depth + 1) for a in node.args)
        check = self._numeric
        if isinstance(node, ast.Name):
            return self._all(self._name_values(node), depth, check)
        if isinstance(node, ast.Attribute):
            return self._all(self._self_attr_values(node), depth, check)
        return False

    def _safe_call(self, node: ast.Call, depth: int) -> bool:
        f = node.func
        if self._escaped(node):
            return True
        if isinstance(f, ast.Attribute) and f.attr in STR_METHODS and not node.args:
            return self.safe(f.value, depth + 1)  # "x".upper() of a literal is literal
        mine = isinstance(f, ast.Name) or (
            isinstance(f, ast.Attribute) and _name(f.value) in ("self", "cls")
        )
        returns = self._method_returns(node) or self.index.returns.get(_name(f) or "")
        if mine and returns and returns <= set(PLAIN_BUILDERS):
            return True  # every project function of that name returns Text or Content
        if isinstance(f, ast.Name) and f.id in PLAIN_BUILDERS:
            return True
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            plain = PLAIN_BUILDERS.get(f.value.id, set())
            if f.attr in plain or (f.attr == "from_markup" and f.value.id in PLAIN_BUILDERS):
                return True  # from_markup is checked as a sink of its own
        if (
            isinstance(f, ast.Attribute)
            and f.attr == "format"
            and isinstance(f.value, ast.Constant)
        ):
            args = [*node.args, *(k.value for k in node.keywords)]
            return all(self._safe_value(a, depth=depth + 1) for a in args)
        return False

    # --- receivers ----------------------------------------------------------------------
    def widget(self, node: ast.expr, depth: int = 0) -> tuple[str, bool] | None:
        """(Textual base, markup switched off) of the widget ``node`` evaluates to, when
        known."""
        if depth > 6:
            return None
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name in QUERIES:
                wanted = node.args[-1] if node.args else None
                kind = self.index.kind(_name(wanted) or "") if wanted is not None else None
                if kind is None:
                    return None
                selector = _template(node.args[0]) if len(node.args) == 2 else None
                builds: list[bool] = []
                if selector is not None and selector.startswith("#"):
                    builds = self.index.ids.get(selector[1:], [])
                elif selector is not None and re.fullmatch(r"\.[\w-]+", selector):
                    builds = self.index.css.get(selector[1:], [])
                return kind, bool(builds) and all(builds)
            kind = self.index.kind(name or "")
            if kind is not None and name is not None:
                own = self.index.own_init(name)
                return kind, _markup_false(node) or (own is not None and own.init_markup_false)
            return None
        if isinstance(node, ast.Name):
            if node.id == "self":
                cls = self._class(node)
                kind = self.index.kind(cls.name) if cls else None
                if cls is None or kind is None:
                    return None
                own = self.index.own_init(cls.name)
                return kind, own is not None and own.init_markup_false
            kind = self.index.kind(self._annotation(node) or "")
            if kind is not None:
                return kind, False
            found = [self.widget(v, depth + 1) for v in self._name_values(node) if v is not None]
            known = [w for w in found if w is not None]
            return (known[0][0], all(w[1] for w in known)) if known else None
        if isinstance(node, ast.Attribute):
            if node.attr == "button" and _name(node.value) == "event":
                return "Button", False
            values = self._self_attr_values(node)
            if values:
                found = [self.widget(v, depth + 1) for v in values if v is not None]
                known = [w for w in found if w is not None]
                return (known[0][0], all(w[1] for w in known)) if known else None
        return None

    # --- sinks --------------------------------------------------------------------------
    def sinks(self) -> Iterator[tuple[int, str]]:
        """(line, what) of every offending sink."""
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                yield from self._call(node)
            elif isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Attribute) and t.attr == "label":
                        w = self.widget(t.value)
                        if w and w[0] in BUTTONS and not self.safe(node.value):
                            yield node.lineno, f"{w[0]}.label ="

    def _call(self, node: ast.Call) -> Iterator[tuple[int, str]]:
        f = node.func
        name = _name(f)
        content = ("content", "label", "renderable")
        if _is_super_init(node):
            cls = self._class(node)
            kind = self.index.kind(cls.name) if cls else None
            if kind and not _markup_false(node) and not self.safe(_content(node, content)):
                yield node.lineno, f"{kind} super().__init__"
            return
        if name is None:
            return
        kind = self.index.kind(name)
        if kind is not None:
            plain = self.index.own_init(name) is not None or _markup_false(node)
            if not plain and not self.safe(_content(node, content)):
                yield node.lineno, name
            return
        if name == "update" and isinstance(f, ast.Attribute):
            w = self.widget(f.value)
            if (
                w
                and w[0] not in BUTTONS
                and not w[1]
                and not self.safe(_content(node, ("content",)))
            ):
                yield node.lineno, f"{w[0]}.update"
            return
        if name == "notify":
            plain = _markup_false(node) or self.index.notify_literal
            if not plain and not self.safe(_content(node, ("message",))):
                yield node.lineno, "notify"
            return
        builder = _name(f.value) if isinstance(f, ast.Attribute) else None
        parsed = name == "from_markup" and builder in PLAIN_BUILDERS
        if parsed and not self.safe(_content(node, ("text",))):
            yield node.lineno, f"{builder}.from_markup"


def offenders(sources: dict[str, str], index: Index | None = None) -> list[str]:
    """``path:line: what`` of every offending sink in ``sources`` (path -> module text)."""
    index = index or build_index(sources)
    found = []
    for path, text in sources.items():
        lines = text.splitlines()
        for line, what in _Checker(ast.parse(text, path), index).sinks():
            if (path, lines[line - 1].strip()) not in ALLOWED:
                found.append(f"{path}:{line}: {what}")
    return sorted(set(found), key=lambda s: (s.split(":")[0], int(s.split(":")[1])))


def project_sources() -> dict[str, str]:
    return {
        str(p.relative_to(ROOT)): p.read_text("utf-8")
        for package in PACKAGES
        for p in sorted((ROOT / package).rglob("*.py"))
    }


# --- the project -------------------------------------------------------------------------


def test_no_code_built_text_reaches_a_markup_parser() -> None:
    """Every sink in screens/ and kiosk/ is literal (rule: the module docstring)."""
    sources = project_sources()
    index = build_index(sources)
    index.notify_literal = app_forces_literal_notify(sources["kiosk/app.py"])
    found = offenders(sources, index)
    assert not found, "markup parsed from code-built text:\n" + "\n".join(found)


def test_the_station_app_is_the_one_app_and_its_notify_is_literal() -> None:
    """What makes every ``notify`` literal: WorkCellApp.notify passes markup=False to
    Textual whatever it is given, and no other App class exists to bypass it."""
    sources = project_sources()
    assert app_forces_literal_notify(sources["kiosk/app.py"])
    apps = [
        f"{path}:{n.lineno}"
        for path, text in sources.items()
        for n in ast.walk(ast.parse(text))
        if isinstance(n, ast.ClassDef) and any(_name(b) == "App" for b in n.bases)
    ]
    assert apps == [f"kiosk/app.py:{_app_line(sources['kiosk/app.py'])}"]


def _app_line(source: str) -> int:
    return next(
        n.lineno
        for n in ast.walk(ast.parse(source))
        if isinstance(n, ast.ClassDef) and n.name == "WorkCellApp"
    )


def test_every_allowed_sink_still_exists() -> None:
    """An allow-list entry whose line is gone is removed, not kept as a blanket pass."""
    sources = project_sources()
    for path, line in ALLOWED:
        assert line in {s.strip() for s in sources[path].splitlines()}, (path, line)


# --- the checker itself ------------------------------------------------------------------

HEADER = (
    "from rich.markup import escape\n"
    "from rich.text import Text\n"
    "from textual.widgets import Button, Label, Static\n"
)


def _found(body: str, extra: str = "") -> list[int]:
    """Offending line numbers of ``body`` (numbered from 1 after the imports)."""
    source = HEADER + body
    return [
        int(s.split(":")[1]) - HEADER.count("\n")
        for s in offenders({"snippet.py": source, "extra.py": extra})
        if s.startswith("snippet.py:")
    ]


@pytest.mark.parametrize(
    "line",
    [
        "Static(f'Lot {lot.number}')",
        "Static(name)",
        "Label(printable(reason))",
        "Static('Lot: ' + lot.number)",
        "Static('\\n'.join(lines))",
        "Button(f'Hold {h.reason}')",
        "Static(content=f'{x}')",
        "Static(f'{escape(a)} {b}')",
        "Static(f'{a!r}')",
        "Static('Why: {}'.format(why))",
        "Text.from_markup(f'[b]{name}[/b]')",
        "Static('[b]x[/b]' if ok else why)",
        "self.notify(f'Signed by {who}')",
        "app.notify(message=error.message, title='x')",
        "Static(Text.from_ansi(raw))",
    ],
)
def test_the_checker_finds_code_built_content(line: str) -> None:
    assert _found(line + "\n") == [1]


@pytest.mark.parametrize(
    "line",
    [
        "Static('[b]Sign in[/b]')",
        "Label('Scan the lot', id='x')",
        "Static(f'Lot {lot.number}', markup=False)",
        "Static(f'[b]{escape(lot.number)}[/b] {n:d} of {len(rows)} — {q:.1f}')",
        "Static(Text(reason))",
        "Button(Text.assemble(('Hold ', 'bold'), reason))",
        "Static('[b]Yes[/b]' if ok else 'No')",
        "Static('Lots: ' + escape(lot))",
        "Static('[b]{}[/b]'.format(escape(x)))",
        "self.notify(f'Signed by {who}', markup=False)",
        "Static()",
    ],
)
def test_the_checker_passes_literal_content(line: str) -> None:
    assert _found(line + "\n") == []


def test_the_checker_follows_names_and_class_constants() -> None:
    body = (
        "PROMPT = 'Tap your badge'\n"
        "class S:\n"
        "    TAP = '[b]Tap[/b]'\n"
        "    def a(self, x):\n"
        "        label = 'Save' if x else 'Cancel'\n"
        "        yield Button(label)\n"  # 6: every binding literal
        "        yield Static(PROMPT)\n"  # 7: a module constant
        "        yield Static(self.TAP)\n"  # 8: a class constant
        "    def b(self, x):\n"
        "        label = 'Save'\n"
        "        label = x.name\n"
        "        yield Button(label)\n"  # 12: one binding is stored text
        "    def c(self, rows):\n"
        "        for row in rows:\n"
        "            yield Label(row)\n"  # 15: a loop variable
        "    def d(self, view):\n"
        "        title = f'{escape(view.title)}'\n"
        "        title += f' needs {escape(view.q)}'\n"
        "        yield Static(title)\n"  # 19: every part escaped
    )
    assert _found(body) == [12, 15]


def test_the_checker_knows_which_update_and_label_parse_markup() -> None:
    body = (
        "class S:\n"
        "    def compose(self):\n"
        "        yield Static(id='plain', markup=False)\n"
        "        yield Static(id='styled')\n"
        "    def show(self, d, event):\n"
        "        self.query_one('#plain', Static).update(d.reason)\n"  # 6: markup off
        "        self.query_one('#styled', Static).update(d.reason)\n"  # 7
        "        self.query_one('#styled', Static).update(Text(d.reason))\n"  # 8: Text
        "        box = self.query_one('#styled', Label)\n"
        "        box.update(f'{d.reason}')\n"  # 10
        "        self.settings.update(d.values)\n"  # 11: not a widget
        "        self.query_one(ProgressBar).update(progress=d.done)\n"  # 12: not a sink
        "        self.query_one('#b', Button).label = d.name\n"  # 13
        "        event.button.label = 'Done'\n"  # 14: literal
        "        event.button.label = d.name\n"  # 15
        "        self.query_one('#unknown', Static).update(d.x)\n"  # 16: unknown build
    )
    assert _found(body) == [7, 10, 13, 15, 16]


def test_the_checker_follows_project_subclasses() -> None:
    extra = (
        "from textual.widgets import Static, Button\n"
        "class Plain(Static):\n"
        "    def __init__(self, text):\n"
        "        super().__init__(text, id='plain-panel', markup=False)\n"
        "class Styled(Static):\n"
        "    def __init__(self, text):\n"
        "        super().__init__(text)\n"  # 7: the subclass's own sink
        "    def show(self, why):\n"
        "        self.update(why)\n"  # 9
        "class Bare(Static):\n"
        "    pass\n"
        "class Key(Button):\n"
        "    def pressed(self, n):\n"
        "        self.label = n\n"  # 14
    )
    body = (
        "def f(why):\n"
        "    yield Plain(why)\n"  # 2: Plain's own __init__ is checked instead
        "    yield Bare(why)\n"  # 3: Static's __init__
        "    yield Bare(why, markup=False)\n"
        "    yield Key(why)\n"  # 5
        "def g(app, why):\n"
        "    app.query_one('#plain-panel', Plain).update(why)\n"  # 7: built markup=False
    )
    assert _found(body, extra) == [3, 5]
    found = offenders({"extra.py": extra})
    assert found == ["extra.py:7: Static super().__init__", "extra.py:9: Static.update",
                     "extra.py:14: Button.label ="]  # fmt: skip


def test_the_checker_sees_an_app_notify_that_forces_literal() -> None:
    literal = (
        "class A(App[None]):\n"
        "    def notify(self, message, *, title='', markup=False):\n"
        "        super().notify(message, title=title, markup=False)\n"
    )
    passing = literal.replace("markup=False)\n", "markup=markup)\n")
    assert app_forces_literal_notify(literal)
    assert not app_forces_literal_notify(passing)
    assert not app_forces_literal_notify("class A(App[None]):\n    pass\n")


def test_the_checker_proves_code_chosen_values_literal() -> None:
    """Lookups in literal tables, loops over them, numbers and Text-returning methods are
    literal; the same shapes over stored text are not."""
    body = (
        "LABELS = {'hold': 'Hold…', 'release': 'Release…'}\n"
        "ROWS = ('QWE', 'ASD')\n"
        "class S:\n"
        "    def a(self, action, rows, d):\n"
        "        yield Button(LABELS[action])\n"  # 5: a literal table's value
        "        yield Button(LABELS.get(action, 'Other'))\n"  # 6
        "        for key, label in LABELS.items():\n"
        "            yield Button(label)\n"  # 8: its items
        "        for row in ROWS[1:]:\n"
        "            for char in row:\n"
        "                yield Button(char.lower())\n"  # 11: a literal's characters
        "        for s in range(1, 6):\n"
        "            yield Static(f'sev. {s}')\n"  # 13: a number
        "        pages = max(1, (len(rows) + 9) // 10)\n"
        "        yield Static(f'Page {self.page + 1} of {pages}')\n"  # 15: numbers
        "        yield Static(self._text())\n"  # 16: annotated -> Text
        "        yield Button(d.labels[action])\n"  # 17: stored text
        "        for r in rows:\n"
        "            yield Button(r.name.upper())\n"  # 19: stored text
        "        yield Static(f'{d.count} lots')\n"  # 20: unknown type
        "        yield Static(f'{d.count:d} lots {d.when:%Y-%m-%d}')\n"  # 21: a str raises
        "        yield Static(self._plain())\n"  # 22: annotated -> str
        "    def _text(self) -> Text:\n"
        "        return Text('x')\n"
        "    def _plain(self) -> str:\n"
        "        return 'x'\n"
    )
    assert _found(body) == [17, 19, 20, 22]


def test_the_checker_matches_updates_to_their_construction() -> None:
    """An ``update`` through an f-string id or a class selector is literal when every
    widget built with that id or class switched markup off; one that did not is found."""
    body = (
        "class S:\n"
        "    PREFIX = 'ncr'\n"
        "    def compose(self):\n"
        "        yield Static(id=f'{self.PREFIX}-count', markup=False)\n"
        "        yield Static(classes='form-error', markup=False)\n"
        "        yield Static(classes='q-why')\n"
        "        yield Static(classes='q-why', markup=False)\n"
        "    def show(self, d):\n"
        "        self.query_one(f'#{self.PREFIX}-count', Static).update(d.text)\n"  # 9
        "        self.query_one('.form-error', Static).update(d.text)\n"  # 10
        "        self.query_one('.q-why', Static).update(d.text)\n"  # 11: one of two
    )
    assert _found(body) == [11]


def test_a_literal_label_is_drawn_as_stored() -> None:
    """literal_label: what the fixed Buttons and Checkboxes get: no markup, controls shown."""
    from screens.widgets.printable import literal_label

    label = literal_label("[@click=app.quit]Hold[/] \x1b[2J")
    assert label.plain == "[@click=app.quit]Hold[/] ␛[2J"
    assert not label.spans
