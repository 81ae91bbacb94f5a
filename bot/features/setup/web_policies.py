"""The documents staff are asked to read, set up from the browser: the school's policies
(upload documents or the whole folder, edit one's details, a new version of its document) and
each reading's edition (this year's file for a reading audience).

Each change is validated (422 naming the box, nothing stored), saved, audited and applied at
once through ``pages.save_change``.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from bot.core.days.clock import local_today
from bot.core.days.dates import CALENDAR, DateWindowError
from bot.core.language.i18n import N_, Joined
from bot.core.language.words import school_words
from bot.core.models import Person, utcnow
from bot.engine.web.deps import ctx
from bot.features.policies.api import (
    MAX_DOCUMENT_BYTES,
    FuzzyDate,
    ImportedPolicy,
    dsl_names,
    typed_date,
    typed_policy,
    typed_title,
)
from bot.features.reading.api import EditionError, audience_name, register_edition, without_edition
from bot.features.setup.pages import (
    boxes,
    current_school,
    failed,
    form_route,
    named,
    page_route,
    people_choices,
    save_change,
    saved,
    show,
)
from bot.features.setup.rules import SetupError
from bot.features.setup.service import (
    UploadedPolicy,
    policy_from_upload,
    read_upload,
    upload_checks,
)

__all__ = ["router"]

router = APIRouter()
MAX_UPLOADS = 20
ACCEPT = ".docx,.pdf,.md"  # what the importer reads
EDITION_BOXES = {"reading": 200, "title": 300, "edition": 40, "in_force": 40}

# --------------------------------------------------------------------------- editions


def _editions_data(request: Request, user: Person) -> dict[str, Any]:
    """Register a reading's edition (this year's file staff read) from the browser: the
    school's reading audiences (campaign/audience: "Keeping children safe in education
    (Part 1)", the one the address names chosen) and those nobody is asked to read yet."""
    school = current_school(request, user.school_id)
    today = local_today(utcnow())
    with ctx(request).store.session() as session:
        waiting = without_edition(session, school, today)
    return {
        "school": school,
        "accept": ".docx,.pdf,.md,.txt",
        "limits": EDITION_BOXES,
        "audiences": [
            (f"{req.id}/{part}", Joined((req.display_title, " (", audience_name(part), ")")))
            for req in school.requirements
            if req.kind == "reading_campaign"
            for part in req.audiences
        ],
        "without_edition": waiting,
        "form": {
            "reading": request.query_params.get("reading", "")[:200],
            "title": "",
            "edition": str(today.year),
            "in_force": today.isoformat(),
        },
        "registered": None,
    }


def _edition_registered(request: Request, user: Person, sent: FormData) -> Response:
    """Store the edition's file for one reading audience, checked as a policy upload is; from
    the day it comes into force everyone it is for is asked to read it (422 naming the box,
    nothing stored, otherwise)."""
    data = _editions_data(request, user)
    form = data["form"] = boxes(sent, EDITION_BOXES)
    reading, title, edition, in_force = form.values()
    today = local_today(utcnow())
    campaign, _, audience = reading.partition("/")
    try:
        if reading not in dict(data["audiences"]):
            raise SetupError("reading", N_("Reading: choose which reading this file is for."))
        try:
            day = (
                CALENDAR.parse(in_force, N_("In force from"), today, example="2026-09-01")
                if in_force.strip()
                else today
            )
        except DateWindowError as exc:
            raise SetupError("in_force", exc.msg) from None
        document = sent.get("document")
        if not isinstance(document, UploadFile) or not PurePath(document.filename or "").name:
            raise SetupError("document", N_("Document: choose the edition's file."))
        name = PurePath(document.filename or "").name
        blob = document.file.read(MAX_DOCUMENT_BYTES + 1)
        with ctx(request).store.transaction() as session:
            try:
                result = register_edition(
                    session,
                    data["school"],
                    campaign,
                    audience,
                    title=title,
                    edition=edition or str(day.year),
                    document=(name, blob),
                    in_force=day,
                    actor=user.email,
                )
            except EditionError as exc:
                box = "document" if name in str(exc) else "title"
                raise SetupError(
                    box, N_("Nothing was registered: %(problem)s"), problem=exc.msg
                ) from None
            label = result.version.label
            already = result.already
    except SetupError as exc:
        return failed(request, "admin_editions.html", data, exc)
    data = _editions_data(request, user)
    data["registered"] = {"title": title.strip(), "edition": label, "day": day, "already": already}
    return show(request, "admin_editions.html", data)


