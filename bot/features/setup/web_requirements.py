"""What staff are asked to do, set up from the browser: the school's requirements (a built-in
pack, add one, edit one, stop one).

Each change is validated (422 naming the box, nothing stored), saved, audited and applied at
once through ``pages.save_change``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from bot.core.config import ROLES
from bot.core.guards.forms import Text
from bot.core.language.i18n import N_
from bot.core.models import Person
from bot.features.setup.pack import PACKS, school_pack
from bot.features.setup.pages import (
    boxes,
    current_school,
    failed,
    form_route,
    named,
    page_route,
    save_change,
    saved,
    show,
)
from bot.features.setup.rules import SetupError, slug

__all__ = ["router"]

router = APIRouter()
KIND_NAMES = {  # said in the page's language where shown (``|translated``)
    "acknowledge_policy": N_("Read and acknowledge a policy"),
    "complete_training": N_("Complete training"),
    "sign_aup": N_("Official account holders sign the AUP"),
    "recurring_task": N_("A task repeated on a schedule"),
}
EVERY_NAMES = {
    "weekly": N_("Weekly"),
    "monthly": N_("Monthly"),
    "termly": N_("Termly"),
    "yearly": N_("Yearly"),
}
# a requirement form's boxes (besides the roles ticked) and the most each holds
REQUIREMENT_BOXES = {"kind": 40, "title": 300, "policy": 100, "course": 200, "every": 20}
REQUIREMENT_BOXES |= {"due_days": 10, "valid_months": 10, "yearly_on": 10}
AUDIENCE_ROLES = tuple(r for r in ROLES if r != "account_holder")
_NO_SUCH = N_("There is no requirement with that name in the settings.")  # said on the 404 page


def _requirements_data(request: Request, user: Person, **extra: Any) -> dict[str, Any]:
    """What staff are asked to do: the requirements, a built-in pack and the add form."""
    school = current_school(request, user.school_id)
    return {
        "school": school,
        "packs": PACKS,
        "kinds": KIND_NAMES,
        "roles": AUDIENCE_ROLES,
        "policies": [(p.id, p.title) for p in school.policies],
        "every_names": EVERY_NAMES,
        "notes": [],
        "form": dict.fromkeys(REQUIREMENT_BOXES, "") | {"due_days": 14, "valid_months": 12},
        "limits": REQUIREMENT_BOXES,
        **extra,
    }


def _pack_added(request: Request, user: Person, sent: FormData) -> Response:
    """Add a built-in pack's requirements (matched to the school's policies by title)."""
    pack = boxes(sent, {"pack": 40})["pack"]
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
            raise SetupError(
                "policy", N_("Policy: choose the policy to be acknowledged or signed.")
            )
        entry["policy"] = form["policy"]
    if kind == "complete_training":
        if not form["course"].strip():
            raise SetupError("course", N_("Course: give the training course's name."))
        entry["course"] = form["course"].strip()[:200]
    if kind == "recurring_task":
        if form["every"] not in EVERY_NAMES:
            raise SetupError("every", N_("How often: choose weekly, monthly, termly or yearly."))
        entry["every"] = form["every"]
    roles = [r for r in form["roles"] if r in AUDIENCE_ROLES]
    if kind != "sign_aup":
        if not roles:
            raise SetupError("roles", N_("Who is asked: tick at least one group of people."))
        entry["audience"] = {"roles": roles}
    for box, low, high, label in (
        ("due_days", 0, 365, N_("Days to do it")),
        ("valid_months", 1, 120, N_("Valid for (months)")),
    ):
        text = str(form[box]).strip()
        if not text.isdigit() or not low <= int(text) <= high:
            raise SetupError(
                box,
                N_("%(label)s: a whole number from %(low)d to %(high)d."),
                words=("label",),
                label=label,
                low=low,
                high=high,
            )
        entry[box] = int(text)
    if form["yearly_on"].strip():
        entry["yearly_on"] = form["yearly_on"].strip()
    return entry


def _save_requirement(request: Request, user: Person, raw: FormData) -> Response:
    """Add a requirement (or, at its own address, save its changes); the form again with the
    problem if not."""
    rid = request.path_params.get("rid")
    form: dict[str, Any] = boxes(raw, REQUIREMENT_BOXES)
    form["roles"] = [str(v) for v in raw.getlist("roles")]
    data = (_requirement_data if rid else _requirements_data)(request, user) | {"form": form}
    template = "admin_requirement.html" if rid else "admin_requirements.html"
    key = rid
    if key is None:  # a new one: a short id from its name, not yet used
        ids = {r.id for r in data["school"].requirements}
        base = slug(
            form["title"] or form["course"] or f"{form['kind']}-{form['policy']}", "requirement"
        )
        key, n = base, 2
        while key in ids:
            key, n = f"{base}-{n}", n + 1

    def change(school: dict[str, Any]) -> None:
        entry = _requirement_entry(form, data["school"])
        if rid is None:
            school["requirements"] = [*school["requirements"], {"id": key, **entry}]
            return
        old = next(r for r in school["requirements"] if r["id"] == rid)
        kept = ["id", "cadence", "new_starter_days"]
        if entry["kind"] == "recurring_task":  # a new "every" replaces the old every_days
            kept += ["owners"] if "every" in entry else ["owners", "every_days"]
        keep = {k: v for k, v in old.items() if k in kept}
        school["requirements"] = [
            {**keep, **entry} if r["id"] == rid else r for r in school["requirements"]
        ]

    title = form["title"] or form["course"] or KIND_NAMES.get(form["kind"], "requirement")
    to = f"/admin/requirements/{key}?saved=1"
    note = f"requirement saved: {title[:200]}"
    return saved(request, user, change, note, to=to, template=template, data=data)


def _requirement_data(request: Request, user: Person) -> dict[str, Any]:
    """Edit one requirement, or stop it."""
    data = _requirements_data(request, user)
    req = data["requirement"] = named(
        data["school"].requirements, request.path_params["rid"], _NO_SUCH
    )
    data["form"] = {
        box: "" if getattr(req, box) is None else str(getattr(req, box))
        for box in REQUIREMENT_BOXES
    } | {"roles": list(req.audience.roles)}
    return data


def _stopped(request: Request, user: Person, sent: FormData) -> Response:
    """Stop asking for this: its open duties close; what was done stays on the record."""
    data = _requirement_data(request, user)
    rid, title = data["requirement"].id, data["requirement"].display_title

    def change(school: dict[str, Any]) -> None:
        school["requirements"] = [r for r in school["requirements"] if r["id"] != rid]

    to, note = "/admin/requirements?saved=1", f"requirement stopped: {title[:200]}"
    return saved(request, user, change, note, to=to, template="admin_requirement.html", data=data)


router.get("/admin/requirements", include_in_schema=False)(
    page_route("admin_requirements.html", _requirements_data)
)
router.post("/admin/requirements/pack", include_in_schema=False)(form_route(_pack_added))
router.post("/admin/requirements", include_in_schema=False)(
    form_route(_save_requirement, max_fields=60)
)
router.get("/admin/requirements/{rid}", include_in_schema=False)(
    page_route("admin_requirement.html", _requirement_data)
)
router.post("/admin/requirements/{rid}", include_in_schema=False)(
    form_route(_save_requirement, max_fields=60)
)
router.post("/admin/requirements/{rid}/stop", include_in_schema=False)(form_route(_stopped))
