"""The order the suite's modules are handed to pytest-xdist's workers: the heaviest first.

``--dist loadscope`` gives each worker a module (or a class) at a time, in the order of the
collection; xdist's own default reorders them by how many tests they hold, which puts a heavy
module of one or two tests (a terminal, a kill, a browser) last, where the other worker idles
while it runs. Handing out the heaviest first (longest processing time first) leaves only small
modules for the end. A simulation of xdist's scheduling on a quiet run's junit (3,604 tests,
per-test times varied ±30 % at random, 300 runs) put the workers' finishing gap at 7.5 s on
average and 20 s in one run of ten with xdist's order, 1.5 s and 3.2 s with this one
(a replay of xdist 3.8's LoadScopeScheduling: a worker is handed the next scope when two or
fewer of its tests are left).

``HEAVY`` names the modules that took 10 s or more in that run (test-seconds, both databases);
the rest follow in xdist's own order (most tests first). A module missing from the table only
runs later than it could; a listed module that no longer exists fails
tests/test_schedule.py, and one that CI's junit shows heavy but unlisted is a warning there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

__all__ = ["HEAVY", "HEAVY_SECONDS", "heaviest_first"]

HEAVY_SECONDS = 10.0  # a module this heavy in CI's junit belongs in HEAVY
HEAVY = (  # heaviest first; measured on a quiet run of main's whole suite, 2026-11-27
    "tests/web/test_nation_words.py",
    # 2026-11-27 on a busy machine: the writers make the documents once (~60 s), then 66 reads
    "tests/features/policies/test_real_documents.py",
    "tests/browser/test_accessibility_browser.py",
    "tests/features/setup/test_newcomer_nations.py",
    "tests/engine/test_school_year.py",
    "tests/browser/test_accessibility_office_browser.py",
    "tests/engine/test_quiet_sweeps_equal_full.py",
    "tests/features/policies/test_welsh_import_questions.py",
    "tests/features/setup/test_welsh_init_interactive.py",
    "tests/engine/test_sweep_shares.py",
    "tests/core/test_outbox_faults.py",
    "tests/features/reports/test_mirror.py",
    "tests/core/test_audit_tamper.py",
    "tests/schedules/test_dispatcher_kill.py",
    "tests/cli/test_welsh_check_config_demo_run.py",
    "tests/features/tasks/test_tasks.py",
    "tests/engine/test_isolation.py",
    "tests/features/evidence/test_pack.py",
    "tests/core/test_seal_after_kill.py",
    "tests/features/decisions/test_decisions.py",
    "tests/browser/test_setup_browser.py",
    "tests/web/test_fuzz_forms.py",
    "tests/features/reports/test_web.py",
    "tests/features/setup/test_init_terminal.py",
    "tests/engine/test_changes.py",
    "tests/core/test_outbox.py",
    "tests/engine/test_leavers.py",
    "tests/browser/test_extras_browser.py",
    "tests/web/test_hostile_uploads.py",
    "tests/core/test_audit_imports.py",  # ~20 s on both databases (2026-11-27, busy machine)
    "tests/web/test_serving.py",  # starts 3 web workers of `run` (2026-11-29, busy: ~48 s)
)


class _Item(Protocol):
    nodeid: str


T = TypeVar("T", bound=_Item)


def heaviest_first(items: Sequence[T]) -> list[T]:
    """``items`` with each module's tests kept together and in their order, the modules in
    ``HEAVY``'s order first, then the rest with the most tests first (xdist's own order; ties
    in the order collected)."""
    modules: dict[str, list[T]] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    rank = {module: place for place, module in enumerate(HEAVY)}
    order = sorted(modules, key=lambda m: (rank.get(m, len(HEAVY)), -len(modules[m])))
    return [item for module in order for item in modules[module]]
