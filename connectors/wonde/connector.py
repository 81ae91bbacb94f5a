"""Wonde's employees as the ports' ``MisPerson``s, one school at a time, read-only.

A first read takes every employee (``include=employment_details,contact_details,roles``);
each later one only those changed since the last (``updated_after``) and the deletions since
(``deletions?type=employee``): a nightly re-read of 1,500 staff is two requests. Wonde pages by
position, so a deletion while a full read is under way can shift someone off the page being
read; a full read therefore asks for the deletions made since it started and, when there are
any, reads again (at most ``FULL_READS`` times).

The fields read (Wonde's employee object): ``id``; ``forename``, ``surname``;
``contact_details.data.emails.work`` (only the work address: a personal one is never used);
``employment_details.data.employment_start_date`` and ``employment_end_date``; ``roles.data``
(``role``, ``start_date``, ``end_date``): the first current role is the post, every other
current one an additional post. Wonde publishes no line manager for an employee, so none is
read. Nothing else (dates of birth, addresses, telephones) is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from bot.core.days.clock import LONDON  # Wonde's times
from bot.core.deployment.settings import Settings
from bot.core.ports import MisChanges, MisPerson, MisSource, PermanentError
from connectors.wonde.client import WondeClient

__all__ = ["FULL_READS", "INCLUDES", "OVERLAP", "WondeMis", "build_mis", "wonde_date"]

INCLUDES = "employment_details,contact_details,roles"
FULL_READS = 3  # a full read that keeps meeting deletions is given up for now after this many
OVERLAP = timedelta(minutes=5)  # the next read starts a little before this one: no gap
STAMP = "%Y-%m-%d %H:%M:%S"  # updated_after, as Wonde takes it


def wonde_date(value: Any) -> date | None:
    """A Wonde date object (``{"date": "2016-04-05 00:00:00.000000", ...}``) or string as a
    date; None when absent. Raises PermanentError naming a date it cannot read."""
    if isinstance(value, Mapping):
        value = value.get("date")
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        shown = str(value)[:30]
        raise PermanentError(f"Wonde gave a date that cannot be read: {shown!r}") from None


def _data(record: Mapping[str, Any], name: str) -> Any:
    """An include's ``data`` (an object or a list), or None."""
    include = record.get(name)
    return include.get("data") if isinstance(include, Mapping) else None


def _posts(record: Mapping[str, Any], today: date) -> list[str]:
    """The employee's current roles, the post first, each once."""
    posts: list[str] = []
    for role in _data(record, "roles") or []:
        name = str(role.get("role") or "").strip()
        start, end = wonde_date(role.get("start_date")), wonde_date(role.get("end_date"))
        current = (start is None or start <= today) and (end is None or end >= today)
        if name and current and name not in posts:
            posts.append(name)
    return posts


def employee(record: Mapping[str, Any], today: date) -> MisPerson:
    """One Wonde employee as an ``MisPerson`` (only the fields the bot needs)."""
    given = str(record.get("forename") or "").strip() or None
    family = str(record.get("surname") or "").strip() or None
    emails = (_data(record, "contact_details") or {}).get("emails") or {}
    work = str(emails.get("work") or "").strip().lower() or None
    employment = _data(record, "employment_details") or {}
    posts = _posts(record, today)
    return MisPerson(
        mis_id=str(record["id"]),
        display_name=" ".join(p for p in (given, family) if p) or str(record["id"]),
        email=work,
        given_name=given,
        family_name=family,
        job_title=posts[0] if posts else None,
        other_titles=tuple(posts[1:]),
        start_date=wonde_date(employment.get("employment_start_date")),
        end_date=wonde_date(employment.get("employment_end_date")),
    )


class WondeMis(MisSource):
    """One school's staff through Wonde (see the module's docstring for what is read).

    Args:
        client: the school's ``WondeClient``.
        now: the clock (tests pass a fixed one); Wonde's times are Europe/London.
    """

    def __init__(self, client: WondeClient, now: Callable[[], datetime] | None = None) -> None:
        self._client = client
        self._now = now or (lambda: datetime.now(LONDON))

    def read(self, cursor: str | None = None) -> MisChanges:
        """Everyone (``cursor`` None) or the changes and deletions since ``cursor``."""
        started = self._now().astimezone(LONDON)
        next_cursor = (started - OVERLAP).strftime(STAMP)
        today = started.date()
        if cursor is not None:
            people = self._employees({"updated_after": cursor}, today)
            return MisChanges(
                people=people, complete=False, removed=self._deleted(cursor), cursor=next_cursor
            )
        # a second early: Wonde's times have no fraction, and one too many costs a re-read
        since = (started - timedelta(seconds=1)).strftime(STAMP)
        known: set[str] = set()  # deletions made before the pass that just ended began
        for _ in range(FULL_READS):
            people = self._employees({}, today)
            deleted = set(self._deleted(since))
            if deleted <= known:  # nothing was deleted under this pass's pages
                return MisChanges(people=people, complete=True, cursor=next_cursor)
            known = deleted
        raise PermanentError(
            f"Wonde's staff list for school {self._client.school} kept changing while it was "
            f"read ({FULL_READS} times): the next sweep reads it again"
        )

    def _employees(self, params: Mapping[str, str], today: date) -> list[MisPerson]:
        return [
            employee(record, today)
            for page in self._client.pages("employees", {"include": INCLUDES, **params})
            for record in page
        ]

    def _deleted(self, since: str) -> list[str]:
        """Employees deleted (and not restored) since ``since``."""
        return [
            str(item["id"])
            for page in self._client.pages(
                "deletions", {"type": "employee", "updated_after": since}
            )
            for item in page
            if not item.get("restored_at")
        ]


def build_mis(
    settings: Settings,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] | None = None,
    now: Callable[[], datetime] | None = None,
) -> dict[str, MisSource]:
    """Each school's Wonde reader, by the school's id in school.yaml (settings ``mis.wonde``)."""
    built: dict[str, MisSource] = {}
    for school_id, school in settings.mis.wonde.items():
        client = WondeClient(
            school.school,
            school.token.get_secret_value(),
            domain=school.domain,
            transport=transport,
            **({"sleep": sleep} if sleep else {}),
        )
        built[school_id] = WondeMis(client, now=now)
    return built
