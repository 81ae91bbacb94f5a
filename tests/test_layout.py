"""The shape of the code, checked: one room per feature, explicit wiring, pure rules, small
modules and functions. A change that breaks one of these fails here, not in review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from radon.complexity import cc_visit

from tests.support.paths import REPO

PRODUCT = ("bot", "connectors", "schedules")
MAX_MODULE_LINES = 700
MAX_COMPLEXITY = 25
MAX_TOP_LEVEL_MODULES = 8
# pure rules: data and ``today`` in, decisions out; no database
PURE = ("rules.py", "duties.py", "reminders.py")
FURNITURE = {"rules.py", "service.py", "step.py", "web.py", "cli.py", "templates"}


def _product_modules() -> list[Path]:
    files: list[Path] = []
    for top in PRODUCT:
        files += [
            p for p in (REPO / top).rglob("*.py")
            if "migrations" not in p.parts and "__pycache__" not in p.parts
        ]
    return sorted(files)


def _name(path: Path) -> str:
    return str(path.relative_to(REPO))


def test_bot_has_few_top_level_modules() -> None:
    modules = sorted(p.name for p in (REPO / "bot").glob("*.py"))
    packages = sorted(p.name for p in (REPO / "bot").iterdir() if (p / "__init__.py").exists())
    assert len(modules) + len(packages) <= MAX_TOP_LEVEL_MODULES, (modules, packages)
    assert set(packages) >= {"core", "engine", "features", "web", "cli", "demo"}


def test_no_module_is_longer_than_the_limit() -> None:
    long = {
        _name(p): n
        for p in _product_modules()
        if (n := len(p.read_text("utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"split these by what they own (≤ {MAX_MODULE_LINES} lines): {long}"


def test_no_function_is_more_complex_than_the_limit() -> None:
    tangled = []
    for path in _product_modules():
        for block in cc_visit(path.read_text("utf-8")):
            if block.complexity > MAX_COMPLEXITY:
                tangled.append(f"{_name(path)}:{block.lineno} {block.name} ({block.complexity})")
    assert not tangled, f"radon complexity above {MAX_COMPLEXITY}: {tangled}"


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def _calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            found.append(name)
    return found


def test_our_modules_are_wired_by_plain_imports() -> None:
    """Only the vendor SDKs are imported by name at run time (that is what lazy import is for)."""
    by_string = [
        _name(p) for p in _product_modules()
        if {"import_module", "__import__"} & set(_calls(p)) and p.parent.name != "m365"
    ]
    assert not by_string


@pytest.mark.parametrize("path", [
    p for p in _product_modules() if p.name in PURE
], ids=_name)
def test_rules_are_pure(path: Path) -> None:
    """Rules take data and ``today``: no Session, no SQL, no store."""
    impure = [
        m for m in _imports(path)
        if m.startswith("sqlalchemy") or m in ("bot.core.store", "bot.core.context")
    ]
    assert not impure, f"{_name(path)} imports {impure}"


def test_settings_are_read_only_at_the_entry_points() -> None:
    """One Settings object, built by the CLI, the app factory's caller or the scheduler job."""
    allowed = {"bot/core/settings.py", "bot/cli/common.py", "schedules/jobs.py",
               "bot/core/migrations/env.py",
               "bot/web/asgi.py"}  # the entry point of each uvicorn worker process
    readers = [
        _name(p) for p in _product_modules()
        if "load_settings" in _calls(p) and _name(p) not in allowed
    ]
    assert not readers


def test_every_feature_room_has_the_same_furniture() -> None:
    root = REPO / "bot" / "features"
    features = [p for p in root.iterdir() if (p / "__init__.py").exists()]
    assert features
    loose = [p.name for p in root.glob("*.py") if p.name != "__init__.py"]
    assert not loose, f"every feature lives in its own room: {loose}"
    for room in features:
        names = {p.name for p in room.iterdir()}
        assert names & FURNITURE, f"{room.name} has none of {sorted(FURNITURE)}"
        assert not any(n.startswith(("extras", "misc", "utils", "helpers")) for n in names), room


def test_every_module_says_what_it_is_for() -> None:
    silent = [
        _name(p) for p in _product_modules()
        if p.stat().st_size and ast.get_docstring(ast.parse(p.read_text("utf-8"))) is None
    ]
    assert not silent
