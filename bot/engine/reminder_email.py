"""A reminder digest as one email: each item's face (title, version, why, due date, button) in
the reader's language, the subject, the digest rendered once for everyone with the same items
(the name and signed links slotted in after), and the day's one message to whoever is asked on
behalf of people without an email address. ``bot.engine.remind`` loads, plans and queues."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.core.config import RequirementConfig, SchoolConfig
from bot.core.deployment.settings import Settings
from bot.core.guards.emails import has_mailbox
from bot.core.guards.forms import Text
from bot.core.guards.links import make_token
from bot.core.language.i18n import N_, Day, Msg, nmsg, person_language, speaking, spoken
from bot.core.language.words import version_name
from bot.core.outbox import EmailDraft
from bot.core.rendering.messages import render, render_shared
from bot.core.rendering.rendered import Rendered, slot
from bot.engine.reminder_words import (
    ITEM_TEXT,
    LINK_PURPOSE,
    ON_BEHALF_ITEM_TEXT,
    ON_BEHALF_LINK,
    ONLY_THEMSELVES,
    asked_intro,
    escalated_lead,
    escalated_names,
    escalated_told,
    footnote,
    intro,
    item_why,
)
from bot.engine.reminders import Digest, OpenDuty, Recipient

__all__ = ["DigestNote", "Names", "Renderer"]


@dataclass(frozen=True)
class Names:
    """What items are called: version labels, policy titles, account names, by id."""

    versions: Mapping[int, str]
    titles: Mapping[int, str]
    accounts: Mapping[int, str]


@dataclass(frozen=True)
class DigestNote:
    """A paragraph a feature adds to one person's reminder email, with a link (the SCR owner's
    new gaps, in counts, never a name): kept in the outbox under its own ``key`` and
    ``purpose`` (merged into the reminder), so it is taken once."""

    key: str
    purpose: str
    text: Text
    url: str
    button: Text


@dataclass(frozen=True)
class _Shape:
    """A digest rendered once for everyone with the same items: subject, titles, both parts."""

    subject: str  # said in the reader's language
    titles: tuple[str, ...]
    rendered: Rendered
    # each linked item's slot, by its place in the digest, and its link's purpose (None: the
    # person's own page): worked out once, so each person's email only signs their links
    links: tuple[tuple[str, int, str | None], ...]


_SHAPES_KEPT = 4096  # distinct digests kept rendered at once (a school has a few dozen)


@dataclass(frozen=True)
class Renderer:
    """Everything a digest's email needs besides the digest itself.

    Digests with the same items (same requirements, versions and due dates) share one render:
    the person's name and their signed links are slotted in afterwards (``Rendered.fill``), so
    a 10,000-person digest day renders each distinct digest once, not once per person.
    """

    settings: Settings
    school: SchoolConfig
    requirements: Mapping[int, RequirementConfig]
    names: Names
    secret: str
    today: date
    people: Mapping[int, Recipient] = field(default_factory=dict)  # who asks for whom
    _faces: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)
    _shapes: dict[tuple[Any, ...], _Shape] = field(default_factory=dict)

    def language_of(self, person: Recipient | None) -> str:
        """What ``person`` reads: their own choice where the school is dual-language (cy+en),
        else the school's language (``SchoolConfig.language``)."""
        return person_language(
            self.school.language, person.language if person is not None else None
        )

    @staticmethod
    def _face_key(duty: OpenDuty) -> tuple[Any, ...]:
        """What an item shows depends on these, never on whose it is."""
        return (
            duty.requirement_id,
            duty.version_id,
            duty.cycle.startswith("renew:"),
            duty.account_id,
            duty.due_on,
        )

    def face(self, duty: OpenDuty) -> dict[str, Any]:
        """One item of the digest as shown: title, version, why, due date and button (each
        said where shown)."""
        key = self._face_key(duty)
        face = self._faces.get(key)
        if face is None:
            cfg = self.requirements[duty.requirement_id]
            version = duty.version_id
            account = self.names.accounts.get(duty.account_id) if duty.account_id else None
            face = self._faces[key] = {
                "title": self.names.titles.get(version, cfg.display_title)
                if version
                else cfg.display_title,
                "version": version_name(self.names.versions[version])
                if version and version in self.names.versions
                else None,
                "why": item_why(cfg, duty.cycle, account),
                "due_text": Day(duty.due_on),
                "overdue": duty.due_on < self.today,
                "button": Msg(ITEM_TEXT[cfg.kind][0]),
            }
        return face

    def _purpose(self, duty: OpenDuty, on_behalf: bool) -> str | None:
        """The signed page an item links to (None: the person's own page)."""
        kind = self.requirements[duty.requirement_id].kind
        return LINK_PURPOSE.get(kind) or (ON_BEHALF_LINK.get(kind) if on_behalf else None)

    def _signed(self, purpose: str | None, person_id: int, duty: OpenDuty) -> str:
        """The link to ``purpose``'s page for this person and duty (or their own page)."""
        if not purpose:
            return f"{self.settings.base_url}/me"
        return f"{self.settings.base_url}/{purpose}/" + make_token(
            self.secret, purpose, person_id, duty.id, duty.version_id
        )

    def url(self, person_id: int, duty: OpenDuty, on_behalf: bool = False) -> str:
        """The item's link: a signed page for this person and duty, or their own page (for
        someone asked on another's behalf, training has its signed page too)."""
        return self._signed(self._purpose(duty, on_behalf), person_id, duty)

    def subject(self, items: list[dict[str, Any]]) -> Msg:
        """'Overdue: X' / 'Action needed: X' for one item; a count for several."""
        first = items[0]
        if len(items) == 1:
            sentence = (
                N_("Overdue: %(title)s") if first["overdue"] else N_("Action needed: %(title)s")
            )
            return Msg(sentence, title=first["title"])
        if any(i["overdue"] for i in items):
            return nmsg(
                "Overdue items: %(num)d thing to do for %(school)s",
                "Overdue items: %(num)d things to do for %(school)s",
                len(items),
                school=self.school.name,
            )
        return nmsg(
            "Action needed: %(num)d thing to do for %(school)s",
            "Action needed: %(num)d things to do for %(school)s",
            len(items),
            school=self.school.name,
        )

    def asked_for(self, person: Recipient) -> tuple[str, str] | None:
        """Who is asked on behalf of someone without an email address, as (address, name
        greeted): their line manager, else the school office; None for anyone with one."""
        if has_mailbox(person.email):
            return None
        manager = self.people.get(person.manager_id) if person.manager_id is not None else None
        if manager is not None and has_mailbox(manager.email):
            return manager.email, manager.given_name or manager.display_name
        return self.school.reply_address() or self.school.headteacher, "colleague"

    def _linked(self, duty: OpenDuty, on_behalf: bool) -> bool:
        """Whether the item has a button: for someone asked on another's behalf, only the
        pages the person reads and confirms themselves (not the asker's own page)."""
        kind = self.requirements[duty.requirement_id].kind
        return (
            not on_behalf
            or (kind in LINK_PURPOSE and kind not in ONLY_THEMSELVES)
            or kind in ON_BEHALF_LINK
        )

    def _on_behalf_face(self, duty: OpenDuty, on_behalf: bool) -> dict[str, Msg]:
        """An item's button and why, for whoever records it on another's behalf, where the
        person's own ("See my training", "upload it from your page") would not be true."""
        kind = self.requirements[duty.requirement_id].kind
        texts = ON_BEHALF_ITEM_TEXT.get(kind, {}) if on_behalf else {}
        return {name: Msg(text) for name, text in texts.items()}

    def _shape(self, digest: Digest, on_behalf: bool, note: DigestNote | None = None) -> _Shape:
        """The digest rendered with slots for the name and links, once per distinct digest, in
        the active language (the reader's)."""
        lead = escalated_lead(digest)
        key = (
            tuple(self._face_key(d) for d in digest.items),
            digest.escalated,
            lead,
            on_behalf,
            spoken(),
            note,
        )
        shape = self._shapes.get(key)
        if shape is not None:
            return shape
        items = [
            {
                **self.face(d),
                **self._on_behalf_face(d, on_behalf),
                "url": slot(f"url{n}") if self._linked(d, on_behalf) else None,
            }
            for n, d in enumerate(digest.items)
        ]
        names = escalated_names(self.school)
        escalated = [
            names[flag] for flag in digest.escalated if not (on_behalf and flag == "line_manager")
        ]
        kinds = [self.requirements[d.requirement_id].kind for d in digest.items]
        subject = self.subject(items)
        rendered = render_shared(
            "reminder",
            {
                "school_name": self.school.name,
                "subject": subject,
                "person_name": slot("name"),
                "intro": intro(len(items), on_behalf),
                "items": items,
                "escalated_to": bool(escalated),
                "escalated_told": escalated_told(lead, escalated),
                "footnote_html": footnote(kinds, self.settings.link_max_age_days, "button"),
                "footnote_text": footnote(kinds, self.settings.link_max_age_days, "link"),
                "reply_to": self.school.reply_address(),
                "note": note,
            },
        )
        if len(self._shapes) >= _SHAPES_KEPT:
            self._shapes.clear()
        links = tuple(
            (f"url{n}", n, self._purpose(d, on_behalf))
            for n, d in enumerate(digest.items)
            if self._linked(d, on_behalf)
        )
        shape = self._shapes[key] = _Shape(
            str(subject), tuple(str(i["title"]) for i in items), rendered, links
        )
        return shape

    def _shaped(
        self, digest: Digest, note: DigestNote | None
    ) -> tuple[tuple[str, str] | None, _Shape]:
        """Who is asked on the person's behalf (None: they are asked), and the digest's shape
        in the language its reader reads (an asker reads the school's)."""
        asker = self.asked_for(digest.person)
        with speaking(self.language_of(None if asker else digest.person)):
            return asker, self._shape(digest, asker is not None, note)

    def listed(self, digest: Digest) -> tuple[str, tuple[str, ...]]:
        """Where a digest not queued would go, and its items' titles (for the sweep summary):
        no link is signed for an email nobody will get."""
        asker, shape = self._shaped(digest, None)
        return asker[0] if asker else digest.person.email, shape.titles

    def email(
        self, digest: Digest, note: DigestNote | None = None
    ) -> tuple[EmailDraft, tuple[str, ...]]:
        """The digest's email (with ``note`` after its items), and its items' titles (for the
        sweep summary)."""
        person, items = digest.person, digest.items
        asker, shape = self._shaped(digest, note)
        values = {
            "name": asker[1] if asker else person.given_name or person.display_name,
            "about": person.display_name,
        }
        for name, n, purpose in shape.links:
            values[name] = self._signed(purpose, person.id, items[n])
        reply_to = self.school.reply_address()
        draft = EmailDraft(  # the body stored once for everyone with these items; those it
            # would copy hear once a day for all their people instead (``ReminderRun.finish``)
            to=(asker[0] if asker else person.email,),
            subject=shape.subject,
            text="",
            html="",
            from_name=self.school.mail_from_name or self.school.name,
            reply_to=reply_to,
            shared=shape.rendered,
            slots=values,
        )
        return draft, shape.titles

    def asked_email(self, to: tuple[str, str], digests: Sequence[Digest]) -> EmailDraft:
        """The day's one message to whoever is asked on behalf of several people without an
        email address (``to``: address, name greeted): each item names whose it is, with its
        own link for recording it on their behalf (in the school's language)."""
        items: list[dict[str, Any]] = []
        escalated: dict[Msg, None] = {}
        names = escalated_names(self.school)
        for digest in digests:
            person = digest.person
            for duty in digest.items:
                face = {**self.face(duty), **self._on_behalf_face(duty, True)}
                items.append(
                    {
                        **face,
                        "title": f"{person.display_name}: {face['title']}",
                        "url": self.url(person.id, duty, True)
                        if self._linked(duty, True)
                        else None,
                    }
                )
            escalated.update((names[f], None) for f in digest.escalated if f != "line_manager")
        kinds = [self.requirements[d.requirement_id].kind for g in digests for d in g.items]
        overdue = any(i["overdue"] for i in items)
        subject = Msg(
            N_("Overdue items for %(num)d people without an email address at %(school)s")
            if overdue
            else N_("Action needed for %(num)d people without an email address at %(school)s"),
            num=len(digests),
            school=self.school.name,
        )
        told = escalated_told(Msg(N_("Some of these are well overdue")), list(escalated))
        with speaking(self.school.language):  # the asker reads the school's language
            text, html = render(
                "reminder",
                {
                    "school_name": self.school.name,
                    "subject": subject,
                    "person_name": to[1],
                    "intro": asked_intro([g.person.display_name for g in digests], len(items)),
                    "items": items,
                    "escalated_to": bool(escalated),
                    "escalated_told": told,
                    "footnote_html": footnote(kinds, self.settings.link_max_age_days, "button"),
                    "footnote_text": footnote(kinds, self.settings.link_max_age_days, "link"),
                    "reply_to": self.school.reply_address(),
                },
            )
            said_subject = str(subject)
        return EmailDraft(
            to=(to[0],),
            subject=said_subject,
            text=text,
            html=html,
            from_name=self.school.mail_from_name or self.school.name,
            reply_to=self.school.reply_address(),
        )
