"""PostgreSQL's own server log keeps no row data: the settings the deploy files give
PostgreSQL (compose.yaml's ``-c`` flags, the CloudNativePG cluster's parameters — the same six,
also in deploy/README.md) are applied to a session of the real local PostgreSQL, a constraint
error is raised with a distinctive name in the row, and the server's log file is read: the
name is there without the settings ("Failing row contains (...)") and absent with them."""

from __future__ import annotations

import glob
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import _missing
from tests.support.paths import REPO

DEPLOY = REPO / "deploy"
SETTINGS = {
    "log_error_verbosity": "terse",
    "log_min_error_statement": "panic",
    "log_statement": "none",
    "log_min_duration_statement": "-1",
    "log_parameter_max_length": "0",
    "log_parameter_max_length_on_error": "0",
}


def test_the_deploy_files_give_postgresql_the_settings() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    command = compose["services"]["db"]["command"]
    assert command[0] == "postgres"
    flags = dict(
        value.split("=", 1)
        for flag, value in zip(command[1::2], command[2::2], strict=True)
        if flag == "-c"
    )
    assert flags == SETTINGS
    cluster = yaml.safe_load(
        (DEPLOY / "kubernetes" / "postgres-cluster.yaml").read_text(encoding="utf-8")
    )
    parameters = cluster["spec"]["postgresql"]["parameters"]
    assert {k: parameters[k] for k in SETTINGS} == SETTINGS
    guide = (DEPLOY / "README.md").read_text(encoding="utf-8")
    for name, value in SETTINGS.items():
        assert f"| `{name}` | `{value}` |" in guide


def _server_log() -> Path | None:
    """The local PostgreSQL's log file, when this machine's user may read it."""
    for name in sorted(glob.glob("/var/log/postgresql/*.log")):
        if os.access(name, os.R_OK):
            return Path(name)
    return None


@pytest.fixture
def server_log(postgres_url: str) -> Iterator[tuple[str, Path]]:
    log = _server_log()
    if log is None:
        _missing("the PostgreSQL server's log file is not readable here")
    yield postgres_url, log


def _refuse_a_row(url: str, marker: str, settings: dict[str, str]) -> None:
    """Insert a row a CHECK constraint refuses, carrying ``marker``, with ``settings`` set for
    this session (as a superuser may; the deploy files set them for the whole server)."""
    import psycopg
    from sqlalchemy.engine import make_url

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as connection:
        for name, value in settings.items():
            connection.execute(f"SET {name} = '{value}'")
        connection.execute(
            "CREATE TEMP TABLE concern (reporter text NOT NULL, note text CHECK (length(note) < 4))"
        )
        with pytest.raises(psycopg.errors.CheckViolation):
            connection.execute("INSERT INTO concern VALUES (%s, %s)", (marker, "too long"))


def _logged_after(log: Path, start: int, wait_for: str | None) -> str:
    """What the server logged after ``start`` (waiting up to a minute for ``wait_for`` to appear:
    a loaded machine's server writes late, and in CI a line that never comes fails the test)."""
    deadline = time.monotonic() + 60
    while True:
        with log.open("rb") as handle:
            handle.seek(start)
            text = handle.read().decode("utf-8", "replace")
        if wait_for is None or wait_for in text or time.monotonic() > deadline:
            return text
        time.sleep(0.1)


@pytest.mark.postgres
def test_a_constraint_error_logs_no_row_data_with_the_deploy_settings(
    server_log: tuple[str, Path],
) -> None:
    url, log = server_log
    start = log.stat().st_size
    _refuse_a_row(url, "Perpetua Quillmarker-Default", {})
    default = _logged_after(log, start, "Quillmarker-Default")
    if "Quillmarker-Default" not in default:
        _missing("this server does not log errors to the readable file")
    assert "Failing row contains" in default  # the leak the settings are for
    start = log.stat().st_size
    _refuse_a_row(url, "Perpetua Quillmarker-Deploy", SETTINGS)
    _refuse_a_row(url, "Perpetua Quillmarker-Default2", {})  # a later line to wait for
    logged = _logged_after(log, start, "Quillmarker-Default2")
    deployed = logged.split("Failing row contains (Perpetua Quillmarker-Default2")[0]
    # the error itself is still logged (twice: the deploy session's, then the later one's)
    assert deployed.count("violates check constraint") == 2
    assert "Quillmarker-Deploy" not in logged
    assert "Failing row" not in deployed and "INSERT INTO concern" not in deployed
