"""The reports sweep step: escalate clocks, bring the mirror in line with what the platform holds.

External-form responses are not read here: the scheduler reads them every minute in short
transactions of their own (``forms.poll_forms``). Read inside the sweep's long transaction, a
new urgent response would wait for the whole sweep, and the minute's poll would wait behind it.
"""

from __future__ import annotations

import logging

from bot.core.deployment.context import StepContext
from bot.core.ports import ConnectorError
from bot.features.reports.clocks import escalate_clocks
from bot.features.reports.mirror import mirror_pending

__all__ = ["report_sweep"]

log = logging.getLogger(__name__)


def report_sweep(run: StepContext) -> dict[str, int]:
    """The sweep step: escalate clocks, refresh the mirror."""
    session, school, now = run.session, run.school, run.now
    base = run.base_url if run.write else ""
    escalations = escalate_clocks(session, school, now, base_url=lambda: base, write=run.write)
    waiting = sum(1 for e in escalations if e.waits_until is not None)
    counts = {"report_escalations": len(escalations) - waiting}
    if waiting:
        counts["report_escalations_waiting"] = waiting
    if not run.write:
        return counts
    mirror = run.connectors.mirror
    if mirror is not None:
        try:
            counts["reports_mirrored"] = mirror_pending(session, mirror, school, verify=True)
        except (ConnectorError, TimeoutError) as exc:  # TimeoutError: a pass still running
            log.warning("report sweep: mirror not updated: %s", exc)
            counts["report_mirror_errors"] = 1
    return counts
