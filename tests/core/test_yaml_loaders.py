"""school.yaml read by libyaml's parser means what PyYAML's own parser made of it: the same
values (times stay times), and a file that is not YAML refused in the same words on the same
line (``bot.core.config.reading``; the lines of keys are PyYAML's own, ``line_index``)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.config import load_config, reading
from bot.core.config.store import to_yaml
from tests.support.helpers import SchoolBuilder
from tests.support.paths import REPO

FAST = reading._LibYamlLoader


def outcome(read: Callable[[str], Any], text: str) -> tuple[str, str]:
    """What reading ``text`` gives: its value's repr (types and order shown), or the error."""
    try:
        return "value", repr(read(text))
    except yaml.YAMLError as exc:
        return type(exc).__name__, str(exc)


def pyyaml(text: str) -> Any:
    """``text`` read as the product read it before libyaml: PyYAML's own parser."""
    return yaml.load(text, Loader=reading.SchoolYamlLoader)


def assert_read_alike(text: str) -> None:
    """The product reads ``text`` as PyYAML's parser alone did: the value, or the error."""
    assert outcome(reading.load_yaml, text) == outcome(pyyaml, text)


def test_libyaml_is_the_parser_here() -> None:
    # the wheels uv.lock installs carry libyaml: the fast path is the one these tests check
    assert yaml.__with_libyaml__ and issubclass(FAST, yaml.CSafeLoader)
    assert FAST.yaml_implicit_resolvers is reading.SchoolYamlLoader.yaml_implicit_resolvers


def test_the_repositorys_yaml_and_a_written_school_yaml_read_alike(school: SchoolBuilder) -> None:
    files = subprocess.run(
        ["git", "ls-files", "*.yaml", "*.yml"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "bot/demo/data/school-settings.yaml" in files
    school.policy("online-safety", "1.0")
    school.staff_acknowledge()
    written = to_yaml(load_config(school.write() / "school.yaml"))
    for text in [*((REPO / name).read_text(encoding="utf-8") for name in files), written]:
        assert_read_alike(text)
        if outcome(pyyaml, text)[0] == "value":  # a good file is read by libyaml alone
            yaml.load(text, Loader=FAST)
    demo = (REPO / "bot/demo/data/school-settings.yaml").read_text(encoding="utf-8")
    assert not reading._PYYAML_ONLY.search(demo + written)  # school files take libyaml's path


@pytest.mark.parametrize(
    "text",
    [
        "organisation: {name: X}\nschools: [\n",  # not YAML: PyYAML's words and line
        "a: 1\n\tb: 2\n",  # a tab in the indent
        "a: b: c\n",
        "a: 1\n a: 2\n",
        "- a\nb: 1\n",
        "a: \x07\n",  # a control character: ReaderError counted in characters
        "é: \x00\n",
        "a: [1, 2\nb: 3\n",
        "key: 'unterminated\n",
        "--- a\n--- b\n",  # two documents
        "end: 16:30\nstart: 08:45\nn: 1_000\nf: 1.5e+3\nx: 0o17\ny: 0x1F\nz: 017\n",
        "d: 2026-09-01\nt: 2026-09-01 10:00:00\nb: yes\nn: ~\ns: '16:30'\n",
        "\ufeffa: 1\n",  # a byte-order mark
        "a: &x [1, 2]\nb: *x\nc: !!str 12\n",
        "long: |\n  one\n  two\nfolded: >\n  one\n  two\n",
        "",
        "# only a comment\n",
    ],
)
def test_edge_shapes_read_alike(text: str) -> None:
    assert_read_alike(text)


# values YAML 1.1 would read otherwise than people mean, and values that need quoting
_TYPED = "16:30 08:45:00 1_000 0o17 0x1F 017 1.5e+3 .5 yes No ~ null 2026-09-01"
_SCALARS = st.one_of(
    st.sampled_from(_TYPED.split()),
    st.sampled_from(["2026-09-01 10:00", "a@b.org", ": x", "- y", "#", "'", '"', " lead", "tr "]),
    st.text(max_size=12),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.dates(),
    st.none(),
)
_DATA = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8) | st.sampled_from(["id", "end"]), inner, max_size=4)
    ),
    max_leaves=16,
)
# pieces people type in a school.yaml (and a few they should not), put together in any order:
# most of what they make is not YAML at all
_CHARS = "[]{}#'\"|>?%@`\\,&*!=-:\n\t\r\x00\x07\x85\xa0\u2028\u2029\ufeffé0 "
_WORDS = "a|b: |: |- |    |16:30|1_0|2026-09-01|---|...|&x |*x|!!str |!x |<<: |\r\n|%YAML 1.1\n"
_PIECES = st.sampled_from([*_CHARS, *_WORDS.split("|"), "\n  - ", "|1-", ">+", "|#", "!!binary "])
_FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@_FUZZ
@given(data=_DATA, flow=st.sampled_from([False, True, None]), unicode=st.booleans())
def test_any_data_written_as_yaml_reads_alike(data: Any, flow: bool | None, unicode: bool) -> None:
    assert_read_alike(yaml.safe_dump(data, default_flow_style=flow, allow_unicode=unicode))


@_FUZZ
@given(pieces=st.lists(_PIECES, max_size=30))
def test_any_text_made_of_yaml_pieces_reads_alike(pieces: list[str]) -> None:
    assert_read_alike("".join(pieces))
