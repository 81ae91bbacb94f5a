"""The inspector's evidence pack built from the demo school through the real CLI: it opens,
its PDF renders and reads as it should, its manifest verifies offline (also with the ordinary
tools the README names), and any change — one byte of any file, a file removed or added, the
wrong key fingerprint — fails ``evidence verify`` naming the file. Nothing of a report's
content or its reporter reaches any file of the pack."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from pypdf import PdfReader
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.deployment.context import AppContext
from bot.core.files.documents import pdf_page_png
from bot.core.models import AuditEvent, Report
from bot.core.rendering.signed import MANIFEST, PUBLIC_KEY, SIGNATURE
from bot.demo.builder import demo_settings
from bot.features.evidence.summary_pdf import HEADINGS
from tests.conftest import PG_ENV, _missing, _postgres_database, cannot_run_in_ci
from tests.support.demo_run import DEMO_MONDAY, run_demo
from tests.support.helpers import SchoolBuilder, at
from tests.support.paths import REPO

pytestmark = pytest.mark.slow

# a report with words found nowhere else: none of them may reach the pack
SECRET_TEXT = "Quillon Vantablack sent the photo from the Zephyrine minibus"
SECRET_REPORTER = "Oriel Fennimore-Sprake"
SECRET_EMAIL = "oriel.sprake@parents.example"
SECRET_CHILD = "Tamsin Oakenshott"
SECRET_OUTCOME = "spoke with tamsin oakenshott"  # lower case: no "code" may let it through
SECRETS = (
    SECRET_TEXT,
    "Quillon",
    "Vantablack",
    "Zephyrine",
    SECRET_REPORTER,
    "Fennimore",
    SECRET_EMAIL,
    SECRET_CHILD,
    "Oakenshott",
    SECRET_OUTCOME,
)

# every file of a pack: a new one must be added here (and so to the tampering tests)
MEMBERS = (
    MANIFEST,
    SIGNATURE,
    "README.txt",
    "acknowledgement-counts.csv",
    "acknowledgements-and-signatures.csv",
    "aup-signatures.csv",
    "concerns-by-category-and-outcome.csv",
    "filtering-and-monitoring-review.csv",
    "data-protection-complaints-by-quarter.csv",
    "inspection-index.csv",
    "policy-reviews.csv",
    "policy-register.csv",
    "proof-of-reading.csv",
    PUBLIC_KEY,
    "record-of-processing.csv",
    "report-deadlines.csv",
    "retention-schedule.csv",
    "reviews-after-a-change.csv",
    "rules.csv",
    "single-central-record-gaps-by-person.csv",
    "single-central-record-gaps.csv",
    "summary.pdf",
    "training-by-role.csv",
    "training-matrix.csv",
)


class Built:
    """The demo school, its pack as written by ``compliance-bot evidence --out``."""

    def __init__(self, folder: Path, output: str, database_url: str | None) -> None:
        self.folder = folder
        self.zip_path = folder / "evidence.zip"
        self.data = self.zip_path.read_bytes()
        self.output = output
        self.database_url = database_url

    def members(self) -> dict[str, bytes]:
        with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
            return {name: archive.read(name) for name in archive.namelist()}


def _add_secret_report(folder: Path, database_url: str | None) -> None:
    settings = demo_settings(folder)
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    ctx = AppContext(settings)
    with ctx.store.transaction() as session:
        session.add(
            Report(
                school_id=ctx.config.schools[0].id,
                reference="CR-2026-SECRT",
                category="social_media",
                urgency="high",
                status="closed",
                involved=[{"role": "pupil", "names": SECRET_CHILD}],
                what_happened=SECRET_TEXT,
                location="Zephyrine minibus",
                reporter_name=SECRET_REPORTER,
                reporter_email=SECRET_EMAIL,
                outcome=SECRET_OUTCOME,
                lessons=f"Talk to {SECRET_CHILD}",
                created_at=datetime(2026, 11, 2, 10, tzinfo=UTC),
                closed_at=datetime(2026, 11, 10, 10, tzinfo=UTC),
            )
        )


def _build(folder: Path, database_url: str | None) -> Built:
    with pytest.MonkeyPatch.context() as patch:
        if database_url:
            patch.setenv("COMPLIANCE_BOT_DATABASE_URL", database_url)
        run_demo(folder)
        _add_secret_report(folder, database_url)
        old = Path.cwd()
        os.chdir(folder)
        try:
            with time_machine.travel(at(DEMO_MONDAY, 11), tick=False):
                result = CliRunner().invoke(app, ["evidence", "--out", "evidence.zip"])
        finally:
            os.chdir(old)
    assert result.exit_code == 0, result.output
    return Built(folder, result.output, database_url)


@pytest.fixture(scope="module")
def sqlite_pack(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The demo's pack on SQLite (built once for this module)."""
    return _build(tmp_path_factory.mktemp("demo-sqlite"), None)


