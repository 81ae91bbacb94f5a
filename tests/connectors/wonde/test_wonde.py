"""The Wonde connector against the Wonde-shaped fake: employees mapped by value (work address
only, the post and every additional post, start and end dates), pages followed, a second read
of two requests (changes and deletions), a deletion between two pages of a full read, 422
named, 429 waited out, a revoked school a setup error, and never a request that writes."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.core.ports import MisPerson, PermanentError, RetryableError, SetupError
from connectors.wonde.client import WondeClient
from connectors.wonde.connector import WondeMis
from tests.support.fakes.wonde import FakeWonde


def _mis(fake: FakeWonde, waits: list[float] | None = None) -> WondeMis:
    client = WondeClient(
        fake.school,
        fake.token,
        transport=fake.transport,
        sleep=(waits if waits is not None else []).append,
    )
    return WondeMis(client, now=lambda: fake.now)


def _staff(fake: FakeWonde, n: int) -> None:
    for i in range(n):
        fake.add_employee(
            f"A{i:05d}",
            f"Given{i}",
            f"Family{i}",
            work_email=f"s{i}@oak.example",
            roles=("Teacher",),
            start=date(2020, 9, 1),
        )
    fake.tick(days=30)  # the school's records were written a while before the bot reads them


def test_an_employee_is_read_by_value() -> None:
    fake = FakeWonde()
    fake.add_employee(
        "A10001",
        "Margaret",
        "Hamill",
        roles=("Midday Supervisor", "Cleaner"),
        start=date(2019, 9, 2),
    )
    fake.add_employee(
        "A10002",
        "Eimear",
        "Rafferty",
        work_email="E.Rafferty@Colmans.example",
        roles=("Bursar",),
        start=date(2015, 1, 5),
        end=date(2026, 8, 31),
    )
    fake.employees["A10001"].body["contact_details"]["data"]["emails"]["home"] = "m@home.example"
    read = _mis(fake).read()
    assert read.complete and read.cursor == "2026-11-02 05:55:00"  # five minutes' overlap
    assert sorted(read.people, key=lambda p: p.mis_id) == [
        MisPerson(
            "A10001",
            "Margaret Hamill",
            None,
            "Margaret",
            "Hamill",
            "Midday Supervisor",
            ("Cleaner",),
            date(2019, 9, 2),
            None,
        ),  # a home address is never used
        MisPerson(
            "A10002",
            "Eimear Rafferty",
            "e.rafferty@colmans.example",
            "Eimear",
            "Rafferty",
            "Bursar",
            (),
            date(2015, 1, 5),
            date(2026, 8, 31),
        ),
    ]
    first = fake.requests[0]
    assert first.url.path == f"/v1.0/schools/{fake.school}/employees"
    assert dict(first.url.params) == {
        "per_page": "200",
        "include": "employment_details,contact_details,roles",
    }
    assert first.headers["Authorization"] == f"Bearer {fake.token}"


def test_pages_then_two_requests_a_night_and_deletions_applied() -> None:
    fake = FakeWonde()
    _staff(fake, 450)
    mis = _mis(fake)
    full = mis.read()
    assert len(full.people) == 450 and full.complete
    assert len(fake.requests) == 4  # three pages of 200, then "was anything deleted meanwhile?"
    fake.tick(hours=24)
    fake.update_employee("A00007", surname="Renamed")
    fake.delete_employee("A00008")
    before = len(fake.requests)
    delta = mis.read(full.cursor)
    assert len(fake.requests) - before == 2
    assert [p.display_name for p in delta.people] == ["Given7 Renamed"]
    assert list(delta.removed) == ["A00008"] and not delta.complete
    assert fake.requests[-1].url.params["updated_after"] == full.cursor
    assert fake.writes == []


def test_a_deletion_between_two_pages_is_read_again() -> None:
    fake = FakeWonde()
    _staff(fake, 450)
    deleted: list[str] = []

    def delete_once(resource: str, page: int) -> None:
        if resource == "employees" and page == 1 and not deleted:
            fake.tick(seconds=1)
            fake.delete_employee("A00003")  # page 2 now starts one later: A00200 would be lost
            deleted.append("A00003")

    fake.after_page = delete_once
    read = _mis(fake).read()
    ids = {p.mis_id for p in read.people}
    assert len(ids) == 449 and "A00003" not in ids and "A00200" in ids
    assert len(fake.requests) == 8  # a read that met a deletion, then one that did not


def test_a_bad_parameter_is_named() -> None:
    fake = FakeWonde()
    client = WondeClient(fake.school, fake.token, transport=fake.transport)
    with pytest.raises(PermanentError, match=r"422.*include: Unknown include: salary"):
        list(client.pages("employees", {"include": "salary"}))
    with pytest.raises(PermanentError, match="updated_after"):
        list(client.pages("employees", {"updated_after": "2026-11-02T06:00:00Z"}))


def test_throttling_is_waited_out_then_reported() -> None:
    fake = FakeWonde()
    _staff(fake, 3)
    waits: list[float] = []
    fake.throttle(2, retry_after=1.5)
    assert len(_mis(fake, waits).read().people) == 3
    assert waits == [1.5, 1.5]
    fake.throttle(9, retry_after=1)
    with pytest.raises(RetryableError, match="429"):
        _mis(fake, []).read()
    fake._throttled.clear()
    fake.throttle(1, retry_after=3600)  # longer than a sweep waits: the next sweep tries
    with pytest.raises(RetryableError) as raised:
        _mis(fake, []).read()
    assert raised.value.retry_after == 3600


def test_a_school_that_revoked_access_or_a_wrong_token_is_a_setup_error() -> None:
    fake = FakeWonde(revoked=True)
    with pytest.raises(SetupError, match="withdrawn its approval of the app in Wonde"):
        _mis(fake).read()
    other = FakeWonde()
    client = WondeClient(other.school, "not-the-token", transport=other.transport)
    with pytest.raises(SetupError, match="401") as raised:
        WondeMis(client, now=lambda: datetime(2026, 11, 2)).read()
    assert "not-the-token" not in str(raised.value)
    assert fake.writes == other.writes == []


def test_the_fake_refuses_what_wonde_would() -> None:
    """The fake is checked too: it never accepts what it cannot check."""
    fake = FakeWonde()
    client = WondeClient(fake.school, fake.token, transport=fake.transport)
    with pytest.raises(PermanentError, match="per_page"):
        list(client.pages("employees", {"per_page": "500"}))
    with pytest.raises(PermanentError, match="type"):
        list(client.pages("deletions", {"type": "salary"}))
    response = client._http.post(f"schools/{fake.school}/employees", json={})
    assert response.status_code == 405 and len(fake.writes) == 1


def test_the_fake_takes_the_token_either_way_wonde_documents() -> None:
    """docs.wonde.com: the token as HTTP Basic (empty password, as the PHP client sends it) or
    as a bearer token; the PHP client's paths end with a slash. Anything else is refused."""
    import base64

    import httpx

    fake = FakeWonde()
    http = httpx.Client(transport=fake.transport, base_url="https://api.wonde.com/v1.0/")
    basic = base64.b64encode(f"{fake.token}:".encode()).decode()
    path = f"schools/{fake.school}/employees/"
    assert http.get(path, headers={"Authorization": f"Basic {basic}"}).status_code == 200
    assert http.get(path, headers={"Authorization": f"Bearer {fake.token}"}).status_code == 200
    wrong = base64.b64encode(b"someone-else:").decode()
    assert http.get(path, headers={"Authorization": f"Basic {wrong}"}).status_code == 401
    assert fake.writes == []
