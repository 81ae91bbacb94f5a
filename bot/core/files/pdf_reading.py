"""Reading an untrusted PDF with pypdf within bounds: every object walked for what makes a
PDF act (scripts, embedded files, actions that run by themselves), its streams measured as they
expand, its page tree's declared count and its loops (cross-reference chain, outline, named
destinations) refused, and pypdf kept out of the server log and stopped when a file makes it
repair without end. ``bot.core.files.uploads`` runs these in a child process and says the refusals.

pypdf is imported where a file is read (it adds ~0.18 s to a command's start).
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import warnings
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.language.i18n import N_

if TYPE_CHECKING:
    from pypdf import PdfReader

__all__ = [
    "MAX_PDF_DECODED",
    "MAX_PDF_IMAGE_PIXELS",
    "MAX_PDF_OBJECTS",
    "MAX_PDF_PAGES",
    "MAX_PDF_WARNINGS",
    "PdfExpandsError",
    "PdfLoopsError",
    "PdfPasswordError",
    "PdfTooBrokenError",
    "TooManyPagesError",
    "pdf_active_content",
    "pypdf_guard",
]

# names that make a PDF act, wherever they are (as pypdf reads them: ``/J#61vaScript`` is
# /JavaScript): scripts (XFA forms carry theirs in XML), files inside it, actions that start a
# program, open another file, play media, or send or fill a form from outside
_PDF_SCRIPTS = frozenset({"/JavaScript", "/JS", "/XFA", "/EmbeddedFile", "/EmbeddedFiles"})
_PDF_ACTIVE = _PDF_SCRIPTS | {
    "/Launch",
    "/SubmitForm",
    "/ImportData",
    "/GoToE",
    "/GoToR",
    "/RichMedia",
    "/RichMediaExecute",
}
# what runs by itself (the file or a page opened, a field touched): only a move to a place in
# this file may, as almost every writer's "open at page 1" (``[page /XYZ null null 0]``) is;
# a web address opened or any other action is active
_ON_ITS_OWN = frozenset({"/OpenAction", "/AA"})
# what ``pdf_active_content`` says a PDF does (the upload checks add the file's name)
_SCRIPTS = N_("%(file)s: this PDF contains scripts or embedded files, which we do not accept.")
_ACTS = N_(
    "%(file)s: this PDF contains actions that a PDF reader would carry out, such as opening a "
    "web address, another file or a program, which we do not accept."
)
MAX_PDF_OBJECTS = 200_000  # a document with more objects than this is refused, not walked
MAX_PDF_PAGES = 5_000  # a declared page count beyond this is refused (a policy is ~10-50 pages)
# pypdf warns once per thing it repairs: a real scan may earn a few dozen, a file built to make
# it repair without end (50,000 nested dictionaries) earns tens of thousands; stop well before
MAX_PDF_WARNINGS = 200
# what a reader must expand to show the document, beyond its pictures: page contents, fonts,
# object streams, all together (a real document's are a few MB; zeros deflated 1000:1 are not,
# and measuring stops here, so a 1 GB stream costs what 50 MB does)
MAX_PDF_DECODED = 50 * 1024 * 1024
# a picture is judged by its own size, as a reader decodes it: at most this many pixels (an A4
# page scanned at 600 dpi is 35 million), and its data no longer than its pixels need. A
# screenshot printed to PDF expands ~150:1, so pictures do not count towards the limit above
MAX_PDF_IMAGE_PIXELS = 100_000_000
# pypdf's own words when it stops following a structure that loops back on itself (its log
# message templates, which never quote the file)
_PDF_LOOP = re.compile(r"circular|cycle|loop", re.IGNORECASE)


class PdfTooBrokenError(BaseException):
    """pypdf repaired more than ``MAX_PDF_WARNINGS`` things in one file: stop reading it.

    A BaseException so that pypdf's own ``except Exception`` repairs cannot swallow it; only
    :func:`pypdf_guard` raises it and its callers catch it by name.
    """


@dataclass
class _PdfBudget:
    warnings: int = 0
    looped: bool = False  # pypdf stopped following a structure that loops


_pdf_budget: ContextVar[_PdfBudget | None] = ContextVar("pdf_budget", default=None)


class _PypdfSink(logging.Handler):
    """Where pypdf's log goes: counted, never formatted or shown (its text may quote the file)."""

    def emit(self, record: logging.LogRecord) -> None:
        """Count one warning; stop the parse once the file has earned too many."""
        budget = _pdf_budget.get()
        if budget is not None:
            budget.warnings += 1
            budget.looped = budget.looped or bool(_PDF_LOOP.search(str(record.msg)))
            if budget.warnings > MAX_PDF_WARNINGS:
                raise PdfTooBrokenError


