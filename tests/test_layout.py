"""The shape of the code, checked: one-way layers, one room per feature, explicit wiring, pure
rules, small modules and functions. A change that breaks one of these fails here, not in
review."""

from __future__ import annotations

import ast
import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from radon.complexity import cc_visit_ast

from tests.support.paths import REPO

PRODUCT = ("bot", "connectors", "schedules")
MAX_MODULE_LINES = 600
MAX_COMPLEXITY = 20
MAX_TOP_LEVEL_MODULES = 8
# pure rules: data and ``today`` in, decisions out; no database
PURE = ("rules.py", "duties.py", "duty_facts.py", "duty_wants.py", "reminders.py")
# the roles a feature room's files play (bot/features/__init__.py), by file
FURNITURE = {
    "rules": "rules.py",
    "service": "service.py",
    "step": "step.py",
    "web": "web.py",
    "cli": "cli.py",
    "templates": "templates",
    "api": "api.py",
}


@dataclass(frozen=True)
class Module:
    """One product module, read and parsed once per test process."""

    path: Path
    name: str  # dotted: ``bot.core.database.store`` (a package is its ``__init__``'s name)
    text: str
    tree: ast.Module


@cache
def product_files() -> tuple[Path, ...]:
    """The files of ``bot``, ``connectors`` and ``schedules`` (migrations aside), unread: what
    a parametrize needs at collection, which every test process does."""
    files: list[Path] = []
    for top in PRODUCT:
        files += [
            p
            for p in (REPO / top).rglob("*.py")
            if "migrations" not in p.parts and "__pycache__" not in p.parts
        ]
    return tuple(sorted(files))


@cache
def product_modules() -> tuple[Module, ...]:
    """Every product module (``product_files``), each read and parsed once for the whole file,
    when a test first asks: the tests below share these trees."""
    found = []
    for path in product_files():
        text = path.read_text("utf-8")
        found.append(Module(path, _module(path), text, ast.parse(text)))
    return tuple(found)


def _tree(path: Path) -> ast.Module:
    """The parsed product module at ``path``."""
    return next(m.tree for m in product_modules() if m.path == path)


def _name(path: Path) -> str:
    return str(path.relative_to(REPO))


def test_bot_has_few_top_level_modules() -> None:
    modules = sorted(p.name for p in (REPO / "bot").glob("*.py"))
    packages = sorted(p.name for p in (REPO / "bot").iterdir() if (p / "__init__.py").exists())
    assert len(modules) + len(packages) <= MAX_TOP_LEVEL_MODULES, (modules, packages)
    assert set(packages) >= {"core", "engine", "features", "web", "cli", "demo"}


