"""The school.yaml writer: plain, commented YAML a person can read and edit (no anchors)."""

from __future__ import annotations

import re
import textwrap
import tomllib
from datetime import date, time
from pathlib import Path, PurePath
from typing import Any

import yaml

__all__ = ["COMMENTS", "commented_yaml", "plain"]

# the comment above each top-level and school key: a person's words, kept as data
COMMENTS: dict[str, str] = tomllib.loads(
    (Path(__file__).parent / "school_yaml_comments.toml").read_text(encoding="utf-8")
)


def plain(value: Any) -> Any:
    """Values YAML and JSON both write as a person would: times as 08:00, paths as text."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, time):
        return f"{value:%H:%M}"
    if isinstance(value, PurePath):
        return str(value)
    return value


class _Dumper(yaml.SafeDumper):
    """Plain YAML a person can read: no &id001 anchors, and every text any YAML 1.1 reader
    would take for something else (``17:00``, ``yes``) quoted, so PyYAML reads it back."""

    def ignore_aliases(self, data: Any) -> bool:
        """Repeat a value rather than point at it."""
        return True


_SCALARS = (str, int, float, date)
# a time of day: quoted always, as "08:00" and "17:00" alike, since YAML 1.1 reads an unquoted
# 17:00 as the base-60 number 1020 (08:00 happens to survive; nobody should have to know that)
_TIME = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?$")


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    """Text as plain YAML, a time of day in double quotes (``end: "17:00"``)."""
    style = '"' if _TIME.match(data) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    """A short list of plain values on one line: ``[14, 3]``."""
    flow = all(isinstance(x, _SCALARS) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    """A small mapping of plain values on one line (a term, an escalation), others as blocks."""
    flow = len(data) <= 3 and all(isinstance(x, _SCALARS) for x in data.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)


_Dumper.add_representer(str, _represent_str)
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
