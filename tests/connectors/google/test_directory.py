"""GoogleDirectory over the fake Admin SDK: paging, leavers, groups, managers, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("googleapiclient", reason="needs google-api-python-client")

from bot.core.ports import PermanentError, RetryableError
from tests.connectors.contract.kit_google import ADMIN, build_google, group_email, seeded_fake
from tests.support.fakes.google import FakeGoogle, no_real_http  # noqa: F401

pytestmark = pytest.mark.usefixtures("no_real_http")

USERS = "directory.users.list"
MEMBERS = "directory.members.list"


@pytest.fixture
def fake() -> FakeGoogle:
    return seeded_fake()


def test_users_list_pages_with_list_next(fake: FakeGoogle, tmp_path: Path) -> None:
    for i in range(650):
        fake.add_user(f"staff{i:03d}@oakfield.example", f"Staff Member{i:03d}")
    changes = build_google(tmp_path, fake, all_users=True).directory.fetch(None)

    first, second = fake.calls(USERS)
    expected = {"customer": "my_customer", "maxResults": "500", "projection": "full", "alt": "json"}
    assert {k: first.query[k] for k in expected} == expected
    assert "pageToken" not in first.query
    assert "nextPageToken" in first.query["fields"]  # partial response keeps the page token
    assert second.query["pageToken"].startswith("pt-")
    assert {k: second.query[k] for k in expected} == expected
    assert first.principal == ADMIN  # delegated to the admin subject
    assert changes.complete
    assert len(changes.people) == len(fake.users) == 656
    assert len({p.external_id for p in changes.people}) == 656


def test_members_list_pages_and_asks_for_derived_membership(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    addresses = [f"ta{i:03d}@oakfield.example" for i in range(250)]
    for address in addresses:
        fake.add_user(address, "Teaching Assistant")
    fake.add_group("tas@oakfield.example", "Teaching assistants", addresses)
    directory = build_google(
        tmp_path, fake, role_groups={"TAs@oakfield.example": "staff"}
    ).directory
    changes = directory.fetch(None)

    first, second = fake.calls(MEMBERS)
    assert first.path == "/admin/directory/v1/groups/tas%40oakfield.example/members"
    assert first.query["maxResults"] == "200"
    assert first.query["includeDerivedMembership"] == "true"
    assert second.query["pageToken"].startswith("pt-")
    in_group = [p for p in changes.people if "tas@oakfield.example" in p.groups]
    assert sorted(p.email for p in in_group) == addresses


def test_nested_groups_count_and_everyone_member(fake: FakeGoogle, tmp_path: Path) -> None:
    fake.add_group("safeguarding@oakfield.example", "Safeguarding", ["leadership@oakfield.example"])
    fake.add_group("everyone@oakfield.example", "Everyone", ["*"])
    directory = build_google(
        tmp_path,
        fake,
        role_groups={"safeguarding@oakfield.example": "dsl", "everyone@oakfield.example": "staff"},
        all_users=True,
    ).directory
    people = {p.email: p for p in directory.fetch(None).people}
    assert people["ada.head@oakfield.example"].groups == {
        "safeguarding@oakfield.example",
        "everyone@oakfield.example",
    }
    assert people["ben.teacher@oakfield.example"].groups == {"everyone@oakfield.example"}


def test_the_fake_lists_nested_members_only_when_derived_membership_is_asked(
    fake: FakeGoogle,
) -> None:
    """members.list's ``includeDerivedMembership`` ("Whether to list indirect memberships.
    Default: false", the Admin SDK reference): without it a nested group is one member."""
    fake.add_group("safeguarding@oakfield.example", "Safeguarding", ["leadership@oakfield.example"])
    key = {"groupKey": "safeguarding@oakfield.example"}
    _, direct = fake._h_directory_members_list(ADMIN, key, {}, None)
    _, derived = fake._h_directory_members_list(
        ADMIN, key, {"includeDerivedMembership": "true"}, None
    )
    assert [m["type"] for m in direct["members"]] == ["GROUP"]
    assert {m["type"] for m in derived["members"]} == {"GROUP", "USER"}


def test_people_fields_leavers_and_managers(fake: FakeGoogle, tmp_path: Path) -> None:
    fake.add_user("old.archived@oakfield.example", "Old Archived", archived=True)
    directory = build_google(tmp_path, fake, all_users=True).directory
    people = {p.email: p for p in directory.fetch(None).people}

    ben = people["ben.teacher@oakfield.example"]
    assert ben.external_id == "u-2"
    assert (ben.display_name, ben.given_name, ben.family_name) == ("Ben Teacher", "Ben", "Teacher")
    assert ben.job_title == "Class teacher"
    assert ben.manager_email == "ada.head@oakfield.example"
    assert ben.manager_external_id == "u-1"
    assert ben.groups == {group_email("All Staff"), group_email("Official Account Holders")}
    assert ben.active and ben.roles == {"staff", "account_holder"}  # from settings role_groups
    assert not people["dan.left@oakfield.example"].active  # suspended
    assert not people["old.archived@oakfield.example"].active  # archived


