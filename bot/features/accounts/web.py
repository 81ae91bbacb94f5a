"""The official accounts register in the web UI (leadership reads; headteacher and admin edit),
and the signed-link page where an account holder signs the AUP (``/aup/{token}``)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import store as config_store
from bot.core.days.clock import LONDON, local_today
from bot.core.guards.forms import Text
from bot.core.guards.permissions import ACCOUNT_EDITORS, ACCOUNT_READERS
from bot.core.language.i18n import N_, Day, Joined, Msg, Said, speaking, spoken
from bot.core.language.words import human_time, school_words, version_name
from bot.core.models import Duty, OfficialAccount, Person, Policy, PolicyVersion, utcnow
from bot.core.outbox import Urgency, enqueue_email
from bot.core.rendering.messages import notice
from bot.engine.plan_apply import plan_and_apply
from bot.engine.web.access import record_id
from bot.engine.web.deps import check_csrf, client_ip, ctx, language_for_page, render, require_roles
from bot.engine.web.links import deliver_soon, link_page_context, open_link_duty
from bot.engine.web.on_behalf import only_themselves
from bot.features.accounts.service import (
    AccountError,
    add_holder,
    audit_account,
    create_account,
    holder_states,
    holdings_of,
    remove_holder,
    resolve_handover,
)
from bot.features.policies.api import aup_consent, names_match, sign_aup
from bot.features.setup.api import SetupError, editable, save_change

router = APIRouter()
# the account page's handover line, the reason said in the reader's language inside it
HANDOVER_LINE = N_("%(reason)s. Change the login and any recovery details, then record it here.")
SIGNATURE = N_("a signature on the Acceptable Use Policy")  # never given on someone's behalf
HOLDERS_IN_FILE = N_(
    "This account's holders are kept in school.yaml, which your IT provider manages: ask them "
    "to add or remove a holder there."
)


def _account(session: Session, account_id: int, school_id: str) -> OfficialAccount:
    account = session.get(OfficialAccount, account_id)
    if account is None or account.school_id != school_id:
        raise HTTPException(404, N_("There is no such account."))
    return account


def _people(session: Session, school_id: str) -> list[Any]:
    """(id, name) of everyone at the school, by name."""
    return list(
        session.execute(
            select(Person.id, Person.display_name)
            .where(Person.school_id == school_id, Person.active.is_(True))
            .order_by(Person.display_name)
        ).all()
    )


def _config_managed(request: Request, account: OfficialAccount) -> bool:
    """Whether the school's settings list this account (its holders are kept there)."""
    with ctx(request).store.session() as session:
        school = config_store.load_org(ctx(request).settings, session).school(account.school_id)
    return any(a.id == account.key for a in school.official_accounts)


def _change_settings_holders(
    request: Request, user: Person, account: OfficialAccount, action: str, value: str
) -> None:
    """Add or remove a holder of an account the settings list: the settings change, saved,
    audited and applied at once (AccountError when it cannot be made)."""
    with ctx(request).store.session() as session:
        person = session.get(Person, record_id(value) or 0)
        if not editable(session):
            raise AccountError(HOLDERS_IN_FILE)
    if person is None or person.school_id != user.school_id:
        raise AccountError(N_("Please choose a person."))
    email, name, key = person.email, person.display_name, account.key

    def change(school: dict[str, Any]) -> None:
        entry = next(a for a in school["official_accounts"] if a["id"] == key)
        holders = list(entry.get("holders") or [])
        if action == "add":
            if email in holders:
                raise AccountError(N_("%(name)s already holds this account."), name=name)
            entry["holders"] = [*holders, email]
        else:
            if email not in holders:
                raise AccountError(N_("That person does not hold this account."))
            entry["holders"] = [h for h in holders if h != email]

    verb = "added to" if action == "add" else "removed from"
    try:
        save_change(request, user, change, f"holder {verb} {account.name}")
    except SetupError as exc:
        raise AccountError(exc.msg) from None


@router.get("/accounts", include_in_schema=False)
def accounts(request: Request) -> Response:
    """Every official account, its holders' signature state and any handover."""
    user = require_roles(request, ACCOUNT_READERS)
    today = local_today(utcnow())
    with ctx(request).store.transaction() as session:
        rows = []
        for account in session.scalars(
            select(OfficialAccount)
            .where(OfficialAccount.school_id == user.school_id)
            .order_by(OfficialAccount.name)
        ):
            states = holder_states(session, account, today)
            rows.append(
                {
                    "account": account,
                    "holders": states,
                    "unsigned": sum(1 for s in states if s.state != "signed"),
                    "custodian": account.custodian.display_name if account.custodian else None,
                }
            )
        audit.record(
            session,
            actor=user.email,
            action="accounts.viewed",
            object_type="official_account",
            school_id=user.school_id,
        )
    can_edit = bool(user.role_names & ACCOUNT_EDITORS)
    return render(request, "accounts.html", {"rows": rows, "can_edit": can_edit})


