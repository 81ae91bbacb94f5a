"""The reading pages behind an acknowledgement link when the school asks for proof of reading:
one page or section per request (``/ack/{token}?page=N``, recorded on the server when shown),
the school's short check (``POST /ack/{token}/check``: failing lets them read again and retry,
every attempt kept), and the acknowledge form only once everything is done. Plain forms and
links: it works without JavaScript, on a phone, and from the Teams card's "Read and
acknowledge" button. The acknowledgement itself refuses early presses (``attest``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from bot.core.clock import local_today
from bot.core.config import ReadingProof
from bot.core.models import Duty, Person, Policy, PolicyVersion, utcnow
from bot.engine.web.deps import check_csrf, ctx, render
from bot.engine.web.links import link_page_context, open_link_duty
from bot.features.policies.proof import (
    check_answers,
    progress,
    proof_for,
    sections,
    show_section,
)

__all__ = ["reading_page", "router"]

router = APIRouter()
Found = tuple[Person, Duty, PolicyVersion, Policy]


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
    return render(request, "ack_read.html", {
        **context, "section": parts[page - 1], "page": page, "parts": parts, "read": read,
        "proof": proof, "every_page": proof.every_page, **extra,
    }, status_code=status_code)


@router.post("/ack/{token}/check", include_in_schema=False)
async def reading_check(request: Request, token: str) -> Response:
    """Mark one attempt at the school's check: passed opens the acknowledge form; failed
    says how many were right and lets them read again and retry."""
    form = await request.form(max_fields=20, max_part_size=4096)
    check_csrf(request, form.get("csrf_token"))
    answers = {k: str(v) for k, v in form.items() if k.startswith("q")}
    with ctx(request).store.transaction() as session:
        found = open_link_duty(request, "ack", token, session)
        if isinstance(found, Response):
            return found
        person, duty, version, _ = found
        proof = proof_for(duty)
        if proof is None or not proof.questions:
            return render(request, "info.html", {"title": "Nothing to answer",
                          "message": "This policy has no check to answer."}, status_code=400)
        before = progress(session, duty, version, proof)
        if not before.read_all:
            return reading_page(request, session, found, token, proof, None, 400,
                                error=before.missing())
        attempt = check_answers(session, duty, version, person, proof, answers, utcnow())
        result = (f"{attempt.right} of {attempt.questions} right: passed. You can now "
                  "acknowledge the policy below." if attempt.passed else
                  f"{attempt.right} of {attempt.questions} right; {proof.needed} are needed. "
                  "Please read the policy again and have another go.")
        return reading_page(request, session, found, token, proof, None,
                            200 if attempt.passed else 422, result=result,
                            passed_now=attempt.passed)
