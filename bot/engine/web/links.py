"""Signed links shared by every feature's link pages: reading a link and the duty it names,
the invalid/expired/closed pages, emailing a fresh link (``/links/renew``) and handing the
outbox's urgent rows over after a request. ``/me`` (everything asked of the signed-in person,
across features) is the app's: ``bot.web.me``.

The pages behind each kind of link live in their feature's room: ``/ack`` and ``/documents``
in ``bot.features.policies.web``, ``/aup`` in ``bot.features.accounts.web`` and
``/me/training`` in ``bot.features.training.web``. Opening a link never records anything:
only the POST does.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session, joinedload, lazyload

from bot.core import audit
from bot.core.database.sqlite_gate import first_in_line
from bot.core.days.clock import local_today
from bot.core.deployment.context import AppContext
from bot.core.files.documents import show_document
from bot.core.guards.links import (
    LinkClaims,
    LinkExpiredError,
    LinkInvalidError,
    make_token,
    read_token,
)
from bot.core.language.i18n import N_, Day, Joined, Msg
from bot.core.language.words import version_name
from bot.core.models import Duty, Person, Policy, PolicyVersion, utcnow
from bot.core.outbox import EmailDraft, Urgency, dispatch, enqueue_email
from bot.core.outbox.delivery import AdminAlerts
from bot.core.rendering.messages import notice
from bot.engine.web.deps import check_csrf, ctx, info_page, render
from bot.engine.web.threads import waiting

__all__ = [
    "HandOver",
    "closed_duty_page",
    "deliver_soon",
    "document_context",
    "expired_link_page",
    "fresh_link_page",
    "invalid_link_page",
    "link_claims",
    "link_page_context",
    "load_link_duty",
    "open_link_duty",
    "queue_fresh_link",
    "router",
]

router = APIRouter()


URGENT_PER_REQUEST = 20  # what one hand-over pass sends at most before it looks again


class HandOver:
    """A web process's hand-over of urgent mail: one pass at a time, and none missed.

    A request that committed urgent rows asks for a pass. If one is already running in this
    process, it is asked to go round once more instead (it will find the new rows), so eight
    reports at once cost one or two passes, not eight passes queued on the database's writer.
    A pass that comes back full (it may have left due rows behind, as after a burst of reports)
    goes round again too, until one finds less than a full pass or the platform says "not now".
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = False
        self._again = False

    def request(self, run: Callable[[], bool]) -> None:
        """Run ``run`` now, or have the running pass go round again after it. ``run`` returns
        True when it may have left due rows (a full pass)."""
        with self._lock:
            if self._running:
                self._again = True
                return
            self._running = True
        try:
            while True:
                more = run()
                with self._lock:
                    if not (more or self._again):
                        return
                    self._again = False
        finally:
            with self._lock:
                self._running = False


def _hand_over_pass(context: AppContext) -> bool:
    """One hand-over pass of the urgent rows; True when it was full and the platform took
    everything it was given (so more may be due). A lane paused before the pass (another
    school's mailbox at its day's limit) claims nothing, so it never stops the others. On
    SQLite its writes go ahead of the other writers of this process waiting (``first_in_line``):
    a burst of reports being stored must not hold its alerts back."""
    with first_in_line():
        stats = dispatch(
            context.store,
            context.connectors.mailer,
            context.connectors.notifier,
            alerts=AdminAlerts.of(context.config.schools),
            up_to=Urgency.WAITING,
            limit=URGENT_PER_REQUEST,
            chat=context.connectors.chat,
            mailboxes=context.mailboxes,
            chats=context.chats,
        )
    taken = stats.sent + stats.failed + stats.fell_back + stats.delivery_unknown + stats.retry_later
    return taken >= URGENT_PER_REQUEST and not stats.retry_later


