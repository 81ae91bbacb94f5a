"""Pages behind emailed links. Opening a link never records anything: only the POST does."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.clock import local_today
from bot.core.links import LinkClaims, LinkExpiredError, LinkInvalidError, make_token, read_token
from bot.core.messages import human_date, notice
from bot.core.models import Duty, OfficialAccount, Person, Policy, PolicyVersion, utcnow
from bot.core.outbox import EmailDraft, dispatch, enqueue_email
from bot.features.policies.attest import AUP_CONSENT, acknowledge, names_match, sign_aup
from bot.web.deps import check_csrf, client_ip, ctx, current_user, render

router = APIRouter()
TEXT_TYPES = (".md", ".txt")


def deliver_soon(request: Request, background: BackgroundTasks) -> None:
    """Dispatch the outbox right after the response (receipts and alerts should not wait)."""
    context = ctx(request)
    background.add_task(
        dispatch, context.store, context.connectors.mailer, context.connectors.notifier
    )


def _claims(request: Request, purpose: str, token: str) -> LinkClaims:
    settings = ctx(request).settings
    return read_token(settings.signing_key(), purpose, token, settings.link_max_age_days * 86400)


def _invalid(request: Request) -> Response:
    return render(request, "link_invalid.html", {}, status_code=400)


def _expired(request: Request, purpose: str, token: str) -> Response:
    return render(
        request, "link_expired.html", {"purpose": purpose, "token": token}, status_code=410
    )


def _load(session: Session, claims: LinkClaims) -> tuple[Person, Duty, PolicyVersion, Policy]:
    duty = session.get(Duty, claims.duty_id) if claims.duty_id else None
    if (
        duty is None
        or duty.person_id != claims.person_id
        or (duty.policy_version_id != claims.version_id)
    ):
        raise LinkInvalidError("link does not match a duty")
    person = session.get(Person, duty.person_id)
    version = session.get(PolicyVersion, duty.policy_version_id) if duty.policy_version_id else None
    if person is None or version is None:
        raise LinkInvalidError("link target missing")
    policy = session.get(Policy, version.policy_id)
    assert policy is not None
    return person, duty, version, policy


def document_text(version: PolicyVersion) -> str | None:
    """The document as text when it is a text format (shown inline), else None (download)."""
    if version.document_name.lower().endswith(TEXT_TYPES):
        return version.document.decode("utf-8", errors="replace")
    return None


def _page_context(
    person: Person, duty: Duty, version: PolicyVersion, policy: Policy, token: str, today: date
) -> dict[str, Any]:
    return {
        "person": person,
        "duty": duty,
        "version": version,
        "policy": policy,
        "token": token,
        "document_text": document_text(version),
        "due_text": human_date(duty.due_on),
        "overdue": duty.due_on < today,
    }


def _closed_page(request: Request, duty: Duty, policy: Policy, version: PolicyVersion) -> Response:
    if duty.status == "done":
        return render(request, "done.html", {"policy": policy, "version": version, "already": True})
    message = {
        "superseded": "A newer version of this policy has been published since this email was "
        "sent. You will receive (or have received) a link to the new version.",
        "left": "Our records show you have left the school, so nothing more is needed.",
    }.get(duty.closed_reason or "", "Nothing more is needed for this item.")
    return render(request, "info.html", {"title": policy.title, "message": message})


# --------------------------------------------------------------------------- acknowledgements


@router.get("/ack/{token}", include_in_schema=False)
def ack_page(request: Request, token: str) -> Response:
    """Show the policy and a confirm button. Records nothing (mail scanners open links)."""
    try:
        claims = _claims(request, "ack", token)
    except LinkExpiredError:
        return _expired(request, "ack", token)
    except LinkInvalidError:
        return _invalid(request)
    with ctx(request).store.session() as session:
        try:
            person, duty, version, policy = _load(session, claims)
        except LinkInvalidError:
            return _invalid(request)
        if duty.status != "open":
            return _closed_page(request, duty, policy, version)
        return render(
            request,
            "ack.html",
            _page_context(person, duty, version, policy, token, local_today(utcnow())),
        )


@router.post("/ack/{token}", include_in_schema=False)
def ack_confirm(request: Request, token: str, csrf_token: Annotated[str, Form()] = "") -> Response:
    """Record the acknowledgement (once); a second press says 'already done'."""
    check_csrf(request, csrf_token)
    try:
        claims = _claims(request, "ack", token)
    except LinkExpiredError:
        return _expired(request, "ack", token)
    except LinkInvalidError:
        return _invalid(request)
    user = current_user(request)
    with ctx(request).store.transaction() as session:
        try:
            person, duty, version, policy = _load(session, claims)
        except LinkInvalidError:
            return _invalid(request)
        if duty.status != "open":
            return _closed_page(request, duty, policy, version)
        method = "sso" if user is not None and user.id == person.id else "link"
        result = acknowledge(
            session,
            person,
            duty,
            version,
            method=method,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
            now=utcnow(),
        )
    return render(
        request,
        "done.html",
        {"policy": policy, "version": version, "already": result.already, "person": person},
    )


# --------------------------------------------------------------------------- AUP signatures


def _aup_context(
    session: Session, person: Person, duty: Duty, version: PolicyVersion, policy: Policy, token: str
) -> dict[str, Any]:
    accounts = session.scalars(
        select(OfficialAccount.name)
        .join(Duty, Duty.account_id == OfficialAccount.id)
        .where(Duty.person_id == person.id, Duty.kind == "sign_aup", Duty.status == "open")
    ).all()
    data = _page_context(person, duty, version, policy, token, local_today(utcnow()))
    data["accounts"] = sorted(set(accounts))
    data["consent"] = AUP_CONSENT.format(title=policy.title, label=version.label)
    return data


@router.get("/aup/{token}", include_in_schema=False)
def aup_page(request: Request, token: str) -> Response:
    """Show the AUP, a consent box and a typed-name field. Records nothing."""
    try:
        claims = _claims(request, "aup", token)
    except LinkExpiredError:
        return _expired(request, "aup", token)
    except LinkInvalidError:
        return _invalid(request)
    with ctx(request).store.session() as session:
        try:
            person, duty, version, policy = _load(session, claims)
        except LinkInvalidError:
            return _invalid(request)
        if duty.status != "open":
            return _closed_page(request, duty, policy, version)
        return render(
            request, "aup.html", _aup_context(session, person, duty, version, policy, token)
        )


@router.post("/aup/{token}", include_in_schema=False)
def aup_sign(
    request: Request,
    token: str,
    background: BackgroundTasks,
    csrf_token: Annotated[str, Form()] = "",
    typed_name: Annotated[str, Form(max_length=200)] = "",
    consent: Annotated[str, Form()] = "",
) -> Response:
    """Check consent and the typed name, record the signature, email a receipt."""
    check_csrf(request, csrf_token)
    try:
        claims = _claims(request, "aup", token)
    except LinkExpiredError:
        return _expired(request, "aup", token)
    except LinkInvalidError:
        return _invalid(request)
    context = ctx(request)
    with context.store.transaction() as session:
        try:
            person, duty, version, policy = _load(session, claims)
        except LinkInvalidError:
            return _invalid(request)
        if duty.status != "open":
            return _closed_page(request, duty, policy, version)
        errors = []
        if consent != "yes":
            errors.append("Please tick the box to confirm you agree.")
        if not names_match(typed_name, person.display_name):
            errors.append(
                f"The name you typed does not match the name the school has for you "
                f"({person.display_name}). Please type your full name as shown."
            )
        if errors:
            data = _aup_context(session, person, duty, version, policy, token)
            data.update({"errors": errors, "typed_name": typed_name})
            return render(request, "aup.html", data, status_code=422)
        now = utcnow()
        result = sign_aup(
            session,
            person,
            version,
            policy.title,
            typed_name,
            method="link",
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
            now=now,
        )
        school_name = context.config.school(person.school_id).name
        if result.attestation is not None:
            draft = notice(
                school_name=school_name,
                to=[person.email],
                subject=f"Your signature: {policy.title} (version {version.label})",
                greeting=f"Dear {person.given_name or person.display_name},",
                paragraphs=[
                    "Thank you. This is your receipt for the Acceptable Use Policy you signed. "
                    "Keep it for your records; you do not need to do anything else.",
                    f"What you agreed to: {result.attestation.statement}",
                ],
                facts=[
                    ("Policy", f"{policy.title}, version {version.label}"),
                    ("Document fingerprint (SHA-256)", version.sha256),
                    ("Name you typed", result.attestation.typed_name or ""),
                    ("Signed at (UTC)", now.strftime("%d %B %Y, %H:%M")),
                    ("Reference", f"SIG-{result.attestation.id:06d}"),
                ],
                small="If you did not sign this, tell the school office or the headteacher today.",
            )
            enqueue_email(
                session,
                school_id=person.school_id,
                key=f"aup-receipt:{result.attestation.id}",
                purpose="aup_receipt",
                draft=draft,
            )
    deliver_soon(request, background)
    return render(
        request,
        "done.html",
        {
            "policy": policy,
            "version": version,
            "already": result.already,
            "signed": True,
            "person": person,
        },
    )


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
    return render(
        request,
        "info.html",
        {
            "title": "Check your email",
            "message": "If that link was yours and the task is still open, a fresh link is on its "
            "way to the email address the school has for you.",
        },
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
        raise HTTPException(400, "Unknown kind of link.")
    settings = ctx(request).settings
    claims: LinkClaims | None = None
    try:
        claims = _claims(request, purpose, token)
    except LinkExpiredError as exc:
        claims = exc.claims
    except LinkInvalidError:
        return _invalid(request)
    context = ctx(request)
    with context.store.transaction() as session:
        try:
            person, duty, version, policy = _load(session, claims)
        except LinkInvalidError:
            return _invalid(request)
        if duty.status == "open" and person.active:
            fresh = make_token(settings.signing_key(), purpose, person.id, duty.id, version.id)
            school_name = context.config.school(person.school_id).name
            draft = notice(
                school_name=school_name,
                to=[person.email],
                subject=f"Your new link: {policy.title}",
                greeting=f"Dear {person.given_name or person.display_name},",
                paragraphs=["You asked for a fresh link. The old one has stopped working."],
                facts=[
                    ("Policy", f"{policy.title}, version {version.label}"),
                    ("Due", human_date(duty.due_on)),
                ],
                button_url=f"{settings.base_url}/{purpose}/{fresh}",
                button_text="Read and sign" if purpose == "aup" else "Read and acknowledge",
            )
            queue_fresh_link(session, person, duty, purpose, draft)
    deliver_soon(request, background)
    return fresh_link_page(request)


# --------------------------------------------------------------------------- your page


@router.get("/me", include_in_schema=False)
def me(request: Request) -> Response:
    """The signed-in person's outstanding items, each with a fresh link."""
    user = current_user(request)
    if user is None:
        return RedirectResponse("/signin?next=/me", status_code=303)
    settings = ctx(request).settings
    today = local_today(utcnow())
    with ctx(request).store.session() as session:
        rows = session.execute(
            select(Duty, PolicyVersion, Policy)
            .outerjoin(PolicyVersion, PolicyVersion.id == Duty.policy_version_id)
            .outerjoin(Policy, Policy.id == PolicyVersion.policy_id)
            .where(Duty.person_id == user.id, Duty.status == "open")
            .order_by(Duty.due_on)
        ).all()
        items = []
        key = settings.signing_key()
        for duty, version, policy in rows:
            purpose = {"acknowledge_policy": "ack", "sign_aup": "aup",
                       "recurring_task": "task"}.get(duty.kind)
            items.append(
                {
                    "duty_id": duty.id,
                    "title": policy.title if policy else duty.requirement.title,
                    "version": version.label if version else None,
                    "kind": duty.kind,
                    "due": human_date(duty.due_on),
                    "overdue": duty.due_on < today,
                    "url": f"/{purpose}/"
                    f"{make_token(key, purpose, user.id, duty.id, duty.policy_version_id)}"
                    if purpose
                    else None,
                }
            )
        done = session.execute(
            select(Duty.kind, Duty.closed_on, Policy.title, PolicyVersion.label)
            .outerjoin(PolicyVersion, PolicyVersion.id == Duty.policy_version_id)
            .outerjoin(Policy, Policy.id == PolicyVersion.policy_id)
            .where(Duty.person_id == user.id, Duty.status == "done")
            .order_by(Duty.closed_on.desc())
            .limit(20)
        ).all()
        from bot.features.accounts.service import holdings_of

        held = [(a.name, a.platform) for a in holdings_of(session, user.id)]
    return render(request, "me.html", {"items": items, "done": done, "held": held})


