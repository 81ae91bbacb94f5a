"""Reading school.yaml as people write it: the file read (missing, not YAML, a character that
cannot be stored: one line naming file and line), times stay times (no YAML 1.1 base-60
numbers), and every key's line is known, so a problem names the file, the line and the key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.core.config.said import check, problem_line, pydantic_problem
from bot.core.guards.forms import Text, find_control_character
from bot.core.language.i18n import N_, Joined, Msg, shown

__all__ = [
    "ConfigError",
    "SchoolYamlLoader",
    "format_loc",
    "line_index",
    "load_yaml",
    "located_problems",
    "read_config_file",
    "yaml_problems",
]


class ConfigError(Exception):
    """The configuration is invalid: its problem lines (``lines``: sentences with their values,
    said where shown); ``str()`` is their English, one a line."""

    def __init__(self, *lines: Text) -> None:
        self.lines = lines
        super().__init__("\n".join(str(shown(line, "en")) for line in lines))


_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"


class SchoolYamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader without YAML 1.1's base-60 numbers: ``end: 16:30`` is the text
    ``16:30`` (a time), never the number 990 that reads as 00:16:30. A file that is not YAML
    is refused in its words; a good one is read faster by ``_LibYamlLoader``."""


SchoolYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SchoolYamlLoader.add_implicit_resolver(
    _INT,
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
SchoolYamlLoader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)

# libyaml's parser (PyYAML's C extension, in its wheels for Linux, macOS and Windows) reads a
# file about eight times faster than PyYAML's own, to the same values (tests/core/
# test_yaml_loaders.py); PyYAML built from source where libyaml is not installed has none.
# Where the two parsers part, PyYAML's reading stands: libyaml takes a tab after a value,
# Unicode line breaks, a byte-order mark inside the text and ``|#`` that PyYAML refuses, and
# reads a bare ``!`` tag otherwise
_PYYAML_ONLY = re.compile("[\t\x85\u2028\u2029\ufeff\ud800-\udfff]|[|>][-+0-9]*#|(?<!\\w)!")
_FAST_BASE: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LibYamlLoader(_FAST_BASE):  # type: ignore[valid-type,misc]
    """``SchoolYamlLoader``'s resolvers (the same table) on libyaml's parser."""


_LibYamlLoader.yaml_implicit_resolvers = SchoolYamlLoader.yaml_implicit_resolvers


def load_yaml(text: str) -> Any:
    """Parse YAML the way school files are meant (times stay times; see SchoolYamlLoader).

    A text libyaml refuses is read again by PyYAML's own parser, so what is refused, and the
    words and line it is refused with, are PyYAML's as before (libyaml words them otherwise);
    so is a text where the two would part (``_PYYAML_ONLY``).
    """
    if not _PYYAML_ONLY.search(text):
        try:
            return yaml.load(text, Loader=_LibYamlLoader)  # noqa: S506 - SafeConstructor
        except yaml.YAMLError:
            pass
    return yaml.load(text, Loader=SchoolYamlLoader)  # noqa: S506 - a SafeLoader subclass


def line_index(text: str) -> dict[tuple[Any, ...], int]:
    """Map each YAML path (keys and list indices) to its 1-based line number: a key's own
    line, not the line where its (block) value starts."""
    lines: dict[tuple[Any, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[Any, ...]) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = key.value
                lines[(*path, name)] = key.start_mark.line + 1
                walk(value, (*path, name))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))

    try:  # PyYAML's marks (libyaml places an empty node's otherwise); asked on a problem only
        root = yaml.compose(text, Loader=SchoolYamlLoader)
    except yaml.YAMLError:
        return lines
    if root is not None:
        walk(root, ())
    return lines


def format_loc(loc: tuple[Any, ...]) -> str:
    """A YAML path as people read it: ``schools[0].reports.clocks``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def located_problems(
    path: object, text: str, exc: ValidationError
) -> list[tuple[tuple[Any, ...], int, Msg]]:
    """Every validation error as (YAML path, line or 0, "file line N: key: problem"), in file
    order; ``path`` is the file (or, for saved settings, the words that say where they are)."""
    lines = line_index(text)
    found: dict[str, tuple[tuple[Any, ...], int, Msg]] = {}
    for error in exc.errors():
        # pydantic puts union/literal branch names in loc; keep the YAML path part
        loc = tuple(p for p in error["loc"] if p not in ("function-after",))
        # the line of the deepest part of the path the file has
        line = next(
            (lines[loc[:cut]] for cut in range(len(loc), -1, -1) if loc[:cut] in lines), None
        )
        said = problem_line(path, pydantic_problem(error), line=line, field=format_loc(loc))
        found.setdefault(said.said("en"), (loc, line or 0, said))
    return sorted(found.values(), key=lambda p: p[1])


def yaml_problems(path: Path, text: str, exc: ValidationError) -> list[tuple[int, Msg]]:
    """Every validation error as (line, "file line N: key: problem"), in file order."""
    return [(line, said) for _loc, line, said in located_problems(path, text, exc)]


def read_config_file(path: Path) -> tuple[str, dict[str, Any]]:
    """The file's text and its parsed mapping, before the checks; raise ConfigError naming
    file and line when it cannot be read at all (missing, not YAML, a control character)."""
    if not path.exists():
        raise ConfigError(problem_line(path, check("not_found")))
    text = path.read_text(encoding="utf-8")
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        if isinstance(exc, yaml.reader.ReaderError):  # a raw control character in the file
            line = text.count(chr(10), 0, exc.position) + 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        began = getattr(exc, "context_mark", None)  # where the unfinished part began
        if began is not None and mark is not None and began.line != mark.line:
            problem = Joined((problem, Msg(N_("; it began on line %(line)d"), line=began.line + 1)))
        said = check("not_yaml", problem=problem)
        raise ConfigError(problem_line(path, said, line=line)) from None
    if not isinstance(data, dict):
        raise ConfigError(problem_line(path, check("not_mapping")))
    bad = find_control_character(data)
    if bad is not None:
        loc, found = bad
        said = check("control", found=found)
        raise ConfigError(
            problem_line(path, said, line=line_index(text).get(loc), field=format_loc(loc))
        )
    return text, data
