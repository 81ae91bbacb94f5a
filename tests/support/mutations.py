"""A fixed set of realistic connector mutations, and the runner that scores the suite on them.

Each mutation changes one thing a connector sends or reads — a name, a value, an enum member, a
``fields`` mask, a path, a limit — the way a slip in a real change would. ``score`` copies the
repository once, applies each mutation alone to the copy, and runs the connector tests chosen
for it (``-x -n 0``): a failing run *kills* the mutation, a passing one lets it *survive*
(the suite would not notice that slip). Run by ``tests/benchmarks/test_connector_mutations.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MUTATIONS", "Mutation", "Outcome", "score"]

ROOT = Path(__file__).resolve().parents[2]
M365 = "tests/connectors/m365/"
GOOGLE = "tests/connectors/google/"


@dataclass(frozen=True)
class Mutation:
    """``old`` (found exactly once in ``path``) becomes ``new``; ``tests`` are pytest args."""

    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """One mutation's run: killed (the tests failed) or survived, and how long it took."""

    mutation: Mutation
    killed: bool
    seconds: float
    tail: str


def _m(name: str, path: str, old: str, new: str, tests: tuple[str, ...]) -> Mutation:
    return Mutation(name, path, old, new, tests)


# each mutation runs a few connector tests chosen to be quick (a survivor is then re-checked
# against the whole connector suite before it is named)
DIRECTORY = (M365 + "test_directory.py", "-k", "full_sync_reads or partial_delta or "
             "manager_change or membership_change or new_starter")
MAIL = (M365 + "test_mail.py", "-k", "one_post or oversized or just_over or declares or "
        "paced_to_thirty")
LOOKUP = ("tests/core/test_outbox_lookup.py",)
LIST = (M365 + "test_sharepoint.py", "-k", "first_upsert or title_is_indexed or refused_index "
        "or unindexed_title or wrong_site or rows_reads")
FORM_LIST = (M365 + "test_forms.py", "-k", "ensure_form_list")  # also reads the site's address
BOT = (M365 + "test_teams_bot_tokens.py",)
G_DIRECTORY = (GOOGLE + "test_directory.py",)
MUTATIONS: tuple[Mutation, ...] = (
    # --- the four that survived the whole suite before (issue #43)
    _m("google users mask names an invented field", "connectors/google/directory.py",
       "organizations(title,primary),relations)", "organizations(title,primary),relations,"
       "shoeSize)", G_DIRECTORY),
    _m("an invented property inside $expand=manager($select=...)", "connectors/m365/client.py",
       "manager($select=id,mail,userPrincipalName)",
       "manager($select=id,mail,userPrincipalName,shoeSize)", DIRECTORY),
    _m("nextPageToken dropped from the members mask", "connectors/google/directory.py",
       '_MEMBER_FIELDS = "nextPageToken,members(', '_MEMBER_FIELDS = "members(', G_DIRECTORY),
    _m("multi-line column textType html", "connectors/m365/client_sharepoint.py",
       'text_type="plain"', 'text_type="html"', FORM_LIST),  # the form list: long answers
    # --- Graph names
    _m("users $select asks for mail by the wrong case", "connectors/m365/directory.py",
       '    "mail",\n    "userPrincipalName",', '    "Mail",\n    "userPrincipalName",',
       DIRECTORY),
    _m("users $select invents a property", "connectors/m365/directory.py",
       '    "jobTitle",\n    "userType",', '    "jobTitle",\n    "jobRole",\n    "userType",',
       DIRECTORY),
    _m("delta no longer asks for manager changes", "connectors/m365/directory.py",
       'DELTA_USER_SELECT = (*USER_FIELDS, "manager")', "DELTA_USER_SELECT = (*USER_FIELDS,)",
       DIRECTORY),
    _m("groups delta asks for member, not members", "connectors/m365/directory.py",
       'GROUP_DELTA_SELECT = ("displayName", "members")',
       'GROUP_DELTA_SELECT = ("displayName", "member")', DIRECTORY),
    _m("sent items filtered on internetMessageID", "connectors/m365/client.py",
       "filter=f\"internetMessageId eq '{quoted}'\"", "filter=f\"internetMessageID eq '{quoted}'\"",
       LOOKUP),
    _m("sent items $select invents a property", "connectors/m365/client.py",
       'filter=f"internetMessageId eq \'{quoted}\'", select=["id"]',
       'filter=f"internetMessageId eq \'{quoted}\'", select=["id", "messageId"]', LOOKUP),
    _m("site read selects webURL", "connectors/m365/client_sharepoint.py",
       'select=["webUrl"]', 'select=["webURL"]', FORM_LIST),
    _m("items filtered on field/ instead of fields/", "connectors/m365/client_sharepoint.py",
       'filter=f"fields/{column} eq', 'filter=f"field/{column} eq', LIST),
    _m("bulk feed recipient type misspelt", "connectors/m365/teams_bot.py",
       '"#microsoft.graph.aadUserNotificationRecipient"', '"#microsoft.graph.aadUserRecipient"',
       BOT),
    _m("installed apps expanded by teamsApps", "connectors/m365/teams_bot.py",
       '"$expand": "teamsApp", "$filter"', '"$expand": "teamsApps", "$filter"',
       ("tests/features/teamsbot/test_delivery.py",)),
    # --- Graph values and enums
    _m("new list template misspelt", "connectors/m365/client_sharepoint.py",
       'ListInfo(template="genericList")', 'ListInfo(template="genericLis")', LIST),
    _m("bulk feed topic source misspelt", "connectors/m365/teams_bot.py",
       '"topic": {"source": "text"', '"topic": {"source": "txt"', BOT),
    _m("bulk feed preview text sent as a string", "connectors/m365/teams_bot.py",
       '"previewText": {"content": preview}', '"previewText": preview', BOT),
    _m("group delta filter joined with and", "connectors/m365/directory.py",
       'query = " or ".join(f"id eq {_quote(gid)}"', 'query = " and ".join(f"id eq {_quote(gid)}"',
       DIRECTORY),
    _m("in() filters written with eq", "connectors/m365/directory.py",
       'yield f"{name} in ("', 'yield f"{name} eq ("', DIRECTORY),
    _m("the Prefer header misspelt", "connectors/m365/client_sharepoint.py",
       '"Prefer", "HonorNonIndexedQueriesWarningMayFailRandomly"',
       '"Prefer", "HonorNonIndexedQueries"', LIST),
    # --- Graph limits
    _m("more ids in one in() filter than Graph takes", "connectors/m365/directory.py",
       "IN_LIMIT = 15", "IN_LIMIT = 16", DIRECTORY),
    _m("bulk feed calls carry 101 recipients", "connectors/m365/teams_bot.py",
       "BULK_RECIPIENTS = 100", "BULK_RECIPIENTS = 101", BOT),
    _m("a mailbox sends 31 a minute", "bot/core/settings.py",  # the figure the mailer gets
       "messages_per_minute: int = 30", "messages_per_minute: int = 31", MAIL),
    _m("sendMail takes 5 MB", "connectors/m365/mail.py",
       "MAX_REQUEST_BYTES = 4 * 1024 * 1024", "MAX_REQUEST_BYTES = 5 * 1024 * 1024", MAIL),
    # --- Google masks, names, values and limits
    _m("users mask drops nextPageToken", "connectors/google/directory.py",
       '"nextPageToken,users(id,primaryEmail,', '"users(id,primaryEmail,', G_DIRECTORY),
    _m("users mask asks for the name's full_name", "connectors/google/directory.py",
       "name(fullName,givenName,familyName)", "name(full_name,givenName,familyName)",
       G_DIRECTORY),
    _m("members mask asks for emails", "connectors/google/directory.py",
       "members(id,email,type)", "members(id,emails,type)", G_DIRECTORY),
    _m("users pages of 501", "connectors/google/directory.py",
       "USERS_PAGE = 500", "USERS_PAGE = 501", G_DIRECTORY),
    _m("members pages of 201", "connectors/google/directory.py",
       "MEMBERS_PAGE = 200", "MEMBERS_PAGE = 201", G_DIRECTORY),
    _m("members read without derived membership", "connectors/google/directory.py",
       "includeDerivedMembership=True,", "includeDerivedMembership=False,", G_DIRECTORY),
    _m("sheet rows written with an unknown value option", "connectors/google/sheets.py",
       'valueInputOption="RAW",\n            insertDataOption',
       'valueInputOption="RAWS",\n            insertDataOption', (GOOGLE + "test_sheets.py",)),
    _m("sheet rows inserted with INSERT_ROW", "connectors/google/sheets.py",
       'insertDataOption="INSERT_ROWS"', 'insertDataOption="INSERT_ROW"',
       (GOOGLE + "test_sheets.py",)),
    _m("check's users mask names primaryMail", "connectors/google/check.py",
       'fields="users(primaryEmail)"', 'fields="users(primaryMail)"', (GOOGLE + "test_check.py",)),
    _m("check's sheet mask names properties.name", "connectors/google/check.py",
       'fields="properties.title,sheets.properties"', 'fields="properties.name,sheets.properties"',
       (GOOGLE + "test_check.py",)),
)