@pytest.fixture(scope="module")
def postgres_pack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """The demo's pack on PostgreSQL (skips without a server; CI has one)."""
    databases = _postgres_database()
    url = next(databases)
    try:
        yield _build(tmp_path_factory.mktemp("demo-postgres"), url)
    finally:
        databases.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def pack(request: pytest.FixtureRequest) -> Built:
    """The demo's pack on each database."""
    if request.param == "postgres" and not os.environ.get(PG_ENV):
        _missing(f"PostgreSQL not configured: set {PG_ENV} (CI does)")
    built: Built = request.getfixturevalue(f"{request.param}_pack")
    return built


def _verify(path: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["evidence", "verify", str(path), *extra])
    return result.exit_code, " ".join(result.output.split())


def _rezip(tmp_path: Path, members: dict[str, bytes]) -> Path:
    path = tmp_path / "changed.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _fingerprint(built: Built) -> str:
    match = re.search(r"Key fingerprint: ((?:[0-9a-f]{4} ?){16})", " ".join(built.output.split()))
    assert match is not None, built.output
    return match.group(1).strip()


# --------------------------------------------------------------------------- what it holds


def test_the_pack_opens_verifies_and_reads_as_the_school_wrote(pack: Built) -> None:
    members = pack.members()
    assert sorted(members) == sorted(MEMBERS)
    assert "Evidence pack written" in pack.output
    key = _fingerprint(pack)
    code, out = _verify(pack.zip_path, "--fingerprint", key)
    assert code == 0, out
    assert f"Checked {len(MEMBERS) - 2} files" in out and "The pack verifies." in out
    # the PDF: dated, every heading, and drawn as an image by the product's own renderer
    pdf = members["summary.pdf"]
    text = " ".join(
        " ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages
    )
    for heading in HEADINGS:
        assert heading in text, heading
    assert "Oakfield" in text and "Monday 23 November 2026 at 11:30 (GMT)" in text
    assert "Not recorded: the check is set up" in text  # the demo's filtering check, undone
    assert key in text
    png = pdf_page_png(pdf, hashlib.sha256(pdf).hexdigest(), 1)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    # the CSVs: UTF-8 with a byte-order mark, plain headers, the same facts as the summary
    for name in MEMBERS:
        if name.endswith(".csv"):
            assert members[name].startswith(b"\xef\xbb\xbf"), name
            header = next(csv.reader(io.StringIO(members[name].decode("utf-8-sig"))))
            if name == "inspection-index.csv":  # #82 names its columns: a checker reads them
                assert header == ["inspectorate", "item", "source", "file", "status"]
                continue
            assert all(re.fullmatch(r"[A-Z][A-Za-z0-9 ()'-]+", h) for h in header), header
    # the demo school's own inspectorate (England, maintained: Ofsted) opens the summary
    index = list(csv.DictReader(io.StringIO(members["inspection-index.csv"].decode("utf-8-sig"))))
    assert {r["inspectorate"] for r in index} == {"Ofsted"} and len(index) == 9
    assert text.index("Index for Ofsted") < text.index(HEADINGS[1])
    register = list(csv.DictReader(io.StringIO(members["policy-register.csv"].decode("utf-8-sig"))))
    assert {r["Policy"] for r in register} >= {"Online Safety Policy"}
    assert all(r["Policy"] in text for r in register)
    concerns = members["concerns-by-category-and-outcome.csv"].decode("utf-8-sig")
    assert "Social media misuse,Closed,outcome recorded (details withheld),1" in concerns
    readme = members["README.txt"].decode("utf-8")
    assert "sha256sum -c MANIFEST.sha256" in readme and key in readme
    assert "WHAT THE SIGNATURE PROVES" in readme


