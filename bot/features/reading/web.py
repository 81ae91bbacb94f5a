"""Every edition kept, on the web: ``/evidence/editions.csv`` downloads who acknowledged each
edition of each reading campaign (one row per person and edition), for the people who make
the evidence pack; audited. Everyone else gets 403."""

from __future__ import annotations

import csv
import io

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from bot.core import audit
from bot.core.clock import LONDON
from bot.core.permissions import EVIDENCE_MAKERS
from bot.engine.web.deps import ctx, require_roles
from bot.features.reading.service import EDITION_HEADER, edition_acknowledgements
from bot.features.reports.api import school_for

__all__ = ["router"]

router = APIRouter()


@router.get("/evidence/editions.csv", include_in_schema=False)
def editions_csv(request: Request) -> Response:
    """The CSV of every edition's acknowledgements (audited)."""
    person = require_roles(request, EVIDENCE_MAKERS)
    school = school_for(request, person.school_id)
    if school is None:
        raise HTTPException(404, "Your school is not set up here.")
    with ctx(request).store.transaction() as session:
        rows = edition_acknowledgements(session, school, LONDON)
        audit.record(session, actor=person.email, action="reading.editions_exported",
                     object_type="reading_campaign", school_id=school.id,
                     details={"rows": len(rows), "via": "web"})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EDITION_HEADER)
    writer.writerows(rows)
    return Response("\ufeff" + out.getvalue(), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="editions-read-{school.id}.csv"'})