# every file pypdf reads here came from outside: nothing it says reaches the server's log
_PYPDF_LOG = logging.getLogger("pypdf")
_PYPDF_LOG.addHandler(_PypdfSink())
_PYPDF_LOG.propagate = False


@contextlib.contextmanager
def pypdf_guard() -> Iterator[None]:
    """Read a PDF with pypdf inside this: its warnings are counted, not logged, and more than
    ``MAX_PDF_WARNINGS`` of them raise :class:`PdfTooBrokenError` out of pypdf.

    Example::

        try:
            with pypdf_guard():
                pages = PdfReader(path).pages
        except (PdfTooBrokenError, Exception):
            ...  # refuse the file, naming it
    """
    token = _pdf_budget.set(_PdfBudget())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pypdf's warnings.warn may quote the file too
            yield
    finally:
        _pdf_budget.reset(token)


class PdfLoopsError(ValueError):
    """pypdf had to stop following a structure of the file that loops back on itself."""


class PdfPasswordError(ValueError):
    """The file opens only with a password (an empty one, which every reader tries, did not
    open it): its refusal is the catalogue sentence it carries."""


class PdfExpandsError(ValueError):
    """The file expands past what a reader should decode: its refusal is the catalogue
    sentence it carries (which never quotes the file)."""


_NEEDS_PASSWORD = N_(
    "%(file)s: this PDF opens only with a password, so it could not be read. Save it again "
    "without a password (or print it to a new PDF), then try again."
)
_COMPONENTS = {"/DeviceGray": 1, "/CalGray": 1, "/DeviceRGB": 3, "/CalRGB": 3, "/Lab": 3}


def _picture_bytes(image: object) -> int:
    """The bytes a picture's pixels take, from its declared size (four components when its
    colour space is not a plain one); PdfExpandsError above ``MAX_PDF_IMAGE_PIXELS``."""
    from pypdf.generic import DictionaryObject  # lazy: ~0.18 s at start (module docstring)

    assert isinstance(image, DictionaryObject)
    width, height = image.get("/Width", 0), image.get("/Height", 0)
    if not isinstance(width, int) or not isinstance(height, int) or width < 0 or height < 0:
        raise ValueError("a picture without a size")
    if width * height > MAX_PDF_IMAGE_PIXELS:
        raise PdfExpandsError(
            f"has a picture of {width * height / 1e6:,.0f} million pixels (we accept up to "
            f"{MAX_PDF_IMAGE_PIXELS // 1_000_000} million)"
        )
    mask = image.get("/ImageMask") is True
    bits = 1 if mask else image.get("/BitsPerComponent", 8)
    components = 1 if mask else _COMPONENTS.get(str(image.get("/ColorSpace")), 4)
    bits = bits if isinstance(bits, int) and 0 < bits <= 16 else 16
    return (width * components * bits + 7) // 8 * height


