"""What every form page shares: the school of a request, a bounded form parser (a body we cannot
read is a clear 4xx, never a 500), its files checked, and a stored file sent back as a download.
The report, complaint, decision and evidence pages use it."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.core.config import ConfigError, SchoolConfig
from bot.core.files.stored_files import stored_path
from bot.core.files.uploads import MAX_FILES, CleanFile
from bot.core.guards.forms import Text
from bot.core.language.i18n import N_, Joined, Lazy, Msg, nmsg
from bot.engine.web.deps import check_csrf, ctx
from bot.engine.web.guards import BodyTooLargeError, check_form, clean_uploads

__all__ = [
    "TOO_LONG",
    "UNREADABLE",
    "checked_files",
    "download",
    "form_key",
    "page_key",
    "read_fields",
    "read_form",
    "school_for",
    "split_form",
    "stored_bytes",
]

MAX_TEXT_PART = 100 * 1024  # bytes per text box (20,000 characters of any script fit)
TOO_LONG = N_(
    "One of the boxes has too much text (at most 20,000 characters). "
    "Please shorten it and try again."
)
UNREADABLE = N_("What was sent could not be read as a form.")
TOO_MANY = N_("Too much was sent at once: at most %(files)s files.")
# a form's own key, made with its page (the hidden field "once"): the same form sent twice (a
# double click, or Refresh and send again) is stored once
_ONCE = re.compile(r"[A-Za-z0-9_-]{20,64}")


def form_key(sent: str | None) -> str | None:
    """The key the form was sent with, or None when it carries none a page of ours made."""
    return sent if sent is not None and _ONCE.fullmatch(sent) else None


def page_key(sent: str | None = None) -> str:
    """The key for a form's page: the one it came back with (a refused form corrected is still
    the same form), or a new one."""
    return form_key(sent) or secrets.token_urlsafe(24)


def school_for(request: Request, school_id: str) -> SchoolConfig | None:
    """The school's configuration, or None when there is no such school."""
    try:
        return ctx(request).config.school(school_id)
    except (KeyError, ConfigError):
        return None


async def read_form(
    request: Request,
    *,
    max_files: int = MAX_FILES,
    spare: int = 5,
    max_fields: int = 80,
    max_part_size: int = MAX_TEXT_PART,
    too_long: Text = TOO_LONG,
    unreadable: Text = UNREADABLE,
) -> FormData:
    """Parse the body with tight limits (``max_files`` files, ``spare`` more let through to be
    refused by name) and check its CSRF token; a body we cannot read is a clear 4xx
    (``too_long`` for a text box over ``max_part_size``; text that is not UTF-8 is always
    ``UNREADABLE``; ``unreadable`` for any other body the parser refuses), never a 500; the
    error page says a catalogue's sentence in its language."""
    try:
        form = await request.form(
            max_files=max_files + spare, max_fields=max_fields, max_part_size=max_part_size
        )
    except BodyTooLargeError:
        raise
    except UnicodeDecodeError:
        raise HTTPException(400, UNREADABLE) from None
    except StarletteHTTPException as exc:
        detail = str(exc.detail)
        if "maximum size" in detail:
            raise HTTPException(413, too_long) from None
        if "Too many" in detail:
            raise HTTPException(400, Msg(TOO_MANY, files=str(max_files))) from None
        raise HTTPException(400, unreadable) from None
    check_form(form)
    token = form.get("csrf_token")
    check_csrf(request, token if isinstance(token, str) else None)
    return form


def stored_bytes(uploads_dir: Path, area: str, attachment: Any) -> bytes:
    """A stored file's bytes (``area``: "reports", "decisions"); 410 when it is gone."""
    path = stored_path(uploads_dir, area, attachment.school_id, attachment.stored_as)
    if not path.is_file():
        raise HTTPException(410, N_("This file is no longer stored."))
    return path.read_bytes()


def download(data: bytes, filename: str, content_type: str, *, inline: bool = False) -> Response:
    """A stored file as a download (``inline``: to open in the browser), under a name holding
    only safe characters."""
    safe = "".join(c for c in filename if c.isalnum() or c in "._-") or "attachment"
    how = "inline" if inline else "attachment"
    return Response(
        data, media_type=content_type, headers={"Content-Disposition": f'{how}; filename="{safe}"'}
    )


def split_form(
    form: FormData, name: str = "attachments"
) -> tuple[dict[str, list[str]], list[UploadFile], dict[str, Text]]:
    """The form's text fields, the files chosen in its box ``name`` and what is wrong with
    its shape."""
    fields: dict[str, list[str]] = {}
    uploads: list[UploadFile] = []
    errors: dict[str, Text] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            if key == name:
                if value:
                    errors["attachments"] = Msg(N_("Attachments must be files."))
                continue
            fields.setdefault(key, []).append(value)
        elif key == name:
            if value.filename or (value.size or 0) > 0:
                uploads.append(value)
        else:
            errors["form"] = Msg(
                N_("The field '%(field)s' must be text, not a file."), field=key[:40]
            )
    return fields, uploads, errors


async def checked_files(
    uploads: list[UploadFile], max_files: int
) -> tuple[list[CleanFile], Lazy | None]:
    """The chosen files read and checked, or none and what the person is told about them."""
    if len(uploads) > max_files:
        return [], nmsg(
            "Attach at most %(files)s file (%(chosen)s were chosen).",
            "Attach at most %(files)s files (%(chosen)s were chosen).",
            max_files,
            files=str(max_files),
            chosen=str(len(uploads)),
        )
    files, refused = await clean_uploads(uploads)
    if refused:
        problems = [refusal.msg for refusal in refused]
        return [], Joined([*problems, Msg(N_("Please choose the files again."))], " ")
    return files, None


async def read_fields(request: Request) -> dict[str, str]:
    """A small form's text fields (files ignored), once its CSRF token checks out."""
    return {k: v for k, v in (await read_form(request)).multi_items() if isinstance(v, str)}
