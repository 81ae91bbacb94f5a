"""The SCR's pure rules, table by table: which checks each nation asks of whom (s128 in an
independent school, PVG's five-year renewal from April 2026), panels, leavers."""

from __future__ import annotations

from datetime import date

from bot.core.nations import pack_for
from bot.features.scr.rules import CheckValue, Entry, Panel, StaffMember, find_gaps

DONE = CheckValue(True, date(2020, 8, 1))
TODAY = date(2026, 11, 23)


def _kinds(
    entries: list[Entry],
    people: list[StaffMember],
    nation: str = "england",
    today: date = TODAY,
    panels: tuple[Panel, ...] = (),
    independent: bool = False,
) -> set[tuple[str, str | None]]:
    gaps = find_gaps(
        entries, people, list(panels), pack_for(nation).scr_checks, today, independent=independent
    )
    return {(g.kind, g.check) for g in gaps}


def _head(**checks: CheckValue) -> tuple[Entry, StaffMember]:
    every = {
        "identity": DONE,
        "barred_list": DONE,
        "criminal_record": DONE,
        "prohibition": DONE,
        "right_to_work": DONE,
        **checks,
    }
    entry = Entry(
        1,
        "Hana Head",
        date(2020, 9, 1),
        management=True,
        teaching=True,
        safeguarding_training_on=date(2026, 9, 2),
        checks=every,
    )
    return entry, StaffMember(1, "Hana Head", True, False, date(2020, 9, 1))


def test_s128_is_asked_of_management_in_an_independent_school_only() -> None:
    entry, head = _head()
    assert _kinds([entry], [head]) == set()
    assert _kinds([entry], [head], independent=True) == {("missing_check", "s128")}
    entry, head = _head(s128=DONE)
    assert _kinds([entry], [head], independent=True) == set()


def test_pvg_membership_is_renewed_after_five_years_from_april_2026() -> None:
    joined = CheckValue(True, date(2026, 4, 2))
    entry = Entry(
        1,
        "Isla Ross",
        date(2026, 4, 20),
        safeguarding_training_on=date(2031, 9, 2),
        checks={"identity": DONE, "criminal_record": joined, "right_to_work": DONE},
    )
    member = StaffMember(1, "Isla Ross", True, False, date(2026, 4, 20))
    assert _kinds([entry], [member], "scotland", date(2031, 4, 1)) == set()
    assert _kinds([entry], [member], "scotland", date(2031, 9, 3)) == {
        ("renewal_due", "criminal_record")
    }
    older = Entry(
        1,
        "Isla Ross",
        date(2020, 9, 1),
        safeguarding_training_on=date(2031, 9, 2),
        checks={"identity": DONE, "criminal_record": DONE, "right_to_work": DONE},
    )
    assert _kinds([older], [member], "scotland", date(2031, 9, 3)) == set()  # moved in phases


def test_a_panel_needs_one_member_trained_in_safer_recruitment() -> None:
    entry, head = _head()
    panel = (Panel(7, "Year 4 teacher", (1,)),)
    assert _kinds([entry], [head], panels=panel) == {("panel_untrained", None)}
    trained = Entry(**{**entry.__dict__, "safer_recruitment_on": date(2024, 1, 10)})
    assert _kinds([trained], [head], panels=panel) == set()


def test_a_row_for_someone_gone_is_a_gap_until_it_has_a_leaving_date() -> None:
    entry, head = _head()
    gone = Entry(None, "Lee Left", date(2019, 9, 1))
    assert ("left_in_scr", None) in _kinds([entry, gone], [head])
    recorded = Entry(None, "Lee Left", date(2019, 9, 1), left_on=date(2025, 7, 20))
    assert _kinds([entry, recorded], [head]) == set()


def test_the_five_year_pvg_rule_starts_on_1_april_2026_exactly() -> None:
    """Membership from 1 April 2026 runs five years; from 31 March 2026 it moves over in phases
    not yet stated: no renewal is counted for it (Disclosure (Scotland) Act 2020 s.71)."""

    def member(joined: date) -> tuple[Entry, StaffMember]:
        checks = {
            "identity": DONE,
            "criminal_record": CheckValue(True, joined),
            "right_to_work": DONE,
        }
        entry = Entry(
            1, "Isla Ross", joined, safeguarding_training_on=date(2031, 3, 2), checks=checks
        )
        return entry, StaffMember(1, "Isla Ross", True, False, joined)

    first = member(date(2026, 4, 1))
    assert _kinds([first[0]], [first[1]], "scotland", date(2026, 4, 1)) == set()
    assert _kinds([first[0]], [first[1]], "scotland", date(2031, 3, 31)) == set()
    assert _kinds([first[0]], [first[1]], "scotland", date(2031, 4, 1)) == {
        ("renewal_due", "criminal_record")
    }
    eve = member(date(2026, 3, 31))
    assert _kinds([eve[0]], [eve[1]], "scotland", date(2031, 4, 1)) == set()