# --------------------------------------------------------------------------- policies


def _policies_data(request: Request, user: Person) -> dict[str, Any]:
    """The school's policies and the upload form (one document or the whole folder)."""
    school = current_school(request, user.school_id)
    return {
        "school": school,
        "accept": ACCEPT,
        "results": [],
        "left_out": [],
        "typed": dict.fromkeys(TYPED_BOXES, ""),
    }


def _read_files(uploads: list[Any]) -> list[tuple[str, bytes]]:
    """(name, bytes) of each file chosen (a text sent in its place is none), at most the
    document limit + 1 byte each (read on the page's thread: see ``pages.posted``)."""
    files = [
        (upload.filename, upload.file.read(MAX_DOCUMENT_BYTES + 1))
        for upload in uploads[: MAX_UPLOADS + 1]
        if isinstance(upload, UploadFile) and upload.filename
    ]
    if not files:
        raise SetupError("documents", N_("Policy documents: choose at least one file."))
    if len(files) > MAX_UPLOADS:
        raise SetupError(
            "documents", N_("Policy documents: at most %(most)d at a time."), most=MAX_UPLOADS
        )
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
        raise SetupError(
            "typed_title", N_("Title: type the policy's title as the document gives it.")
        )
    dates: dict[str, FuzzyDate | None] = {}
    for box, label in (("adopted", N_("Adopted on")), ("next_review", N_("Next review"))):
        text = typed[box].strip()
        dates[box] = typed_date(text) if text else None
        if text and dates[box] is None:
            raise SetupError(
                f"typed_{box}",
                N_(
                    "%(label)s: “%(text)s” is not a date; write it "
                    "like 2026-11-12 or November 2027."
                ),
                words=("label",),
                label=label,
                text=text[:40],
            )
    if dates["next_review"] is None and dates["adopted"] is None:
        raise SetupError(
            "typed_next_review",
            N_(
                "Next review: type the date it is next reviewed (or the date it was adopted, to "
                "count a year from)."
            ),
        )
    imported = typed_policy(
        base,
        title=typed["title"],
        version=typed["version"] or None,
        adopted=dates["adopted"],
        next_review=dates["next_review"],
        # left blank: the nation's governing body, filled in by
        # the school's settings
        approving_body=typed["approving_body"] or None,
    )
    return [(base, imported, blob)]


def _read_uploads(
    files: list[tuple[str, bytes]], typed: dict[str, str]
) -> list[tuple[str, ImportedPolicy, bytes]]:
    """Each file read with the importer (on the page's thread: each file is checked in a child
    process, bot.core.files.contained). A scanned PDF is registered from its typed details; for a
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


def _uploaded(request: Request, user: Person, sent: FormData) -> Response:
    """Read every uploaded document with the policy importer and add (or update) each policy;
    one file that cannot be read stops the whole upload and names the file. A scanned PDF is
    registered from the details typed beside it; a copy of a document in another format is
    not added twice; a document naming another school or DSL is pointed out."""
    data = _policies_data(request, user)
    typed = boxes(sent, TYPED_BOXES)
    data["typed"] = typed
    today = local_today(utcnow())
    results: list[UploadedPolicy] = []
    try:
        files = _read_files(sent.getlist("documents"))
        read = _read_uploads(files, typed)
        with ctx(request).store.session() as session:
            dsls = dsl_names(session, data["school"])
        checks, twins = upload_checks(
            ctx(request).settings,
            data["school"].policies,
            read,
            data["school"].name,
            dsls,
            dsl=school_words(data["school"]).dsl,
        )

        def change(school: dict[str, Any]) -> None:
            existing = data["school"].policies
            for base, imported, blob in read:
                if base in twins:
                    data["left_out"] += checks[base]
                    continue
                result = policy_from_upload(
                    ctx(request).settings,
                    existing,
                    base,
                    blob,
                    imported,
                    today,
                    version_label=typed["version"] or None,
                )
                result.checks = checks.get(base, [])
                results.append(result)
                school["policies"] = [
                    p for p in school["policies"] if p["id"] != result.entry["id"]
                ] + [result.entry]

        names = ", ".join(name for name, _ in files)
        save_change(request, user, change, f"policy documents uploaded: {names}"[:500])
    except SetupError as exc:
        return failed(request, "admin_policies.html", data, exc)
    return show(
        request,
        "admin_policies.html",
        _policies_data(request, user) | {"results": results, "left_out": data["left_out"]},
    )


# a policy's details' boxes and the most each holds
POLICY_BOXES = {
    "title": 300,
    "owner": 320,
    "approving_body": 200,
    "review_cycle_months": 10,
    "aup": 5,
    "linked_policies": 5000,
}
# a document's details typed beside its upload (a scan's, or a title)
TYPED_BOXES = {"title": 300, "version": 40, "adopted": 40, "next_review": 40, "approving_body": 120}


def _policy_page(request: Request, user: Person) -> dict[str, Any]:
    """Edit one policy's details, or upload a new version of its document."""
    school = current_school(request, user.school_id)
    pid = request.path_params["pid"]
    policy = named(school.policies, pid, N_("There is no policy with that name in the settings."))
    with ctx(request).store.session() as session:
        people = people_choices(session, user.school_id)
    form = {box: getattr(policy, box) or "" for box in POLICY_BOXES}
    form["linked_policies"] = "\n".join(policy.linked_policies)
    return {
        "school": school,
        "policy": policy,
        "form": form,
        "limits": POLICY_BOXES,
        "people": people,
        "accept": ACCEPT,
    }


