"""The setup's pure rules, used by both ``init`` and the web pages: the calendar typed a line
at a time as the answers' model takes it, the one ``.ics`` term-calendar reader, the one
requirement pack matched to policies."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from bot.core.config import OrgConfig
from bot.features.policies.api import stored_day, typed_date
from bot.features.policies.importer import FuzzyDate
from bot.features.setup.answers import typed_lines
from bot.features.setup.pack import PACKS, PolicyRef, match_pack, pack_requirements, school_pack
from bot.features.setup.rules import SetupError, edit_school
from bot.features.setup.term_calendar import MAX_ICS_BYTES, CalendarError, read_term_calendar

TODAY = date(2026, 6, 1)


def _org(**school: object) -> OrgConfig:
    return OrgConfig.model_validate(
        {
            "organisation": {"name": "Trust"},
            "schools": [{"id": "oak", "name": "Oak", "headteacher": "head@oak.example", **school}],
            "base_dir": Path("."),
        }
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-09-02", date(2026, 9, 2)),
        ("02/09/2026", date(2026, 9, 2)),
        ("2.9.2026", date(2026, 9, 2)),
        ("2nd September 2026", date(2026, 9, 2)),
        ("2 Sept 2026", date(2026, 9, 2)),
        ("Wednesday 2 September 2026", date(2026, 9, 2)),
        ("1.9.26", date(2026, 9, 1)),
        ("31/02/2026", None),
        ("September 2026", None),
        ("2 September 2026 to 3 September 2026", None),
        ("2026-09-02 perhaps", None),
    ],
)
def test_typed_days_are_uk_day_first(text: str, expected: date | None) -> None:
    taken, problem = typed_lines("inset_days", text, TODAY)
    assert taken == ([expected] if expected else [])
    if expected is None:
        assert str(problem) == (
            f"INSET days, line 1: “{text}” is not a date; write it like 2026-10-23 or 23/10/2026."
        )


def test_a_typed_month_is_a_month_and_is_stored_as_its_last_day() -> None:
    assert typed_date("2027-09") == FuzzyDate(2027, 9)
    assert typed_date("September 2027") == FuzzyDate(2027, 9)
    assert typed_date("2027-13") is None and typed_date("soon") is None
    notes: list[str] = []
    assert stored_day("next review", FuzzyDate(2027, 9), notes) == date(2027, 9, 30)
    assert stored_day("ratified", FuzzyDate(2026, 7, 8), notes) == date(2026, 7, 8)
    assert notes == [
        "next review September 2027 (month only) is stored as 30 September 2027, "
        "the last day of that month"
    ]


def _refused(name: str, text: str) -> str:
    taken, problem = typed_lines(name, text, TODAY)
    assert taken == [] and problem is not None
    return str(problem)


def test_terms_typed_name_the_line_at_fault() -> None:
    typed, problem = typed_lines(
        "dates", "Spring, 5/1/2027, 26 March 2027\n\nAutumn 1, 2026-09-02, 2026-10-23\n", TODAY
    )
    assert problem is None and [t["name"] for t in typed] == ["Autumn 1", "Spring"]  # in order
    assert typed[0]["end"] == date(2026, 10, 23) and typed[1]["start"] == date(2027, 1, 5)
    assert re.match(
        r"Terms, line 2: .*ends before it starts",
        _refused("dates", "Autumn 1, 2026-09-02, 2026-10-23\nAutumn 2, 2026-12-18, 2026-11-02"),
    )
    assert re.match(
        r"Terms, line 1: .*name, its first day and its last day",
        _refused("dates", "Autumn 2026-09-02"),
    )
    assert _refused("dates", "Autumn 1, 2026-09-02, 2099-12-31").startswith(
        "Terms, line 1: 2099-12-31 is too far ahead"
    )
    assert _refused("inset_days", "2026-09-01\n1900-01-01").startswith(
        "INSET days, line 2: 1900-01-01 is too long ago"
    )
    assert typed_lines("holidays", "2026-10-26\n26/10/2026\n2026-10-23", TODAY) == (
        [date(2026, 10, 23), date(2026, 10, 26)],  # once each, in order
        None,
    )


def _ics(*events: tuple[str, str, str]) -> bytes:
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:{n}@x\r\nSUMMARY:{summary}\r\nDTSTART;VALUE=DATE:{start}\r\n"
        f"DTEND;VALUE=DATE:{end}\r\nEND:VEVENT\r\n"
        for n, (summary, start, end) in enumerate(events)
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n{body}END:VCALENDAR\r\n".encode()


def test_a_calendar_gives_terms_holidays_and_inset_days() -> None:
    read = read_term_calendar(
        _ics(
            ("Autumn Term; Michaelmas", "20260902", "20261219"),
            ("October half-term holiday", "20261026", "20261031"),
            ("Spring term begins", "20270105", "20270106"),
            ("Spring term ends", "20270326", "20270327"),
            ("Summer term 2 starts", "20270601", "20270602"),
            ("Last day of Summer term 2", "20270721", "20270722"),
            ("Staff training day", "20270104", "20270105"),
            ("Christmas holidays", "20261221", "20270102"),
            ("Parents' evening", "20261112", "20261113"),
        ),
        "la.ics",
    )
    assert [(t["name"], t["start"], t["end"]) for t in read.terms] == [
        ("Autumn Term Michaelmas", date(2026, 9, 2), date(2026, 12, 18)),
        ("Spring term 2027", date(2027, 1, 5), date(2027, 3, 26)),
        ("Summer term 2", date(2027, 6, 1), date(2027, 7, 21)),
    ]
    # the names read back through the typed form unchanged
    typed = "\n".join(f"{t['name']}, {t['start']}, {t['end']}" for t in read.terms)
    assert typed_lines("dates", typed, TODAY) == (read.terms, None)
    assert read.inset_days == [date(2027, 1, 4)]
    # weekdays only, and only inside a term (the Christmas holidays close no school day)
    assert read.holidays == [date(2026, 10, d) for d in (26, 27, 28, 29, 30)]
    assert read.ignored == ["Parents' evening (Thu 12 Nov 2026)"]  # shown, not used
    kinds = {e.summary: e.kind for e in read.events}
    assert kinds["October half-term holiday"] == "holiday"
    assert kinds["Spring term begins"] == "term starts"
    assert kinds["Autumn Term; Michaelmas"] == "term"


@pytest.mark.parametrize(
    "summary",
    [
        "INSET",
        "Inset Day",
        "INSET days",
        "In-Service Day",
        "In service training",
        "Inservice day (school closed to pupils)",
        "Staff Development Day",
        "Staff training",
        "Training Day",
        "Teacher Day",
        "Teachers' day",
        "Baker day",
        "Closed for INSET",
    ],
)
def test_a_day_for_staff_only_is_an_inset_day_however_the_council_names_it(summary: str) -> None:
    read = read_term_calendar(
        _ics(("Autumn term", "20260901", "20261219"), (summary, "20261102", "20261103")),
        "council.ics",
    )
    assert [e.kind for e in read.events if e.summary == summary] == ["INSET day"]
    assert read.inset_days == [date(2026, 11, 2)] and read.holidays == []


@pytest.mark.parametrize(
    ("written", "nation"),
    [
        ("Scotland", "scotland"),
        ("SCOTLAND", "scotland"),
        ("Northern Ireland", "northern-ireland"),
        ("northern ireland", "northern-ireland"),
        ("England and Wales", "england-and-wales"),
        ("WALES", "wales"),
    ],
)
def test_school_yaml_takes_the_nation_as_people_write_it(written: str, nation: str) -> None:
    assert _org(country=written).schools[0].country == nation


def test_a_nation_that_is_not_one_is_refused_by_name() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="country"):
        _org(country="Cornwall")


def test_unmatched_term_markers_and_a_calendar_without_terms_are_noted() -> None:
    read = read_term_calendar(
        _ics(("Autumn term ends", "20261218", "20261219"), ("INSET day", "20260901", "20260902")),
        "la.ics",
    )
    assert read.terms == [] and read.inset_days == [date(2026, 9, 1)]
    assert "has no matching term start" in read.notes[0]
    assert read.notes[-1].startswith("la.ics: no term dates found")


def test_a_file_that_is_not_a_calendar_is_named() -> None:
    with pytest.raises(CalendarError, match=r"photo\.ics: this is not an iCalendar"):
        read_term_calendar(b"\x89PNG\r\n\x1a\n", "photo.ics")
    with pytest.raises(CalendarError, match=r"empty\.ics: the calendar has no events"):
        read_term_calendar(_ics(), "empty.ics")
    with pytest.raises(CalendarError, match=r"big\.ics: the calendar is larger than 2 MB"):
        read_term_calendar(b"x" * (MAX_ICS_BYTES + 1), "big.ics")


_POLICIES = [
    PolicyRef("cp", "Safeguarding and Child Protection Policy"),
    PolicyRef("code", "Staff Code of Conduct"),
    PolicyRef("phones", "Mobile Phones Policy"),
    PolicyRef("social", "Social Media Policy"),
    PolicyRef("sm-aup", "Social Media Acceptable Use Policy"),
]


def test_the_pack_follows_the_policies_and_supply_staff_acknowledge_them() -> None:
    items = match_pack(_POLICIES)
    by_template = {i.template.id: i for i in items}
    assert [p.id for p in by_template["ack-mobile-social-media"].policies] == ["phones", "social"]
    assert not by_template["ack-online-safety"].available
    assert [p.id for p in by_template["sign-aup"].policies] == ["sm-aup"]  # signed, not acked
    reqs = {r["id"]: r for r in pack_requirements(items, {i.template.id for i in items})}
    assert reqs["ack-cp"]["yearly_on"] == "09-01"
    assert reqs["ack-cp"]["audience"]["roles"] == ["staff", "supply", "volunteer"]
    assert reqs["ack-code"]["audience"]["roles"] == ["staff", "supply"]
    assert reqs["sign-sm-aup"] == {
        "id": "sign-sm-aup",
        "kind": "sign_aup",
        "policy": "sm-aup",
        "due_days": 10,
    }
    assert reqs["training-online-safety"]["audience"]["roles"] == ["staff"]
    assert "ack-sm-aup" not in reqs


def test_a_named_pack_adds_to_the_school_and_says_what_it_could_not_match() -> None:
    org = _org(
        policies=[
            {
                "id": "cp",
                "title": "Safeguarding and Child Protection Policy",
                "version": "1",
                "document": "cp.md",
            },
            {
                "id": "aup",
                "title": "Official Accounts Policy",
                "version": "1",
                "document": "aup.md",
                "aup": True,
            },  # marked the AUP, whatever its title
        ]
    )
    added, notes = school_pack(PACKS["kcsie"], org.school())
    by_id = {r["id"]: r for r in added}
    assert by_id["ack-cp"]["policy"] == "cp" and by_id["ack-cp"]["yearly_on"] == "09-01"
    assert by_id["sign-aup"]["policy"] == "aup"
    assert "training-safeguarding" in by_id
    assert "No policy about online safety yet: add it, then choose the pack again." in notes
    new = edit_school(org, "oak", lambda s: s.update(requirements=added))
    assert len(new.school().requirements) == len(added)
    again, _ = school_pack(PACKS["kcsie"], new.school())
    assert again == []  # what the school already asks is kept, never doubled
    acks, _ = school_pack(PACKS["acknowledgements"], org.school())
    assert {r["kind"] for r in acks} == {"acknowledge_policy"}


def test_an_edit_that_breaks_the_settings_names_the_box() -> None:
    org = _org()
    with pytest.raises(SetupError) as caught:
        edit_school(
            org,
            "oak",
            lambda s: s.update(
                requirements=[{"id": "x", "kind": "acknowledge_policy", "policy": "missing"}]
            ),
        )
    assert "unknown policy 'missing'" in str(caught.value)
    assert org.school().requirements == []  # the configuration in force is untouched
