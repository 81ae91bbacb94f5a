"""The policy register (``/policies``), recording reviews, and the signed-link pages for
policies: acknowledging one (``/ack/{token}``), the reading pages before it where the school
asks for proof of reading, and reading its document (``/documents/{version_id}``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bot.core.config import ReadingProof
from bot.core.days.clock import local_today
from bot.core.days.dates import HAPPENED, REVIEW, DateWindowError
from bot.core.files.documents import DocumentError, pdf_page_png
from bot.core.files.filekinds import named_kind
from bot.core.guards.forms import Text
from bot.core.guards.links import LinkExpiredError, LinkInvalidError
from bot.core.guards.permissions import POLICY_EDITORS, POLICY_READERS
from bot.core.language.i18n import N_, Msg
from bot.core.language.words import version_name
from bot.core.models import Duty, Person, Policy, PolicyVersion, utcnow
from bot.engine.web.deps import check_csrf, client_ip, ctx, current_user, render, require_roles
from bot.engine.web.forms import download as send_file
from bot.engine.web.links import document_context, link_claims, link_page_context, open_link_duty
from bot.engine.web.on_behalf import (
    ACKNOWLEDGED,
    ON_BEHALF,
    READ_EDITION,
    on_behalf_statement,
    recorder_for,
)
from bot.features.policies.attest import acknowledge
from bot.features.policies.proof import (
    ProofNeededError,
    check_answers,
    progress,
    proof_for,
    sections,
    show_section,
)
from bot.features.policies.register import register, register_gaps
from bot.features.policies.review import confirm_review_date, record_review
from bot.features.policies.rules import (
    DERIVED_NOTE,
    DOCUMENT_TYPES,
    MAX_DOCUMENT_BYTES,
    OVERDUE_REPEATS,
    ReviewError,
    alert_stages,
)

__all__ = ["router"]

router = APIRouter()
Found = tuple[Person, Duty, PolicyVersion, Policy]


@router.get("/policies", include_in_schema=False)
def policies(request: Request) -> Response:
    """The register: every policy, its review state and versions, and linked-policy gaps."""
    user = require_roles(request, POLICY_READERS)
    today = local_today(utcnow())
    with ctx(request).store.session() as session:
        return render(
            request,
            "policies.html",
            {
                "rows": register(session, user.school_id, today),
                "gaps": register_gaps(session, user.school_id),
                "today": today,
                "derived_note": DERIVED_NOTE,
            },
        )


def _detail(
    request: Request,
    user: Person,
    key: str,
    *,
    errors: list[Text] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
    confirm_errors: list[Text] | None = None,
) -> Response:
    today = local_today(utcnow())
    with ctx(request).store.session() as session:
        rows = register(session, user.school_id, today, key=key)
        if not rows:
            raise HTTPException(404, N_("There is no policy with that name in the register."))
        row = rows[0]
        due = row.policy.next_review_due
        recorded = request.query_params.get("recorded")
        just_recorded = next((r for r in row.reviews if str(r.id) == recorded), None)
        return render(
            request,
            "policies_detail.html",
            {
                "row": row,
                "policy": row.policy,
                "today": today,
                "stages": alert_stages(due, due) if due else [],
                "can_record": bool(user.role_names & POLICY_EDITORS),
                "errors": errors or [],
                "confirm_errors": confirm_errors or [],
                "confirmed": request.query_params.get("confirmed") == "1",
                "derived_note": DERIVED_NOTE,
                "overdue_repeats": OVERDUE_REPEATS,
                "form": form
                or {"reviewed_on": today.isoformat(), "body": row.policy.approving_body},
                "just_recorded": just_recorded,
                "versions_by_id": {v.id: v for v in row.versions},
                "accept": ",".join(DOCUMENT_TYPES),
            },
            status_code=status_code,
        )


def _policy(session: Session, user: Person, key: str) -> Policy:
    """The policy of the user's school with that key (404 when there is none)."""
    policy = session.scalar(
        select(Policy).where(Policy.school_id == user.school_id, Policy.key == key)
    )
    if policy is None:
        raise HTTPException(404, N_("There is no policy with that name in the register."))
    return policy