def deliver_soon(request: Request, background: BackgroundTasks) -> None:
    """Hand the outbox's urgent rows (a concern's alerts, receipts, links people wait for) to
    the platform right after the response: the request committed them, and they must not wait
    for the next dispatch pass. Never the routine backlog: digests are the dispatcher's."""
    context = ctx(request)
    state = request.app.state
    if not isinstance(getattr(state, "hand_over", None), HandOver):
        state.hand_over = HandOver()
    background.add_task(
        waiting, state.hand_over.request, functools.partial(_hand_over_pass, context)
    )


def link_claims(request: Request, purpose: str, token: str) -> LinkClaims:
    """The claims of a signed link for ``purpose``; LinkExpiredError or LinkInvalidError."""
    settings = ctx(request).settings
    return read_token(settings.signing_key(), purpose, token, settings.link_max_age_days * 86400)


def invalid_link_page(request: Request) -> Response:
    """The page for a link that was not made by us or names nothing (400)."""
    return render(request, "link_invalid.html", {}, status_code=400)


def expired_link_page(request: Request, purpose: str, token: str) -> Response:
    """The page for an expired link, with a button to email a fresh one (410)."""
    return render(
        request, "link_expired.html", {"purpose": purpose, "token": token}, status_code=410
    )


def load_link_duty(
    session: Session, claims: LinkClaims
) -> tuple[Person, Duty, PolicyVersion, Policy]:
    """The person, duty, policy version and policy a link names; LinkInvalidError if not."""
    duty = session.get(Duty, claims.duty_id) if claims.duty_id else None
    if (
        duty is None
        or duty.person_id != claims.person_id
        or (duty.policy_version_id != claims.version_id)
    ):
        raise LinkInvalidError("link does not match a duty")
    # the person with their roles and groups in one query, as a signed-in page's person is
    # (``deps.current_user``), not three
    person = session.get(
        Person, duty.person_id, options=[joinedload(Person.roles), joinedload(Person.groups)]
    )
    version = session.get(PolicyVersion, duty.policy_version_id) if duty.policy_version_id else None
    if person is None or version is None:
        raise LinkInvalidError("link target missing")
    # not every version of the policy with its file (``Policy.versions`` is selectin): a link
    # page shows the one version it names; a caller that asks for the others still gets them
    policy = session.get(Policy, version.policy_id, options=[lazyload(Policy.versions)])
    assert policy is not None
    return person, duty, version, policy


def open_link_duty(
    request: Request, purpose: str, token: str, session: Session
) -> tuple[Person, Duty, PolicyVersion, Policy] | Response:
    """What a signed link is for, if its duty is still open; otherwise the page to show instead
    (expired: offer a fresh link; invalid; or already done)."""
    try:
        claims = link_claims(request, purpose, token)
    except LinkExpiredError:
        return expired_link_page(request, purpose, token)
    except LinkInvalidError:
        return invalid_link_page(request)
    try:
        person, duty, version, policy = load_link_duty(session, claims)
    except LinkInvalidError:
        return invalid_link_page(request)
    if duty.status != "open":
        return closed_duty_page(request, duty, policy, version)
    return person, duty, version, policy


def document_context(version: PolicyVersion, token: str = "", purpose: str = "") -> dict[str, Any]:
    """What the document partial needs: the document shown as written, its page images and
    the download of the exact file (behind the link's token, or the signed-in session)."""
    query = f"?t={token}&p={purpose}" if token else ""
    size = len(version.document)
    return {
        "shown": show_document(version.document_name, version.document, version.sha256),
        "doc_query": query,
        "download_url": f"/documents/{version.id}{query}{'&' if query else '?'}download=1",
        "document_size": f"{max(1, round(size / 1024))} KB"
        if size < 1024 * 1024
        else f"{size / (1024 * 1024):.1f} MB",
    }


def link_page_context(
    person: Person, duty: Duty, version: PolicyVersion, policy: Policy, token: str, today: date
) -> dict[str, Any]:
    """What a policy link page shows: the person, duty, version, document and due date."""
    return {
        "person": person,
        "duty": duty,
        "version": version,
        "policy": policy,
        "token": token,
        **document_context(version, token, "aup" if duty.kind == "sign_aup" else "ack"),
        "overdue": duty.due_on < today,
    }


