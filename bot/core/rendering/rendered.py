"""A rendering shared by many recipients: both parts of an email with a marker (``slot``) where
each recipient's own values go, filled in per recipient (and stored once in the outbox)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from markupsafe import escape

__all__ = ["Rendered", "slot"]

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

    def split(self) -> tuple[list[str], list[str]]:
        """Both parts as ``_parts`` has them (no marker left: how a database stores them)."""
        text, html = self._parts
        return list(text), list(html)

    @classmethod
    def joined(cls, text: list[str], html: list[str]) -> Rendered:
        """The rendering ``split`` gave these parts of."""
        return cls(_marked(text), _marked(html))

    @cached_property
    def sha256(self) -> str:
        """The fingerprint of both parts as rendered (slots unfilled): the same rendering has the
        same fingerprint whoever rendered it."""
        text = self.text.encode()
        return hashlib.sha256(b"%d:%b%b" % (len(text), text, self.html.encode())).hexdigest()


def _marked(parts: list[str]) -> str:
    return "".join(slot(part) if n % 2 else part for n, part in enumerate(parts))


def _join(parts: list[str], values: Mapping[str, str]) -> str:
    filled = parts.copy()
    filled[1::2] = [values[name] for name in parts[1::2]]
    return "".join(filled)
