"""Microsoft 365 directory: users and role groups by delta query, against the fake Graph.

The fake answers ``/users/delta()`` and ``/groups/delta()`` as Graph does: pages linked by
``@odata.nextLink`` (an empty first page included), a final ``@odata.deltaLink``, ``@removed``
entries and ``members@delta``; expired tokens answer 410 or 400 ``syncStateNotFound``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.models import Person
from bot.core.ports import DirectoryChanges, DirectoryPerson, PermanentError, RetryableError
from bot.engine.directory import sync_directory
from bot.engine.leavers import confirm_removals
from tests.connectors.contract.kit_m365 import m365_settings
from tests.support.fakes.graph import FakeClock, FakeGraph
from tests.support.helpers import SchoolBuilder

pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")

from connectors.m365.connector import build
from connectors.m365.directory import GraphDirectory

BEN = "ben.teacher@oakfield.example"
ADA = "ada.head@oakfield.example"
CARA = "cara.governor@oakfield.example"
DAN = "dan.left@oakfield.example"


@pytest.fixture
def fake() -> FakeGraph:
    graph = FakeGraph(clock=FakeClock())
    graph.seed_population()
    return graph


Make = Callable[..., GraphDirectory]


@pytest.fixture
def make(fake: FakeGraph, tmp_path: Path) -> Iterator[Make]:
    built: list[GraphDirectory] = []

    def make_directory(graph: FakeGraph | None = None, **m365: Any) -> GraphDirectory:
        graph = graph or fake
        connectors = build(m365_settings(tmp_path, **m365), transport=graph.transport)
        assert isinstance(connectors.directory, GraphDirectory)
        built.append(connectors.directory)
        return connectors.directory

    yield make_directory
    for directory in built:
        directory.client.close()


def _by_email(changes: DirectoryChanges) -> dict[str, DirectoryPerson]:
    return {p.email: p for p in changes.people}


def _new_requests(fake: FakeGraph, since: int) -> list[str]:
    return [
        f"{r.method} {r.url.path}" for r in fake.requests[since:] if r.url.host == fake.graph_host
    ]


# --------------------------------------------------------------------------- full sync


def test_full_sync_reads_role_group_members_with_roles_and_managers(
    fake: FakeGraph, make: Make
) -> None:
    changes = make().fetch(None)
    assert changes.complete and changes.cursor and changes.rejected == []
    people = _by_email(changes)
    # the sender (a shared mailbox) is in no role group: a school's other accounts, pupils'
    # included, are never read into the bot
    assert set(people) == {ADA, BEN, CARA, DAN}
    ben = people[BEN]
    assert ben.external_id == "u-2" and ben.display_name == "Ben Teacher"
    assert (ben.given_name, ben.family_name, ben.job_title) == ("Ben", "Teacher", "Class teacher")
    assert ben.groups == {"All Staff", "Official Account Holders"}
    assert ben.roles == {"staff", "account_holder"}
    assert ben.manager_external_id == "u-1" and ben.manager_email == ADA
    assert people[ADA].roles == {"staff", "headteacher"}
    assert people[CARA].roles == {"governor"}
    assert people[DAN].active is False and people[DAN].roles == {"staff"}  # disabled: a leaver
    assert fake.rejected == []


def test_full_sync_follows_next_links_through_an_empty_first_page(
    fake: FakeGraph, make: Make
) -> None:
    fake.page_size = 1
    make().fetch(None)
    user_pages = fake.graph_requests("GET", r"^/users/delta\(\)$")
    # an empty first page, then one user a page (5 users), the last one carrying the deltaLink
    assert len(user_pages) == 6
    assert "$select" in str(user_pages[0].url) and "$skiptoken" in str(user_pages[1].url)
    group_pages = fake.graph_requests("GET", r"^/groups/delta\(\)$")
    assert "$filter" in str(group_pages[0].url)  # only the role groups' membership is read
    assert all("$skiptoken" in str(r.url) for r in group_pages[1:])


def test_nested_groups_and_devices_are_not_people(fake: FakeGraph, make: Make) -> None:
    fake.add_member("Governors", "d-laptop", kind="device")
    people = make().fetch(None).people
    assert {p.external_id for p in people} == {"u-1", "u-2", "u-3", "u-4"}  # no g-nested


def test_all_users_reads_everyone_but_the_unlicensed_shared_mailbox(make: Make) -> None:
    changes = make(all_users=True).fetch(None)
    people = _by_email(changes)
    assert set(people) == {ADA, BEN, CARA, DAN}
    assert changes.left_out == {"unlicensed account": 1}  # the sender: a shared mailbox
    people = _by_email(make(all_users=True, include_unlicensed=True).fetch(None))
    assert people["compliance-bot@oakfield.example"].active is False  # sign-in blocked
    assert people["compliance-bot@oakfield.example"].roles == frozenset()


def test_without_role_groups_everyone_is_read(make: Make) -> None:
    people = _by_email(make(role_groups={}, include_unlicensed=True).fetch(None))
    assert set(people) == {ADA, BEN, CARA, DAN, "compliance-bot@oakfield.example"}
    assert people[BEN].groups == frozenset() and people[BEN].roles == frozenset()


GUEST = "gus.guest_partner.example#EXT#@oakfield.example"


def _not_staff(fake: FakeGraph) -> None:
    """A guest from a partner school, an unlicensed service account and an unlicensed room
    mailbox, all in All Staff (as happens: dynamic groups, copied memberships)."""
    fake.add_user(
        "u-g",
        "Gus Guest (Partner School)",
        "gus@partner.example",
        user_principal_name=GUEST,
        user_type="Guest",
    )
    fake.add_user("u-s", "Scanner Service", "scanner@oakfield.example", licensed=False)
    fake.add_user("u-r", "Hall Booking", "hall@oakfield.example", licensed=False)
    for uid in ("u-g", "u-s", "u-r"):
        fake.add_member("All Staff", uid)


def test_guests_and_unlicensed_accounts_are_left_out_and_counted(
    fake: FakeGraph, make: Make
) -> None:
    _not_staff(fake)
    changes = make().fetch(None)
    assert set(_by_email(changes)) == {ADA, BEN, CARA, DAN}
    assert changes.left_out == {"guest": 1, "unlicensed account": 2}
    # Graph is asked for what tells them apart, in the real call's $select
    first = fake.graph_requests("GET", r"^/users/delta\(\)$")[0]
    select = first.url.params["$select"].split(",")
    assert {"userType", "assignedLicenses"} <= set(select)
    assert fake.rejected == []


def test_the_settings_bring_guests_and_unlicensed_accounts_in(fake: FakeGraph, make: Make) -> None:
    _not_staff(fake)
    guests = make(include_guests=True).fetch(None)
    assert "gus@partner.example" in _by_email(guests)
    assert guests.left_out == {"unlicensed account": 2}
    everyone = make(include_guests=True, include_unlicensed=True).fetch(None)
    assert {"gus@partner.example", "scanner@oakfield.example", "hall@oakfield.example"} <= set(
        _by_email(everyone)
    )
    assert everyone.left_out == {}


def test_a_person_whose_licence_is_taken_away_is_missing_after_a_delta(
    fake: FakeGraph, make: Make
) -> None:
    directory = make()
    first = directory.fetch(None)
    fake.update_user("u-2", assignedLicenses=[])
    fake.add_user("u-g", "Gus Guest", "gus@partner.example", user_type="Guest")
    fake.add_member("All Staff", "u-g")
    changes = directory.fetch(first.cursor)
    assert not changes.complete
    assert "u-2" in changes.removed and BEN not in _by_email(changes)
    assert "gus@partner.example" not in _by_email(changes)
    assert changes.left_out == {"guest": 1, "unlicensed account": 1}
    # licensed again: back, and no longer counted
    fake.update_user(
        "u-2",
        assignedLicenses=[{"disabledPlans": [], "skuId": "94763226-9b3c-4e75-a931-5c89701abe66"}],
    )
    again = directory.fetch(changes.cursor)
    assert _by_email(again)[BEN].active
    assert again.left_out == {"guest": 1}
    assert fake.rejected == []


def test_an_account_with_no_mailbox_is_left_out_and_named(fake: FakeGraph, make: Make) -> None:
    """A licensed scanner account signs in as a name mail cannot reach (``mail`` null): it is
    named, not chased at its sign-in name, even when unlicensed accounts are brought in."""
    fake.add_user("u-9", "Office Scanner", None, user_principal_name="scanner@oakfield.example")
    fake.add_member("All Staff", "u-9")
    for directory in (make(), make(include_unlicensed=True)):
        changes = directory.fetch(None)
        assert "scanner@oakfield.example" not in _by_email(changes)
        assert changes.no_mailbox == ["Office Scanner (scanner@oakfield.example)"]
        assert (changes.left_out or {}).get("account with no mailbox") == 1
        assert changes.rejected == [] and BEN in _by_email(changes)
    # given a mailbox: read at its address, and no longer named
    fake.update_user("u-9", mail="scanner@oakfield.example")
    later = directory.fetch(changes.cursor)
    assert "scanner@oakfield.example" in _by_email(later) and later.no_mailbox == []


@pytest.mark.parametrize("licensed", [True, False])
def test_include_guests_brings_guest_governors_in_whatever_their_licence(
    fake: FakeGraph, make: Make, licensed: bool
) -> None:
    fake.add_user(
        "u-gov",
        "Gill Governor",
        "gill@home.example",
        user_type="Guest",
        user_principal_name="gill_home.example#EXT#@oakfield.example",
        licensed=licensed,
    )
    fake.add_member("Governors", "u-gov")
    assert "gill@home.example" not in _by_email(make().fetch(None))
    changes = make(include_guests=True).fetch(None)
    gill = _by_email(changes)["gill@home.example"]
    assert gill.roles == {"governor"} and gill.active
    assert "guest" not in (changes.left_out or {})
    assert "unlicensed account" not in (changes.left_out or {})


@pytest.mark.parametrize(
    "error",
    [
        {
            "code": "BadRequest",
            "message": "The sync state generation of the delta token has expired.",
        },
        {"code": "Request_BadRequest", "message": "Invalid request."},
    ],
)
def test_an_unknown_400_on_a_delta_link_reads_the_whole_directory_once(
    fake: FakeGraph, make: Make, error: dict[str, str]
) -> None:
    directory = make()
    first = directory.fetch(None)
    fake.fail("GET", r"^/users/delta\(\)$", status=400, json_body={"error": error})
    again = directory.fetch(first.cursor)
    assert again.complete and set(_by_email(again)) == {ADA, BEN, CARA, DAN}
    assert directory.fetch(again.cursor).complete is False  # and delta resumes
    # a 400 on the full read too: this fetch fails, the next one reads the whole again
    fake.fail("GET", r"^/users/delta\(\)$", status=400, json_body={"error": error}, times=2)
    with pytest.raises(PermanentError):
        directory.fetch(again.cursor)
    assert directory.fetch(again.cursor).complete is False


def test_a_role_group_that_does_not_exist_stops_the_sync(make: Make) -> None:
    directory = make(role_groups={"All Staff": "staff", "Govenors": "governor"})
    with pytest.raises(PermanentError) as caught:
        directory.fetch(None)
    assert "ROLE_GROUPS" in str(caught.value) and "'Govenors'" in str(caught.value)


# --------------------------------------------------------------------------- delta


def test_second_sync_without_changes_costs_three_requests(fake: FakeGraph, make: Make) -> None:
    directory = make()
    first = directory.fetch(None)
    before, tokens = len(fake.requests), len(fake.token_requests())
    second = directory.fetch(first.cursor)
    assert _new_requests(fake, before) == [
        "GET /v1.0/users/delta()",
        "GET /v1.0/groups/delta()",
        # All Staff holds a group: the delta reports direct members only, so its members are
        # read whole through its transitive members at every sync
        "GET /v1.0/groups/g-1/transitiveMembers",
    ]
    assert len(fake.token_requests()) == tokens  # the token is cached
    assert not second.complete
    assert list(second.people) == [] and list(second.removed) == []
    assert second.cursor and second.cursor != first.cursor  # the new delta links


def test_follow_up_rounds_follow_empty_pages_too(make: Make) -> None:
    fake = FakeGraph(clock=FakeClock(), empty_delta_pages=True)
    fake.seed_population()
    directory = make(fake)
    first = directory.fetch(None)
    fake.update_user("u-2", jobTitle="Deputy head")
    second = directory.fetch(first.cursor)
    assert [p.job_title for p in second.people] == ["Deputy head"]


def test_new_starter_added_to_all_staff_arrives_with_role(fake: FakeGraph, make: Make) -> None:
    directory = make()
    first = directory.fetch(None)
    fake.add_user("u-5", "Eve New", "eve.new@oakfield.example", manager="u-1")
    fake.add_member("All Staff", "u-5")
    second = directory.fetch(first.cursor)
    [eve] = second.people
    assert (eve.email, eve.active, eve.roles) == ("eve.new@oakfield.example", True, {"staff"})
    assert eve.manager_external_id == "u-1"


def test_an_account_in_no_role_group_is_never_looked_up(fake: FakeGraph, make: Make) -> None:
    directory = make()
    first = directory.fetch(None)
    fake.add_user("u-p1", "Pip Pupil", "pip.pupil@oakfield.example")
    fake.update_user("u-bot", displayName="Compliance Bot (do not reply)")
    before = len(fake.requests)
    second = directory.fetch(first.cursor)
    assert list(second.people) == []
    assert len(_new_requests(fake, before)) == 3  # no /users?$filter lookup of outsiders


def test_disabled_account_comes_back_inactive(fake: FakeGraph, make: Make) -> None:
    directory = make()
    first = directory.fetch(None)
    fake.update_user("u-2", accountEnabled=False)
    [ben] = directory.fetch(first.cursor).people
    assert ben.email == BEN and ben.active is False
    assert ben.groups == {"All Staff", "Official Account Holders"}  # the record stays whole


def test_deleted_user_is_reported_removed(fake: FakeGraph, make: Make) -> None:
    directory = make()
    first = directory.fetch(None)
    fake.delete_user("u-2")
    second = directory.fetch(first.cursor)
    assert list(second.removed) == ["u-2"] and list(second.people) == []


def test_taken_out_of_every_role_group_is_a_leaver(fake: FakeGraph, make: Make) -> None:
    directory = make()
    first = directory.fetch(None)
    fake.remove_member("Governors", "u-3")
    [cara] = directory.fetch(first.cursor).people
    assert cara.email == CARA and cara.active is False and cara.groups == frozenset()


def test_membership_change_updates_roles(fake: FakeGraph, make: Make) -> None:
    directory = make()
    first = directory.fetch(None)
    fake.remove_member("Official Account Holders", "u-2")
    fake.add_member("Governors", "u-1")
    second = _by_email(directory.fetch(first.cursor))
    assert set(second) == {BEN, ADA}
    assert second[BEN].roles == {"staff"}
    assert second[ADA].roles == {"staff", "headteacher", "governor"}
    assert second[ADA].active


def test_manager_change_arrives_by_id(fake: FakeGraph, make: Make) -> None:
    """manager@delta carries the id only; the store resolves it (see the store test below)."""
    directory = make()
    first = directory.fetch(None)
    fake.set_manager("u-2", "u-3")
    second = directory.fetch(first.cursor)
    [ben] = second.people
    assert ben.manager_external_id == "u-3"
    fake.set_manager("u-2", None)
    [ben] = directory.fetch(second.cursor).people
    assert ben.manager_external_id is None and ben.manager_email is None


def test_partial_delta_entries_are_reread_whole_fifteen_ids_a_request(make: Make) -> None:
    fake = FakeGraph(clock=FakeClock(), partial_updates=True)
    fake.seed_population()
    for n in range(20):
        fake.add_user(f"u-s{n:02d}", f"Supply {n}", f"supply{n}@oakfield.example")
        fake.add_member("All Staff", f"u-s{n:02d}")
    directory = make(fake)
    first = directory.fetch(None)
    for n in range(20):
        fake.update_user(f"u-s{n:02d}", jobTitle="Supply teacher")
    before = len(fake.requests)
    second = directory.fetch(first.cursor)
    lookups = [r for r in fake.requests[before:] if r.url.path == "/v1.0/users"]
    assert len(lookups) == 2  # `id in (...)` takes at most 15 ids
    assert len(second.people) == 20
    assert {p.job_title for p in second.people} == {"Supply teacher"}
    assert all(p.display_name.startswith("Supply ") and p.active for p in second.people)
    assert all(p.roles == {"staff"} for p in second.people)


@pytest.mark.parametrize("status", [410, 400])
def test_expired_delta_token_falls_back_to_a_full_sync(
    fake: FakeGraph, make: Make, status: int
) -> None:
    directory = make()
    first = directory.fetch(None)
    fake.expire_delta_tokens(status)
    again = directory.fetch(first.cursor)
    assert again.complete
    assert set(_by_email(again)) == {ADA, BEN, CARA, DAN}
    assert directory.fetch(again.cursor).complete is False  # and delta resumes


def test_unreadable_or_foreign_cursor_means_a_full_sync(fake: FakeGraph, make: Make) -> None:
    first = make().fetch(None)
    assert make().fetch("not a cursor").complete
    assert make(role_groups={"All Staff": "staff"}).fetch(first.cursor).complete
    assert make(all_users=True).fetch(first.cursor).complete


def test_renamed_role_group_stops_the_sync_with_the_name(fake: FakeGraph, make: Make) -> None:
    directory = make()
    first = directory.fetch(None)
    fake.rename_group("Governors", "Governing Board")
    with pytest.raises(PermanentError, match="'Governors'"):
        directory.fetch(first.cursor)


def test_delta_link_to_another_host_is_refused(fake: FakeGraph, make: Make) -> None:
    directory = make()
    cursor = directory.fetch(None).cursor
    assert cursor is not None
    forged = cursor.replace("https://graph.microsoft.com/", "https://attacker.example/")
    before = len(fake.requests)
    changes = directory.fetch(forged)
    assert all(r.url.host != "attacker.example" for r in fake.requests[before:])
    assert changes.complete  # refused the link, then a full sync


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("permission", ["User.Read.All", "GroupMember.Read.All"])
def test_missing_permission_is_permanent_and_names_it(
    fake: FakeGraph, make: Make, permission: str
) -> None:
    fake.granted.discard(permission)
    with pytest.raises(PermanentError) as caught:
        make().fetch(None)
    assert "HTTP 403" in str(caught.value)
    assert "User.Read.All and GroupMember.Read.All" in str(caught.value)


def test_throttled_reads_are_retryable_with_retry_after(
    fake: FakeGraph, make: Make, retry_sleeps: list[float]
) -> None:
    fake.fail("GET", r"^/users/delta\(\)$", status=429, headers={"Retry-After": "0"}, times=9)
    with pytest.raises(RetryableError):
        make().fetch(None)
    reads = fake.graph_requests("GET", r"^/users/delta\(\)$")
    assert len(reads) == 4  # a GET is safe to repeat: the SDK tried 1 + 3 times
    assert len(retry_sleeps) == 3  # waiting before each (recorded, not slept: ~12 s before)


def test_one_503_on_a_read_is_absorbed_by_the_sdk_retry(
    fake: FakeGraph, make: Make, retry_sleeps: list[float]
) -> None:
    fake.fail("GET", r"^/users/delta\(\)$", status=503, headers={"Retry-After": "0"})
    assert make().fetch(None).complete
    assert len(retry_sleeps) == 1


# --------------------------------------------------------------------------- with the store


def test_sync_into_the_store_keeps_leavers_and_their_history(
    fake: FakeGraph, make: Make, tmp_path: Path, sqlite_url: str
) -> None:
    builder = SchoolBuilder(tmp_path / "school")
    builder.school["headteacher"] = ADA
    builder.school["dsl"] = [ADA]
    builder.school["deputy_dsl"] = []
    ctx = builder.context(sqlite_url)
    school = ctx.config.school()
    directory = make()
    with ctx.store.transaction() as session:
        first = sync_directory(session, school, directory, date(2026, 11, 2))
    assert (first.added, first.left) == (4, 0)
    with ctx.store.transaction() as session:
        quiet = sync_directory(session, school, directory, date(2026, 11, 3))
    assert (quiet.added, quiet.updated, quiet.left) == (0, 0, 0)
    fake.set_manager("u-2", "u-3")
    with ctx.store.transaction() as session:
        sync_directory(session, school, directory, date(2026, 11, 3))
        ben = session.scalar(select(Person).where(Person.email == BEN))
        assert ben is not None and ben.manager is not None and ben.manager.email == CARA
    fake.update_user("u-2", accountEnabled=False)  # Ben leaves: account disabled
    fake.delete_user("u-1")  # Ada's account is deleted outright
    with ctx.store.transaction() as session:
        stopped = sync_directory(session, school, directory, date(2026, 11, 4))
    # two of the three people at once is a mass removal: nobody changes until confirmed,
    # and the delta is read again (its removals are not lost)
    assert stopped.stopped is not None and stopped.stopped.would_remove == 2
    with ctx.store.transaction() as session:
        confirm_removals(session, school.id, ADA)
    with ctx.store.transaction() as session:
        later = sync_directory(session, school, directory, date(2026, 11, 4))
        people = {p.email: p for p in session.scalars(select(Person))}
    assert (later.missing, later.left) == (2, 0)
    assert people[BEN].active and people[BEN].missing_since == date(2026, 11, 4)
    assert people[ADA].active and people[ADA].missing_since == date(2026, 11, 4)
    with ctx.store.transaction() as session:
        week_later = sync_directory(session, school, directory, date(2026, 11, 11))
        people = {p.email: p for p in session.scalars(select(Person))}
    assert week_later.left == 2
    assert set(people) == {ADA, BEN, CARA, DAN}  # never deleted
    assert not people[BEN].active and people[BEN].left_on == date(2026, 11, 11)
    assert not people[ADA].active and people[ADA].left_on == date(2026, 11, 11)
    assert people[CARA].active and people[CARA].role_names == {"governor"}


def test_directory_status_says_who_the_last_read_left_out(
    fake: FakeGraph, make: Make, tmp_path: Path, sqlite_url: str
) -> None:
    from typer.testing import CliRunner

    from bot.cli.main import app
    from bot.engine.directory_kept import left_out

    _not_staff(fake)
    fake.add_user("u-9", "Office Scanner", None, user_principal_name="scan@oakfield.example")
    fake.add_member("All Staff", "u-9")
    builder = SchoolBuilder(tmp_path / "school")
    builder.school["headteacher"] = ADA
    builder.school["dsl"] = [ADA]
    builder.school["deputy_dsl"] = []
    ctx = builder.context(sqlite_url)
    school = ctx.config.school()
    with ctx.store.transaction() as session:
        sync_directory(session, school, make(), date(2026, 11, 2))
    with ctx.store.session() as session:
        assert left_out(session, school.id) == {
            "guest": 1,
            "unlicensed account": 2,
            "account with no mailbox": 1,
        }
        emails = set(session.scalars(select(Person.email)))
    assert not emails & {"gus@partner.example", "scanner@oakfield.example"}
    ctx.store.dispose()
    result = CliRunner().invoke(
        app,
        ["directory", "status"],
        env={
            "COMPLIANCE_BOT_HOME": str(builder.home),
            "COMPLIANCE_BOT_DATABASE_URL": sqlite_url,
            "COMPLIANCE_BOT_CONNECTOR": "m365",
            "COLUMNS": "200",
        },
    )
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert (
        "Left out of the directory (not staff): 1 account with no mailbox, 1 guest, "
        "2 unlicensed accounts"
    ) in out
    assert "COMPLIANCE_BOT_M365__INCLUDE_GUESTS=true" in out
    assert "Not chased, because mail cannot reach them" in out
    assert "Office Scanner (scan@oakfield.example)" in out


def test_directory_resync_drops_the_cursor_and_is_audited(
    fake: FakeGraph, make: Make, tmp_path: Path, sqlite_url: str
) -> None:
    from typer.testing import CliRunner

    from bot.cli.main import app
    from bot.core.models import AuditEvent, ConnectorState
    from bot.engine.directory import CURSOR_KEY

    builder = SchoolBuilder(tmp_path / "school")
    builder.school["headteacher"] = ADA
    builder.school["dsl"] = [ADA]
    builder.school["deputy_dsl"] = []
    ctx = builder.context(sqlite_url)
    school = ctx.config.school()
    directory = make()
    with ctx.store.transaction() as session:
        sync_directory(session, school, directory, date(2026, 11, 2))
    ctx.store.dispose()
    result = CliRunner().invoke(
        app,
        ["directory", "resync", "--as", ADA],
        env={
            "COMPLIANCE_BOT_HOME": str(builder.home),
            "COMPLIANCE_BOT_DATABASE_URL": sqlite_url,
            "COMPLIANCE_BOT_CONNECTOR": "m365",
            "COLUMNS": "200",
        },
    )
    assert result.exit_code == 0, result.output
    assert "the next sweep reads the whole directory again" in " ".join(result.output.split())
    with ctx.store.transaction() as session:
        assert (
            session.scalar(select(ConnectorState).where(ConnectorState.key == CURSOR_KEY)) is None
        )
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "directory.resync")
        ).one()
        assert event.actor == f"cli:{ADA}"
        before = len(fake.graph_requests("GET", r"^/users/delta\(\)$"))
        sync_directory(session, school, directory, date(2026, 11, 3))
        first = fake.graph_requests("GET", r"^/users/delta\(\)$")[before]
        assert "$deltatoken" not in first.url.params  # read from the start


# --------------------------------------------------------------------------- nested groups


def test_a_role_groups_nested_groups_are_read_through_its_transitive_members(
    fake: FakeGraph, make: Make
) -> None:
    """All Staff holding Teachers (#77 item 3): Teachers' members are All Staff's people, at
    the first sync and after, as they join and leave it, though the group delta (and the
    plain ``members`` list) reports All Staff's direct members only."""
    fake.add_group("g-teachers", "Teachers")
    fake.add_user("u-t1", "Tess Tutor", "tess.tutor@oakfield.example")
    fake.add_member("g-teachers", "u-t1")
    fake.add_member("All Staff", "g-teachers", kind="group")
    direct = fake.handler(_get(fake, "/groups/g-1/members"))
    assert "u-t1" not in direct.text and "g-teachers" in direct.text  # the fake's Graph rule
    directory = make()
    first = directory.fetch(None)
    tess = _by_email(first)["tess.tutor@oakfield.example"]
    assert tess.active and tess.groups == {"All Staff"} and tess.roles == {"staff"}
    fake.add_user("u-t2", "Theo Tutor", "theo.tutor@oakfield.example")
    fake.add_member("g-teachers", "u-t2")  # joins the nested group: no All Staff delta at all
    second = directory.fetch(first.cursor)
    assert [p.email for p in second.people] == ["theo.tutor@oakfield.example"]
    fake.remove_member("All Staff", "g-teachers")  # the nested group taken out
    third = directory.fetch(second.cursor)
    assert {p.email: p.active for p in third.people} == {
        "tess.tutor@oakfield.example": False,
        "theo.tutor@oakfield.example": False,
    }
    before = len(fake.requests)
    directory.fetch(third.cursor)  # All Staff still holds the seeded (empty) group
    assert len(_new_requests(fake, before)) == 3  # so its members are still read whole


def _get(fake: FakeGraph, path: str) -> Any:
    import httpx

    token = fake.access_token
    return httpx.Request("GET", f"{fake.graph}{path}", headers={"Authorization": f"Bearer {token}"})