def test_nothing_of_a_report_or_its_reporter_is_in_any_file(pack: Built) -> None:
    for name, data in pack.members().items():
        readable = [data.decode("utf-8", "ignore")]
        if name.endswith(".pdf"):
            readable.append(
                " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
            )
        for text in readable:
            for secret in SECRETS:
                assert secret.lower() not in text.lower(), (name, secret)
    assert "CR-2026-SECRT" not in pack.data.decode("latin-1")


def test_making_a_pack_is_audited(pack: Built) -> None:
    settings = demo_settings(pack.folder)
    if pack.database_url:
        settings = settings.model_copy(update={"database_url": pack.database_url})
    with AppContext(settings).store.session() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "evidence.pack_made")
        ).all()
    assert [(e.actor, e.details["via"], e.details["files"]) for e in events] == [
        ("cli", "cli", len(MEMBERS))
    ]
    assert events[0].details["key_fingerprint"] == _fingerprint(pack).replace(" ", "")


def _commands(readme: str, heading: str) -> list[str]:
    """The command lines the pack's README gives under ``heading`` (up to the next heading)."""
    lines = readme.splitlines()
    first = next(i for i, line in enumerate(lines) if line.strip().startswith(heading))
    found: list[str] = []
    for line in lines[first + 1 :]:
        if re.match(r"   [A-Z]{3,} ", line):  # the next heading
            break
        if line.startswith("     ") and not line.startswith("      "):
            found.append(line.strip())
    return found


# a LibreSSL ``openssl``, as a Mac has. No package here has one; build it from LibreSSL's
# portable source and its OpenBSD tree (``./update.sh``, then ``cmake`` and ``make openssl``)
# and point this at ``build/apps/openssl/openssl``
LIBRESSL_ENV = "COMPLIANCE_BOT_TEST_LIBRESSL"


