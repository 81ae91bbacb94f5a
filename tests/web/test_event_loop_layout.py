"""No page does database work on the event loop: an ``async def`` in ``bot/`` (a route, an
error handler, a middleware) only awaits — reading the body, or ``run_in_threadpool`` — and
never touches the store, nor calls a function that does (``render`` reads the signed-in
person; ``require_roles`` too). Such work waits for the database with the event loop held,
and every other visitor waits with it (#55: other pages' p95 rose 21 % while two clients
signed in).

Which functions do database work is worked out from the source: a module-level ``def`` that
reaches for the store (``.store``, ``.engine``) or calls one of ours that does (by its name,
followed through imports and re-exports), to a fixed point.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_layout import product_modules

BOT = PRODUCT_BOT = Path(__file__).resolve().parents[2] / "bot"
STORE = frozenset({"store", "engine"})  # ``ctx(request).store``, ``store.engine``


def _own_nodes(fn: ast.AST) -> Iterator[ast.AST]:
    """The nodes of ``fn``'s own body: not those of a function defined in it (work handed to
    a thread is written that way), nor an awaited call itself (its arguments are walked)."""
    stack = list(ast.iter_child_nodes(fn))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.Await) and isinstance(node.value, ast.Call):
            call = node.value
            stack += [*call.args, *(k.value for k in call.keywords)]
            if isinstance(call.func, ast.Attribute):
                stack.append(call.func.value)  # ``await x.y()``: what ``x`` is, is walked
            continue
        yield node
        stack += list(ast.iter_child_nodes(node))


def _called(node: ast.AST) -> str | None:
    """The plain name a call calls (``f(...)``; a method's is not followed)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id
    return None


Key = tuple[str, str]  # (module, function name)


def _parsed() -> Iterator[tuple[Path, ast.Module]]:
    """Each module of ``BOT`` with its tree. The product's are tests/test_layout.py's, parsed
    once per test process and shared with its tests (2.3 s of CPU a parse): its migrations
    aside, which hold no ``async def`` and none of the functions this check follows."""
    if BOT == PRODUCT_BOT:
        yield from ((m.path, m.tree) for m in product_modules() if m.path.is_relative_to(BOT))
        return
    for path in sorted(BOT.rglob("*.py")):
        yield path, ast.parse(path.read_text(), str(path))


class _Modules:
    """Every module of ``bot``: its own functions and what it imports, by name."""

    def __init__(self) -> None:
        self.trees: dict[str, tuple[Path, ast.Module]] = {}
        self.defs: dict[Key, ast.FunctionDef] = {}
        self.imports: dict[Key, Key] = {}
        for path, tree in _parsed():
            parts = path.relative_to(BOT.parent).with_suffix("").parts
            module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            self.trees[module] = (path, tree)
            for node in tree.body:
                if isinstance(node, ast.FunctionDef):
                    self.defs[(module, node.name)] = node
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    for alias in node.names:
                        self.imports[(module, alias.asname or alias.name)] = (
                            node.module,
                            alias.name,
                        )

    def resolve(self, module: str, name: str) -> Key | None:
        """The function ``name`` means in ``module`` (through re-exports), if it is ours."""
        key: Key | None = (module, name)
        for _ in range(10):
            if key is None or key in self.defs:
                return key
            key = self.imports.get(key)
        return None

    def database(self) -> set[Key]:
        """The functions that do database work, directly or through another of ours: those
        that touch the store, then their callers, then theirs (each call resolved once)."""
        callers: dict[Key, set[Key]] = {}
        found: set[Key] = set()
        for key, fn in self.defs.items():
            for node in _own_nodes(fn):
                if isinstance(node, ast.Attribute) and node.attr in STORE:
                    found.add(key)
                elif (name := _called(node)) and (callee := self.resolve(key[0], name)):
                    callers.setdefault(callee, set()).add(key)
        todo = list(found)
        while todo:
            for caller in callers.get(todo.pop(), set()) - found:
                found.add(caller)
                todo.append(caller)
        return found


def _blocking() -> list[str]:
    modules = _Modules()
    database = modules.database()
    said = []
    for module, (path, tree) in modules.trees.items():
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.AsyncFunctionDef):
                continue
            for node in _own_nodes(fn):
                what = None
                if isinstance(node, ast.Attribute) and node.attr in STORE:
                    what = f".{node.attr}"
                elif (name := _called(node)) and modules.resolve(module, name) in database:
                    what = f"{name}()"
                if what:
                    where = f"{path.relative_to(BOT.parent)}:{getattr(node, 'lineno', 0)}"
                    said.append(f"{where} async {fn.name} uses {what} on the event loop")
    return sorted(set(said))


def test_no_async_def_does_database_work_on_the_event_loop() -> None:
    assert _blocking() == []


def test_the_check_finds_a_route_that_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "bot"
    (package / "web").mkdir(parents=True)
    (package / "web" / "deps.py").write_text(
        "def current_user(request):\n    with ctx(request).store.session() as session:\n        "
        "return session\ndef render(request, name):\n    return current_user(request), name\n"
    )
    (package / "web" / "pages.py").write_text(
        "from bot.web.deps import render as show\nasync def page(request):\n    form = await "
        "request.form()\n    return show(request, 'x.html')\nasync def fine(request):\n    form = "
        "await request.form()\n    def work():\n        return show(request, 'x.html')\n    return "
        "await run_in_threadpool(work)\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "BOT", package)
    assert _blocking() == ["bot/web/pages.py:4 async page uses show() on the event loop"]