def _decoded_size(stream: object, room: int) -> int:
    """How many bytes ``stream`` expands to through its filters, pypdf's decoders stopped once
    past ``room`` (each inflates in bounded steps, never the whole stream at once). A stream
    pypdf cannot decode counts as nothing: a reader shows nothing for it either."""
    from pypdf import apply_configuration  # lazy: ~0.18 s at start (module docstring)
    from pypdf.errors import LimitReachedError
    from pypdf.filters import decode_stream_data
    from pypdf.generic import StreamObject

    assert isinstance(stream, StreamObject)
    limit = room + 1  # never 0, which pypdf reads as "no limit"
    with apply_configuration(
        zlib_maximum_output_length=limit,
        lzw_maximum_output_length=limit,
        run_length_maximum_output_length=limit,
        brotli_maximum_output_length=limit,
        jbig2_maximum_output_length=limit,
        array_based_stream_maximum_output_length=limit,
        jbig2dec_binary=None,  # no outside program decodes an uploaded image
    ):
        try:
            return len(decode_stream_data(stream))
        except LimitReachedError:
            return limit
        except Exception:  # a damaged or unsupported stream, not an expanding one
            return 0


def _pdf_looped() -> None:
    """Refuse the file if pypdf said, while reading it so far, that a structure loops."""
    budget = _pdf_budget.get()
    if budget is not None and budget.looped:
        raise PdfLoopsError


def pdf_active_content(data: bytes) -> str | None:
    """What the PDF does by itself, as a catalogue sentence (None when it does nothing): a
    script or file inside it anywhere, an action that starts a program, opens another file,
    plays media or sends a form anywhere, or anything but a move to a place in the file run
    when it (or a page, a field) is opened. A destination to open at is no action.

    The file is parsed with pypdf, so escaped names, compressed object streams and objects
    reachable only from the cross-reference table are all seen as a PDF reader sees them.
    Raises ValueError when the file cannot be parsed, or its page tree is cyclic
    or declares more than ``MAX_PDF_PAGES`` pages; ``PdfExpandsError`` when its streams
    together (pictures aside) expand past ``MAX_PDF_DECODED``, or a picture is too large or
    its data longer than its pixels; ``PdfLoopsError`` when its cross-reference
    chain, outline or named destinations loop; ``PdfPasswordError`` when it needs a password.
    Run it inside :func:`pypdf_guard`.
    """
    from pypdf import PdfReader  # lazy: ~0.18 s at start (module docstring)

    reader = PdfReader(io.BytesIO(data), strict=False)
    _pdf_looped()  # its cross-reference chain (pypdf stops at the loop; a reader may not)
    if reader.is_encrypted and not reader.decrypt(""):  # an owner password alone: it opens
        raise PdfPasswordError(_NEEDS_PASSWORD)
    acts = False  # an action that runs by itself and is not a move was found
    for item in _pdf_objects(reader):
        said = _named_active(item)
        if said is not None:
            return said
        acts = acts or _acts_by_itself(item)  # said once the walk ends: a script is said first
    if acts:
        return _ACTS
    _pdf_page_count(reader)  # a page tree no reader could walk is refused too
    _ = reader.outline, reader.named_destinations  # pypdf says if either loops
    _pdf_looped()
    return None


