"""The hash-chained audit log detects edits, deletions and truncation."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import pytest
from alembic import command
from sqlalchemy import Connection, delete, select, text, update

from bot.core import audit
from bot.core.audit import AuditKeyError
from bot.core.database.store import Store, alembic_config
from bot.core.guards.keys import Keyring
from bot.core.models import AuditEvent
from tests.support.keys import TEST_KEYS


def _chain(store: Store, n: int = 5) -> None:
    with store.transaction() as session:
        for i in range(n):
            audit.record(
                session,
                actor=f"user{i}@x.org",
                action="report.viewed",
                object_type="report",
                object_id=i,
                school_id="s",
                details={"i": i},
            )


def test_chain_verifies_on_both_backends(database_url: str) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    _chain(store)
    with store.session() as session:
        result = audit.verify(session)
    assert result.ok and result.checked == 5
    with store.transaction() as session:
        session.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(actor="someone@x.org"))
    with store.session() as session:
        broken = audit.verify(session)
    assert not broken.ok and broken.broken_seq == 3
    store.dispose()


def test_deleting_the_last_events_is_detected(sqlite_url: str) -> None:
    store = Store(sqlite_url, keys=TEST_KEYS)
    store.upgrade()
    _chain(store)
    with store.transaction() as session:
        session.execute(delete(AuditEvent).where(AuditEvent.seq >= 4))
    with store.session() as session:
        result = audit.verify(session)
    assert not result.ok and result.reason == "events after the last one were removed"


def test_raw_sql_edit_of_details_is_detected(sqlite_url: str) -> None:
    store = Store(sqlite_url, keys=TEST_KEYS)
    store.upgrade()
    _chain(store)
    with store.transaction() as session:
        session.execute(text("UPDATE audit_events SET details = '{\"i\": 99}' WHERE seq = 2"))
    with store.session() as session:
        assert audit.verify(session).broken_seq == 2


def test_a_store_without_the_key_cannot_write_to_the_log(sqlite_url: str) -> None:
    keyed = Store(sqlite_url, keys=TEST_KEYS)
    keyed.upgrade()
    _chain(keyed)
    keyless = Store(sqlite_url)
    with pytest.raises(AuditKeyError, match="no audit key"), keyless.transaction() as session:
        audit.record(session, actor="x@x.org", action="report.viewed", object_type="report")
    other = Store(sqlite_url, keys=Keyring.from_secrets("another-secret-0123456789-abcdefghij"))
    with pytest.raises(AuditKeyError, match="another audit key"), other.transaction() as s:
        audit.record(s, actor="x@x.org", action="report.viewed", object_type="report")
    with keyed.session() as session:
        assert audit.verify(session).ok  # nothing was written by either
    for store in (keyed, keyless, other):
        store.dispose()


def _legacy_chain(conn: Connection, n: int) -> None:
    """A log as versions before keying wrote it: plain SHA-256 links (head without a key)."""
    prev = audit.GENESIS
    at = datetime(2026, 10, 1, 9, 0)
    conn.execute(text("DELETE FROM audit_events"))
    for seq in range(1, n + 1):
        details = {"i": seq}
        body = json.dumps(
            {
                "prev": prev,
                "seq": seq,
                "at": at.strftime("%Y-%m-%dT%H:%M:%S.%f"),
                "actor": "dsl@x.org",
                "action": "report.viewed",
                "type": "report",
                "id": "1",
                "school": "s",
                "details": details,
            },
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        )
        digest = hashlib.sha256(body.encode()).hexdigest()
        conn.execute(
            text(
                "INSERT INTO audit_events (seq, school_id, at, actor, action, object_type, "
                "object_id, details, prev_hash, hash) VALUES (:seq, 's', :at, 'dsl@x.org', "
                "'report.viewed', 'report', '1', :details, :prev, :hash)"
            ),
            {"seq": seq, "at": at, "details": json.dumps(details), "prev": prev, "hash": digest},
        )
        prev = digest
    conn.execute(text("DELETE FROM audit_head"))
    conn.execute(
        text("INSERT INTO audit_head (id, last_hash, count) VALUES (1, :h, :n)"),
        {"h": prev, "n": n},
    )


def test_an_unkeyed_log_is_carried_over_once_and_never_again(database_url: str) -> None:
    old = Store(database_url)
    command.upgrade(alembic_config(old.engine), "0025")  # a database from before keying
    with old.engine.begin() as conn:
        _legacy_chain(conn, 4)
    old.dispose()

    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()  # verifies the unkeyed log, then carries it over with a keyed event
    with store.session() as session:
        result = audit.verify(session)
        carried = session.scalars(select(AuditEvent).where(AuditEvent.seq == 5)).one()
    assert result.ok and result.checked == 5
    assert carried.action == audit.KEYED and carried.key_id == TEST_KEYS.current_id
    assert carried.details["unkeyed_entries"] == 4 and carried.details["unkeyed_log_verified"]
    _chain(store, 2)

    # someone without the key replaces the whole log with an unkeyed one: never adopted
    with store.engine.begin() as conn:
        _legacy_chain(conn, 3)
    store.dispose()
    again = Store(database_url, keys=TEST_KEYS)
    again.upgrade()
    with again.session() as session:
        replaced = audit.verify(session)
    assert not replaced.ok and replaced.reason == audit.NEVER_KEYED
    with pytest.raises(AuditKeyError), again.transaction() as session:
        audit.record(session, actor="x@x.org", action="report.viewed", object_type="report")
    again.dispose()


def test_a_changed_key_is_recorded_and_needs_the_previous_key(sqlite_url: str) -> None:
    first = Store(sqlite_url, keys=TEST_KEYS)
    first.upgrade()
    _chain(first, 3)
    first.dispose()
    new = Keyring.from_secrets("the-new-audit-secret-0123456789-abcdef")
    rotated = Keyring(new.current, {TEST_KEYS.current_id: TEST_KEYS.current})
    store = Store(sqlite_url, keys=rotated)
    store.upgrade()  # records the change, endorsed by the previous key
    _chain(store, 2)
    with store.session() as session:
        assert audit.verify(session).ok
        change = session.scalars(select(AuditEvent).where(AuditEvent.seq == 4)).one()
    assert change.action == audit.KEY_CHANGED and change.details["endorsement"]
    assert change.details == {
        "from": TEST_KEYS.current_id,
        "to": new.current_id,
        "endorsement": change.details["endorsement"],
    }
    store.dispose()
    forgetful = Store(sqlite_url, keys=new)  # the previous key not kept
    with forgetful.session() as session:
        lost = audit.verify(session)
    assert not lost.ok and lost.reason == audit.UNKNOWN_KEY and lost.broken_seq == 1
    forgetful.dispose()


def test_a_savepoint_rolled_back_leaves_the_rest_of_the_transaction_sealed(
    database_url: str,
) -> None:
    """A failed step inside a savepoint (a reference clash, a directory outage) is no end of
    the transaction: the records written before and after it are sealed at its commit, and
    verification finds every one of them in the log."""
    from datetime import date

    from sqlalchemy.exc import IntegrityError

    from bot.core.audit.check import check
    from bot.core.models import Person, School, TrainingRecord

    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    with store.transaction() as session:
        session.add(School(id="s", name="Oakfield Primary School"))
        session.flush()
        before = Person(school_id="s", email="a@oakfield.example", display_name="A Teacher")
        session.add(before)  # batch-sealed (the database notes it)
        session.flush()
        session.add(
            TrainingRecord(
                school_id="s",
                person_id=before.id,
                course="Safeguarding",
                completed_on=date(2026, 9, 1),
                import_key="t1",
            )
        )
        session.flush()  # sealed by the session
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(text("INSERT INTO schools (id, name) VALUES ('s', 'A clash')"))
        session.add(Person(school_id="s", email="b@oakfield.example", display_name="B Teacher"))
    with store.session() as session:
        verdict = check(session)
    assert verdict.ok, verdict.problems
    assert verdict.records["person"] == 2 and verdict.records["training_record"] == 1
    store.dispose()


def test_an_entry_made_at_commit_takes_the_chain_head_only_as_the_transaction_commits(
    database_url: str,
) -> None:
    """``seals.record_at_commit`` (a stored report's entry): the chain's head is not taken
    until the commit, the entry goes in with the transaction's seals, a rollback takes it back,
    and inside a savepoint it is made at once."""
    from bot.core.audit.check import check
    from bot.core.audit.seals import record_at_commit
    from bot.core.models import AuditHead, School

    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()

    def count() -> int:
        with store.session() as session:
            return session.scalar(select(AuditHead.count)) or 0

    entry = audit.Entry("public-link", "report.created", "report", 1, "s", {"urgency": "high"})
    start = count()
    with store.transaction() as session:
        session.add(School(id="s", name="Oakfield Primary School"))
        session.flush()
        record_at_commit(session, entry)
        assert session.info.get("audit.head") is None  # the head's row not taken yet
    with store.session() as session:
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.seq > start)))
    # appended as the transaction committed, before its seals (the new school's: #55)
    assert actions == ["report.created", "record.sealed"]

    start = count()
    with pytest.raises(RuntimeError), store.transaction() as session:
        record_at_commit(session, entry)
        raise RuntimeError("the report could not be stored")
    assert count() == start  # rolled back: nothing recorded

    with store.transaction() as session, session.begin_nested():
        session.add(School(id="t", name="Elm"))
        session.flush()
        record_at_commit(session, entry)
        assert session.info.get("audit.head") is None  # a savepoint: not kept, made at once
        with store.session() as other:
            assert other.scalar(select(AuditHead.count)) == start  # not committed yet
    with store.session() as session:
        assert (
            session.scalar(select(AuditEvent.action).where(AuditEvent.seq == start + 1))
            == "report.created"
        )
        verdict = check(session)
    assert verdict.ok, verdict.problems
    store.dispose()


def test_every_new_store_seals_even_where_an_old_one_lived(sqlite_url: str) -> None:
    """A store (or a dispatch pass's pinned store) made after others are gone still seals what
    it writes. SQLAlchemy's ``event.contains`` answers by the target's ``id()``, which Python
    hands on to new objects, so asking it whether the hooks were installed told many new
    factories "yes" (seen on CI: 10,000 sent messages unsealed)."""
    import gc

    # what earlier tests left is set aside: each gc.collect() below walks only this test's
    # objects (a whole worker's heap took seconds a round). Where the run froze what its
    # collection left (tests/conftest.py), that stays frozen: earlier tests' garbage is
    # collected first, and what this test leaves joins it.
    frozen = gc.get_freeze_count()
    if frozen:
        gc.collect()
    gc.freeze()
    try:
        _stores_one_after_another(sqlite_url)
    finally:
        if not frozen:
            gc.unfreeze()


def _stores_one_after_another(sqlite_url: str) -> None:
    import gc
    from datetime import date

    from bot.core.audit.check import check
    from bot.core.models import Person, School, TrainingRecord

    first = Store(sqlite_url, keys=TEST_KEYS)
    first.upgrade()
    with first.transaction() as session:
        session.add(School(id="s", name="Oakfield Primary School"))
        session.add(
            Person(id=1, school_id="s", email="a@oakfield.example", display_name="A Teacher")
        )
    first.dispose()
    del first, session
    for n in range(60):
        store = Store(sqlite_url, keys=TEST_KEYS)
        with store.pinned() as pinned:
            for where, made in (("store", store), ("pinned", pinned)):
                with made.transaction() as session:
                    session.add(
                        TrainingRecord(
                            school_id="s",
                            person_id=1,
                            course="Safeguarding",
                            completed_on=date(2026, 9, 1),
                            import_key=f"{where}{n}",
                        )
                    )
                del session
        store.dispose()
        del store, pinned, made
        gc.collect()  # the factories are gone: their ids are free for the next ones
    store = Store(sqlite_url, keys=TEST_KEYS)
    with store.session() as session:
        verdict = check(session)
    store.dispose()
    assert verdict.ok, verdict.problems[:3]
    assert verdict.records["training_record"] == 120


def test_rows_by_id_reads_every_row_in_order_one_statement_a_page(database_url: str) -> None:
    """``audit verify`` reads each kind of record in pages by id: every row once, in order,
    and a table smaller than a page in one statement (not a server-side cursor's four)."""
    from sqlalchemy import Column, Integer, MetaData, Table, create_engine, event, insert
    from sqlalchemy.orm import Session

    from bot.core.audit.check import rows_by_id

    paged = Table(
        "paged", MetaData(), Column("id", Integer, primary_key=True), Column("n", Integer)
    )
    engine = create_engine(database_url)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    try:
        paged.create(engine)
        with engine.begin() as conn:  # ids with gaps, inserted out of order
            conn.execute(insert(paged), [{"id": i, "n": i * 10} for i in (9, 2, 5, 7, 3)])
        with Session(engine) as session:
            for size, pages in ((2, 3), (5, 2), (10, 1)):
                statements.clear()
                rows = list(rows_by_id(session, select(paged.c.id, paged.c.n), paged.c.id, size))
                assert [(r.id, r.n) for r in rows] == [(i, i * 10) for i in (2, 3, 5, 7, 9)]
                assert len(statements) == pages, (size, statements)
    finally:
        engine.dispose()