def test_no_module_is_longer_than_the_limit() -> None:
    long = {
        _name(m.path): n
        for m in product_modules()
        if (n := len(m.text.splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"split these by what they own (≤ {MAX_MODULE_LINES} lines): {long}"


def test_no_function_is_more_complex_than_the_limit() -> None:
    tangled = []
    for m in product_modules():
        for block in cc_visit_ast(m.tree):
            if block.complexity > MAX_COMPLEXITY:
                tangled.append(f"{_name(m.path)}:{block.lineno} {block.name} ({block.complexity})")
    assert not tangled, f"radon complexity above {MAX_COMPLEXITY}: {tangled}"


def _plain_callee(func: ast.expr) -> bool:
    """A name, a dotted name or ``super().name``: nothing worked out to choose what is called."""
    if isinstance(func, ast.Attribute):
        return _plain_callee(func.value)
    if isinstance(func, ast.Call):  # super(): nothing else is called on the way
        return isinstance(func.func, ast.Name) and func.func.id == "super" and not func.args
    return isinstance(func, ast.Name)


def _forwards(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether ``function``'s whole body (its docstring aside) calls another function with its
    own arguments, each as it came: a forwarding wrapper, a second name for the same thing."""
    body = function.body[1:] if ast.get_docstring(function) is not None else function.body
    if len(body) != 1 or not isinstance(body[0], ast.Return | ast.Expr):
        return False
    call = body[0].value
    call = call.value if isinstance(call, ast.Await) else call
    if not isinstance(call, ast.Call) or not _plain_callee(call.func):
        return False
    args = function.args
    wanted = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    wanted += [f"*{a.arg}" for a in (args.vararg,) if a]
    wanted += [f"**{a.arg}" for a in (args.kwarg,) if a]
    in_order = [  # the positional ones, in the order they came; the keywords in any
        f"*{a.value.id}"
        if isinstance(a, ast.Starred) and isinstance(a.value, ast.Name)
        else a.id
        if isinstance(a, ast.Name)
        else ""
        for a in call.args
    ]
    by_name = [
        f"**{k.value.id}"
        if k.arg is None and isinstance(k.value, ast.Name)
        else k.arg
        if isinstance(k.value, ast.Name) and k.value.id == k.arg
        else ""
        for k in call.keywords
    ]
    if wanted[:1] in (["self"], ["cls"]) and wanted[0] not in in_order:
        wanted = wanted[1:]  # a method passing its arguments on to another
    rest = [w for w in wanted if w not in in_order]
    return (
        bool(wanted)
        and in_order
        == [w for w in wanted if w in in_order and not w.startswith("*")]
        + [w for w in wanted if w in in_order and w.startswith("*")]
        and sorted(by_name) == sorted(rest)
    )


def test_the_forwarding_wrapper_check_finds_one() -> None:
    found = [
        _forwards(f)
        for f in ast.parse(
            "def a(x, y=1):\n    'Doc.'\n    return other(x, y=y)\n"
            "async def b(self, x, *rest):\n    await self.inner.c(x, *rest)\n"
            "def c(x):\n    return other(x, 2)\n"  # a value of its own
            "def d(x):\n    return make()(x)\n"  # works out what it calls
            "def e(x, y):\n    return other(y, x)\n"  # passed in another order
            "def f():\n    return other()\n"
        ).body
        if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    assert found == [True, True, False, False, False, False]


def test_no_function_only_forwards_its_arguments() -> None:
    found = [
        f"{_name(m.path)}:{node.lineno} {node.name}"
        for m in product_modules()
        for node in ast.walk(m.tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _forwards(node)
    ]
    assert not found, f"call the function they call (a wrapper adds a name, not a meaning): {found}"


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


# The layers, lowest first: a module imports its own layer and those below it, never above.
# ``connectors`` are the adapters: they implement the core's ports (``bot.core.ports``) and only
# the app's edge (``bot.wiring``) builds them (``test_only_the_wiring_imports_the_connectors``).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("core", ("bot.core",)),
    ("adapters", ("connectors",)),
    ("engine", ("bot.engine",)),
    ("features", ("bot.features",)),
    ("app", ("bot.web", "bot.cli", "bot.demo", "bot.wiring", "schedules")),
)
LAYER_RULE = "core ← adapters ← engine ← features ← app (web, cli, demo, wiring, schedules)"
# Upward imports still allowed, each with its reason; the list may only shrink.
UPWARD_ALLOWED: dict[tuple[str, str], str] = {
    # none: the web toolkit the features' pages plug into is ``bot.engine.web``, below them
}


def _module(path: Path) -> str:
    """The dotted name of a product module (a package is its ``__init__``'s name)."""
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _import_graph() -> tuple[tuple[str, str, int], ...]:
    """Every import of our own modules: (importer, imported, line).

    Counted: every ``import`` and ``from ... import`` anywhere in a module — at the top, inside
    functions, and in ``if TYPE_CHECKING:`` blocks (a type-only import still ties the layers);
    relative imports are resolved. Module names in strings are not imports (there are none, see
    ``test_our_modules_are_wired_by_plain_imports``).
    """
    ours = ("bot", "connectors", "schedules")
    edges: list[tuple[str, str, int]] = []
    for m in product_modules():
        importer = m.name
        package = importer.split(".") if m.path.name == "__init__.py" else importer.split(".")[:-1]
        for node in ast.walk(m.tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                names = [".".join([*base, *([node.module] if node.module else [])])]
            else:
                continue
            edges += [(importer, n, node.lineno) for n in names if n.split(".")[0] in ours]
    return tuple(edges)


def _layer(module: str) -> int | None:
    """The index of a module's layer in ``LAYERS`` (None for ``bot`` itself)."""
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    return None


def _allowed(importer: str, imported: str) -> bool:
    return any(
        importer.startswith(a + ".") and (imported == b or imported.startswith(b + "."))
        for a, b in UPWARD_ALLOWED
    )


def test_every_product_module_has_a_layer() -> None:
    loose = [m.name for m in product_modules() if _layer(m.name) is None and m.name != "bot"]
    assert not loose, f"give these a layer in LAYERS ({LAYER_RULE}): {loose}"


def test_imports_run_one_way() -> None:
    """The engine asks for the features' steps through its registry (``bot.engine.steps``),
    filled by the app at start-up; nothing imports a layer above its own."""
    upward = []
    for importer, imported, line in _import_graph():
        low, high = _layer(importer), _layer(imported)
        if low is None or high is None or high <= low or _allowed(importer, imported):
            continue
        upward.append(
            f"{importer} (line {line}) imports {imported}: "
            f"{LAYERS[low][0]} may not import {LAYERS[high][0]} ({LAYER_RULE})"
        )
    assert not upward, "\n".join(upward)


def _room(module: str) -> str | None:
    """The feature room a module belongs to (None outside ``bot.features``)."""
    parts = module.split(".")
    return parts[2] if parts[:2] == ["bot", "features"] and len(parts) > 2 else None


def _room_edges() -> dict[tuple[str, str], list[str]]:
    """Room-to-room imports: (importer's room, imported room) -> the importing lines."""
    edges: dict[tuple[str, str], list[str]] = {}
    for importer, imported, line in _import_graph():
        mine, theirs = _room(importer), _room(imported)
        if mine and theirs and mine != theirs:
            edges.setdefault((mine, theirs), []).append(f"{importer}:{line} -> {imported}")
    return edges


def test_a_room_uses_another_only_through_its_public_face() -> None:
    """Another room is reached only through its ``api`` module: what a room offers is one file
    to read, and everything else in it may change without breaking a neighbour."""
    undeclared = [
        where
        for (_, theirs), lines in _room_edges().items()
        for where in lines
        if where.split(" -> ")[1] != f"bot.features.{theirs}.api"
    ]
    assert not undeclared, f"import the room's api module instead: {undeclared}"


def test_rooms_import_each_other_without_cycles() -> None:
    """Room-level imports form no cycle, so any room can be read, tested or removed with only
    the rooms below it."""
    graph: dict[str, set[str]] = {}
    for mine, theirs in _room_edges():
        graph.setdefault(mine, set()).add(theirs)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = sorted(
        f"{a} -> {b} -> … -> {a}" for a, bs in graph.items() for b in bs if reaches(b, a, {b})
    )
    assert not cycles, f"rooms on a cycle: {cycles}"


def test_a_public_face_holds_only_imports() -> None:
    """An ``api`` module re-exports; it defines nothing of its own (behaviour lives in the
    room's other modules)."""
    for face in sorted((REPO / "bot" / "features").glob("*/api.py")):
        body = _tree(face).body
        own = [
            n
            for n in body
            if not isinstance(n, (ast.Import, ast.ImportFrom, ast.Expr))
            and not (isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "__all__")
        ]
        assert not own, f"{_name(face)} defines {[ast.unparse(n)[:40] for n in own]}"


def _function_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The imports made inside functions (methods and nested functions too), by line."""
    functions = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)]
    found = [
        node
        for function in functions
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    return sorted(set(found), key=lambda node: node.lineno)


def _says_why(lines: list[str], line: int) -> bool:
    """Whether the import on ``line`` (1-based), or the comment lines just above it, say
    ``lazy:`` or ``cycle:``."""
    said = [lines[line - 1].partition("#")[2]]
    above = line - 2
    while above >= 0 and lines[above].lstrip().startswith("#"):
        said.append(lines[above])
        above -= 1
    return any("lazy:" in text or "cycle:" in text for text in said)


def test_imports_inside_functions_say_why() -> None:
    """Imports sit at the top of a module. One kept inside a function is there for a measured
    start-up cost or an optional extra (``# lazy: ...``, with the figure) or an import cycle
    (``# cycle: ...``, naming it), said at the first such import of its module at least; the
    module's docstring may say more."""
    silent = []
    for m in product_modules():
        inside = _function_imports(m.tree)
        if inside and not _says_why(m.text.splitlines(), inside[0].lineno):
            silent.append(f"{_name(m.path)}:{inside[0].lineno}")
    assert not silent, (
        "move these imports to the top, or say why they are not (# lazy: a measured start-up "
        f"cost or an optional extra / # cycle: which cycle): {silent}"
    )


def test_features_never_import_the_cli() -> None:
    """Feature commands share ``bot.engine.commands``; ``bot.cli`` imports them, not the
    reverse (and the web only through the toolkit listed in ``UPWARD_ALLOWED``)."""
    wrong = [
        f"{a} (line {n}) imports {b}: features may not import bot.cli or bot.web"
        for a, b, n in _import_graph()
        if a.startswith("bot.features.")
        and b.startswith(("bot.cli", "bot.web"))
        and not _allowed(a, b)
    ]
    assert not wrong, "\n".join(wrong)


def test_every_allowed_upward_import_is_still_needed() -> None:
    used = {
        (a, b)
        for a, b in UPWARD_ALLOWED
        for importer, imported, _ in _import_graph()
        if importer.startswith(a + ".") and imported == b
    }
    assert used == set(UPWARD_ALLOWED), f"drop from UPWARD_ALLOWED: {set(UPWARD_ALLOWED) - used}"


# Module cycles still allowed, each with its reason; the list may only shrink.
CYCLES_ALLOWED: dict[frozenset[str], str] = {
    frozenset(
        {
            "bot.core.database.store",
            "bot.core.database.connections",
            "bot.core.audit.batches",
            "bot.core.audit.seals",
        }
    ): (
        "the store makes every engine (connections) and session with the audit's hooks in them "
        "(tags, seals, the COPY it notes), and the audit reads rows back with the store's one_of: "
        "the one way to read by many ids on either database, not worth a module of its own"
    )
}


@cache
def _module_graph() -> dict[str, set[str]]:
    """Which product modules each product module imports: at the top, inside functions and in
    ``if TYPE_CHECKING:`` blocks alike (a deferred or type-only import still ties two modules:
    neither can be read, tested or moved without the other). ``from bot.core import audit`` is
    the module ``bot.core.audit``; ``from bot.core.config import SchoolConfig`` is the package
    ``bot.core.config``. A package's ``__init__``, which Python runs before any module in it, is
    not counted as imported by that module: only the imports written are."""
    names = {m.name for m in product_modules()}
    graph: dict[str, set[str]] = {name: set() for name in names}
    for m in product_modules():
        package = m.name.split(".") if m.path.name == "__init__.py" else m.name.split(".")[:-1]
        for node in ast.walk(m.tree):
            if isinstance(node, ast.Import):
                wanted = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                module = ".".join([*base, *([node.module] if node.module else [])])
                wanted = [f"{module}.{a.name}" for a in node.names]
            else:
                continue
            for name in wanted:
                while name and name not in names:  # a name in a module: that module
                    name = name.rpartition(".")[0]
                if name and name != m.name:
                    graph[m.name].add(name)
    return graph


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += graph[name]
    return seen


def test_modules_import_each_other_without_cycles() -> None:
    """No two modules need each other, directly or round a longer loop, deferred imports
    included, except the cycles in ``CYCLES_ALLOWED`` (each also said at its deferred import:
    ``# cycle: ...``)."""
    graph = _module_graph()
    reach = {name: _reachable(graph, name) for name in graph}
    cycles = {
        frozenset({a} | {b for b in reach[a] if a in reach[b]}) for a in graph if a in reach[a]
    }
    new = [sorted(c) for c in cycles if c not in CYCLES_ALLOWED]
    assert not new, f"modules on a cycle (move what they share to where it belongs): {new}"
    gone = [sorted(c) for c in CYCLES_ALLOWED if c not in cycles]
    assert not gone, f"drop from CYCLES_ALLOWED: {gone}"


# The protocols that declare what a mailer has (``bot/core/ports/mail.py``); ``SentItemsLookup`` and
# ``BounceReader`` are checked with ``isinstance`` before ``find_sent``/``bounced`` are used.
MAILER_PROTOCOLS = ("Mailer", "SentItemsLookup", "BounceReader")


def _declared_on_mailer() -> set[str]:
    """Every attribute and method the mailer protocols declare."""
    declared: set[str] = set()
    for node in _tree(REPO / "bot" / "core" / "ports" / "mail.py").body:
        if isinstance(node, ast.ClassDef) and node.name in MAILER_PROTOCOLS:
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    declared.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    declared.add(item.target.id)
    return declared


def _is_mailer(node: ast.expr, names: tuple[str, ...] = ("mailer",)) -> bool:
    """``mailer``, ``self.mailer``, ``run.mailer``: the outbox's names for its mailer (or for
    another connector of ``names``)."""
    return (isinstance(node, ast.Name) and node.id in names) or (
        isinstance(node, ast.Attribute) and node.attr in names
    )


def test_the_outbox_uses_only_what_the_mailer_protocol_declares() -> None:
    """A mailer's optional capabilities (``idempotent``, ``max_batch``, ``pacing``,
    ``ready_in``, ``end_pass``...) are declared on ``Mailer`` with defaults; the outbox uses
    them as attributes, never looked up by name; nor is a chat bot's or a notifier's (a
    capability some have is a protocol of its own, checked with ``isinstance``)."""
    declared = _declared_on_mailer()
    assert {"send", "idempotent", "max_batch", "pacing", "ready_in", "end_pass"} <= declared
    wrong = []
    connectors = ("mailer", "chat", "notifier")
    for path in [m.path for m in product_modules() if m.name.startswith("bot.core.")]:
        for node in ast.walk(_tree(path)):
            if (
                isinstance(node, ast.Attribute)
                and _is_mailer(node.value)
                and node.attr not in declared
            ):
                wrong.append(
                    f"{_name(path)}:{node.lineno} uses mailer.{node.attr}, which "
                    f"{' / '.join(MAILER_PROTOCOLS)} in bot/core/ports/mail.py do not declare"
                )
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "hasattr")
                and node.args
                and _is_mailer(node.args[0], connectors)
            ):
                wrong.append(
                    f"{_name(path)}:{node.lineno} looks a connector's capability up by "
                    f"name ({node.func.id}): declare it on its protocol (Mailer with a "
                    "default, or a protocol checked with isinstance, as BulkFeed)"
                )
    assert not wrong, "\n".join(wrong)


def test_email_addresses_are_checked_by_the_one_helper() -> None:
    """No hand-written address pattern: every check is ``bot.core.guards.emails``
    (email-validator)."""
    patterns = [
        f"{_name(m.path)}:{node.lineno}"
        for m in product_modules()
        for node in ast.walk(m.tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and ("[^@" in node.value or "]+@[" in node.value)
    ]
    assert not patterns, f"check addresses with bot.core.guards.emails instead: {patterns}"


def test_adaptive_cards_are_built_by_the_one_builder() -> None:
    """Every Adaptive Card (the digest, the report alert's channel card, the cards in a
    person's chat) is made by ``bot.core.rendering.cards``: one schema, one version, one wrapping.
    (A connector puts a finished card in its platform's envelope: that is its wire format.)"""
    builders = [
        f"{_name(m.path)}:{node.lineno}"
        for m in product_modules()
        if m.name != "bot.core.rendering.cards" and m.name.split(".")[0] == "bot"
        for node in ast.walk(m.tree)
        if isinstance(node, ast.Constant)
        and node.value in ("AdaptiveCard", "application/vnd.microsoft.card.adaptive")
    ]
    assert not builders, f"build cards with bot.core.rendering.cards instead: {builders}"


def _calls(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            found.append(name)
    return found


def test_our_modules_are_wired_by_plain_imports() -> None:
    """Only the vendor SDKs are imported by name at run time (that is what lazy import is for)."""
    by_string = [
        _name(m.path)
        for m in product_modules()
        if {"import_module", "__import__"} & set(_calls(m.path)) and m.path.parent.name != "m365"
    ]
    assert not by_string


@pytest.mark.parametrize(
    "path",
    [
        path
        for path in product_files()
        if path.name in PURE and path.parent.name != "models"  # tables
    ],
    ids=_name,
)
def test_rules_are_pure(path: Path) -> None:
    """Rules take data and ``today``: no Session, no SQL, no store."""
    impure = [
        m
        for m in _imports(path)
        if m.startswith("sqlalchemy")
        or m in ("bot.core.database.store", "bot.core.deployment.context")
    ]
    assert not impure, f"{_name(path)} imports {impure}"


def test_settings_are_read_only_at_the_entry_points() -> None:
    """One Settings object, built by the CLI, the app factory's caller or the scheduler job."""
    allowed = {
        "bot/core/deployment/settings.py",
        "bot/engine/commands.py",
        "schedules/jobs.py",
        "bot/core/migrations/env.py",
        "bot/web/asgi.py",
    }  # the entry point of each uvicorn worker process
    readers = [
        _name(m.path)
        for m in product_modules()
        if "load_settings" in _calls(m.path) and _name(m.path) not in allowed
    ]
    assert not readers


def _rooms_listed() -> dict[str, set[str]]:
    """Each room's roles as ``bot/features/__init__.py`` lists them ("accounts: rules service
    step web templates api. No cli: ...")."""
    doc = ast.get_docstring(_tree(REPO / "bot" / "features" / "__init__.py")) or ""
    return {
        room: set(roles.split())
        for room, roles in re.findall(r"^(\w+): ([a-z ]+)\.", doc, flags=re.MULTILINE)
    }


def test_every_feature_room_has_the_furniture_its_package_lists() -> None:
    """A room's files play the roles ``bot/features/__init__.py`` names (rules, service, step,
    web, cli, templates, api), and that docstring lists what each room has and why not the
    rest: a new room, or a role's file added or removed, fails here until the list says so."""
    root = REPO / "bot" / "features"
    loose = [p.name for p in root.glob("*.py") if p.name != "__init__.py"]
    assert not loose, f"every feature lives in its own room: {loose}"
    rooms = {p.name: p for p in root.iterdir() if (p / "__init__.py").exists()}
    listed = _rooms_listed()
    assert rooms and set(listed) == set(rooms), (
        f"list these rooms in bot/features/__init__.py: {sorted(set(rooms) - set(listed))}; "
        f"drop these: {sorted(set(listed) - set(rooms))}"
    )
    wrong = []
    for name, room in sorted(rooms.items()):
        names = {p.name for p in room.iterdir()}
        has = {role for role, file in FURNITURE.items() if file in names}
        if has != listed[name]:
            wrong.append(
                f"{name} has {sorted(has)}, bot/features/__init__.py lists {sorted(listed[name])}"
            )
        assert not any(n.startswith(("extras", "misc", "utils", "helpers")) for n in names), room
    assert not wrong, "\n".join(wrong)


def _defines(path: Path, name: str) -> bool:
    """Whether the module binds ``name`` at its top level (an assignment)."""
    return any(
        isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        for node in _tree(path).body
    )


def test_every_feature_room_has_the_furniture_it_claims() -> None:
    """What a room's files say they are, they are: a module with a ``router`` is mounted (by
    the app, or by its room's mounted pages); a ``step.py`` is wired into the sweep
    (``bot/wiring.py``); a ``cli.py`` is on the command line (``bot/cli``); a room with
    ``templates/`` has pages; and every ``rules.py`` is pure (``test_rules_are_pure``)."""
    edges = {(a, b) for a, b, _ in _import_graph()}
    for m in product_modules():  # ``from bot.features.x import web``: the module too
        for node in ast.walk(m.tree):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                edges |= {(m.name, f"{node.module}.{a.name}") for a in node.names}
    root = REPO / "bot" / "features"
    rooms = sorted(p for p in root.iterdir() if (p / "__init__.py").exists())
    routers = {_module(p) for p in root.rglob("*.py") if _defines(p, "router")}
    mounted = {b for a, b in edges if a == "bot.web.app" and b in routers}
    grew = True
    while grew:  # pages a mounted module of the same room includes
        more = {
            b
            for a, b in edges
            if a in mounted and b in routers and b.rsplit(".", 1)[0] == a.rsplit(".", 1)[0]
        }
        grew = not more <= mounted
        mounted |= more
    wrong = [f"{m} has a router that no page set mounts" for m in sorted(routers - mounted)]
    for room in rooms:
        name = f"bot.features.{room.name}"
        if (room / "step.py").exists() and not any(
            a == "bot.wiring" and b == f"{name}.step" for a, b in edges
        ):
            wrong.append(f"{name}.step is not wired into the sweep (bot/wiring.py)")
        if (room / "cli.py").exists() and not any(
            a.startswith("bot.cli") and b == f"{name}.cli" for a, b in edges
        ):
            wrong.append(f"{name}.cli is not on the command line (bot/cli)")
        if (room / "templates").is_dir() and not any(r.startswith(name + ".") for r in routers):
            wrong.append(f"{name} has templates/ but no pages (no module with a router)")
    assert not wrong, "\n".join(wrong)


def test_every_module_says_what_it_is_for() -> None:
    silent = [
        _name(m.path) for m in product_modules() if m.text and ast.get_docstring(m.tree) is None
    ]
    assert not silent


def test_no_binary_file_is_tracked() -> None:
    """Wheels, archives, databases and images are built or fetched, never committed: a binary in
    the repository is unreviewable and stays in its history for good (a 2.9 MB wheel once did).
    The one exception is the PDF font (bot/core/rendering/fonts: DejaVu, unmodified, its licence
    beside it):
    a PDF must embed a font covering Welsh on a machine that has none installed."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=False)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    binary = []
    for name in filter(None, listed.stdout.decode().split("\0")):
        path = REPO / name
        if name.startswith("bot/core/rendering/fonts/") and name.endswith(".ttf"):
            assert (REPO / "bot/core/rendering/fonts/LICENSE").is_file(), (
                "a shipped font needs its licence"
            )
            continue
        if path.is_file() and b"\0" in path.read_bytes()[:8192]:
            binary.append(name)
    assert not binary, f"binary files are tracked (remove them, make them in the test): {binary}"


def _readme_map() -> str:
    """The map of the code in docs/developers.md: its block that starts at ``bot/``."""
    text = (REPO / "docs" / "developers.md").read_text("utf-8")
    start = text.index("```\nbot/\n")
    return text[start : text.index("```", start + 4)]


def test_the_readme_map_names_every_room_and_module() -> None:
    """The map in docs/developers.md is the tree as it is: every feature room has its own entry, and
    every core and engine module or package is named in its layer's part of the map."""
    block = _readme_map()
    rooms = sorted(
        p.name for p in (REPO / "bot" / "features").iterdir() if (p / "__init__.py").exists()
    )
    assert not [r for r in rooms if f"\n    {r}/" not in block], "add these rooms to the map"
    core = block[block.index("\n  core/") : block.index("\n  engine/")]
    engine = block[block.index("\n  engine/") : block.index("\n  features/")]
    for layer, part in (("core", core), ("engine", engine)):
        names = sorted(
            p.stem
            for p in (REPO / "bot" / layer).iterdir()
            if p.stem != "__init__" and (p.suffix == ".py" or (p / "__init__.py").exists())
        )
        missing = [n for n in names if not re.search(rf"\b{n}\b", part)]
        assert not missing, (
            f"name these {layer} modules in the map of docs/developers.md: {missing}"
        )


def test_only_the_wiring_imports_the_connectors() -> None:
    """Ports in core, adapters on the ground: ``bot`` speaks to platforms through
    ``bot.core.ports`` and what the app registers (``bot.core.deployment.context.Adapters``);
    only the app's edge, ``bot/wiring.py``, imports ``connectors`` to build them. Every import
    counts: at the top, inside functions, under ``if TYPE_CHECKING:``."""
    wrong = []
    for m in product_modules():
        if not m.name.startswith("bot.") or m.name == "bot.wiring":
            continue
        for node in ast.walk(m.tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            wrong += [
                f"{_name(m.path)}:{node.lineno} imports {n}"
                for n in names
                if n == "connectors" or n.startswith("connectors.")
            ]
    assert not wrong, "import the ports (bot.core.ports) or ask bot.wiring:\n" + "\n".join(wrong)