def test_cursor_is_stable_and_changes_with_the_listing(fake: FakeGoogle, tmp_path: Path) -> None:
    directory = build_google(tmp_path, fake).directory
    first = directory.fetch(None)
    again = directory.fetch(first.cursor)
    assert again.complete and again.cursor == first.cursor
    fake.users[-1]["name"]["fullName"] = "Dan Returned"
    assert directory.fetch(again.cursor).cursor != first.cursor


def test_a_configured_group_that_does_not_exist_stops_the_sync(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    directory = build_google(
        tmp_path, fake, role_groups={"no-such-group@oakfield.example": "governor"}
    ).directory
    with pytest.raises(PermanentError) as caught:
        directory.fetch(None)
    assert "ROLE_GROUPS" in str(caught.value)
    assert "404" in str(caught.value)


def test_subject_who_is_not_an_admin_is_permanent(fake: FakeGoogle, tmp_path: Path) -> None:
    directory = build_google(tmp_path, fake, admin_subject="ben.teacher@oakfield.example").directory
    with pytest.raises(PermanentError) as caught:
        directory.fetch(None)
    assert "403" in str(caught.value)


def test_server_errors_on_reads_are_retryable(fake: FakeGoogle, tmp_path: Path) -> None:
    fake.fail_next(USERS, 503, message="The service is currently unavailable.")
    with pytest.raises(RetryableError):
        build_google(tmp_path, fake, all_users=True).directory.fetch(None)
    fake.fail_next("batch", 503, message="The service is currently unavailable.")
    with pytest.raises(RetryableError):
        build_google(tmp_path, fake).directory.fetch(None)


def test_rejected_users_are_reported_not_fatal(fake: FakeGoogle, tmp_path: Path) -> None:
    fake.users.append({"kind": "admin#directory#user", "id": "999", "name": {}})
    changes = build_google(tmp_path, fake, all_users=True).directory.fetch(None)
    assert changes.rejected == ["Google user 999: no id or primary email"]
    assert len(changes.people) == len(fake.users) - 1


def test_the_user_query_leaves_the_pupils_org_unit_out(fake: FakeGoogle, tmp_path: Path) -> None:
    """orgUnitPath='/Staff' reads the staff org unit and those under it; pupils are never read
    (and read again when the setting is taken away)."""
    fake.add_user("t.teacher@oakfield.example", "Tess Teacher", org_unit="/Staff")
    fake.add_user("s.support@oakfield.example", "Sam Support", org_unit="/Staff/Support")
    fake.add_user("p.pupil@oakfield.example", "Pat Pupil", org_unit="/Pupils")
    fake.add_user("y.six@oakfield.example", "Yan Six", org_unit="/Pupils/Year 6")
    query = "orgUnitPath='/Staff'"
    changes = build_google(tmp_path, fake, user_query=query, all_users=True).directory.fetch(None)
    emails = {p.email for p in changes.people}
    assert {"t.teacher@oakfield.example", "s.support@oakfield.example"} <= emails
    assert not emails & {"p.pupil@oakfield.example", "y.six@oakfield.example"}
    assert fake.calls(USERS)[-1].query["query"] == query  # the setting goes to Google as it is
    everyone = {
        p.email for p in build_google(tmp_path, fake, all_users=True).directory.fetch(None).people
    }
    assert {"p.pupil@oakfield.example", "y.six@oakfield.example"} <= everyone


def test_a_manager_read_pages_after_the_people_they_manage_gives_them_their_id(
    fake: FakeGoogle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Users are packed a page at a time as they arrive (#60), so a manager listed on a later
    page than someone they manage is found among the packed people once the listing ends."""
    from connectors.google import directory as google_directory

    monkeypatch.setattr(google_directory, "USERS_PAGE", 2)  # several pages of the fake's users
    fake.add_user("zed.new@oakfield.example", "Zed New", manager="zoe.boss@oakfield.example")
    boss = fake.add_user("zoe.boss@oakfield.example", "Zoe Boss")
    read = build_google(tmp_path, fake, all_users=True).directory.fetch(None)
    people = {p.email: p for p in read.people}
    assert len(fake.users) > 2 * google_directory.USERS_PAGE
    assert people["zed.new@oakfield.example"].manager_external_id == boss["id"]
    assert people["ben.teacher@oakfield.example"].manager_email == "ada.head@oakfield.example"
    assert people["ben.teacher@oakfield.example"].manager_external_id == "u-1"