def _policy_saved(request: Request, user: Person, sent: FormData) -> Response:
    """Save a policy's details (title, lead, approving body, review cycle, AUP, links)."""
    data = _policy_page(request, user)
    pid = data["policy"].id
    form = data["form"] = boxes(sent, POLICY_BOXES)
    title, owner, body, cycle = (form[box].strip() for box in list(POLICY_BOXES)[:4])
    known = {email for email, _ in data["people"]}

    def change(school: dict[str, Any]) -> None:
        if not title:
            raise SetupError("title", N_("Title: give the policy's title."))
        if owner and owner not in known:
            raise SetupError("owner", N_("Policy lead: choose someone from the list."))
        if not body or len(body) > 120:
            raise SetupError(
                "approving_body",
                N_("Approving body: the %(body)s or a committee's name (at most 120 characters)."),
                words=("body",),
                body=school_words(data["school"]).governing_body,
            )
        if not cycle.isdigit() or not 1 <= int(cycle) <= 60:
            raise SetupError(
                "review_cycle_months",
                N_("Review cycle: a whole number of months from 1 to 60, e.g. 12."),
            )
        links = [line.strip() for line in form["linked_policies"].splitlines() if line.strip()]
        entry = next(p for p in school["policies"] if p["id"] == pid)
        entry.update(
            title=title,
            owner=owner or None,
            approving_body=body,
            review_cycle_months=int(cycle),
            aup=form["aup"] == "yes",
            linked_policies=[link for link in links if link.lower() != title.lower()],
        )

    note = f"policy details changed: {title[:200]}"
    to = f"/admin/policies/{pid}?saved=1"
    return saved(request, user, change, note, to=to, template="admin_policy.html", data=data)


def _new_version(request: Request, user: Person, sent: FormData) -> Response:
    """A new version of this policy's document: staff who acknowledge it are asked again."""
    data = _policy_page(request, user)
    pid = data["policy"].id
    try:
        ((name, blob),) = _read_files([sent.get("document")])
        base, imported = read_upload(name, blob)
        policy = data["policy"]
        result = policy_from_upload(
            ctx(request).settings, [], base, blob, imported, local_today(utcnow()), into=policy
        )

        def change(school: dict[str, Any]) -> None:
            entry = next(p for p in school["policies"] if p["id"] == pid)
            entry.update(
                {k: result.entry[k] for k in ("version", "document", "published", "statement")}
            )

        save_change(request, user, change, f"new version of {policy.title[:200]}")
    except SetupError as exc:
        return failed(request, "admin_policy.html", data, exc)
    return RedirectResponse(f"/admin/policies/{pid}?saved=version", status_code=303)


router.get("/admin/editions", include_in_schema=False)(
    page_route("admin_editions.html", _editions_data)
)
router.post("/admin/editions", include_in_schema=False)(
    form_route(_edition_registered, max_files=1)
)
router.get("/admin/policies", include_in_schema=False)(
    page_route("admin_policies.html", _policies_data)
)
router.post("/admin/policies", include_in_schema=False)(form_route(_uploaded, max_files=1000))
router.get("/admin/policies/{pid}", include_in_schema=False)(
    page_route("admin_policy.html", _policy_page)
)
router.post("/admin/policies/{pid}", include_in_schema=False)(form_route(_policy_saved))
router.post("/admin/policies/{pid}/version", include_in_schema=False)(
    form_route(_new_version, max_files=1)
)
