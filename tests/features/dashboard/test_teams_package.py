"""The Teams app package: manifest against the official schema, icons, reproducible zip."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, Draft6Validator, validators
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from PIL import Image
from referencing import Registry
from referencing.jsonschema import DRAFT4

from bot.features.dashboard.teams_package import (
    MANIFEST_SCHEMA_URL,
    MANIFEST_VERSION,
    PACKAGE_FILES,
    build_manifest,
    build_teams_package,
    color_icon,
    outline_icon,
    validate_hostname,
)
from tests.support.paths import REPO, SCHEMAS

MANIFEST_SCHEMA = SCHEMAS / f"MicrosoftTeams-v{MANIFEST_VERSION}.schema.json"
APP_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
ENTRA_ID = "6c2d8e4b-1f0a-4b7e-9d3c-2a5f8e7b1c90"
HOST = "school.example.org"

# The schema says draft-04 but uses `const` (a draft-06 keyword) for manifestVersion.
# Microsoft's own validator (ajv-draft-04 in @microsoft/app-manifest) enforces it; a plain
# Draft4Validator would silently ignore it, so add it back.
ManifestValidator = validators.extend(
    Draft4Validator, {"const": Draft6Validator.VALIDATORS["const"]}
)


@cache
def manifest_schema() -> dict[str, Any]:
    """The vendored official Teams manifest schema."""
    schema: dict[str, Any] = json.loads(MANIFEST_SCHEMA.read_text(encoding="utf-8"))
    return schema


@cache
def manifest_validator() -> Validator:
    """A draft-04 (+const) validator for the manifest schema, with all references local."""
    schema = manifest_schema()
    assert validator_for(schema) is Draft4Validator, schema["$schema"]
    # An explicit Registry has no retriever: a reference that is not vendored raises instead
    # of jsonschema's deprecated fallback fetching it over the network.
    registry: Registry[Any] = Registry().with_resource(
        MANIFEST_SCHEMA_URL, DRAFT4.create_resource(schema)
    )
    validator: Validator = ManifestValidator(
        schema, registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER
    )
    return validator


def manifest_errors(manifest: dict[str, Any]) -> list[str]:
    """Every schema error in `manifest`, innermost messages with their paths."""

    def leaves(error: ValidationError) -> list[ValidationError]:
        return [leaf for sub in error.context for leaf in leaves(sub)] if error.context else [error]

    return [
        f"{'/'.join(map(str, leaf.absolute_path))}: {leaf.message}"
        for error in manifest_validator().iter_errors(manifest)
        for leaf in leaves(error)
    ]


@pytest.fixture
def package(tmp_path: Path) -> zipfile.ZipFile:
    """A freshly built package, opened."""
    path = build_teams_package(HOST, APP_ID, tmp_path / "teams.zip")
    return zipfile.ZipFile(path)


def test_vendored_schema_is_well_formed_and_matches_the_code() -> None:
    schema = manifest_schema()
    # The meta-schema check without format checks: the schema holds an ECMAScript
    # `\p{L}` pattern (in parts we do not use) that Python's `re` cannot compile.
    Draft4Validator(Draft4Validator.META_SCHEMA).validate(schema)
    assert schema["properties"]["manifestVersion"]["const"] == MANIFEST_VERSION


def test_vendored_schemas_are_the_files_the_readme_names() -> None:
    readme = (SCHEMAS / "README.md").read_text(encoding="utf-8")
    for path in sorted(SCHEMAS.glob("*.json")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f"`{path.name}`" in readme and digest in readme, path.name


def test_manifest_validates_against_the_official_schema() -> None:
    manifest = build_manifest(HOST, APP_ID)
    assert manifest_errors(manifest) == []
    assert manifest["$schema"] == MANIFEST_SCHEMA_URL
    assert manifest["manifestVersion"] == MANIFEST_VERSION


def test_manifest_with_the_bot_validates_and_declares_the_feed_type() -> None:
    from bot.features.reports.chat_alerts import CONCERN_ACTIVITY
    from bot.features.teamsbot.deliver import REMINDER_ACTIVITY

    bot_id = "2f4e6a8c-1b3d-4e5f-8a9b-0c1d2e3f4a5b"
    manifest = build_manifest(HOST, APP_ID, entra_client_id=ENTRA_ID, bot_app_id=bot_id.upper())
    assert manifest_errors(manifest) == []
    assert manifest["bots"] == [
        {
            "botId": bot_id,
            "scopes": ["personal"],
            "supportsFiles": False,
            "isNotificationOnly": False,
        }
    ]
    feed, reminder = manifest["activities"]["activityTypes"]
    assert feed["type"] == CONCERN_ACTIVITY
    assert set(re.findall(r"\{(\w+)\}", feed["templateText"])) == {"reference", "urgency"}
    assert reminder["type"] == REMINDER_ACTIVITY  # the nudge beside a reminder's card
    assert set(re.findall(r"\{(\w+)\}", reminder["templateText"])) == {"school"}
    assert manifest["webApplicationInfo"]["id"] == ENTRA_ID  # the app that sends the feed
    assert manifest["authorization"]["permissions"]["resourceSpecific"] == [
        {"name": "TeamsActivity.Send.User", "type": "Application"}
    ]  # least privileged
    tab_only = build_manifest(HOST, APP_ID)
    assert "bots" not in tab_only and "authorization" not in tab_only  # as it was


def test_one_entra_app_serves_tab_sign_in_and_the_bot() -> None:
    """Without --entra-client-id the bot's app (the one registration of deploy/teams/
    README.md) is the app behind both tab single sign-on and the activity feed."""
    bot_id = "2f4e6a8c-1b3d-4e5f-8a9b-0c1d2e3f4a5b"
    manifest = build_manifest(HOST, APP_ID, bot_app_id=bot_id)
    assert manifest["webApplicationInfo"] == {"id": bot_id, "resource": f"api://{HOST}/{bot_id}"}
    assert manifest_errors(manifest) == []


def test_manifest_tabs_domains_and_sso() -> None:
    manifest = build_manifest(HOST, APP_ID)
    [tab] = manifest["staticTabs"]
    assert tab["scopes"] == ["personal"]
    assert tab["contentUrl"] == "https://school.example.org/dashboard?theme={theme}&inTeams=1"
    [configurable] = manifest["configurableTabs"]
    assert configurable["configurationUrl"] == "https://school.example.org/teams/configure"
    assert manifest["validDomains"] == [HOST]
    assert manifest["webApplicationInfo"] == {"id": APP_ID, "resource": f"api://{HOST}/{APP_ID}"}
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}


def test_entra_client_id_drives_sso() -> None:
    manifest = build_manifest(HOST, APP_ID, entra_client_id=ENTRA_ID.upper())
    assert manifest["id"] == APP_ID
    assert manifest["webApplicationInfo"] == {
        "id": ENTRA_ID,
        "resource": f"api://{HOST}/{ENTRA_ID}",
    }
    assert manifest_errors(manifest) == []


def test_names_and_versions_are_configurable_and_links_are_the_hosts_own() -> None:
    manifest = build_manifest(
        HOST,
        APP_ID,
        app_name="Safeguarding",
        developer_name="Oak Tree Academy Trust",
        version="2.3.0",
    )
    assert manifest_errors(manifest) == []
    assert manifest["name"]["short"] == "Safeguarding"
    assert manifest["developer"]["name"] == "Oak Tree Academy Trust"
    assert manifest["developer"]["privacyUrl"] == "https://school.example.org/privacy"
    assert manifest["developer"]["termsOfUseUrl"] == "https://school.example.org/terms"
    assert manifest["version"] == "2.3.0"


@pytest.mark.parametrize(
    ("hostname", "complaint"),
    [
        ("", "needs the host name"),
        ("   ", "needs the host name"),
        ("https://school.example.org", "without a scheme"),
        ("school.example.org/dashboard", "without a path"),
        ("school.example.org?x=1", "without a path"),
        ("school.example.org:8443", "without a port"),
        ("admin@school.example.org", "without a user name"),
        ("school example.org", "not a valid host name"),
        ("-school.example.org", "not a valid host name"),
        ("school..example.org", "not a valid host name"),
        ("*.example.org", "not a valid host name"),
        ("a" * 64 + ".example.org", "not a valid host name"),
    ],
)
def test_bad_hostnames_are_refused_clearly(hostname: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=re.escape(complaint)):
        validate_hostname(hostname)
    with pytest.raises(ValueError, match=re.escape(complaint)):
        build_manifest(hostname, APP_ID)


def test_hostname_is_normalised() -> None:
    assert validate_hostname(" School.Example.ORG. ") == HOST
    assert validate_hostname("bot-1.trust.sch.uk") == "bot-1.trust.sch.uk"


@pytest.mark.parametrize(
    ("kwargs", "complaint"),
    [
        ({"app_id": "not-a-guid"}, "Teams app id must be a GUID"),
        ({"entra_client_id": "12345"}, "Entra client id must be a GUID"),
        ({"app_name": "A" * 31}, "app name must be 1 to 30 characters"),
        ({"developer_name": ""}, "developer name must be 1 to 32 characters"),
        ({"version": "1.0"}, "version must look like 1.0.0"),
    ],
)
def test_bad_arguments_are_refused_clearly(kwargs: dict[str, Any], complaint: str) -> None:
    args: dict[str, Any] = {"hostname": HOST, "app_id": APP_ID, **kwargs}
    with pytest.raises(ValueError, match=re.escape(complaint)):
        build_manifest(**args)


@pytest.mark.parametrize(
    ("mutate", "complaint"),
    [
        (lambda m: m.update(manifestVersion="1.99"), "'1.30' was expected"),
        (lambda m: m.pop("developer"), "'developer' is a required property"),
        (lambda m: m.update(id="compliance-bot"), "does not match"),
        (lambda m: m["staticTabs"][0].update(scopes=["everyone"]), "'everyone' is not one of"),
        (lambda m: m["configurableTabs"][0].pop("configurationUrl"), "is a required property"),
        (lambda m: m["webApplicationInfo"].update(tenant="x"), "('tenant' was unexpected)"),
        (lambda m: m.update(accentColor="teal"), "does not match"),
    ],
    ids=[
        "wrong-manifest-version",
        "no-developer",
        "id-not-guid",
        "bad-tab-scope",
        "tab-without-configuration-url",
        "unknown-sso-field",
        "accent-not-hex",
    ],
)
def test_broken_manifests_fail_validation(mutate: Any, complaint: str) -> None:
    manifest = build_manifest(HOST, APP_ID)
    mutate(manifest)
    errors = manifest_errors(manifest)
    assert errors, "the validator accepted a broken manifest"
    assert any(complaint in e for e in errors), errors


def test_package_holds_manifest_and_icons_at_the_root(package: zipfile.ZipFile) -> None:
    assert package.namelist() == list(PACKAGE_FILES)
    manifest = json.loads(package.read("manifest.json").decode("utf-8"))
    assert not package.read("manifest.json").startswith(b"\xef\xbb\xbf")  # no BOM
    assert manifest == build_manifest(HOST, APP_ID)
    assert manifest_errors(manifest) == []
    for name in manifest["icons"].values():
        assert name in package.namelist()


def test_package_icons_meet_teams_rules(package: zipfile.ZipFile) -> None:
    color = Image.open(io.BytesIO(package.read("color.png")))
    assert (color.format, color.size) == ("PNG", (192, 192))
    outline = Image.open(io.BytesIO(package.read("outline.png"))).convert("RGBA")
    assert outline.size == (32, 32)
    raw = outline.tobytes()
    pixels = [tuple(raw[i : i + 4]) for i in range(0, len(raw), 4)]
    assert all(a == 0 or (r, g, b) == (255, 255, 255) for r, g, b, a in pixels)
    assert sum(1 for *_, a in pixels if a == 0) > len(pixels) // 2  # mostly transparent
    assert sum(1 for *_, a in pixels if a == 255) > 20  # but something is drawn


def test_rebuilding_is_byte_identical(tmp_path: Path) -> None:
    first = build_teams_package(HOST, APP_ID, tmp_path / "a.zip")
    second = build_teams_package(HOST, APP_ID, tmp_path / "b.zip")
    assert first.read_bytes() == second.read_bytes()
    for info in zipfile.ZipFile(first).infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.compress_type == zipfile.ZIP_DEFLATED
    assert color_icon() == color_icon()
    assert outline_icon() == outline_icon()


def test_out_path_may_be_a_directory(tmp_path: Path) -> None:
    written = build_teams_package(HOST, APP_ID, tmp_path / "dist")
    assert written == tmp_path / "dist" / "compliance-bot-teams.zip"
    assert zipfile.is_zipfile(written)
    assert build_teams_package(HOST, APP_ID, tmp_path / "dist") == written
    assert [p.name for p in (tmp_path / "dist").iterdir()] == ["compliance-bot-teams.zip"]


def test_bad_input_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="without a scheme"):
        build_teams_package("https://school.example.org", APP_ID, tmp_path / "teams.zip")
    assert list(tmp_path.iterdir()) == []


def test_readme_documents_the_cli_and_framing() -> None:
    readme = (REPO / "deploy" / "teams" / "README.md").read_text("utf-8")
    assert "uv run compliance-bot teams package --host school.example.org --app-id" in readme
    assert "frame-ancestors" in readme
    assert "Upload new app" in readme