@router.get("/documents/{version_id}", include_in_schema=False)
def document(request: Request, version_id: int, t: str | None = None, p: str = "ack") -> Response:
    """A policy document, for a signed-in person of the school or a valid link for it."""
    user = current_user(request)
    with ctx(request).store.session() as session:
        version = session.get(PolicyVersion, version_id)
        if version is None:
            raise HTTPException(404, "There is no such document.")
        allowed = user is not None and user.school_id == version.school_id
        if not allowed and t and p in ("ack", "aup"):
            try:
                allowed = _claims(request, p, t).version_id == version_id
            except (LinkExpiredError, LinkInvalidError):
                allowed = False
        if not allowed:
            raise HTTPException(403, "Please use the link in your email, or sign in.")
        name = version.document_name
        kind = {
            ".pdf": "application/pdf",
            ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ".md": "text/plain; charset=utf-8",
            ".txt": "text/plain; charset=utf-8",
        }.get("." + name.rsplit(".", 1)[-1].lower(), "application/octet-stream")
        disposition = "inline" if kind.startswith(("application/pdf", "text/")) else "attachment"
        safe = "".join(c for c in name if c.isalnum() or c in "._-") or "document"
        return Response(
            version.document,
            media_type=kind,
            headers={"Content-Disposition": f'{disposition}; filename="{safe}"'},
        )


