"""The settings pages for policies (upload documents, edit, a new version), requirements (a
built-in pack, add, edit, stop) and term dates (typed, or a local authority's ``.ics``).

Each change is validated (422 naming the box, nothing stored), saved, audited and applied at
once through ``pages.save_change``.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.core.clock import local_today
from bot.core.config import ROLES
from bot.core.dates import CALENDAR, DateWindowError
from bot.core.forms import Text
from bot.core.i18n import N_, Joined, Msg
from bot.core.models import Person, utcnow
from bot.core.permissions import SETUP_EDITORS
from bot.core.words import school_words
from bot.engine.web.deps import ctx, require_roles
from bot.engine.web.guards import read_checked_form
from bot.features.policies.api import (
    MAX_DOCUMENT_BYTES,
    FuzzyDate,
    ImportedPolicy,
    dsl_names,
    typed_date,
    typed_policy,
    typed_title,
)
from bot.features.reading.api import (
    EditionError,
    audience_name,
    register_edition,
    without_edition,
)
from bot.features.setup.pack import PACKS, school_pack
from bot.features.setup.pages import (
    current_school,
    editor,
    failed,
    people_choices,
    save_change,
    saved,
    show,
)
from bot.features.setup.rules import (
    SetupError,
    parse_days,
    parse_terms,
    slug,
    terms_text,
)
from bot.features.setup.service import (
    UploadedPolicy,
    copy_of_registered,
    policy_from_upload,
    read_upload,
    upload_checks,
)
from bot.features.setup.term_calendar import MAX_ICS_BYTES, CalendarError, read_term_calendar

__all__ = ["router"]

router = APIRouter()
MAX_UPLOADS = 20
KIND_NAMES = {  # said in the page's language where shown (``|translated``)
    "acknowledge_policy": N_("Read and acknowledge a policy"),
    "complete_training": N_("Complete training"),
    "sign_aup": N_("Official account holders sign the AUP"),
    "recurring_task": N_("A task repeated on a schedule"),
}
EVERY_NAMES = {"weekly": N_("Weekly"), "monthly": N_("Monthly"), "termly": N_("Termly"),
               "yearly": N_("Yearly")}
EVERY = tuple(EVERY_NAMES)
# a requirement form's boxes (besides the roles ticked)
REQUIREMENT_BOXES = ("kind", "title", "policy", "course", "every", "due_days", "valid_months",
                     "yearly_on")
AUDIENCE_ROLES = tuple(r for r in ROLES if r != "account_holder")


# --------------------------------------------------------------------------- editions


def _editions_data(request: Request, user: Person) -> dict[str, Any]:
    """The school's reading audiences (campaign/audience: "Keeping children safe in education
    (Part 1)") and those nobody is asked to read yet."""
    school = current_school(request, user.school_id)
    today = local_today(utcnow())
    with ctx(request).store.session() as session:
        waiting = without_edition(session, school, today)
    return {
        "school": school,
        "accept": ".docx,.pdf,.md,.txt",
        "audiences": [(f"{req.id}/{part}",
                       Joined((req.display_title, " (", audience_name(part), ")")))
                      for req in school.requirements if req.kind == "reading_campaign"
                      for part in req.audiences],
        "without_edition": waiting,
        "form": {"reading": "", "title": "", "edition": str(today.year),
                 "in_force": today.isoformat()},
        "registered": None,
    }


@router.get("/admin/editions", include_in_schema=False)
def editions_page(request: Request, reading: str = "") -> Response:
    """Register a reading's edition (this year's file staff read) from the browser."""
    user = require_roles(request, SETUP_EDITORS)
    data = _editions_data(request, user)
    data["form"]["reading"] = reading[:200]
    return show(request, "admin_editions.html", data)


