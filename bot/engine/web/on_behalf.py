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

from fastapi import Request
from fastapi.responses import Response

from bot.core.emails import has_mailbox
from bot.core.models import Person
from bot.core.permissions import ON_BEHALF_RECORDERS
from bot.engine.web.deps import current_user, render

__all__ = ["ON_BEHALF", "on_behalf_statement", "only_themselves", "recorder_for"]

ON_BEHALF = "on_behalf"  # the method of a record made for someone else


def on_behalf_statement(recorder: Person, person: Person, what: str) -> str:
    """What a record made for someone else says, naming both; ``what`` is the fact in the
    third person, without the name ("has read and understood the Online Safety Policy")."""
    post = f", {recorder.job_title}" if recorder.job_title else ""
    return (
        f"Recorded by {recorder.display_name}{post}, on behalf of {person.display_name}, "
        f"who has no email address: {person.display_name} {what}"
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
    signature) is theirs alone to give, so nothing is recorded through this link (403)."""
    if has_mailbox(person.email):
        return None
    return render(request, "info.html", {
        "title": f"For {person.display_name}",
        "message": f"{person.display_name} has no email address, and {what} is given by the "
        "person themselves, so it cannot be recorded through this link. Print it for them to "
        "sign and keep the signed copy, or give them a school email address. Nothing was "
        "recorded."}, status_code=403)