def test_a_renewal_or_expiry_date_that_has_passed_is_a_gap_for_any_check() -> None:
    """The record's own date counts, in every nation (a DBS re-check date an English school
    keeps; PVG renewal dates recorded before the five-year rule)."""
    due = CheckValue(True, date(2020, 8, 1), date(2026, 11, 22))
    entry, head = _head(criminal_record=due)
    assert _kinds([entry], [head]) == {("renewal_due", "criminal_record")}
    entry, head = _head(criminal_record=CheckValue(True, date(2020, 8, 1), date(2026, 11, 24)))
    assert _kinds([entry], [head]) == set()


def test_volunteers_supply_and_governors_on_the_record_are_never_leavers() -> None:
    entry, head = _head()
    for kind in ("volunteer", "supply", "governor"):
        unmatched = Entry(None, "Val Helper", date(2024, 9, 1), kind=kind)
        assert ("left_in_scr", None) not in _kinds([entry, unmatched], [head]), kind
    staff = Entry(None, "Val Helper", date(2024, 9, 1))
    assert ("left_in_scr", None) in _kinds([entry, staff], [head])


def test_a_volunteer_is_asked_the_checks_of_regulated_activity_only() -> None:
    checks = {"identity": DONE, "barred_list": DONE, "criminal_record": DONE}
    entry = Entry(
        2, "Val Helper", date(2024, 9, 1), teaching=False, checks=checks, kind="volunteer"
    )
    helper = StaffMember(2, "Val Helper", True, False, date(2024, 9, 1), volunteer=True)
    assert _kinds([entry], [helper]) == set()  # no right to work, no staff training
    without = Entry(2, "Val Helper", date(2024, 9, 1), checks={"identity": DONE}, kind="volunteer")
    assert _kinds([without], [helper]) == {
        ("missing_check", "barred_list"),
        ("missing_check", "criminal_record"),
    }


def test_a_check_the_record_has_no_column_for_is_not_judged() -> None:
    entry, head = _head()
    bare = Entry(**{**entry.__dict__, "checks": {"identity": DONE}})
    judged = {"identity", "barred_list", "prohibition", "right_to_work"}
    found = find_gaps([bare], [head], [], pack_for("england").scr_checks, TODAY, judged=judged)
    assert {(g.kind, g.check) for g in found} == {
        ("missing_check", "barred_list"),
        ("missing_check", "prohibition"),
        ("missing_check", "right_to_work"),
    }  # never the enhanced DBS check


def test_a_check_whose_rule_has_ended_opens_no_gap_and_the_evidence_says_which_rule() -> None:
    """A pack item with ``until`` in the past opens nothing: s128 given an end day (as it
    would once a repeal commences) asks nothing of an independent school's head from it, and
    the evidence pack's rules table says the rule the earlier check was made under, with the
    day it stopped and who says so."""
    from bot.core.config import SchoolConfig
    from bot.core.nations import Source
    from bot.features.evidence.rules import rules_table

    checks = [
        c.model_copy(
            update={
                "until": date(2026, 1, 1),
                "dates_source": Source(
                    title="A repeal in force 1 January 2026", url="https://example.gov.uk/repeal"
                ),
            }
        )
        if c.id == "s128"
        else c
        for c in pack_for("england").scr_checks
    ]
    entry, head = _head()
    gaps = find_gaps([entry], [head], [], checks, TODAY, independent=True)
    assert {(g.kind, g.check) for g in gaps} == set()  # from 1 January 2026: none
    gaps = find_gaps([entry], [head], [], checks, date(2025, 12, 31), independent=True)
    assert {(g.kind, g.check) for g in gaps} == {("missing_check", "s128")}  # the day before
    # the pack's own ended rule: KCSIE's Annex A, read in editions before 1 September 2026;
    # an Annex A acknowledged before then was made under it, and the pack's rules say so
    kcsie = next(i for i in pack_for("england").statutory if i.id == "kcsie-read")
    school = SchoolConfig.model_validate(
        {
            "id": "oak",
            "name": "Oak",
            "independent": True,
            "headteacher": "h@oak.example",
            "requirements": [kcsie.requirement],
        }
    )
    rows = {row[0]: row for row in rules_table(school).rows}
    assert rows["section 128 check (management posts)"][2] == ""  # in force: no end known
    annex = rows["Keeping children safe in education (annex-a)"]
    assert annex[2] == "01 Sep 2026" and "Annex A summary is removed" in annex[3]
    assert "Keeping children safe in education (DfE, statutory guidance)" in annex[3]