@pytest.mark.parametrize(
    ("heading", "tools", "libressl"),
    [
        ("LINUX (OpenSSL)", ("openssl", "sha256sum"), False),
        # the Mac's commands with this machine's OpenSSL 3 and shasum: they use only what the
        # Mac's LibreSSL has (``dgst -verify`` of an ECDSA signature, ``pkey -pubin``), not
        # ``pkeyutl -rawin``, which it lacks
        ("MAC (Terminal", ("openssl", "shasum"), False),
        # and with LibreSSL itself where one is given (built from LibreSSL's portable source: no
        # Debian package has it)
        ("MAC (Terminal", ("shasum",), True),
    ],
)
def test_ordinary_tools_check_it_as_the_readme_says(
    sqlite_pack: Built, tmp_path: Path, heading: str, tools: tuple[str, ...], libressl: bool
) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        _missing(f"needs {', '.join(missing)} (the tools the README names)")
    env = dict(os.environ)
    if libressl:
        binary = os.environ.get(LIBRESSL_ENV)
        if not binary:
            cannot_run_in_ci(
                "no package CI can install has LibreSSL (Debian, PyPI and npm "
                f"checked): set {LIBRESSL_ENV} to a build's openssl to run the "
                "Mac's commands with it"
            )
        version = subprocess.run(
            [binary, "version"], capture_output=True, text=True, check=True
        ).stdout
        assert version.startswith("LibreSSL"), version
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        (bin_dir / "openssl").symlink_to(binary)
        env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
        rawin = subprocess.run(
            [binary, "pkeyutl", "-rawin"], capture_output=True, text=True, check=False
        )  # what the README used to say, and a Mac lacks
        assert "unknown option '-rawin'" in rawin.stdout + rawin.stderr
    pack = tmp_path / "pack"
    with zipfile.ZipFile(sqlite_pack.zip_path) as archive:
        archive.extractall(pack)
    readme = sqlite_pack.members()["README.txt"].decode("utf-8")
    fingerprint, signature, sums = _commands(readme, heading)
    assert "-rawin" not in readme and "pkeyutl" not in readme

    def run(command: str) -> str:
        done = subprocess.run(
            ["bash", "-c", f"set -o pipefail; {command}"],
            cwd=pack,
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        return done.stdout

    assert run(fingerprint).split()[0] == _fingerprint(sqlite_pack).replace(" ", "")
    assert run(signature).strip() == "Verified OK"
    checked = run(sums)
    assert checked.count(": OK") == len(MEMBERS) - 2, checked
    # a changed manifest fails the same command
    (pack / MANIFEST).write_bytes((pack / MANIFEST).read_bytes().replace(b"  ", b"  x", 1))
    done = subprocess.run(
        ["bash", "-c", signature], cwd=pack, capture_output=True, text=True, check=False, env=env
    )
    assert done.returncode != 0 and "verification failure" in (done.stdout + done.stderr).lower()


def _powershell_check(files: dict[str, bytes]) -> tuple[str, bool]:
    """What the README's PowerShell lines compute (the fingerprint they print, and whether the
    signature holds), done step by step in Python: no PowerShell can be installed here.

    Each step is the one its line does with .NET: the key's DER from the PEM's base64 lines,
    its point's X and Y at the places the lines name, the signature's r and s out of their DER
    sequence, each made 32 bytes (``Fix``), and ``ECDsa.VerifyData`` over r || s (IEEE P1363)
    with SHA-256 on the named curve nistP256.
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    from bot.features.evidence.pack import POWERSHELL

    script = "\n".join(POWERSHELL)
    pem = files[PUBLIC_KEY].decode("ascii").splitlines()
    dropped = re.search(r"-notmatch '([^']+)'", script)
    assert dropped is not None
    der = base64.b64decode("".join(line for line in pem if not re.match(dropped[1], line)))
    printed = hashlib.sha256(der).hexdigest()
    (x0, x1), (y0, y1) = [
        (int(a), int(b)) for a, b in re.findall(r"\$der\[(\d+)\.\.(\d+)\]", script)
    ]
    x, y = der[x0 : x1 + 1], der[y0 : y1 + 1]
    assert len(x) == len(y) == 32 and len(der) == y1 + 1  # the whole key, nothing left over
    sig = files[SIGNATURE]
    assert "$r = Fix $s[4..(3 + $s[3])]; $t = Fix $s[(6 + $s[3])..($s.Length - 1)]" in script

    def fix(b: bytes) -> bytes:  # "if ($b.Length -gt 32) { $b = $b[1..32] }", then zero-padded
        if len(b) > 32:
            b = b[1:33]
        return bytes(32 - len(b)) + b

    r, t = fix(sig[4 : 4 + sig[3]]), fix(sig[6 + sig[3] :])
    public = ec.EllipticCurvePublicNumbers(
        int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
    ).public_key()
    p1363 = r + t
    try:
        public.verify(
            encode_dss_signature(
                int.from_bytes(p1363[:32], "big"), int.from_bytes(p1363[32:], "big")
            ),
            files[MANIFEST],
            ec.ECDSA(hashes.SHA256()),
        )
    except InvalidSignature:
        return printed, False
    return printed, True


def test_the_windows_lines_check_it_as_the_readme_says(sqlite_pack: Built) -> None:
    from bot.features.evidence.pack import POWERSHELL

    members = sqlite_pack.members()
    readme = members["README.txt"].decode("utf-8")
    assert all(f"     {line}" in readme for line in POWERSHELL)
    documented = (REPO / "docs" / "school.md").read_text("utf-8")  # where an inspector in doubt
    assert all(f"\n{line}\n" in documented for line in POWERSHELL)  # takes them from
    assert _powershell_check(members) == (_fingerprint(sqlite_pack).replace(" ", ""), True)
    changed = dict(members)
    changed[MANIFEST] = members[MANIFEST].replace(b"  ", b"  x", 1)
    assert _powershell_check(changed)[1] is False
    # signatures whose numbers are shorter or longer than 32 bytes in DER are made 32 by Fix
    from bot.core.rendering.signed import private_key, public_key_file, sign

    lengths = set()
    for n in range(40):
        secret = f"another school's secret key number {n}, long enough"
        message = f"manifest {n}".encode()
        files = {
            PUBLIC_KEY: public_key_file(private_key(secret).public_key()),
            MANIFEST: message,
            SIGNATURE: sign(secret, message),
        }
        lengths.add(files[SIGNATURE][3])
        assert _powershell_check(files)[1] is True, n
    assert {32, 33} <= lengths  # both forms of r were tried


def test_a_pack_signed_before_the_p256_key_still_verifies(
    sqlite_pack: Built, tmp_path: Path
) -> None:
    """A pack made by an earlier compliance-bot (Ed25519) checks with its own fingerprint."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from bot.core.guards.keys import derive
    from bot.core.rendering.signed import fingerprint, public_key_file

    secret = demo_settings(sqlite_pack.folder).signing_key()
    old = Ed25519PrivateKey.from_private_bytes(derive(secret, "evidence"))
    members = sqlite_pack.members()
    members[PUBLIC_KEY] = public_key_file(old.public_key())
    from bot.core.rendering.signed import manifest_bytes

    listed = {n: d for n, d in members.items() if n not in (MANIFEST, SIGNATURE)}
    members[MANIFEST] = manifest_bytes(listed)
    members[SIGNATURE] = old.sign(members[MANIFEST])
    code, out = _verify(_rezip(tmp_path, members), "--fingerprint", fingerprint(old.public_key()))
    assert code == 0 and "The pack verifies." in out, out
    code, out = _verify(_rezip(tmp_path, members), "--fingerprint", _fingerprint(sqlite_pack))
    assert code == 1 and "its fingerprint is" in out, out


# --------------------------------------------------------------------------- tampering


@pytest.mark.parametrize("where", ["first", "middle", "last"])
@pytest.mark.parametrize("member", MEMBERS)
def test_one_changed_byte_in_any_file_fails_naming_it(
    sqlite_pack: Built, tmp_path: Path, member: str, where: str
) -> None:
    members = sqlite_pack.members()
    data = bytearray(members[member])
    index = {"first": 0, "middle": len(data) // 2, "last": len(data) - 1}[where]
    data[index] ^= 0x01
    members[member] = bytes(data)
    code, out = _verify(_rezip(tmp_path, members))
    assert code == 1, out
    assert f"fails: {member}:" in out, out
    assert "The pack does not verify." in out
    others = [m for m in MEMBERS if m != member and f"fails: {m}:" in out]
    assert not others, out


def test_a_byte_changed_inside_the_zip_itself_is_named(sqlite_pack: Built, tmp_path: Path) -> None:
    data = bytearray(sqlite_pack.data)
    with zipfile.ZipFile(io.BytesIO(sqlite_pack.data)) as archive:
        info = archive.getinfo("training-matrix.csv")
    data[info.header_offset + 30 + len(info.filename) + 20] ^= 0xFF  # inside its stored bytes
    path = tmp_path / "damaged.zip"
    path.write_bytes(bytes(data))
    code, out = _verify(path)
    assert code == 1 and "fails: training-matrix.csv:" in out, out


def test_a_removed_file_is_named(sqlite_pack: Built, tmp_path: Path) -> None:
    for gone in ("policy-reviews.csv", "summary.pdf", MANIFEST, SIGNATURE, PUBLIC_KEY):
        members = sqlite_pack.members()
        del members[gone]
        code, out = _verify(_rezip(tmp_path, members))
        assert code == 1 and f"fails: {gone}:" in out and "missing" in out, out


def test_an_added_file_is_named(sqlite_pack: Built, tmp_path: Path) -> None:
    members = sqlite_pack.members()
    members["extra-evidence.csv"] = b"\xef\xbb\xbfPolicy\r\nMade up\r\n"
    code, out = _verify(_rezip(tmp_path, members))
    assert code == 1 and "fails: extra-evidence.csv: is not listed" in out, out


def test_a_pack_resigned_with_another_key_fails_on_the_fingerprint(
    sqlite_pack: Built, tmp_path: Path
) -> None:
    from bot.core.rendering.signed import manifest_bytes, private_key, public_key_file, sign

    members = sqlite_pack.members()
    members["summary.pdf"] = b"%PDF-1.4 forged"
    forger = "a forger's own secret key, 32 bytes or more long"
    members[PUBLIC_KEY] = public_key_file(private_key(forger).public_key())
    listed = {n: d for n, d in members.items() if n not in (MANIFEST, SIGNATURE)}
    members[MANIFEST] = manifest_bytes(listed)
    members[SIGNATURE] = sign(forger, members[MANIFEST])
    forged = _rezip(tmp_path, members)
    code, out = _verify(forged)  # whole, but whose? only the fingerprint can say
    assert code == 3 and "The pack verifies" not in out, out
    assert out.endswith(
        "The signer is not confirmed: anyone can make a pack that is whole and "
        "signed, with a key of their own. Ask the school for its key fingerprint "
        "(by phone, or in a letter or email from the school) and run this "
        'again with --fingerprint "…".'
    ), out
    code, out = _verify(forged, "--fingerprint", _fingerprint(sqlite_pack))
    assert code == 1 and f"fails: {PUBLIC_KEY}: its fingerprint is" in out, out


def test_a_wrong_or_malformed_fingerprint_fails(sqlite_pack: Built) -> None:
    right = _fingerprint(sqlite_pack).replace(" ", "")
    wrong = ("0" if right[0] != "0" else "1") + right[1:]
    code, out = _verify(sqlite_pack.zip_path, "--fingerprint", wrong)
    assert code == 1 and f"fails: {PUBLIC_KEY}: its fingerprint is" in out, out
    code, out = _verify(sqlite_pack.zip_path, "--fingerprint", right.upper())
    assert code == 0 and "It is the fingerprint you were given." in out, out
    code, out = _verify(sqlite_pack.zip_path, "--fingerprint", "not-a-fingerprint")
    assert code == 2 and "64 hexadecimal digits" in out, out


def test_not_a_zip_and_no_file_are_plain_failures(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"this is not a zip")
    code, out = _verify(junk)
    assert code == 1 and "fails: junk.zip: is not a zip file" in out, out
    code, out = _verify(tmp_path / "absent.zip")
    assert code == 1 and "fails: absent.zip: there is no such file" in out, out


def test_key_command_shows_the_same_fingerprint(sqlite_pack: Built) -> None:
    old = Path.cwd()
    os.chdir(sqlite_pack.folder)
    try:
        result = CliRunner().invoke(app, ["evidence", "key"])
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    assert _fingerprint(sqlite_pack) in " ".join(result.output.split())


def test_key_command_names_the_earlier_key_only_when_packs_were_signed_with_it(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    from bot.core import audit
    from bot.core.rendering.signed import format_fingerprint
    from bot.features.evidence.pack import PACK_MADE, earlier_fingerprint, key_fingerprint

    context = school.context(sqlite_url)
    secret = context.settings.signing_key()
    env = {"COMPLIANCE_BOT_HOME": str(school.home), "COMPLIANCE_BOT_DATABASE_URL": sqlite_url}
    old = format_fingerprint(earlier_fingerprint(secret))
    for made_with in (key_fingerprint(secret), earlier_fingerprint(secret)):
        with context.store.transaction() as session:
            audit.record(
                session,
                actor="cli",
                action=PACK_MADE,
                object_type="evidence_pack",
                details={"key_fingerprint": made_with},
            )
        result = CliRunner().invoke(app, ["evidence", "key"], env=env)
        said = " ".join(result.output.split())
        assert result.exit_code == 0, said
        assert format_fingerprint(key_fingerprint(secret)) in said
        if made_with == key_fingerprint(secret):
            assert old not in said and "earlier key" not in said
        else:
            assert (
                "1 pack made before was signed with the school's earlier key, fingerprint "
                f"{old}: give that one to whoever checks those packs."
            ) in said
    context.store.dispose()
