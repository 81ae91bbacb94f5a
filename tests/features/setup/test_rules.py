"""The setup's pure rules: typed dates and terms, .ics calendars, packs matched to policies."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.core.config import OrgConfig
from bot.features.setup.rules import (
    SetupError,
    edit_school,
    pack_requirements,
    parse_day,
    parse_terms,
    read_ics,
)


def _org(**school: object) -> OrgConfig:
    return OrgConfig.model_validate({
        "organisation": {"name": "Trust"},
        "schools": [{"id": "oak", "name": "Oak", "headteacher": "head@oak.example", **school}],
        "base_dir": Path("."),
    })


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-09-02", date(2026, 9, 2)),
    ("02/09/2026", date(2026, 9, 2)),
    ("2.9.2026", date(2026, 9, 2)),
    ("2nd September 2026", date(2026, 9, 2)),
    ("2 Sept 2026", date(2026, 9, 2)),
    ("31/02/2026", None),
    ("September 2026", None),
])
def test_typed_days_are_uk_day_first(text: str, expected: date | None) -> None:
    assert parse_day(text) == expected


def test_terms_typed_name_the_line_at_fault() -> None:
    assert parse_terms("Autumn 1, 2026-09-02, 2026-10-23\n\n")[0]["end"] == date(2026, 10, 23)
    with pytest.raises(SetupError, match=r"line 2.*ends before it starts"):
        parse_terms("Autumn 1, 2026-09-02, 2026-10-23\nAutumn 2, 2026-12-18, 2026-11-02")
    with pytest.raises(SetupError, match=r"line 1.*name, its first day and its last day"):
        parse_terms("Autumn 2026-09-02")


def _ics(*events: tuple[str, str, str]) -> bytes:
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:{n}@x\r\nSUMMARY:{summary}\r\nDTSTART;VALUE=DATE:{start}\r\n"
        f"DTEND;VALUE=DATE:{end}\r\nEND:VEVENT\r\n"
        for n, (summary, start, end) in enumerate(events)
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n{body}END:VCALENDAR\r\n".encode()


def test_a_calendar_gives_terms_holidays_and_inset_days() -> None:
    read = read_ics("la.ics", _ics(
        ("Autumn Term", "20260902", "20261219"),
        ("October half-term holiday", "20261026", "20261031"),
        ("Spring term begins", "20270105", "20270106"),
        ("Spring term ends", "20270326", "20270327"),
        ("Staff training day", "20270104", "20270105"),
        ("Christmas Day", "20261225", "20261226"),
    ))
    assert [(t["name"], t["start"], t["end"]) for t in read.terms] == [
        ("Autumn Term", date(2026, 9, 2), date(2026, 12, 18)),
        ("Spring term", date(2027, 1, 5), date(2027, 3, 26)),
    ]
    assert read.inset_days == [date(2027, 1, 4)]
    assert read.holidays == [date(2026, 10, d) for d in (26, 27, 28, 29, 30)]  # weekdays only
    assert read.ignored == ["Christmas Day (2026-12-25)"]


def test_a_file_that_is_not_a_calendar_is_named() -> None:
    with pytest.raises(SetupError, match=r"photo\.ics: this is not an iCalendar"):
        read_ics("photo.ics", b"\x89PNG\r\n\x1a\n")
    with pytest.raises(SetupError, match="no term, holiday or INSET day"):
        read_ics("empty.ics", _ics(("Sports day", "20260701", "20260702")))


def test_a_pack_matches_the_schools_policies_by_title() -> None:
    org = _org(policies=[
        {"id": "cp", "title": "Safeguarding and Child Protection Policy", "version": "1",
         "document": "cp.md"},
        {"id": "aup", "title": "Social Media Acceptable Use Policy", "version": "1",
         "document": "aup.md", "aup": True},
    ])
    added, notes = pack_requirements("kcsie", org.school())
    by_id = {r["id"]: r for r in added}
    assert by_id["ack-child-protection"]["policy"] == "cp"
    assert by_id["ack-child-protection"]["yearly_on"] == "09-01"
    assert by_id["sign-aup"]["policy"] == "aup"  # the AUP is signed, never acknowledged
    assert "training-safeguarding" in by_id
    assert any("online safety" in n for n in notes)
    new = edit_school(org, "oak", lambda s: s.update(requirements=added))
    assert len(new.school().requirements) == len(added)


def test_an_edit_that_breaks_the_settings_names_the_box() -> None:
    org = _org()
    with pytest.raises(SetupError) as caught:
        edit_school(org, "oak", lambda s: s.update(requirements=[
            {"id": "x", "kind": "acknowledge_policy", "policy": "missing"}]))
    assert "unknown policy 'missing'" in str(caught.value)
    assert org.school().requirements == []  # the configuration in force is untouched
