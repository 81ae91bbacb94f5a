"""What every request is held to before a page sees it: no control characters in any form box,
address or query (a 400 naming the box), and a hard byte limit on the body, counted as it
streams in whatever the headers say (a 413, without reading the rest).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import HTTPException, Request
from fastapi.routing import APIRoute
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.core.files.uploads import MAX_FILE_BYTES, AttachmentError, CleanFile, clean_attachment
from bot.core.guards.forms import control_character
from bot.core.language.i18n import N_, Msg, html_lang, speaking
from bot.engine.web.threads import waiting

__all__ = [
    "MULTILINE_FIELDS",
    "BodyLimit",
    "BodyTooLargeError",
    "check_form",
    "clean_uploads",
    "read_checked_form",
    "refuse_control_characters",
    "too_large",
]

# every <textarea> of the product (tests/web/test_guards.py keeps this in step with the
# templates): only these may hold tabs and line breaks
MULTILINE_FIELDS = frozenset(
    {
        "actions_taken",
        "decision",
        "holidays",
        "inset_days",
        "lessons",
        "linked_policies",
        "notes",
        "outcome",
        "purpose",
        "reason",
        "reasons",
        "terms",
        "text",
        "wanted",
        "what_happened",
    }
)


def _label(name: str) -> str:
    """The box's name as a person reads it (``what_happened`` → "what happened")."""
    if control_character(name):
        return "one of the boxes"
    return name.replace("_", " ").strip()[:60] or "one of the boxes"


def _check(items: Iterable[tuple[str, str]], *, multiline: frozenset[str], where: str) -> None:
    for key, value in items:
        found = control_character(key) or control_character(value, multiline=key in multiline)
        if found:
            raise HTTPException(
                400,
                Msg(
                    N_(
                        "What was sent in %(where)s “%(label)s” contains %(found)s, which we "
                        "cannot accept. Please remove it and try again."
                    ),
                    where=Msg(where),
                    label=_label(key),
                    found=found,
                ),
            )


def check_form(form: FormData) -> None:
    """Refuse a form whose text boxes (or field names, or file names) hold control characters."""
    texts = [
        (key, value if isinstance(value, str) else value.filename or "")
        for key, value in form.multi_items()
        if isinstance(value, str) or value.filename
    ]
    _check(texts, multiline=MULTILINE_FIELDS, where="the box")


async def read_checked_form(
    request: Request, *, max_files: int = 1, max_fields: int = 20
) -> FormData:
    """Parse a small form (text boxes of at most 100 KB) and refuse control characters; 4xx."""
    try:
        form = await request.form(
            max_files=max_files, max_fields=max_fields, max_part_size=100 * 1024
        )
    except BodyTooLargeError:
        raise
    except UnicodeDecodeError:
        raise HTTPException(400, N_("What was sent could not be read as a form.")) from None
    except StarletteHTTPException:
        raise HTTPException(
            400, N_("What was sent could not be read as a form: too much at once.")
        ) from None
    check_form(form)
    return form


async def refuse_control_characters(request: Request) -> None:
    """App-wide dependency: addresses, queries and parsed forms hold no control characters.

    A form is checked here when FastAPI has already read it for the page's ``Form()``
    parameters; pages that read their own form (with tighter limits) call :func:`check_form`.
    """
    params = [(k, str(v)) for k, v in request.path_params.items()]
    _check(params, multiline=frozenset(), where="the address, at")
    _check(request.query_params.multi_items(), multiline=frozenset(), where="the address, at")
    route = request.scope.get("route")
    if isinstance(route, APIRoute) and route.body_field is not None:
        check_form(await request.form())  # already parsed (and cached) for this route


TOO_LARGE = N_("That upload is too large (%(mb)s MB at most).")


def too_large(limit: int) -> Msg:
    """The refusal of a body over ``limit`` bytes."""
    return Msg(TOO_LARGE, mb=limit // (1024 * 1024))


class BodyTooLargeError(HTTPException):
    """The request body went past the limit while it was being read."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large(limit))


class BodyLimit:
    """ASGI middleware: refuse bodies over ``limit`` bytes, counting what actually arrives.

    A declared ``Content-Length`` over the limit is refused before anything is read; a chunked
    body (no length) is cut off as soon as the count passes the limit: the read raises
    :class:`BodyTooLargeError`, and whatever the page would have answered becomes a 413. The
    refusal comes before any page knows its school: ``language(scope)`` says it in the
    language of the school the address names (``cy+en`` when it cannot tell, on an install
    with a Welsh school); English without one.

    Example::

        app.add_middleware(BodyLimit, limit=12 * 1024 * 1024)
    """

    def __init__(
        self, app: ASGIApp, limit: int, language: Callable[[Scope], str] | None = None
    ) -> None:
        self.app = app
        self.limit = limit
        self.language = language

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        language = self.language(scope) if self.language else "en"
        headers = {"connection": "close"}
        if language != "en":
            headers["content-language"] = html_lang(language)
        with speaking(language):
            said = str(too_large(self.limit))
        too_long = PlainTextResponse(said, 413, headers=headers)
        await too_long(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the body as it streams; answer 413 once it passes the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"").decode("latin-1")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        state: dict[str, Any] = {"read": 0, "over": False, "started": False}

        async def limited_receive() -> Message:
            if state["over"]:
                raise BodyTooLargeError(self.limit)
            message = await receive()
            if message["type"] == "http.request":
                state["read"] += len(message.get("body", b""))
                if state["read"] > self.limit:
                    state["over"] = True
                    raise BodyTooLargeError(self.limit)
            return message

        async def guarded_send(message: Message) -> None:
            if state["over"]:
                return  # the page's own answer is replaced by the 413 below
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not state["over"]:
                raise
        if state["over"] and not state["started"]:
            await self._refuse(scope, receive, send)


async def clean_uploads(
    uploads: Iterable[UploadFile],
) -> tuple[list[CleanFile], list[AttachmentError]]:
    """Each upload read (one byte past the limit, so an over-size file is named) and checked
    off the event loop: the clean files, and the refusal of each of the others (said where
    shown)."""
    files: list[CleanFile] = []
    refused: list[AttachmentError] = []
    for upload in uploads:
        data = await upload.read(MAX_FILE_BYTES + 1)
        try:
            files.append(
                await waiting(clean_attachment, upload.filename or "", data, upload.content_type)
            )
        except AttachmentError as exc:
            refused.append(exc)
    return files, refused
