"""A fixed set of realistic connector mutations, and the runner that scores the suite on them.

Each mutation changes one thing a connector sends or reads — a name, a value, an enum member, a
``fields`` mask, a path, a limit — the way a slip in a real change would. ``score`` runs the
connector tests chosen for each mutation (``-x -n 0``) in a process that reads the file mutated
(in memory: the file on disk is untouched): a failing run *kills* the mutation, a passing one
lets it *survive* (the suite would not notice that slip). Run by
``tests/benchmarks/test_connector_mutations.py``.

Each run is a fork of one process (this file, run as a script) that has already imported every
library the chosen tests import, and none of our own code: a run pays only for our modules and
its tests, and as many run at once as there are cores.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import CodeType

__all__ = ["MUTATIONS", "Mutation", "Outcome", "chosen", "score"]

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
DIRECTORY = (
    M365 + "test_directory.py",
    "-k",
    "full_sync_reads or partial_delta or manager_change or membership_change or new_starter",
)
MAIL = (
    M365 + "test_mail.py",
    "-k",
    "one_post or oversized or just_over or declares or paced_to_thirty",
)
LOOKUP = ("tests/core/test_outbox_lookup.py",)
LIST = (
    M365 + "test_sharepoint.py",
    "-k",
    "first_upsert or title_is_indexed or refused_index "
    "or unindexed_title or wrong_site or rows_reads",
)
FORM_LIST = (M365 + "test_forms.py", "-k", "ensure_form_list")  # also reads the site's address
BOT = (M365 + "test_teams_bot_tokens.py",)
G_DIRECTORY = (GOOGLE + "test_directory.py",)
MUTATIONS: tuple[Mutation, ...] = (
    # --- the four that survived the whole suite before (issue #43)
    _m(
        "google users mask names an invented field",
        "connectors/google/directory.py",
        'organizations(title,primary),relations"',
        'organizations(title,primary),relations,shoeSize"',
        G_DIRECTORY,
    ),
    _m(
        "an invented property inside $expand=manager($select=...)",
        "connectors/m365/client.py",
        "manager($select=id,mail,userPrincipalName)",
        "manager($select=id,mail,userPrincipalName,shoeSize)",
        DIRECTORY,
    ),
    _m(
        "nextPageToken dropped from the members mask",
        "connectors/google/directory.py",
        '_MEMBER_FIELDS = "nextPageToken,members(',
        '_MEMBER_FIELDS = "members(',
        G_DIRECTORY,
    ),
    _m(
        "multi-line column textType html",
        "connectors/m365/client_sharepoint.py",
        'text_type="plain"',
        'text_type="html"',
        FORM_LIST,
    ),  # the form list: long answers
    # --- Graph names
    _m(
        "users $select asks for mail by the wrong case",
        "connectors/m365/directory.py",
        '    "mail",\n    "userPrincipalName",',
        '    "Mail",\n    "userPrincipalName",',
        DIRECTORY,
    ),
    _m(
        "users $select invents a property",
        "connectors/m365/directory.py",
        '    "jobTitle",\n    "userType",',
        '    "jobTitle",\n    "jobRole",\n    "userType",',
        DIRECTORY,
    ),
    _m(
        "delta no longer asks for manager changes",
        "connectors/m365/directory.py",
        'DELTA_USER_SELECT = (*USER_FIELDS, "manager")',
        "DELTA_USER_SELECT = (*USER_FIELDS,)",
        DIRECTORY,
    ),
    _m(
        "groups delta asks for member, not members",
        "connectors/m365/directory.py",
        'GROUP_DELTA_SELECT = ("displayName", "members")',
        'GROUP_DELTA_SELECT = ("displayName", "member")',
        DIRECTORY,
    ),
    _m(
        "sent items filtered on internetMessageID",
        "connectors/m365/client_mail.py",
        "filter=f\"internetMessageId eq '{quoted}'\"",
        "filter=f\"internetMessageID eq '{quoted}'\"",
        LOOKUP,
    ),
    _m(
        "sent items $select invents a property",
        "connectors/m365/client_mail.py",
        'filter=f"internetMessageId eq \'{quoted}\'", select=["id"]',
        'filter=f"internetMessageId eq \'{quoted}\'", select=["id", "messageId"]',
        LOOKUP,
    ),
    _m(
        "site read selects webURL",
        "connectors/m365/client_sharepoint.py",
        'select=["webUrl"]',
        'select=["webURL"]',
        FORM_LIST,
    ),
    _m(
        "items filtered on field/ instead of fields/",
        "connectors/m365/client_sharepoint.py",
        'filter=f"fields/{column} eq',
        'filter=f"field/{column} eq',
        LIST,
    ),
    _m(
        "bulk feed recipient type misspelt",
        "connectors/m365/teams_bot.py",
        '"#microsoft.graph.aadUserNotificationRecipient"',
        '"#microsoft.graph.aadUserRecipient"',
        BOT,
    ),
    _m(
        "installed apps expanded by teamsApps",
        "connectors/m365/teams_bot.py",
        '"$expand": "teamsApp", "$filter"',
        '"$expand": "teamsApps", "$filter"',
        ("tests/features/teamsbot/test_delivery.py",),
    ),
    # --- Graph values and enums
    _m(
        "new list template misspelt",
        "connectors/m365/client_sharepoint.py",
        'ListInfo(template="genericList")',
        'ListInfo(template="genericLis")',
        LIST,
    ),
    _m(
        "bulk feed topic source misspelt",
        "connectors/m365/teams_bot.py",
        '"topic": {"source": "text"',
        '"topic": {"source": "txt"',
        BOT,
    ),
    _m(
        "bulk feed preview text sent as a string",
        "connectors/m365/teams_bot.py",
        '"previewText": {"content": preview}',
        '"previewText": preview',
        BOT,
    ),
    _m(
        "group delta filter joined with and",
        "connectors/m365/directory.py",
        'query = " or ".join(f"id eq {_quote(gid)}"',
        'query = " and ".join(f"id eq {_quote(gid)}"',
        DIRECTORY,
    ),
    _m(
        "in() filters written with eq",
        "connectors/m365/directory.py",
        'yield f"{name} in ("',
        'yield f"{name} eq ("',
        DIRECTORY,
    ),
    _m(
        "the Prefer header misspelt",
        "connectors/m365/client_sharepoint.py",
        '"Prefer", "HonorNonIndexedQueriesWarningMayFailRandomly"',
        '"Prefer", "HonorNonIndexedQueries"',
        LIST,
    ),
    # --- Graph limits
    _m(
        "more ids in one in() filter than Graph takes",
        "connectors/m365/directory.py",
        "IN_LIMIT = 15",
        "IN_LIMIT = 16",
        DIRECTORY,
    ),
    _m(
        "bulk feed calls carry 101 recipients",
        "connectors/m365/teams_bot.py",
        "BULK_RECIPIENTS = 100",
        "BULK_RECIPIENTS = 101",
        BOT,
    ),
    _m(
        "a mailbox sends 31 a minute",
        "bot/core/deployment/platform_settings.py",  # the figure the mailer gets
        "messages_per_minute: int = 30",
        "messages_per_minute: int = 31",
        MAIL,
    ),
    _m(
        "sendMail takes 5 MB",
        "connectors/m365/mail.py",
        "MAX_REQUEST_BYTES = 4 * 1024 * 1024",
        "MAX_REQUEST_BYTES = 5 * 1024 * 1024",
        MAIL,
    ),
    # --- Google masks, names, values and limits
    _m(
        "users mask drops nextPageToken",
        "connectors/google/directory.py",
        'f"nextPageToken,users({_ONE_USER})"',
        'f"users({_ONE_USER})"',
        G_DIRECTORY,
    ),
    _m(
        "users mask asks for the name's full_name",
        "connectors/google/directory.py",
        "name(fullName,givenName,familyName)",
        "name(full_name,givenName,familyName)",
        G_DIRECTORY,
    ),
    _m(
        "members mask asks for emails",
        "connectors/google/directory.py",
        "members(id,email,type)",
        "members(id,emails,type)",
        G_DIRECTORY,
    ),
    _m(
        "users pages of 501",
        "connectors/google/directory.py",
        "USERS_PAGE = 500",
        "USERS_PAGE = 501",
        G_DIRECTORY,
    ),
    _m(
        "members pages of 201",
        "connectors/google/directory.py",
        "MEMBERS_PAGE = 200",
        "MEMBERS_PAGE = 201",
        G_DIRECTORY,
    ),
    _m(
        "members read without derived membership",
        "connectors/google/directory.py",
        "includeDerivedMembership=True,",
        "includeDerivedMembership=False,",
        G_DIRECTORY,
    ),
    _m(
        "sheet rows written with an unknown value option",
        "connectors/google/sheets.py",
        'valueInputOption="RAW",\n                insertDataOption',
        'valueInputOption="RAWS",\n                insertDataOption',
        (GOOGLE + "test_sheets.py",),
    ),
    _m(
        "sheet rows inserted with INSERT_ROW",
        "connectors/google/sheets.py",
        'insertDataOption="INSERT_ROWS"',
        'insertDataOption="INSERT_ROW"',
        (GOOGLE + "test_sheets.py",),
    ),
    _m(
        "check's users mask names primaryMail",
        "connectors/google/check.py",
        'fields="users(primaryEmail)"',
        'fields="users(primaryMail)"',
        (GOOGLE + "test_check.py",),
    ),
    _m(
        "check's sheet mask names properties.name",
        "connectors/google/check.py",
        'fields="properties.title,sheets.properties"',
        'fields="properties.name,sheets.properties"',
        (GOOGLE + "test_check.py",),
    ),
)


OURS = ("bot", "connectors", "schedules", "tests", "conftest", "__main__", "__mp_main__")
# pytest's plugins are imported before it starts: their asserts are not rewritten (read plainly)
PYTEST = (
    "-q",
    "-n",
    "0",
    "-p",
    "no:cacheprovider",
    "-W",
    "ignore::pytest.PytestAssertRewriteWarning",
)


def chosen(words: str = "") -> tuple[Mutation, ...]:
    """The mutations whose name contains one of ``words``' ``|``-separated words (all when
    empty); ``#10:20`` is the 11th to 20th."""
    if words.startswith("#"):
        start, _, end = words[1:].partition(":")
        return MUTATIONS[int(start or 0) : int(end or len(MUTATIONS))]
    found = [w.casefold() for w in words.split("|")]
    return tuple(m for m in MUTATIONS if any(w in m.name.casefold() for w in found))


