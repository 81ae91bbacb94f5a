"""Checking a pack offline, as an inspector does: the signature, every listed file and its
SHA-256, and nothing more than what was listed.

Each problem names the file it is in. A single changed byte is always put down to the file
that holds it: the key file and the manifest are refused unless exactly as written, and a
signature that fails over a manifest that is otherwise whole is put down to the signature.
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.rendering.signed import (
    MANIFEST,
    PUBLIC_KEY,
    SIGNATURE,
    KeyFileError,
    ManifestError,
    fingerprint,
    format_fingerprint,
    normalise_fingerprint,
    parse_manifest,
    read_public_key_file,
    signature_holds,
)

__all__ = ["Problem", "Verification", "verify_pack"]

MAX_FILE_BYTES = 512 * 1024 * 1024  # far above any real pack; a hostile zip stops here


@dataclass(frozen=True)
class Problem:
    """One thing wrong, in the file it is in."""

    file: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.reason}"


@dataclass
class Verification:
    """What checking a pack found: problems (none when it verifies) and what was checked."""

    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # the files the signed manifest lists
    fingerprint: str | None = None  # the key's, as 64 hex digits

    @property
    def ok(self) -> bool:
        """The pack verifies."""
        return not self.problems


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | Problem:
    """One member's bytes, or the problem that stops them being read."""
    if info.file_size > MAX_FILE_BYTES:
        return Problem(info.filename, "is far larger than any file of a pack")
    try:
        with archive.open(info) as stream:
            # zipfile never reads past the size the zip states (checked above), and the
            # bound holds even if it did
            data = stream.read(MAX_FILE_BYTES)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        OSError,
        EOFError,
        zlib.error,
    ):
        return Problem(info.filename, "is damaged: it does not match the zip's own check")
    return data


def _members(path: Path, result: Verification) -> dict[str, bytes]:
    """Every member's bytes; problems (a damaged zip, a name twice) go into ``result``."""
    try:
        with zipfile.ZipFile(path) as archive:
            files: dict[str, bytes] = {}
            for info in archive.infolist():
                if info.filename in files:
                    result.problems.append(Problem(info.filename, "is in the zip twice"))
                    continue
                data = _read(archive, info)
                if isinstance(data, Problem):
                    result.problems.append(data)
                else:
                    files[info.filename] = data
            return files
    except FileNotFoundError:
        result.problems.append(Problem(path.name, "there is no such file"))
    except (zipfile.BadZipFile, OSError):
        result.problems.append(Problem(path.name, "is not a zip file, or is damaged"))
    return {}


def verify_pack(path: Path, expected_fingerprint: str | None = None) -> Verification:
    """Check the pack at ``path`` offline.

    Args:
        path: the zip.
        expected_fingerprint: the key fingerprint the school gave out of band (any spacing);
            without it, the pack is checked against the key it carries.

    Returns:
        The problems found (each naming its file) and, when it verifies, the files checked.

    Raises:
        ValueError: ``expected_fingerprint`` is not 64 hexadecimal digits.
    """
    wanted = None
    if expected_fingerprint is not None:
        wanted = normalise_fingerprint(expected_fingerprint)
        if wanted is None:
            raise ValueError("a fingerprint is 64 hexadecimal digits (spaces and colons allowed)")
    result = Verification()
    files = _members(path, result)
    if result.problems:
        return result
    result.problems += [
        Problem(required, "is missing from the pack")
        for required in (PUBLIC_KEY, MANIFEST, SIGNATURE)
        if required not in files
    ]
    if result.problems:
        return result
    try:
        key = read_public_key_file(files[PUBLIC_KEY])
    except KeyFileError as exc:
        result.problems.append(Problem(PUBLIC_KEY, f"has been changed: {exc}"))
        return result
    result.fingerprint = fingerprint(key)
    if wanted is not None and wanted != result.fingerprint:
        result.problems.append(
            Problem(
                PUBLIC_KEY,
                f"its fingerprint is {format_fingerprint(result.fingerprint)}, not the "
                f"{format_fingerprint(wanted)} you were given: this pack was not signed with the "
                "school's key",
            )
        )
        return result
    listed: dict[str, str] = {}
    try:
        listed = parse_manifest(files[MANIFEST])
        manifest_whole = True
    except ManifestError:
        manifest_whole = False
    found = _compare(files, listed)
    manifest_whole = manifest_whole and not found
    if not signature_holds(key, files[SIGNATURE], files[MANIFEST]):  # whose fault it is
        result.problems.append(
            Problem(
                MANIFEST, "has been changed since it was signed (the signature does not match it)"
            )
            if not manifest_whole
            else Problem(
                SIGNATURE,
                "does not match the manifest: the signature was changed, or another key made it",
            )
        )
        return result
    result.problems.extend(found)
    result.files = sorted(listed)
    return result


def _compare(files: dict[str, bytes], listed: dict[str, str]) -> list[Problem]:
    """Each listed file present with its hash, and no file that is not listed."""
    found: list[Problem] = []
    for name, digest in listed.items():
        if name in (MANIFEST, SIGNATURE):
            found.append(Problem(MANIFEST, f"lists {name}, which it cannot"))
        elif name not in files:
            found.append(Problem(name, "is listed in the manifest but missing from the pack"))
        elif (actual := hashlib.sha256(files[name]).hexdigest()) != digest:
            found.append(
                Problem(
                    name,
                    f"has been changed: its SHA-256 is {actual}, the signed manifest says {digest}",
                )
            )
    return found + [
        Problem(name, "is not listed in the signed manifest (added after signing)")
        for name in sorted(set(files) - set(listed) - {MANIFEST, SIGNATURE})
    ]
