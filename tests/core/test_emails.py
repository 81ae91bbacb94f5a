"""One email check everywhere (``bot.core.guards.emails``, email-validator): the same addresses pass
and fail in school.yaml, the people register, the directory file and a report's form
(``tests/features/reports/test_web.py``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.core.config import ConfigError, load_config
from bot.core.guards.emails import MAX_EMAIL_LENGTH, checked_email, email_problem, is_email
from bot.features.people.rules import parse_entry
from connectors.local.directory import _row_to_person

GOOD = [
    "head@oak.example",  # the demo's and the tests' domains
    "a.b+c@school.org.uk",
    "o'brien@school.org.uk",
    "Pat.Lee@School.Example",  # case is the caller's to fold
    "zoë@school.example",  # an internationalised mailbox
]
BAD = [
    ("", "@-sign"),
    ("nobody", "@-sign"),
    ("pat@@council", "invalid characters"),
    ("a@b", "period"),  # a domain without a dot is a typo
    ("a b@school.example", "SPACE"),
    ("a..b@school.example", "two periods"),
    ("it@school.local", "special-use"),
    ("x" * (MAX_EMAIL_LENGTH - 11) + "@oak.example", f"{MAX_EMAIL_LENGTH} characters"),
]


@pytest.mark.parametrize("address", GOOD)
def test_addresses_people_type_pass(address: str) -> None:
    assert email_problem(address) is None
    assert is_email(address)
    assert checked_email(address) == address


@pytest.mark.parametrize(("address", "why"), BAD)
def test_a_bad_address_says_why(address: str, why: str) -> None:
    problem = email_problem(address)
    assert problem is not None and why in problem
    assert not is_email(address)
    with pytest.raises(ValueError, match="not an email address"):
        checked_email(address)


def _yaml(tmp_path: Path, headteacher: str) -> Path:
    path = tmp_path / "school.yaml"
    path.write_text(
        "organisation: {name: X}\nschools:\n  - id: a\n    name: A\n"
        f'    headteacher: "{headteacher}"\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("address", ["a..b@school.example", "it@school.local"])
def test_every_reader_refuses_what_the_helper_refuses(tmp_path: Path, address: str) -> None:
    """The shapes the old hand-written patterns let through now fail everywhere alike, each
    message naming the file, row or field."""
    with pytest.raises(ConfigError, match=r"line 5: schools\[0\]\.headteacher: not an email"):
        load_config(_yaml(tmp_path, address))
    _, errors = parse_entry({"name": "Pat Lee", "email": address}, ["staff"], date(2026, 9, 1))
    assert "email" in errors
    with pytest.raises(ValueError, match="email is missing or not an email address"):
        _row_to_person({"email": address, "name": "Pat Lee"})


def test_school_yaml_folds_case_and_keeps_a_good_address(tmp_path: Path) -> None:
    config = load_config(_yaml(tmp_path, "Head@Oak.Example"))
    assert config.schools[0].headteacher == "head@oak.example"
