"""The deployment files (deploy/) agree with the code and keep their promises.

compose.yaml keeps one scheduler, a loopback-only web port and no inline secrets; the Dockerfile
stays slim, frozen and non-root; ``.env.example`` and the README's variable table list exactly
the fields of ``bot.core.deployment.settings.Settings`` so the docs cannot drift from the code.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, SecretStr

from bot.core.deployment.settings import Settings
from tests.conftest import _missing
from tests.support.paths import REPO

ROOT = REPO
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
ENV_EXAMPLE = DEPLOY / ".env.example"
README = DEPLOY / "README.md"

PREFIX = "COMPLIANCE_BOT_"
APP_SERVICES = ("migrate", "web", "scheduler")
# Read by Docker Compose or uvicorn, not by the app.
NON_APP_VARIABLES = {"COMPOSE_PROJECT_NAME", "POSTGRES_PASSWORD", "EXTRAS", "FORWARDED_ALLOW_IPS"}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$|WEBHOOK_URL|DATABASE_URL")
ENV_LINE = re.compile(r"^(#\s?)?([A-Z][A-Z0-9_]*)=(.*)$")
INTERPOLATION = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)")


# --------------------------------------------------------------------------- helpers


def settings_variables(model: type[BaseModel] = Settings, prefix: str = PREFIX) -> dict[str, bool]:
    """Every environment variable Settings reads (nested models walked), mapped to is-secret;
    a mapping of models by name (the connections) by its example name, ``TENANT_B``."""
    found: dict[str, bool] = {}
    for name, field in model.model_fields.items():
        args = typing.get_args(field.annotation) or (field.annotation,)
        nested = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        if typing.get_origin(field.annotation) is dict and name != "connections":
            # one JSON variable (MIS__WONDE)
            found[f"{prefix}{name.upper()}"] = any(
                SecretStr in (typing.get_args(f.annotation) or (f.annotation,))
                for model_ in nested
                for f in model_.model_fields.values()
            )
        elif nested:  # a connection by name: TENANT_B
            named = "TENANT_B__" if typing.get_origin(field.annotation) is dict else ""
            found.update(settings_variables(nested[0], f"{prefix}{name.upper()}__{named}"))
        else:
            found[f"{prefix}{name.upper()}"] = SecretStr in args
    return found


def env_example() -> list[tuple[str, str, bool]]:
    """(name, value, commented_out) for each ``NAME=value`` or ``# NAME=value`` line."""
    rows = []
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = ENV_LINE.match(line)
        if match:
            rows.append((match.group(2), match.group(3), match.group(1) is not None))
    return rows


def compose() -> dict[str, Any]:
    """compose.yaml as data (YAML merge keys resolved)."""
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def service(name: str) -> dict[str, Any]:
    """One service of compose.yaml."""
    services = compose()["services"]
    assert name in services, f"compose.yaml has no service {name!r}"
    return services[name]  # type: ignore[no-any-return]


def command(name: str) -> list[str]:
    """A service's command as a list of words."""
    cmd = service(name).get("command")
    return cmd.split() if isinstance(cmd, str) else list(cmd or [])


def environment(svc: dict[str, Any]) -> dict[str, str]:
    """A service's ``environment`` as a dict, whether written as a mapping or a list."""
    env = svc.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuation lines joined), split into build stages."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    logical = re.sub(r"\\\n", " ", text)
    lines = [ln.strip() for ln in logical.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith("#")]
    stages: list[list[str]] = []
    for line in lines:
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def readme_table_rows() -> dict[str, str]:
    """README table rows keyed by the backticked variable in their first cell."""
    rows = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|", line)
        if match:
            rows[match.group(1)] = line
    return rows


# --------------------------------------------------------------------------- compose.yaml


def test_compose_has_the_four_services() -> None:
    assert set(compose()["services"]) == {"db", "migrate", "web", "scheduler"}


def test_scheduler_is_exactly_one_and_never_scaled() -> None:
    scheduler = service("scheduler")
    assert command("scheduler")[-2:] == ["run", "--scheduler-only"]
    assert scheduler.get("deploy", {}).get("replicas", 1) == 1
    assert scheduler.get("scale", 1) == 1
    assert "ports" not in scheduler
    # no web server inside, so the image's /healthz check must not mark it unhealthy
    assert scheduler.get("healthcheck", {}).get("disable") is True


