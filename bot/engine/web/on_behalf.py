"""Recording for someone without an email address, said as such: the one helper every signed
link that records something (an acknowledgement, a reading, a training) uses.

Whoever opens such a link must be signed in and be someone the school asks on that person's
behalf (their line manager, the office's admins, the head); the record then names both, in the
third person ("Recorded by Eimear Rafferty, Bursar, on behalf of Margaret Hamill, who has no
email address: Margaret Hamill has read and understood …"), its method is ``on_behalf`` and the
audit's actor is the recorder. Nothing is recorded in the person's own first-person words, and
what only the person can give (a signature) is never recorded for them (``only_themselves``).
"""

from __future__ import annotations

from datetime import date

from fastapi import Request
from fastapi.responses import Response

from bot.core.guards.emails import has_mailbox
from bot.core.guards.permissions import ON_BEHALF_RECORDERS
from bot.core.language.i18n import N_, Msg
from bot.core.models import Person
from bot.engine.web.deps import current_user, render

__all__ = [
    "ACKNOWLEDGED",
    "ON_BEHALF",
    "READ_EDITION",
    "TRAINED",
    "TRAINED_BELOW",
    "on_behalf_statement",
    "only_themselves",
    "recorder_for",
]

ON_BEHALF = "on_behalf"  # the method of a record made for someone else


# what a record made for someone else says, each a whole sentence naming both (the recorder
# with their job title when they have one); filled in by ``on_behalf_statement``
ACKNOWLEDGED = N_(
    "Recorded by %(recorder)s, on behalf of %(person)s, who has no email address: %(person)s "
    "has read and understood %(policy)s (%(version)s)."
)
READ_EDITION = N_(
    "Recorded by %(recorder)s, on behalf of %(person)s, who has no email address: %(person)s "
    "has read and understood %(policy)s (edition %(version)s)."
)
TRAINED = N_(
    "Recorded by %(recorder)s, on behalf of %(person)s, who has no email address: %(person)s "
    "completed %(course)s on %(day)s."
)
TRAINED_BELOW = N_(
    "Recorded by %(recorder)s, on behalf of %(person)s, who has no email address: %(person)s "
    "completed %(course)s on the date below."
)


def on_behalf_statement(
    recorder: Person, person: Person, sentence: str, *, day: date | None = None, **values: object
) -> Msg:
    """What a record made for someone else says, naming both: ``sentence`` (``ACKNOWLEDGED``,
    ``READ_EDITION``, ``TRAINED``, ``TRAINED_BELOW``) with ``values`` (and ``day``) filled in
    (the stored record is its English; a page says it in its own language)."""
    post = f", {recorder.job_title}" if recorder.job_title else ""
    return Msg(
        sentence,
        **values,
        **({"day": day} if day is not None else {}),
        recorder=f"{recorder.display_name}{post}",
        person=person.display_name,
    )


def recorder_for(request: Request, person: Person) -> Person | Response | None:
    """Who records for ``person`` through this link: None when they have an email address
    (they record it themselves); else the signed-in person the school asks on their behalf,
    or the page to show instead (401 with a sign-in link, 403 for anyone else)."""
    if has_mailbox(person.email):
        return None
    user = current_user(request)
    if user is None:
        return render(
            request,
            "on_behalf.html",
            {"person": person, "signin": f"/signin?next={request.url.path}"},
            status_code=401,
        )
    if user.school_id == person.school_id and (
        user.id == person.manager_id or user.role_names & ON_BEHALF_RECORDERS
    ):
        return user
    return render(request, "on_behalf.html", {"person": person, "refused": True}, status_code=403)


def only_themselves(request: Request, person: Person, what: str) -> Response | None:
    """None when ``person`` has an email address; else the page saying that ``what`` (their
    signature: a catalogue phrase) is theirs alone to give, so nothing is recorded through this
    link (403)."""
    if has_mailbox(person.email):
        return None
    return render(
        request,
        "info.html",
        {
            "title": Msg(N_("For %(name)s"), name=person.display_name),
            "message": Msg(
                N_(
                    "%(name)s has no email address, and %(what)s is given by the person "
                    "themselves, so it cannot be recorded through this link. Print it for them to "
                    "sign and keep the signed copy, or give them a school email address. Nothing "
                    "was recorded."
                ),
                name=person.display_name,
                what=Msg(what),
            ),
        },
        status_code=403,
    )