def _mutate(mutation: Mutation) -> None:
    """This process compiles ``mutation.path`` with ``old`` replaced by ``new`` when it imports
    it (its cached bytecode is not read; the file is not written)."""
    from importlib.machinery import SourceFileLoader

    path, plain = str(ROOT / mutation.path), SourceFileLoader.get_code

    def get_code(self: SourceFileLoader, fullname: str) -> CodeType:
        if self.path != path:
            return plain(self, fullname)
        source = Path(path).read_text(encoding="utf-8")
        assert source.count(mutation.old) == 1, f"{mutation.name}: not once in {path}"
        return compile(source.replace(mutation.old, mutation.new), path, "exec", dont_inherit=True)

    SourceFileLoader.get_code = get_code  # type: ignore[method-assign,assignment]


def _fork(log: Path, run: list[str], mutation: Mutation | None = None) -> int:
    """A child that runs pytest with ``run`` (its output in ``log``), the mutation applied; in
    the child, with no mutation, the names of the libraries imported are written to the log."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 3  # the run itself broke
    try:
        import pytest

        out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(out, 1)
        os.dup2(out, 2)
        sys.dont_write_bytecode = True
        if mutation is not None:
            _mutate(mutation)
        code = int(pytest.main(run))
        if mutation is None:
            names = [n for n in sys.modules if n.partition(".")[0] not in OURS]
            print("\n" + "\n".join(["MODULES", *names]))
    except BaseException:  # the child never returns into the parent's code
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _serve(words: str, workers: int) -> None:
    """The forking process: import the libraries, then run each chosen mutation in a child,
    ``workers`` at a time; print each outcome as a line of JSON."""
    sys.path[0] = str(ROOT)
    os.chdir(ROOT)
    mutations = chosen(words)
    files = sorted({t for m in mutations for t in m.tests if t.endswith(".py")})
    with tempfile.TemporaryDirectory() as folder:
        logs = Path(folder)
        _, status = os.waitpid(_fork(logs / "modules", ["--collect-only", *PYTEST, *files]), 0)
        text = (logs / "modules").read_text(encoding="utf-8")
        assert "\nMODULES\n" in text, text[-3000:]
        for name in text.split("\nMODULES\n", 1)[1].split():
            try:
                importlib.import_module(name)
            except Exception:  # only a head start: the child imports it again
                continue
        waiting, running = list(mutations), {}
        while waiting or running:
            while waiting and len(running) < workers:
                mutation = waiting.pop(0)
                log = logs / f"{len(waiting)}.log"
                running[_fork(log, ["-x", *PYTEST, *mutation.tests], mutation)] = (
                    mutation,
                    log,
                    time.monotonic(),
                )
            pid, status = os.wait()
            mutation, log, started = running.pop(pid)
            output = log.read_text(encoding="utf-8", errors="replace").strip()
            print(
                json.dumps(
                    {
                        "name": mutation.name,
                        "code": os.waitstatus_to_exitcode(status),
                        "seconds": time.monotonic() - started,
                        "output": output[-4000:],
                    }
                ),
                flush=True,
            )


def score(words: str = "", workers: int | None = None) -> list[Outcome]:
    """Run the chosen mutations (``chosen``), each alone, as many at once as there are cores;
    print each outcome as it comes."""
    named = {m.name: m for m in MUTATIONS}
    workers = workers or len(os.sched_getaffinity(0))
    process = subprocess.Popen(
        [sys.executable, __file__, words, str(workers)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    outcomes = []
    for line in process.stdout:
        done = json.loads(line)
        if done["code"] not in (0, 1):  # 5: no tests ran; 2-4: the run itself broke
            process.kill()
            raise AssertionError(f"{done['name']}: pytest exited {done['code']}\n{done['output']}")
        lines = done["output"].splitlines()
        outcome = Outcome(
            named[done["name"]], done["code"] == 1, done["seconds"], lines[-1] if lines else ""
        )
        outcomes.append(outcome)
        verdict = "killed  " if outcome.killed else "SURVIVED"
        print(f"{verdict} {outcome.seconds:6.1f}s  {done['name']}  ({outcome.tail})", flush=True)
    assert process.wait() == 0, "the mutations' runner failed"
    return outcomes


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]))