# --------------------------------------------------------------------------- training


@router.post("/me/training/{duty_id}", include_in_schema=False)
async def record_training(request: Request, duty_id: int) -> Response:
    """A person records a training completion, optionally with a certificate (PDF/photo)."""
    from datetime import date as date_type

    from bot.core.models import TrainingRecord
    from bot.core.uploads import MAX_FILE_BYTES, AttachmentError, clean_attachment, store_file

    user = current_user(request)
    if user is None:
        return RedirectResponse("/signin?next=/me", status_code=303)
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    today = local_today(utcnow())
    errors: list[str] = []
    try:
        completed = date_type.fromisoformat(str(form.get("completed_on") or ""))
        if completed > today:
            errors.append("The completion date cannot be in the future.")
    except ValueError:
        completed = today
        errors.append("Please give the date you completed the training (e.g. 2026-11-20).")
    provider = str(form.get("provider") or "").strip()[:200] or None
    upload = form.get("certificate")
    clean = None
    if upload is not None and not isinstance(upload, str) and upload.filename:
        data = await upload.read(MAX_FILE_BYTES + 1)
        try:
            clean = clean_attachment(upload.filename, data)
        except AttachmentError as exc:
            errors.append(str(exc))
    context = ctx(request)
    with context.store.transaction() as session:
        duty = session.get(Duty, duty_id)
        if duty is None or duty.person_id != user.id or duty.kind != "complete_training":
            raise HTTPException(404, "There is no such training item for you.")
        if duty.status != "open":
            return render(request, "info.html", {"title": "Already recorded",
                                                 "message": "This training is already done."})
        if errors:
            return render(request, "error.html", {"status": 422,
                                                  "message": "The training was not recorded.",
                                                  "problems": errors}, status_code=422)
        stored = None
        if clean is not None:
            folder = context.settings.uploads_dir / "certificates" / user.school_id
            stored = str(store_file(folder, clean).relative_to(context.settings.uploads_dir))
        course = str(duty.requirement.spec.get("course") or duty.requirement.title)
        record = TrainingRecord(
            school_id=user.school_id, person_id=user.id, course=course, completed_on=completed,
            provider=provider, certificate_path=stored, source="self",
            import_key=f"self:{duty.id}:{completed.isoformat()}",
        )
        session.add(record)
        session.flush()
        duty.status, duty.closed_on, duty.closed_reason = "done", today, "done"
        duty.evidence_ref = f"training:{record.id}"
        audit.record(session, actor=user.email, action="training.recorded",
                     object_type="training", object_id=record.id, school_id=user.school_id,
                     details={"duty": duty.id, "certificate": stored is not None})
    return render(request, "info.html", {
        "title": "Thank you",
        "message": f"Your {course} training on {human_date(completed)} has been recorded"
        + (" with your certificate." if stored else "."),
    })