@router.get("/accounts/new", include_in_schema=False)
def new_account_form(request: Request) -> Response:
    """The form for a web-managed account."""
    user = require_roles(request, ACCOUNT_EDITORS)
    return render(request, "accounts_new.html", _new_context(request, user.school_id))


def _new_context(request: Request, school_id: str) -> dict[str, object]:
    with ctx(request).store.session() as session:
        people = _people(session, school_id)
        aups = session.execute(
            select(Policy.id, Policy.title)
            .where(Policy.school_id == school_id)
            .order_by(Policy.is_aup.desc(), Policy.title)
        ).all()
    return {"people": people, "aups": aups, "values": {}, "errors": []}


@router.post("/accounts/new", include_in_schema=False)
def new_account(
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    platform: Annotated[str, Form(max_length=80)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    url: Annotated[str, Form(max_length=500)] = "",
    purpose: Annotated[str, Form(max_length=2000)] = "",
    custodian_id: Annotated[str, Form(max_length=20)] = "",
    aup_policy_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Create the account; errors are shown on the form (422) and nothing is stored."""
    check_csrf(request, csrf_token)
    user = require_roles(request, ACCOUNT_EDITORS)
    errors: list[Text] = []
    if not platform.strip():
        errors.append(Msg(N_("Platform is required (e.g. Facebook, Tapestry, Mobile phone).")))
    if not name.strip():
        errors.append(Msg(N_("Name is required (e.g. 'School Facebook page').")))
    if url and not re.match(r"^https?://\S+$", url.strip()):
        errors.append(Msg(N_("Web address must start with http:// or https://.")))
    if not errors:
        account = OfficialAccount(
            school_id=user.school_id,
            key=re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "account",
            platform=platform.strip(),
            name=name.strip(),
            url=url.strip() or None,
            purpose=purpose.strip() or None,
            custodian_id=record_id(custodian_id),
            aup_policy_id=record_id(aup_policy_id),
        )
        try:
            with ctx(request).store.transaction() as session:
                create_account(session, account, actor=user.email)
            return RedirectResponse(f"/accounts/{account.id}", status_code=303)
        except AccountError as exc:
            errors.append(exc.msg)
    values = {"platform": platform, "name": name, "url": url, "purpose": purpose}
    data = {**_new_context(request, user.school_id), "errors": errors, "values": values}
    return render(request, "accounts_new.html", data, status_code=422)


@router.get("/accounts/{account_id}", include_in_schema=False)
def account_page(request: Request, account_id: int) -> Response:
    """One account: holders and their signature state, custodian, handover."""
    return _account_page(request, account_id, None)


def _account_page(request: Request, account_id: int, error: Text | None) -> Response:
    """The account's page; with ``error``, the change refused (422)."""
    user = require_roles(request, ACCOUNT_READERS)
    with ctx(request).store.session() as session:
        account = _account(session, account_id, user.school_id)
        states = holder_states(session, account, local_today(utcnow()))
        holder_ids = {s.person_id for s in states}
        people = [p for p in _people(session, user.school_id) if p[0] not in holder_ids]
        aup = session.get(Policy, account.aup_policy_id) if account.aup_policy_id else None
        audit_account(session, account, "account.viewed", user.email)
        session.commit()
        return render(
            request,
            "account.html",
            {
                "account": account,
                "handover_line": HANDOVER_LINE,
                "holders": states,
                "people": people,
                "aup": aup,
                "custodian": account.custodian.display_name if account.custodian else None,
                "can_edit": bool(user.role_names & ACCOUNT_EDITORS),
                "config_managed": _config_managed(request, account),
                "settings_editable": editable(session),
                "error": error,
            },
            status_code=422 if error else 200,
        )


def _change(
    request: Request, account_id: int, csrf_token: str, action: str, value: str
) -> Response:
    check_csrf(request, csrf_token)
    user = require_roles(request, ACCOUNT_EDITORS)
    today = local_today(utcnow())
    try:
        with ctx(request).store.session() as session:
            account = _account(session, account_id, user.school_id)
        if action in ("add", "remove") and _config_managed(request, account):
            _change_settings_holders(request, user, account, action, value)
            return RedirectResponse(f"/accounts/{account_id}", status_code=303)
        with ctx(request).store.transaction() as session:
            account = _account(session, account_id, user.school_id)
            if action == "add":
                person = session.get(Person, record_id(value) or 0)
                if person is None or person.school_id != user.school_id:
                    raise AccountError(N_("Please choose a person."))
                add_holder(session, account, person, today, actor=user.email)
            elif action == "remove":
                remove_holder(session, account, record_id(value) or -1, today, actor=user.email)
            else:
                resolve_handover(session, account, value, actor=user.email)
            if action in ("add", "remove"):  # duties opened and closed now, as the sweep
                org = config_store.load_org(ctx(request).settings, session)  # would (no message)
                plan_and_apply(session, org.school(user.school_id), today)
    except AccountError as exc:
        return _account_page(request, account_id, exc.msg)
    return RedirectResponse(f"/accounts/{account_id}", status_code=303)


@router.post("/accounts/{account_id}/holders", include_in_schema=False)
@router.post("/accounts/{account_id}/holders/remove", include_in_schema=False)
def holders_change(
    request: Request,
    account_id: int,
    csrf_token: Annotated[str, Form()] = "",
    person_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Add a holder, or remove one (``/remove``: flags a handover)."""
    action = "remove" if request.url.path.endswith("/remove") else "add"
    return _change(request, account_id, csrf_token, action, person_id)


@router.post("/accounts/{account_id}/handover", include_in_schema=False)
def handover_done(
    request: Request,
    account_id: int,
    csrf_token: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The custodian confirms the handover (login changed)."""
    return _change(request, account_id, csrf_token, "handover", note)


@router.get("/accounts/holders/{person_id}", include_in_schema=False)
def person_holdings(request: Request, person_id: int) -> Response:
    """What one person holds (leadership view)."""
    user = require_roles(request, ACCOUNT_READERS)
    with ctx(request).store.session() as session:
        person = session.get(Person, person_id)
        if person is None or person.school_id != user.school_id:
            raise HTTPException(404, N_("There is no such person."))
        held = holdings_of(session, person_id)
        return render(request, "account_person.html", {"person": person, "accounts": held})


# ------------------------------------------------------------------ signed links: AUP signatures


def _aup_context(
    session: Session, person: Person, duty: Duty, version: PolicyVersion, policy: Policy, token: str
) -> dict[str, Any]:
    accounts = session.scalars(
        select(OfficialAccount.name)
        .join(Duty, Duty.account_id == OfficialAccount.id)
        .where(Duty.person_id == person.id, Duty.kind == "sign_aup", Duty.status == "open")
    ).all()
    data = link_page_context(person, duty, version, policy, token, local_today(utcnow()))
    data["accounts"] = sorted(set(accounts))
    data["consent"] = aup_consent(policy.title, version.label)  # what they sign: said now
    return data


def _signed_at(now: datetime) -> Said:
    """When it was signed, as the reader's language writes it ('... 2026 at 10:00')."""
    local = now.astimezone(LONDON)
    return Said(lambda: human_time(now) if spoken() == "en" else f"{Day(local)}, {local:%H:%M}")


@router.get("/aup/{token}", include_in_schema=False)
def aup_page(request: Request, token: str) -> Response:
    """Show the AUP, a consent box and a typed-name field. Records nothing."""
    with ctx(request).store.session() as session:
        found = open_link_duty(request, "aup", token, session)
        if isinstance(found, Response):
            return found
        person, duty, version, policy = found
        if (refused := only_themselves(request, person, SIGNATURE)) is not None:
            return refused
        with speaking(language_for_page(request, {"user": person})):
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
    context = ctx(request)
    with context.store.transaction() as session:
        found = open_link_duty(request, "aup", token, session)
        if isinstance(found, Response):
            return found
        person, duty, version, policy = found
        if (refused := only_themselves(request, person, SIGNATURE)) is not None:
            return refused
        language = language_for_page(request, {"user": person})
        errors: list[Text] = []
        if consent != "yes":
            errors.append(Msg(N_("Please tick the box to confirm you agree.")))
        if not names_match(typed_name, person.display_name):
            errors.append(
                Msg(
                    N_(
                        "The name you typed does not match the name the school has for you "
                        "(%(name)s). Please type your full name as shown."
                    ),
                    name=person.display_name,
                )
            )
        with speaking(language):  # what they sign, as they read it
            if errors:
                data = {
                    **_aup_context(session, person, duty, version, policy, token),
                    "errors": errors,
                    "typed_name": typed_name,
                }
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
        school = context.config.school(person.school_id)
        if result.attestation is not None:
            named = Joined((policy.title, version_name(version.label)), ", ")
            draft = notice(
                school=school,
                language=language,
                to=[person.email],
                subject=Msg(
                    N_("Your signature: %(title)s (%(version)s)"),
                    title=policy.title,
                    version=version_name(version.label),
                ),
                greeting=Msg(
                    N_("Dear %(person_name)s,"),
                    person_name=person.given_name or person.display_name,
                ),
                paragraphs=[
                    Msg(
                        N_(
                            "Thank you. This is your receipt for the Acceptable Use Policy you "
                            "signed. Keep it for your records; you do not need to do anything else."
                        )
                    ),
                    Msg(
                        N_("What you agreed to: %(statement)s"),
                        statement=result.attestation.statement,
                    ),
                ],
                facts=[
                    (Msg(N_("Policy")), named),
                    (Msg(N_("Document fingerprint (SHA-256)")), version.sha256),
                    (Msg(N_("Name you typed")), result.attestation.typed_name or ""),
                    (Msg(N_("Signed")), _signed_at(now)),
                    (Msg(N_("Reference")), f"SIG-{result.attestation.id:06d}"),
                ],
                small=Msg(
                    N_("If you did not sign this, tell the school office or the %(head)s today."),
                    head=Msg(school_words(school).headteacher),
                ),
            )
            enqueue_email(
                session,
                school_id=person.school_id,
                key=f"aup-receipt:{result.attestation.id}",
                purpose="aup_receipt",
                urgency=Urgency.WAITING,
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
