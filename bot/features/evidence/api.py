"""The evidence room's public face: all another room may use of it (tests/test_layout.py)."""

from __future__ import annotations

from bot.features.evidence.rules import MANIFEST, PUBLIC_KEY, SIGNATURE, manifest_bytes
from bot.features.evidence.signing import private_key, public_key_file, sign

__all__ = [
    "MANIFEST",
    "PUBLIC_KEY",
    "SIGNATURE",
    "manifest_bytes",
    "private_key",
    "public_key_file",
    "sign",
]
