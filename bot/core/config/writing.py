"""The school.yaml writer: plain, commented YAML a person can read and edit (no anchors)."""

from __future__ import annotations

import textwrap
from datetime import date
from typing import Any

import yaml

from bot.core.config.reading import SchoolYamlLoader

__all__ = ["COMMENTS", "commented_yaml"]

COMMENTS = {
    "organisation": "The trust (or the single school's own organisation).",
    "schools": "One entry per school. Every email address must be in the staff directory.",
    "country": "The school's nation: england, wales, scotland or northern-ireland. It gives the "
    "bank holidays and the safeguarding words and law (bot/core/nations); "
    "england-and-wales keeps England's words.",
    "words": "The school's own words in place of its nation's, e.g. dsl: Child Protection "
    "Co-ordinator (dsl, deputy_dsl, headteacher, chair, governing_body, staff_route, "
    "guidance ...).",
    "headteacher": "The headteacher: sees the dashboard and the weekly digest (never a report "
    "about themselves).",
    "dsl": "The safeguarding lead and deputies: they receive and track reports.",
    "dpo": "Data Protection Officer: told when a data breach may need reporting to the ICO.",
    "chair_of_governors": "Chair of governors and clerk: policy reviews are sent to them.",
    "admins": "The people who run this bot day to day (e.g. the school business manager).",
    "role_groups": "Directory groups that give everyone in them a role.",
    "job_titles": "Job titles and MIS roles in the school's words, and the role each gives "
    "(none: not asked for anything); someone whose title is not here is held back.",
    "terms": "Term dates: reminders are only sent on school days inside these terms.",
    "holidays": "Extra days the school is closed (bank holidays are already known).",
    "inset_days": "INSET days: no reminders on these.",
    "sending_window": "Emails go between these local times on school days (write 08:00, 16:30); "
    "reminders_per_week: the most reminder emails one person gets in any 7 days.",
    "cadences": "How people are chased: days before the due date, every so many days once "
    "overdue, at most max_reminders, and who is told after how many overdue reminders.",
    "policies": "The school's policies: the file, its version, who owns it and when governors "
    "next review it.",
    "requirements": "Who owes what: acknowledge a policy, complete training, sign an AUP, or "
    "a recurring check.",
    "official_accounts": "Official accounts (school Facebook page, Tapestry, the school phone): "
    "who holds each and which acceptable use policy they sign.",
    "reports": "The report-a-concern form and its deadlines (clocks): lado (concerns about "
    "staff) and triage count "
    "working days (Monday to Friday except bank holidays; school holidays do not stop them), "
    "ending at working_day_ends; ICO counts 72 hours. With quiet_hours on, reminders wait for "
    "working_hours on working days, except an immediate report's and an hour clock about to "
    "pass.",
    "directory": "How far a staff-list change is trusted before anyone's duties are closed.",
}


class _Dumper(yaml.SafeDumper):
    """Plain YAML a person can read: no &id001 anchors, times written 08:00 without quotes."""

    def ignore_aliases(self, data: Any) -> bool:
        """Repeat a value rather than point at it."""
        return True


_Dumper.yaml_implicit_resolvers = SchoolYamlLoader.yaml_implicit_resolvers
_SCALARS = (str, int, float, date)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    """A short list of plain values on one line: ``[14, 3]``."""
    flow = all(isinstance(x, _SCALARS) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    """A small mapping of plain values on one line (a term, an escalation), others as blocks."""
    flow = len(data) <= 3 and all(isinstance(x, _SCALARS) for x in data.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)


def commented_yaml(data: dict[str, Any], header: str) -> str:
    """``data`` as YAML under ``header``, each top-level and school key with its comment."""
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=96)
    lines: list[str] = []
    for line in text.splitlines():
        key = line.strip().removeprefix("- ").split(":", 1)[0]
        indent = len(line) - len(line.lstrip())
        if indent <= 2 and key in COMMENTS and ":" in line:
            wrapped = textwrap.wrap(COMMENTS[key], 92 - indent)
            lines += ["", *(f"{' ' * indent}# {part}" for part in wrapped)]
        lines.append(line)
    return header + "\n".join(lines) + "\n"