def test_web_binds_loopback_only_and_never_runs_jobs() -> None:
    web = service("web")
    words = command("web")
    assert words[:2] == ["compliance-bot", "run"]
    assert "--web-only" in words and "--scheduler-only" not in words
    assert words[words.index("--host") + 1] == "0.0.0.0"  # inside the container only
    for port in web.get("ports", []):
        published = port if isinstance(port, str) else f"{port.get('host_ip', '')}:{port}"
        assert published.startswith("127.0.0.1:"), f"web port {port!r} is not loopback-only"


def test_migrate_is_one_shot_and_runs_first() -> None:
    migrate = service("migrate")
    assert command("migrate") == ["compliance-bot", "migrate"]
    assert str(migrate.get("restart", "no")) == "no"
    assert "ports" not in migrate
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "scheduler"):
        depends = service(name)["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["db"]["condition"] == "service_healthy"


def test_db_is_postgres_16_with_volume_and_healthcheck() -> None:
    db = service("db")
    assert db["image"].startswith("postgres:16")
    assert any(str(v).startswith("pgdata:") for v in db["volumes"])
    assert "pgdata" in compose()["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert "ports" not in db  # reachable by the app containers only


def test_app_services_read_env_file_and_use_postgres() -> None:
    for name in APP_SERVICES:
        svc = service(name)
        env_files = svc.get("env_file")
        assert env_files == ".env" or env_files == [".env"], name
        env = environment(svc)
        assert env["COMPLIANCE_BOT_DATABASE_URL"].startswith("postgresql+psycopg://"), name
        assert env["COMPLIANCE_BOT_HOME"] == "/data", name
        assert any(str(v).startswith("data:/data") for v in svc["volumes"]), name


def test_no_secrets_inline() -> None:
    for name, svc in compose()["services"].items():
        for key, value in environment(svc).items():
            if SECRET_NAME.search(key) and value:
                # a secret may only be a reference to deploy/.env, never a literal
                secret_part = value
                url = re.match(r"^[a-z0-9+]+://[^:/@]+:(.*)@", value)
                if key.endswith("DATABASE_URL"):
                    assert url, f"{name}: {key} has no user:password@ part"
                    secret_part = url.group(1)
                assert secret_part.startswith("${"), f"{name}: {key} holds a literal secret"


def test_compose_variables_are_documented() -> None:
    documented = {name for name, _, _ in env_example()}
    used = set(INTERPOLATION.findall(COMPOSE.read_text(encoding="utf-8")))
    assert used, "compose.yaml interpolates nothing from .env?"
    assert used <= documented, f"not in .env.example: {sorted(used - documented)}"


def _compose_project(tmp_path: Path) -> Path:
    """A copy of deploy/ with .env made from .env.example (compose needs the env_file)."""
    project = tmp_path / "deploy"
    project.mkdir()
    shutil.copy(COMPOSE, project / "compose.yaml")
    shutil.copy(ENV_EXAMPLE, project / ".env")
    return project / "compose.yaml"


def test_docker_compose_v1_accepts_the_file(tmp_path: Path) -> None:
    binary = shutil.which("docker-compose")
    if binary is None:
        _missing("docker-compose is not installed (apt-get install docker-compose)")
    result = subprocess.run(
        [binary, "-f", str(_compose_project(tmp_path)), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------- Dockerfile


def test_dockerfile_is_multi_stage_slim() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$", text, re.M) or all(
        "python:3.11-slim" in stage[0] for stage in stages
    )


def test_dockerfile_installs_from_the_lock_file() -> None:
    builder = " ".join(dockerfile_stages()[0])
    assert "pip install" in builder and " uv" in builder
    syncs = re.findall(r"uv sync [^&;]*", builder)
    assert syncs
    for sync in syncs:
        assert "--frozen" in sync and "--no-dev" in sync and "--extra postgres" in sync
        assert "${EXTRAS}" in sync
    assert re.search(r"^ARG EXTRAS", "\n".join(dockerfile_stages()[0]), re.M)
    assert "COPY pyproject.toml uv.lock" in builder


def test_final_stage_has_no_build_tools_and_runs_as_non_root() -> None:
    final = dockerfile_stages()[-1]
    joined = "\n".join(final)
    assert "COPY --from=builder" in joined
    for tool in ("pip install", "uv sync", "apt-get install", "build-essential", "gcc"):
        assert tool not in joined, f"final stage has {tool!r}"
    users = [line.split(None, 1)[1] for line in final if line.upper().startswith("USER ")]
    assert users, "no USER in the final stage"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}


def test_dockerfile_volume_healthcheck_and_cmd() -> None:
    final = "\n".join(dockerfile_stages()[-1])
    assert "COMPLIANCE_BOT_HOME=/data" in final
    assert re.search(r"^VOLUME .*/data", final, re.M)
    health = next(line for line in final.splitlines() if line.startswith("HEALTHCHECK"))
    assert "/healthz" in health and "urllib" in health and "curl" not in health
    cmd = next(line for line in final.splitlines() if line.startswith("CMD "))
    assert cmd.split(None, 1)[1] == (
        '["compliance-bot", "run", "--web-only", "--host", "0.0.0.0", "--port", "8000"]'
    )


# --------------------------------------------------------------------------- .env.example


def test_env_example_lists_exactly_the_settings() -> None:
    names = [name for name, _, _ in env_example()]
    assert len(names) == len(set(names)), "a variable is listed twice"
    app_names = {n for n in names if n.startswith(PREFIX)}
    expected = set(settings_variables())
    assert app_names - expected == set(), "listed but not a Settings field"
    assert expected - app_names == set(), "Settings fields missing from .env.example"
    assert {n for n in names if not n.startswith(PREFIX)} <= NON_APP_VARIABLES


def test_env_example_has_no_empty_values_or_real_secrets() -> None:
    secrets = settings_variables()
    for name, value, commented in env_example():
        if not commented:
            assert value != "", f"{name} is set to an empty value (comment it out instead)"
        if secrets.get(name) or name == "POSTGRES_PASSWORD":
            assert re.search(r"replace|change|<", value, re.I), f"{name}: not a placeholder"


def test_env_example_values_parse_as_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    for key in list(os.environ):
        if key.startswith(PREFIX):
            monkeypatch.delenv(key)
    # every example value, commented out or not, must be accepted by Settings
    env = tmp_path / ".env"
    env.write_text(
        "\n".join(f"{name}={value}" for name, value, _ in env_example()) + "\n", encoding="utf-8"
    )
    settings = Settings(_env_file=env)
    assert settings.connector == "local"
    assert settings.config_file == Path("/config/school.yaml")
    assert settings.m365.role_groups and settings.google.role_groups
    assert settings.base_url.startswith("https://")


# --------------------------------------------------------------------------- README


def test_readme_table_lists_every_setting_and_marks_secrets() -> None:
    rows = readme_table_rows()
    for name, secret in settings_variables().items():
        assert name in rows, f"deploy/README.md has no row for {name}"
        secret_cell = rows[name].split("|")[3]  # | Variable | Default | Secret | Meaning |
        if secret:
            assert "secret" in secret_cell.lower(), f"{name} is not marked secret"
    for name in rows:
        assert name in settings_variables() or name in NON_APP_VARIABLES, name


def test_readme_links_and_required_topics() -> None:
    text = README.read_text(encoding="utf-8")
    for link in ("(m365.md)", "(google.md)", "(teams/README.md)"):
        assert link in text
    for topic in (
        "pg_try_advisory_lock",
        "/auth/callback",
        "login.microsoftonline.com/<tenant-id>/v2.0",
        "FORWARDED_ALLOW_IPS",
        "frame-ancestors",
        "X-Frame-Options",
        "pg_dump",
        ".backup",
        "compliance-bot migrate",
        "strategy: {type: Recreate}",
    ):
        assert topic in text, topic


def test_readme_kubernetes_manifests_parse() -> None:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    docs = [d for block in blocks for d in yaml.safe_load_all(block) if d]
    kinds = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    scheduler = kinds[("Deployment", "compliance-bot-scheduler")]
    assert scheduler["spec"]["replicas"] == 1
    assert scheduler["spec"]["strategy"]["type"] == "Recreate"
    container = scheduler["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][-1] == "--scheduler-only"
    assert ("Job", "compliance-bot-migrate") in kinds
    web = kinds[("Deployment", "compliance-bot-web")]
    assert "--web-only" in web["spec"]["template"]["spec"]["containers"][0]["command"]