def closed_duty_page(
    request: Request, duty: Duty, policy: Policy, version: PolicyVersion
) -> Response:
    """The page for a link whose duty is no longer open (done, superseded, not read, left)."""
    if duty.status == "done":
        return render(request, "done.html", {"policy": policy, "version": version, "already": True})
    message = {
        "superseded": N_(
            "A newer version of this policy has been published since this email was sent. You will "
            "receive (or have received) a link to the new version."
        ),
        "not_read": N_(
            "This link was for a school year that has ended. This year's reading "
            "comes with its own link."
        ),
        "left": N_("Our records show you have left the school, so nothing more is needed."),
    }.get(duty.closed_reason or "", N_("Nothing more is needed for this item."))
    return info_page(request, policy.title, Msg(message))


# --------------------------------------------------------------------------- fresh links


def queue_fresh_link(
    session: Session, person: Person, duty: Duty, purpose: str, draft: EmailDraft
) -> None:
    """Queue the email with a fresh link (at most one a day per duty) and audit it."""
    today = local_today(utcnow())
    enqueue_email(
        session,
        school_id=person.school_id,
        key=f"renew:{purpose}:{duty.id}:{today.isoformat()}",
        purpose="link_renewal",
        urgency=Urgency.WAITING,
        draft=draft,
    )
    audit.record(
        session,
        actor="link-holder",
        action="link.renewed",
        object_type="duty",
        object_id=duty.id,
        school_id=person.school_id,
    )


def fresh_link_page(request: Request) -> Response:
    """The same answer whoever asks, so the page reveals nothing about the link's owner."""
    return info_page(
        request,
        Msg(N_("Check your email")),
        Msg(
            N_(
                "If that link was yours and the task is still open, a fresh link is on its way to "
                "the email address the school has for you."
            )
        ),
    )


@router.post("/links/renew", include_in_schema=False)
def renew(
    request: Request,
    background: BackgroundTasks,
    token: Annotated[str, Form(max_length=2000)] = "",
    purpose: Annotated[str, Form(max_length=10)] = "ack",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Email a fresh link to the address the school holds (never to an address typed here)."""
    check_csrf(request, csrf_token)
    if purpose not in ("ack", "aup"):
        raise HTTPException(400, N_("Unknown kind of link."))
    context = ctx(request)
    settings = context.settings
    try:
        claims = link_claims(request, purpose, token)
    except LinkExpiredError as exc:
        claims = exc.claims
    except LinkInvalidError:
        return invalid_link_page(request)
    with context.store.transaction() as session:
        try:
            person, duty, version, policy = load_link_duty(session, claims)
        except LinkInvalidError:
            return invalid_link_page(request)
        if duty.status == "open" and person.active:
            fresh = make_token(settings.signing_key(), purpose, person.id, duty.id, version.id)
            school = context.config.school(person.school_id)
            draft = notice(
                school=school,
                to=[person.email],
                subject=Msg(N_("Your new link: %(title)s"), title=policy.title),
                greeting=Msg(N_("Dear %(name)s,"), name=person.given_name or person.display_name),
                paragraphs=[
                    Msg(N_("You asked for a fresh link. The old one has stopped working."))
                ],
                facts=[
                    (Msg(N_("Policy")), Joined((policy.title, version_name(version.label)), ", ")),
                    (Msg(N_("Due")), Day(duty.due_on)),
                ],
                button_url=f"{settings.base_url}/{purpose}/{fresh}",
                button_text=Msg(
                    N_("Read and sign") if purpose == "aup" else N_("Read and acknowledge")
                ),
            )
            queue_fresh_link(session, person, duty, purpose, draft)
    deliver_soon(request, background)
    return fresh_link_page(request)