@router.post("/admin/editions", include_in_schema=False)
def editions_upload(
    request: Request,
    document: Annotated[UploadFile, File()],
    csrf_token: Annotated[str, Form()] = "",
    reading: Annotated[str, Form(max_length=200)] = "",
    title: Annotated[str, Form(max_length=300)] = "",
    edition: Annotated[str, Form(max_length=40)] = "",
    in_force: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Store the edition's file for one reading audience, checked as a policy upload is; from
    the day it comes into force everyone it is for is asked to read it (422 naming the box,
    nothing stored, otherwise)."""
    user = editor(request, csrf_token)
    data = _editions_data(request, user)
    data["form"] = {"reading": reading, "title": title, "edition": edition,
                    "in_force": in_force}
    today = local_today(utcnow())
    campaign, _, audience = reading.partition("/")
    try:
        if reading not in dict(data["audiences"]):
            raise SetupError("reading", N_("Reading: choose which reading this file is for."))
        try:
            day = CALENDAR.parse(in_force, N_("In force from"), today, example="2026-09-01") \
                if in_force.strip() else today
        except DateWindowError as exc:
            raise SetupError("in_force", exc.msg) from None
        blob = document.file.read(MAX_DOCUMENT_BYTES + 1)  # a page thread: a plain def
        name = PurePath(document.filename or "").name
        if not name:
            raise SetupError("document", N_("Document: choose the edition's file."))
        with ctx(request).store.transaction() as session:
            try:
                result = register_edition(
                    session, data["school"], campaign, audience, title=title,
                    edition=edition or str(day.year), document=(name, blob), in_force=day,
                    actor=user.email,
                )
            except EditionError as exc:
                box = "document" if name in str(exc) else "title"
                raise SetupError(box, N_("Nothing was registered: %(problem)s"),
                                 problem=exc.msg) from None
            label = result.version.label
            already = result.already
    except SetupError as exc:
        return failed(request, "admin_editions.html", data, exc)
    data = _editions_data(request, user)
    data["registered"] = {"title": title.strip(), "edition": label, "day": day,
                          "already": already}
    return show(request, "admin_editions.html", data)


# --------------------------------------------------------------------------- policies


def _policies_data(request: Request, user: Person) -> dict[str, Any]:
    school = current_school(request, user.school_id)
    return {"school": school, "accept": ".docx,.pdf,.md", "results": [], "left_out": [],
            "typed": dict.fromkeys(("title", "version", "adopted", "next_review",
                                    "approving_body"), "")}


@router.get("/admin/policies", include_in_schema=False)
def policies_page(request: Request) -> Response:
    """The school's policies and the upload form (one document or the whole folder)."""
    user = require_roles(request, SETUP_EDITORS)
    return show(request, "admin_policies.html", _policies_data(request, user))


def _read_files(uploads: list[UploadFile]) -> list[tuple[str, bytes]]:
    """(name, bytes) of each chosen file, at most the document limit + 1 byte each (read on
    the page's thread: the routes that call it are plain ``def``)."""
    files = [(upload.filename, upload.file.read(MAX_DOCUMENT_BYTES + 1))
             for upload in uploads[: MAX_UPLOADS + 1] if upload.filename]
    if not files:
        raise SetupError("documents", N_("Policy documents: choose at least one file."))
    if len(files) > MAX_UPLOADS:
        raise SetupError("documents", N_("Policy documents: at most %(most)d at a time."),
                         most=MAX_UPLOADS)
    return files


def _typed_upload(
    files: list[tuple[str, bytes]], typed: dict[str, str]
) -> list[tuple[str, ImportedPolicy, bytes]]:
    """A scanned document registered from the details typed for it (one document at a time)."""
    if len(files) != 1:
        raise SetupError("typed_title", N_("Typed details: upload that one document on its own."))
    name, blob = files[0]
    base = PurePath(name.replace("\\", "/")).name
    if not typed["title"].strip():
        raise SetupError("typed_title", N_("Title: type the policy's title as the document "
                                           "gives it."))
    dates: dict[str, FuzzyDate | None] = {}
    for box, label in (("adopted", N_("Adopted on")), ("next_review", N_("Next review"))):
        text = typed[box].strip()
        dates[box] = typed_date(text) if text else None
        if text and dates[box] is None:
            raise SetupError(f"typed_{box}", N_("%(label)s: “%(text)s” is not a date; write it "
                                                "like 2026-11-12 or November 2027."),
                             words=("label",), label=label, text=text[:40])
    if dates["next_review"] is None and dates["adopted"] is None:
        raise SetupError("typed_next_review", N_("Next review: type the date it is next "
                                                 "reviewed (or the date it was adopted, to "
                                                 "count a year from)."))
    imported = typed_policy(base, title=typed["title"], version=typed["version"] or None,
                            adopted=dates["adopted"], next_review=dates["next_review"],
                            # left blank: the nation's governing body, filled in by
                            # the school's settings
                            approving_body=typed["approving_body"] or None)
    return [(base, imported, blob)]


def _read_uploads(
    files: list[tuple[str, bytes]], typed: dict[str, str]
) -> list[tuple[str, ImportedPolicy, bytes]]:
    """Each file read with the importer (on the page's thread: each file is checked in a child
    process, bot.core.contained). A scanned PDF is registered from its typed details; for a
    document that reads, a typed title answers the title question."""
    read: list[tuple[str, ImportedPolicy, bytes]] = []
    for name, blob in files:
        try:
            base, imported = read_upload(name, blob)
        except SetupError as exc:
            if exc.field == "scanned" and any(v.strip() for v in typed.values()):
                return _typed_upload(files, typed)
            raise
        read.append((base, imported, blob))
    if typed["title"].strip() and len(read) == 1:
        typed_title(read[0][1], typed["title"])
    return read


@router.post("/admin/policies", include_in_schema=False)
def policies_upload(
    request: Request,
    documents: Annotated[list[UploadFile], File()],
    csrf_token: Annotated[str, Form()] = "",
    title: Annotated[str, Form(max_length=300)] = "",
    version: Annotated[str, Form(max_length=40)] = "",
    adopted: Annotated[str, Form(max_length=40)] = "",
    next_review: Annotated[str, Form(max_length=40)] = "",
    approving_body: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    """Read every uploaded document with the policy importer and add (or update) each policy;
    one file that cannot be read stops the whole upload and names the file. A scanned PDF is
    registered from the details typed beside it; a copy of a document in another format is
    not added twice; a document naming another school or DSL is pointed out."""
    user = editor(request, csrf_token)
    data = _policies_data(request, user)
    typed = {"title": title, "version": version, "adopted": adopted,
             "next_review": next_review, "approving_body": approving_body}
    data["typed"] = typed
    today = local_today(utcnow())
    results: list[UploadedPolicy] = []
    try:
        files = _read_files(documents)
        read = _read_uploads(files, typed)
        with ctx(request).store.session() as session:
            dsls = dsl_names(session, data["school"])
        checks, twins = upload_checks([(base, imported) for base, imported, _ in read],
                                      data["school"].name, dsls,
                                      dsl=school_words(data["school"]).dsl)
        for base, imported, blob in read:
            registered = None if base in twins else copy_of_registered(
                ctx(request).settings, data["school"].policies, imported, blob)
            if registered is not None:
                twins.add(base)
                checks[base].append(Msg(N_(
                    "%(name)s is the same document as %(registered)s, already registered (a "
                    "copy in another format): %(name)s is not added again"),
                    name=base, registered=registered))

        def change(school: dict[str, Any]) -> None:
            existing = data["school"].policies
            for base, imported, blob in read:
                if base in twins:
                    data["left_out"] += checks[base]
                    continue
                result = policy_from_upload(ctx(request).settings, existing, base, blob,
                                            imported, today,
                                            version_label=typed["version"] or None)
                result.checks = checks.get(base, [])
                results.append(result)
                school["policies"] = [p for p in school["policies"]
                                      if p["id"] != result.entry["id"]] + [result.entry]

        names = ", ".join(name for name, _ in files)
        save_change(request, user, change, f"policy documents uploaded: {names}"[:500])
    except SetupError as exc:
        return failed(request, "admin_policies.html", data, exc)
    return show(request, "admin_policies.html", _policies_data(request, user) | {
        "results": results, "left_out": data["left_out"]})


_NOT_FOUND = {  # the 404 page says them in the page's language
    "policy": N_("There is no policy with that name in the settings."),
    "requirement": N_("There is no requirement with that name in the settings."),
}


def _named(items: Any, key: str, what: str) -> Any:
    """The policy or requirement of the settings with this id (404 when there is none)."""
    found = next((item for item in items if item.id == key), None)
    if found is None:
        raise HTTPException(404, _NOT_FOUND[what])
    return found


def _policy_page(request: Request, user: Person, pid: str, **extra: Any) -> dict[str, Any]:
    school = current_school(request, user.school_id)
    policy = _named(school.policies, pid, "policy")
    with ctx(request).store.session() as session:
        people = people_choices(session, user.school_id)
    form = {
        "title": policy.title,
        "owner": policy.owner or "",
        "approving_body": policy.approving_body,
        "review_cycle_months": str(policy.review_cycle_months),
        "aup": "yes" if policy.aup else "",
        "linked_policies": "\n".join(policy.linked_policies),
    }
    return {"school": school, "policy": policy, "form": form, "people": people,
            "accept": ".docx,.pdf,.md", **extra}


@router.get("/admin/policies/{pid}", include_in_schema=False)
def policy_page(request: Request, pid: str) -> Response:
    """Edit one policy's details, or upload a new version of its document."""
    user = require_roles(request, SETUP_EDITORS)
    return show(request, "admin_policy.html", _policy_page(request, user, pid))


@router.post("/admin/policies/{pid}", include_in_schema=False)
def policy_save(
    request: Request,
    pid: str,
    csrf_token: Annotated[str, Form()] = "",
    title: Annotated[str, Form(max_length=400)] = "",
    owner: Annotated[str, Form(max_length=320)] = "",
    approving_body: Annotated[str, Form(max_length=200)] = "",
    review_cycle_months: Annotated[str, Form(max_length=10)] = "",
    aup: Annotated[str, Form(max_length=5)] = "",
    linked_policies: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """Save a policy's details (title, lead, approving body, review cycle, AUP, links)."""
    user = editor(request, csrf_token)
    data = _policy_page(request, user, pid)
    data["form"] = {"title": title, "owner": owner, "approving_body": approving_body,
                    "review_cycle_months": review_cycle_months, "aup": aup,
                    "linked_policies": linked_policies}
    known = {email for email, _ in data["people"]}

    def change(school: dict[str, Any]) -> None:
        if not title.strip():
            raise SetupError("title", N_("Title: give the policy's title."))
        if owner and owner not in known:
            raise SetupError("owner", N_("Policy lead: choose someone from the list."))
        if not approving_body.strip() or len(approving_body.strip()) > 120:
            raise SetupError("approving_body", N_("Approving body: the %(body)s or a "
                                                  "committee's name (at most 120 characters)."),
                             words=("body",), body=school_words(data["school"]).governing_body)
        if not review_cycle_months.strip().isdigit() or not 1 <= int(review_cycle_months) <= 60:
            raise SetupError("review_cycle_months",
                             N_("Review cycle: a whole number of months from 1 to 60, e.g. 12."))
        links = [line.strip() for line in linked_policies.splitlines() if line.strip()]
        entry = next(p for p in school["policies"] if p["id"] == pid)
        entry.update(title=title.strip(), owner=owner or None,
                     approving_body=approving_body.strip(),
                     review_cycle_months=int(review_cycle_months), aup=aup == "yes",
                     linked_policies=[link for link in links
                                      if link.lower() != title.strip().lower()])

    return saved(request, user, change, f"policy details changed: {title.strip()[:200]}",
                 to=f"/admin/policies/{pid}?saved=1", template="admin_policy.html", data=data)


@router.post("/admin/policies/{pid}/version", include_in_schema=False)
def policy_version(
    request: Request,
    pid: str,
    document: Annotated[UploadFile, File()],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """A new version of this policy's document: staff who acknowledge it are asked again."""
    user = editor(request, csrf_token)
    data = _policy_page(request, user, pid)
    try:
        ((name, blob),) = _read_files([document])
        base, imported = read_upload(name, blob)
        policy = data["policy"]
        result = policy_from_upload(ctx(request).settings, [], base, blob, imported,
                                    local_today(utcnow()), into=policy)

        def change(school: dict[str, Any]) -> None:
            entry = next(p for p in school["policies"] if p["id"] == pid)
            entry.update({k: result.entry[k] for k in ("version", "document", "published",
                                                       "statement")})

        save_change(request, user, change, f"new version of {policy.title[:200]}")
    except SetupError as exc:
        return failed(request, "admin_policy.html", data, exc)
    return RedirectResponse(f"/admin/policies/{pid}?saved=version", status_code=303)


# --------------------------------------------------------------------------- requirements


def _requirements_data(request: Request, user: Person, **extra: Any) -> dict[str, Any]:
    school = current_school(request, user.school_id)
    return {"school": school, "packs": PACKS, "kinds": KIND_NAMES, "roles": AUDIENCE_ROLES,
            "every": EVERY, "every_names": EVERY_NAMES, "notes": [], "form": {}, **extra}


@router.get("/admin/requirements", include_in_schema=False)
def requirements_page(request: Request) -> Response:
    """What staff are asked to do: the requirements, a built-in pack and the add form."""
    user = require_roles(request, SETUP_EDITORS)
    return show(request, "admin_requirements.html", _requirements_data(request, user))


@router.post("/admin/requirements/pack", include_in_schema=False)
def requirements_pack(
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    pack: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Add a built-in pack's requirements (matched to the school's policies by title)."""
    user = editor(request, csrf_token)
    data = _requirements_data(request, user)
    notes: list[Text] = []

    def change(school: dict[str, Any]) -> None:
        if pack not in PACKS:
            raise SetupError("pack", N_("Please choose one of the requirement packs."))
        added, found = school_pack(PACKS[pack], data["school"])
        notes.extend(found)
        school["requirements"] = list(school["requirements"]) + added

    try:
        save_change(request, user, change, f"requirement pack added: {pack}")
    except SetupError as exc:
        return failed(request, "admin_requirements.html", data, exc)
    data = _requirements_data(request, user, notes=notes, added_pack=PACKS[pack].title)
    return show(request, "admin_requirements.html", data)


def _requirement_entry(form: dict[str, Any], school: Any) -> dict[str, Any]:
    """A requirement's settings from the form; SetupError naming the box."""
    kind = form["kind"]
    if kind not in KIND_NAMES:
        raise SetupError("kind", N_("What is asked: choose one of the kinds."))
    entry: dict[str, Any] = {"kind": kind, "title": form["title"].strip() or None}
    policy_ids = {p.id for p in school.policies}
    if kind in ("acknowledge_policy", "sign_aup"):
        if form["policy"] not in policy_ids:
            raise SetupError("policy",
                             N_("Policy: choose the policy to be acknowledged or signed."))
        entry["policy"] = form["policy"]
    if kind == "complete_training":
        if not form["course"].strip():
            raise SetupError("course", N_("Course: give the training course's name."))
        entry["course"] = form["course"].strip()[:200]
    if kind == "recurring_task":
        if form["every"] not in EVERY:
            raise SetupError("every",
                             N_("How often: choose weekly, monthly, termly or yearly."))
        entry["every"] = form["every"]
    roles = [r for r in form["roles"] if r in AUDIENCE_ROLES]
    if kind != "sign_aup":
        if not roles:
            raise SetupError("roles", N_("Who is asked: tick at least one group of people."))
        entry["audience"] = {"roles": roles}
    for box, low, high, label in (("due_days", 0, 365, N_("Days to do it")),
                                  ("valid_months", 1, 120, N_("Valid for (months)"))):
        text = str(form[box]).strip()
        if not text.isdigit() or not low <= int(text) <= high:
            raise SetupError(box, N_("%(label)s: a whole number from %(low)d to %(high)d."),
                             words=("label",), label=label, low=low, high=high)
        entry[box] = int(text)
    if form["yearly_on"].strip():
        entry["yearly_on"] = form["yearly_on"].strip()
    return entry


async def _requirement_form(request: Request) -> dict[str, Any]:
    raw = await read_checked_form(request, max_files=0, max_fields=60)
    form: dict[str, Any] = {box: str(raw.get(box) or "")
                            for box in ("csrf_token", *REQUIREMENT_BOXES)}
    form["roles"] = [str(v) for v in raw.getlist("roles")]
    return form


def _save_requirement(request: Request, user: Person, rid: str | None,
                      form: dict[str, Any], template: str, data: dict[str, Any]) -> Response:
    """Add (``rid`` None) or replace a requirement; the form again with the problem if not."""
    data["form"] = form
    new_id: list[str] = []

    def change(school: dict[str, Any]) -> None:
        entry = _requirement_entry(form, data["school"])
        ids = {r["id"] for r in school["requirements"]}
        if rid is None:
            base = slug(form["title"] or form["course"] or f"{form['kind']}-{form['policy']}",
                        "requirement")
            key, n = base, 2
            while key in ids:
                key, n = f"{base}-{n}", n + 1
            school["requirements"] = [*school["requirements"], {"id": key, **entry}]
            new_id.append(key)
            return
        old = next(r for r in school["requirements"] if r["id"] == rid)
        kept = ["id", "cadence", "new_starter_days"]
        if entry["kind"] == "recurring_task":  # a new "every" replaces the old every_days
            kept += ["owners"] if "every" in entry else ["owners", "every_days"]
        keep = {k: v for k, v in old.items() if k in kept}
        school["requirements"] = [{**keep, **entry} if r["id"] == rid else r
                                  for r in school["requirements"]]
        new_id.append(rid)

    title = form["title"] or form["course"] or KIND_NAMES.get(form["kind"], "requirement")
    try:
        save_change(request, user, change, f"requirement saved: {title[:200]}")
    except SetupError as exc:
        return failed(request, template, data, exc)
    return RedirectResponse(f"/admin/requirements/{new_id[0]}?saved=1", status_code=303)


@router.post("/admin/requirements", include_in_schema=False)
async def requirement_add(request: Request) -> Response:
    """Add one requirement from the form."""
    form = await _requirement_form(request)

    def add() -> Response:
        user = editor(request, form["csrf_token"])
        data = _requirements_data(request, user)
        return _save_requirement(request, user, None, form, "admin_requirements.html", data)

    return await run_in_threadpool(add)


@router.get("/admin/requirements/{rid}", include_in_schema=False)
def requirement_page(request: Request, rid: str) -> Response:
    """Edit one requirement, or stop it."""
    user = require_roles(request, SETUP_EDITORS)
    data = _requirements_data(request, user)
    req = _named(data["school"].requirements, rid, "requirement")
    data["requirement"] = req
    data["form"] = {box: "" if getattr(req, box) is None else str(getattr(req, box))
                    for box in REQUIREMENT_BOXES} | {"roles": list(req.audience.roles)}
    return show(request, "admin_requirement.html", data)


@router.post("/admin/requirements/{rid}", include_in_schema=False)
async def requirement_save(request: Request, rid: str) -> Response:
    """Save one requirement's changes."""
    form = await _requirement_form(request)

    def save() -> Response:
        user = editor(request, form["csrf_token"])
        data = _requirements_data(request, user)
        data["requirement"] = _named(data["school"].requirements, rid, "requirement")
        return _save_requirement(request, user, rid, form, "admin_requirement.html", data)

    return await run_in_threadpool(save)


@router.post("/admin/requirements/{rid}/stop", include_in_schema=False)
def requirement_stop(
    request: Request, rid: str, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    """Stop asking for this: its open duties close; what was done stays on the record."""
    user = editor(request, csrf_token)
    data = _requirements_data(request, user)
    req = _named(data["school"].requirements, rid, "requirement")

    def change(school: dict[str, Any]) -> None:
        school["requirements"] = [r for r in school["requirements"] if r["id"] != rid]

    return saved(request, user, change, f"requirement stopped: {req.display_title[:200]}",
                 to="/admin/requirements?saved=1", template="admin_requirement.html",
                 data={**data, "requirement": req})


# --------------------------------------------------------------------------- term dates


def _terms_data(request: Request, user: Person, **extra: Any) -> dict[str, Any]:
    school = current_school(request, user.school_id)
    form = {
        "terms": terms_text(school),
        "inset_days": "\n".join(d.isoformat() for d in school.inset_days),
        "holidays": "\n".join(d.isoformat() for d in school.holidays),
    }
    return {"school": school, "form": form, "read": None, **extra}


@router.get("/admin/terms", include_in_schema=False)
def terms_page(request: Request) -> Response:
    """Term dates, INSET days and other closures: typed, or from an .ics calendar."""
    user = require_roles(request, SETUP_EDITORS)
    return show(request, "admin_terms.html", _terms_data(request, user))


@router.post("/admin/terms", include_in_schema=False)
def terms_save(
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    terms: Annotated[str, Form(max_length=20000)] = "",
    inset_days: Annotated[str, Form(max_length=20000)] = "",
    holidays: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    """Save the typed term dates (each line checked; the line at fault is named)."""
    user = editor(request, csrf_token)
    data = _terms_data(request, user)
    data["form"] = {"terms": terms, "inset_days": inset_days, "holidays": holidays}

    def change(school: dict[str, Any]) -> None:
        today = local_today(utcnow())
        school["terms"] = parse_terms(terms, today)
        school["inset_days"] = parse_days(inset_days, "inset_days", N_("INSET days"), today)
        school["holidays"] = parse_days(holidays, "holidays", N_("Other closures"), today)

    return saved(request, user, change, "term dates changed", to="/admin/terms?saved=1",
                 template="admin_terms.html", data=data)


@router.post("/admin/terms/calendar", include_in_schema=False)
def terms_calendar(
    request: Request,
    calendar: Annotated[UploadFile, File()],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Read a local authority's .ics term-dates calendar and save what it says (shown)."""
    user = editor(request, csrf_token)
    data = _terms_data(request, user)
    name = (calendar.filename or "the calendar").rsplit("/", 1)[-1][:80]
    try:
        if not name.lower().endswith(".ics"):
            raise SetupError("calendar", N_("%(file)s: choose the calendar's .ics file."),
                             file=name)
        try:
            blob = calendar.file.read(MAX_ICS_BYTES + 1)
            read = read_term_calendar(blob, name)
        except CalendarError as exc:
            values: dict[str, Any] = dict(exc.values)  # what the reader's sentence names
            raise SetupError("calendar", exc.message, **values) from None
        if not read.terms:  # the reader's last note says so, in these words
            raise SetupError("calendar", N_(
                "%(file)s: no term dates found (events named like 'Autumn term begins' and "
                "'Autumn term ends', or one event spanning the term). Nothing was changed: "
                "type the term dates instead."), file=name)

        def change(school: dict[str, Any]) -> None:
            school.update(terms=read.terms, inset_days=read.inset_days, holidays=read.holidays)

        save_change(request, user, change, f"term dates read from {name}")
    except SetupError as exc:
        return failed(request, "admin_terms.html", data, exc)
    data = _terms_data(request, user, read=read, calendar_name=name)
    return show(request, "admin_terms.html", data)