def _pdf_objects(reader: PdfReader) -> Iterator[object]:
    """Every object of the file once, as a PDF reader finds them: the trailer, every object
    of the cross-reference table (compressed ones too), and what each dictionary and array
    holds; each stream measured as it passes (``_measured``). ValueError past
    ``MAX_PDF_OBJECTS``."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

    pending: list[object] = [reader.trailer]
    for generation, numbers in reader.xref.items():
        pending += [IndirectObject(n, generation, reader) for n in numbers]
    pending += [IndirectObject(n, 0, reader) for n in reader.xref_objStm]  # compressed objects
    seen: set[tuple[int, int]] = set()
    walked = decoded = 0
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        walked += 1
        if walked > MAX_PDF_OBJECTS:
            raise ValueError("too many objects")
        if isinstance(item, StreamObject):
            decoded = _measured(item, decoded)
        yield item
        if isinstance(item, DictionaryObject):
            pending.extend(item.values())
        elif isinstance(item, ArrayObject):
            pending.extend(item)


def _named_active(item: object) -> str | None:
    """The sentence for a script, or an action that starts a program, opens another file,
    plays media or sends a form, that this object is or names (a dictionary: by its keys and
    the names it holds); None for none."""
    from pypdf.generic import DictionaryObject, NameObject

    if isinstance(item, DictionaryObject):
        names = [*item.keys(), *(v for v in item.values() if isinstance(v, NameObject))]
    elif isinstance(item, NameObject):
        names = [item]
    else:
        return None
    for name in names:
        if name in _PDF_ACTIVE:
            return _SCRIPTS if name in _PDF_SCRIPTS else _ACTS
    return None


def _acts_by_itself(item: object) -> bool:
    """Whether this dictionary runs an action when it (the file, a page, a field) is opened
    that is anything but a move to a place in the file."""
    from pypdf.generic import DictionaryObject

    return isinstance(item, DictionaryObject) and any(
        key in _ON_ITS_OWN and not _moves_only(key, value) for key, value in item.items()
    )


def _measured(stream: object, decoded: int) -> int:
    """``decoded`` with the stream's expanded size added (a picture is judged by its own size,
    and adds nothing); PdfExpandsError past the bounds."""
    from pypdf.generic import StreamObject

    assert isinstance(stream, StreamObject)
    if stream.get("/Subtype") == "/Image":
        room = _picture_bytes(stream) + stream.get("/Height", 0) + 65536  # predictors' bytes
        if _decoded_size(stream, room) > room:
            raise PdfExpandsError(
                N_(
                    "%(file)s: this PDF has a picture whose data is far larger than the "
                    "picture, so we have not accepted it."
                )
            )
        return decoded
    decoded += _decoded_size(stream, MAX_PDF_DECODED - decoded)
    if decoded > MAX_PDF_DECODED:
        raise PdfExpandsError(
            N_(
                "%(file)s: this PDF expands to more than %(size)s MB when it is opened, "
                "far more than a real document does, so we have not accepted it."
            )
        )
    return decoded


def _moves_only(key: str, value: object, depth: int = 0) -> bool:
    """Whether what runs by itself (``key``: /OpenAction, or /AA's triggers) only moves to a
    place in this file: a destination (an array, or a named one), or GoTo actions, each
    followed only by more of them (``/Next``)."""
    from pypdf.generic import (
        ArrayObject,
        ByteStringObject,
        DictionaryObject,
        NameObject,
        TextStringObject,
    )

    value = getattr(value, "get_object", lambda: value)()
    if depth > 20:  # a chain no writer makes (or one that loops)
        return False
    if key == "/AA":
        return isinstance(value, DictionaryObject) and all(
            _moves_only("", action, depth + 1) for action in value.values()
        )
    if isinstance(value, ArrayObject | NameObject | TextStringObject | ByteStringObject):
        return True
    if not isinstance(value, DictionaryObject) or value.get("/S") != "/GoTo":
        return False
    then = value.get("/Next")
    then = getattr(then, "get_object", lambda: then)()
    return then is None or all(
        _moves_only("", action, depth + 1)
        for action in (then if isinstance(then, ArrayObject) else [then])
    )


def _pdf_page_count(reader: PdfReader) -> int:
    """The page tree's declared count, refused above ``MAX_PDF_PAGES`` before pypdf walks it;
    then the pages themselves (pypdf refuses a cyclic tree with an error)."""
    from pypdf.generic import DictionaryObject

    pages = reader.root_object["/Pages"]
    declared = pages.get("/Count") if isinstance(pages, DictionaryObject) else None
    declared = declared.get_object() if declared is not None else 0
    if not isinstance(declared, int) or not 0 <= declared <= MAX_PDF_PAGES:
        raise TooManyPagesError(declared)
    return len(reader.pages)


class TooManyPagesError(ValueError):
    """The file's page tree declares more pages than anyone uploads."""

    def __init__(self, declared: object) -> None:
        """Keep the declared count for the message (a number, or "an impossible number")."""
        super().__init__(declared)
        self.declared = f"{declared:,}" if isinstance(declared, int) else None
