"""Email rendering from Jinja2 templates: every email has an HTML and a plain-text part."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape
from markupsafe import escape

from bot.core.outbox import EmailDraft
from bot.core.words import human_date
from connectors.base import Attachment

__all__ = ["Rendered", "human_date", "notice", "render", "render_shared", "slot"]

TEMPLATES = Path(__file__).parent / "templates" / "email"


@cache
def _env(autoescape: bool) -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html.j2"]) if autoescape else False,  # noqa: S701 - text part
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def _template(name: str) -> Template:
    """A compiled template, loaded once per process (no file check on every email)."""
    return _env(name.endswith(".html.j2")).get_template(name)


def render(name: str, context: dict[str, Any]) -> tuple[str, str]:
    """Render ``name``'s text and HTML templates with ``context``."""
    text = _template(f"{name}.txt.j2").render(**context)
    html = _template(f"{name}.html.j2").render(**context)
    return text, html


_SLOT = re.compile("\x00([A-Za-z0-9_]+)\x00")


def slot(name: str) -> str:
    """A marker standing in a shared render for one recipient's value (see ``Rendered.fill``).

    The marker is plain text that autoescaping leaves alone and no real value contains (NUL
    is never in a name or a link), so it survives rendering unchanged and is found again.
    """
    return f"\x00{name}\x00"


@dataclass(frozen=True)
class Rendered:
    """Both parts of an email rendered once, with ``slot`` markers for each recipient's values."""

    text: str
    html: str

    def fill(self, values: Mapping[str, str]) -> tuple[str, str]:
        """The text and HTML parts with every slot replaced (escaped in the HTML, as Jinja would).

        A value is never scanned for markers again. A slot without a value is a programming
        error and raises KeyError rather than sending a marker to someone.
        """
        text, html = self._parts
        return _join(text, values), _join(html, {k: str(escape(v)) for k, v in values.items()})

    @cached_property
    def _parts(self) -> tuple[list[str], list[str]]:
        """Each part split at its slots: literal text at even places, slot names at odd ones."""
        return _SLOT.split(self.text), _SLOT.split(self.html)


def _join(parts: list[str], values: Mapping[str, str]) -> str:
    filled = parts.copy()
    filled[1::2] = [values[name] for name in parts[1::2]]
    return "".join(filled)


def render_shared(name: str, context: dict[str, Any]) -> Rendered:
    """Render ``name`` once for many recipients; ``context`` carries ``slot`` markers.

    Only values shown as they are (``{{ value }}``, no filter or test on them) may be slots:
    what ``fill`` puts back must be what rendering the value would have produced.
    """
    return Rendered(*render(name, context))


def notice(
    *,
    school_name: str,
    to: Sequence[str],
    subject: str,
    paragraphs: Sequence[str],
    greeting: str | None = None,
    facts: Sequence[tuple[str, str]] = (),
    button_url: str | None = None,
    button_text: str = "Open",
    small: str | None = None,
    cc: Sequence[str] = (),
    attachments: Sequence[Attachment] = (),
    reply_to: str | None = None,
) -> EmailDraft:
    """A short, general-purpose email (alerts, receipts, links) in both parts.

    ``reply_to`` (the school office, ``SchoolConfig.reply_address()``) becomes the Reply-To
    header, and only then does the footer invite a reply.
    """
    text, html = render(
        "notice",
        {
            "school_name": school_name,
            "subject": subject,
            "greeting": greeting,
            "paragraphs": list(paragraphs),
            "facts": list(facts),
            "button_url": button_url,
            "button_text": button_text,
            "small": small,
            "reply_to": reply_to,
        },
    )
    return EmailDraft(
        to=tuple(to),
        cc=tuple(cc),
        subject=subject,
        text=text,
        html=html,
        attachments=tuple(attachments),
        from_name=school_name,
        reply_to=reply_to,
    )