@router.get("/policies/{key}", include_in_schema=False)
def policy_detail(request: Request, key: str) -> Response:
    """One policy: dates, alert schedule, versions, recorded reviews and the review form."""
    user = require_roles(request, POLICY_READERS)
    return _detail(request, user, key)


@router.post("/policies/{key}/review", include_in_schema=False)
def policy_review(
    request: Request,
    key: str,
    reviewed_on: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    minute_ref: Annotated[str, Form()] = "",
    document: Annotated[UploadFile | None, File()] = None,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Record a review (headteacher, admin or clerk); a new document becomes a new version."""
    user = require_roles(request, POLICY_EDITORS)
    check_csrf(request, csrf_token)
    form = {"reviewed_on": reviewed_on, "body": body, "minute_ref": minute_ref}
    today = local_today(utcnow())
    upload = None
    if document is not None and document.filename:
        upload = (document.filename, document.file.read(MAX_DOCUMENT_BYTES + 1))
    try:
        day = HAPPENED.parse(reviewed_on, "Review date", today, example="2026-03-12")
        with ctx(request).store.transaction() as session:
            result = record_review(
                session,
                _policy(session, user, key),
                reviewed_on=day,
                body=body,
                minute_ref=minute_ref,
                actor=user.email,
                today=today,
                document=upload,
            )
    except (DateWindowError, ReviewError) as exc:
        return _detail(request, user, key, errors=[exc.msg], form=form, status_code=400)
    return RedirectResponse(f"/policies/{key}?recorded={result.review_id}", status_code=303)


@router.post("/policies/{key}/confirm-date", include_in_schema=False)
def policy_confirm_date(
    request: Request,
    key: str,
    next_review: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Confirm (or correct) a next review date worked out from the ratification date."""
    user = require_roles(request, POLICY_EDITORS)
    check_csrf(request, csrf_token)
    today = local_today(utcnow())
    try:
        given = next_review.strip()
        new_date = REVIEW.parse(given, N_("Next review date"), today) if given else None
        with ctx(request).store.transaction() as session:
            confirm_review_date(
                session,
                _policy(session, user, key),
                actor=user.email,
                today=today,
                new_date=new_date,
            )
    except (DateWindowError, ReviewError) as exc:
        return _detail(request, user, key, confirm_errors=[exc.msg], status_code=400)
    return RedirectResponse(f"/policies/{key}?confirmed=1", status_code=303)


# ---------------------------------------------------------------- signed links: acknowledgements


@router.get("/ack/{token}", include_in_schema=False)
def ack_page(request: Request, token: str, page: int | None = None) -> Response:
    """Show the policy and a confirm button. Records nothing (mail scanners open links),
    except, where the school asks for proof of reading, which page of it was shown."""
    with ctx(request).store.transaction() as session:
        found = open_link_duty(request, "ack", token, session)
        if isinstance(found, Response):
            return found
        person, duty, version, policy = found
        recorder = recorder_for(request, person)  # asked through someone else: they record it
        if isinstance(recorder, Response):
            return recorder
        if (proof := proof_for(duty)) is not None and recorder is None:
            return reading_page(request, session, found, token, proof, page)
        data = link_page_context(person, duty, version, policy, token, local_today(utcnow()))
        if recorder is not None:
            data["on_behalf"] = _understood(recorder, person, policy, version)
        return render(request, "ack.html", data)


def _understood(recorder: Person, person: Person, policy: Policy, version: PolicyVersion) -> Msg:
    """What an acknowledgement recorded on someone's behalf states: the policy and its
    version, or a reading's edition (the stored record: its English)."""
    if policy.kind == "reading":
        return on_behalf_statement(
            recorder, person, READ_EDITION, policy=policy.title, version=version.label
        )
    return on_behalf_statement(
        recorder, person, ACKNOWLEDGED, policy=policy.title, version=version_name(version.label)
    )


@router.post("/ack/{token}", include_in_schema=False)
def ack_confirm(request: Request, token: str, csrf_token: Annotated[str, Form()] = "") -> Response:
    """Record the acknowledgement (once); a second press says 'already done'."""
    check_csrf(request, csrf_token)
    user = current_user(request)
    with ctx(request).store.transaction() as session:
        found = open_link_duty(request, "ack", token, session)
        if isinstance(found, Response):
            return found
        person, duty, version, policy = found
        method = "sso" if user is not None and user.id == person.id else "link"
        recorder = recorder_for(request, person)
        if isinstance(recorder, Response):
            return recorder
        if recorder is not None:
            method = ON_BEHALF
        try:
            result = acknowledge(
                session,
                person,
                duty,
                version,
                method=method,
                ip=client_ip(request),
                user_agent=request.headers.get("user-agent"),
                now=utcnow(),
                on_behalf=None
                if recorder is None
                else (recorder, _understood(recorder, person, policy, version).said("en")),
            )
        except ProofNeededError as exc:
            proof = proof_for(duty)
            assert proof is not None
            return reading_page(
                request,
                session,
                found,
                token,
                proof,
                None,
                400,
                error=progress(session, duty, version, proof).missing() or exc.msg,
            )
    return render(
        request,
        "done.html",
        {"policy": policy, "version": version, "already": result.already, "person": person},
    )


# ---------------------------------------------------------------- signed links: proof of reading
# The reading pages behind an acknowledgement link when the school asks for proof of reading:
# one page or section per request (``/ack/{token}?page=N``, recorded on the server when shown),
# the school's short check (``POST /ack/{token}/check``: failing lets them read again and retry,
# every attempt kept), and the acknowledge form only once everything is done. Plain forms and
# links: it works without JavaScript, on a phone, and from the Teams card's "Read and
# acknowledge" button. The acknowledgement itself refuses early presses (``attest``).


def reading_page(
    request: Request,
    session: Session,
    found: Found,
    token: str,
    proof: ReadingProof,
    page: int | None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """Show one page or section (recorded as seen), the way on, and what is left to do."""
    person, duty, version, policy = found
    parts = sections(version)
    before = progress(session, duty, version, proof)
    if page is None:  # the first one not yet seen, else the last
        page = min(set(range(1, len(parts) + 1)) - before.seen, default=len(parts))
    page = min(max(page, 1), len(parts))
    if proof.every_page:
        show_section(session, duty, page, utcnow())  # the caller's transaction keeps it
    read = progress(session, duty, version, proof)
    context = link_page_context(person, duty, version, policy, token, local_today(utcnow()))
    return render(
        request,
        "ack_read.html",
        {
            **context,
            "section": parts[page - 1],
            "page": page,
            "parts": parts,
            "read": read,
            "proof": proof,
            "every_page": proof.every_page,
            **extra,
        },
        status_code=status_code,
    )


@router.post("/ack/{token}/check", include_in_schema=False)
async def reading_check(request: Request, token: str) -> Response:
    """Mark one attempt at the school's check: passed opens the acknowledge form; failed
    says how many were right and lets them read again and retry."""
    form = await request.form(max_fields=20, max_part_size=4096)
    check_csrf(request, form.get("csrf_token"))
    answers = {k: str(v) for k, v in form.items() if k.startswith("q")}
    return await run_in_threadpool(_check_answered, request, token, answers)


def _check_answered(request: Request, token: str, answers: dict[str, str]) -> Response:
    """``reading_check``'s database work and page, on a page thread."""
    with ctx(request).store.transaction() as session:
        found = open_link_duty(request, "ack", token, session)
        if isinstance(found, Response):
            return found
        person, duty, version, _ = found
        proof = proof_for(duty)
        if proof is None or not proof.questions:
            return render(
                request,
                "info.html",
                {
                    "title": Msg(N_("Nothing to answer")),
                    "message": Msg(N_("This policy has no check to answer.")),
                },
                status_code=400,
            )
        before = progress(session, duty, version, proof)
        if not before.read_all:
            return reading_page(
                request, session, found, token, proof, None, 400, error=before.missing()
            )
        attempt = check_answers(session, duty, version, person, proof, answers, utcnow())
        counts = {"right": attempt.right, "questions": attempt.questions, "needed": proof.needed}
        result = Msg(
            N_(
                "%(right)d of %(questions)d right: passed. You can now acknowledge the policy "
                "below."
            )
            if attempt.passed
            else N_(
                "%(right)d of %(questions)d right; %(needed)d are needed. Please read the "
                "policy again and have another go."
            ),
            **counts,
        )
        return reading_page(
            request,
            session,
            found,
            token,
            proof,
            None,
            200 if attempt.passed else 422,
            result=result,
            passed_now=attempt.passed,
        )


# ---------------------------------------------------------------- documents


def _readable(
    request: Request, session: Session, version_id: int, t: str | None, p: str
) -> PolicyVersion:
    """The version, if a signed-in person of its school or a valid link for it asks (403)."""
    user = current_user(request)
    version = session.get(PolicyVersion, version_id)
    if version is None:
        raise HTTPException(404, N_("There is no such document."))
    allowed = user is not None and user.school_id == version.school_id
    if not allowed and t and p in ("ack", "aup"):
        try:
            allowed = link_claims(request, p, t).version_id == version_id
        except (LinkExpiredError, LinkInvalidError):
            allowed = False
    if not allowed:
        raise HTTPException(403, N_("Please use the link in your email, or sign in."))
    return version


@router.get("/documents/{version_id}", include_in_schema=False)
def document(
    request: Request, version_id: int, t: str | None = None, p: str = "ack", download: bool = False
) -> Response:
    """The exact file of a policy version (the one its SHA-256 names), to open or download."""
    with ctx(request).store.session() as session:
        version = _readable(request, session, version_id, t, p)
        kind = named_kind(version.document_name)  # text/ is sent as UTF-8 (Starlette)
        inline = kind.startswith(("application/pdf", "text/")) and not download
        return send_file(version.document, version.document_name, kind, inline=inline)


@router.get("/documents/{version_id}/pages/{number}.png", include_in_schema=False)
def document_page(
    request: Request, version_id: int, number: int, t: str | None = None, p: str = "ack"
) -> Response:
    """One page of a PDF policy as an image (drawn on the server; cached by the file's hash)."""
    with ctx(request).store.session() as session:
        version = _readable(request, session, version_id, t, p)
        data, sha256, name = version.document, version.sha256, version.document_name
    if not name.lower().endswith(".pdf"):
        raise HTTPException(404, N_("This document has no pages to show as images."))
    try:
        png = pdf_page_png(data, sha256, number)
    except DocumentError as exc:
        raise HTTPException(
            404, Msg(N_("This page cannot be shown: %(problem)s."), problem=str(exc))
        ) from None
    return Response(
        png,
        media_type="image/png",
        # the same file hash always draws the same page; private: it sits behind a link
        headers={"Cache-Control": "private, max-age=86400", "ETag": f'"{sha256}-{number}"'},
    )


@router.get("/documents/{version_id}/read", include_in_schema=False)
def document_read(request: Request, version_id: int) -> Response:
    """A policy version shown as the school wrote it, for a signed-in person of the school."""
    user = current_user(request)
    if user is None:
        raise HTTPException(401, N_("Please sign in to read the school's policies."))
    with ctx(request).store.session() as session:
        version = _readable(request, session, version_id, None, "")
        policy = session.get(Policy, version.policy_id)
        assert policy is not None
        back = (
            (f"/policies/{policy.key}", N_("Policy register"))
            if user.role_names & POLICY_READERS
            else ("/me", N_("My tasks"))
        )
        return render(
            request,
            "document_read.html",
            {"policy": policy, "version": version, "back": back, **document_context(version)},
        )
