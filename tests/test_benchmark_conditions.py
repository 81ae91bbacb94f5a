"""Every benchmark prints the conditions it ran in beside its figures (#60): the calibration
(a fixed CPU loop), the load average and, on a machine too busy to measure, that its figures
are not a measurement, so a quiet and a loaded run can be compared.

One autouse fixture prints them (``tests/benchmarks/conftest.py``); these tests check that it
does, after a benchmark's own figures, and that it reaches every benchmark: each module of
``tests/benchmarks`` is a benchmark (nothing there overrides the fixture), and no benchmark
lives anywhere else, where the fixture would not reach it."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

pytest_plugins = ("pytester",)

TESTS = Path(__file__).parent
BENCHMARKS = TESTS / "benchmarks"
FIXTURE = "_conditions"


def _benchmarked(tree: ast.Module) -> list[str]:
    """The module's test functions marked ``benchmark`` (by decorator or ``pytestmark``)."""

    def marks(node: ast.AST) -> bool:
        return any(
            isinstance(n, ast.Attribute)
            and n.attr == "benchmark"
            and isinstance(n.value, ast.Attribute)
            and n.value.attr == "mark"
            for n in ast.walk(node)
        )

    whole = any(
        isinstance(node, ast.Assign)
        and marks(node.value)
        and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
        for node in tree.body
    )
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and node.name.startswith("test_")
        and (whole or any(marks(d) for d in node.decorator_list))
    ]


def _modules() -> dict[Path, ast.Module]:
    """Every test module (tests/node's packages left out) that mentions a benchmark mark, or
    sits in tests/benchmarks."""
    found = {}
    for folder, children, files in os.walk(TESTS):
        children[:] = [c for c in children if c not in ("node_modules", "__pycache__")]
        for name in files:
            path = Path(folder) / name
            if name.startswith("test_") and name.endswith(".py"):
                text = path.read_text(encoding="utf-8")
                if "benchmark" in text or path.parent == BENCHMARKS:
                    found[path] = ast.parse(text)
    return found


def test_every_benchmark_lives_where_the_conditions_are_printed() -> None:
    modules = _modules()
    elsewhere = {
        str(p.relative_to(TESTS)): names
        for p, tree in modules.items()
        if p.parent != BENCHMARKS and (names := _benchmarked(tree))
    }
    assert elsewhere == {}, "benchmarks outside tests/benchmarks print no conditions"
    here = [p for p in modules if p.parent == BENCHMARKS]
    assert len(here) >= 20
    for path in here:
        tree = modules[path]
        assert _benchmarked(tree), f"{path.name}: a module in tests/benchmarks runs no benchmark"
        overriding = [
            n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == FIXTURE
        ]
        assert not overriding, f"{path.name} replaces the conditions fixture"


def test_the_conditions_are_printed_after_each_benchmarks_figures(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest((BENCHMARKS / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile(
        test_figures="""
        def test_one():
            print("FIGURES one")

        def test_two():
            print("FIGURES two")
    """
    )
    result = pytester.runpytest_inprocess("-s", "-p", "no:xdist", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    lines = [line for line in result.outlines if line.startswith("[bench ")]
    assert len(lines) == 2, result.outlines  # once a benchmark
    assert all(
        "calibration 1,000,000 steps" in line
        and " ms CPU, " in line
        and "load " in line
        and " cores" in line
        for line in lines
    ), lines
    printed = "\n".join(result.outlines)
    assert printed.index("FIGURES one") < printed.index("[bench ") < printed.index("FIGURES two")