def _copy(target: Path) -> Path:
    """The repository's code and tests, copied once (no .venv, .git or node_modules)."""
    ignore = shutil.ignore_patterns(".venv", ".git", "node_modules", "__pycache__", "*.pyc")
    for name in ("bot", "connectors", "schedules", "tests", "deploy"):
        shutil.copytree(ROOT / name, target / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, target / name)
    return target


def _run(root: Path, mutation: Mutation) -> Outcome:
    path = root / mutation.path
    source = path.read_text(encoding="utf-8")
    if source.count(mutation.old) != 1:
        raise AssertionError(f"{mutation.name}: the text to mutate is not in {mutation.path} "
                             "exactly once (update the mutation with the code)")
    path.write_text(source.replace(mutation.old, mutation.new), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.monotonic()
    try:
        done = subprocess.run(  # no bound of its own: pyproject's timeout bounds each test
            [sys.executable, "-m", "pytest", "-x", "-q", "-n", "0", "-p", "no:cacheprovider",
             *mutation.tests],
            cwd=root, env=env, capture_output=True, text=True, check=False,
        )
    finally:
        path.write_text(source, encoding="utf-8")
    if done.returncode not in (0, 1):  # 5: no tests ran; 2-4: the run itself broke
        raise AssertionError(f"{mutation.name}: pytest exited {done.returncode}\n"
                             f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
    outcome = Outcome(mutation, done.returncode == 1, time.monotonic() - started,
                      done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "")
    verdict = "killed  " if outcome.killed else "SURVIVED"
    print(f"{verdict} {outcome.seconds:6.1f}s  {mutation.name}  ({outcome.tail})", flush=True)
    return outcome


def score(workdir: Path, chosen: str = "") -> list[Outcome]:
    """Run every mutation whose name contains one of ``chosen``'s ``|``-separated words (all
    when empty; ``#10:20`` is the 11th to 20th) against a copy made in ``workdir``."""
    root = _copy(workdir)
    if chosen.startswith("#"):
        start, _, end = chosen[1:].partition(":")
        return [_run(root, m) for m in MUTATIONS[int(start or 0):int(end or len(MUTATIONS))]]
    words = [w.casefold() for w in chosen.split("|")]
    return [_run(root, m) for m in MUTATIONS if any(w in m.name.casefold() for w in words)]
