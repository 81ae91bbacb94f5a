"""The dispatcher's two statements per message, each one round trip on PostgreSQL.

Every message costs two commits: its move to ``sending`` (durable before the platform call)
and the platform's answer. On PostgreSQL a transaction of the dispatcher's own connection
(``Store.pinned``) costs BEGIN, the statement and COMMIT (and the record's ``SET LOCAL``, so
that it need not wait for the disk): seven round trips a message. A pass therefore holds two more
connections, each in autocommit, where each of the two is one statement (its own transaction):

- *durable*: the move to ``sending`` commits as the server is configured (``synchronous_commit``
  on): it is on disk before the message is handed over.
- *relaxed*: its session has ``synchronous_commit = off``: a delivered message's record (and its
  mailbox permits, ``outbox.pacing.finish``, in the same statement) commits without waiting for
  the disk. PostgreSQL's write-ahead log is one linear log shared by every connection, and a
  durable commit flushes it up to its own commit record: the record was committed (so written
  to the log) before the next message's durable move to ``sending`` began, so that commit puts
  the record on disk too, before the next message is handed over. The pass's last records
  are flushed when it ends (``Lanes.flush``); were the *database server* to crash before
  that, those rows would read ``sending`` again and be flagged ``delivery_unknown`` for a
  person — never sent twice. The relaxed connection is detached from the pool, so its
  setting dies with it and never reaches another caller.

Anything but a plain delivery (a refusal, a "not now", a channel's pause ending) is recorded
on the dispatcher's own connection as before (``outbox.record.settle``). On SQLite, one file
and one writer, both statements stay on that connection: there a transaction costs no round
trip.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    Connection,
    Integer,
    String,
    Table,
    Update,
    any_,
    bindparam,
    column,
    func,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from bot.core.audit.autocommit import pass_tag, seal_pass
from bot.core.audit.batches import TAG
from bot.core.models import MailSend, OutboxMessage
from bot.core.outbox import claim as outbox_claim
from bot.core.outbox import pacing as mail_pacing
from bot.core.store import Store

__all__ = ["Lanes", "open_lanes"]

log = logging.getLogger("bot.core.outbox")


@functools.cache
def _delivered_statement(paced: bool) -> Update:
    """PostgreSQL: record delivered rows (ids and provider ids as two arrays) in one statement,
    with their mailbox permits counted from each send's start when ``paced`` (a CTE: same
    transaction)."""
    table = OutboxMessage.__table__
    assert isinstance(table, Table)
    ids = bindparam("ids", type_=ARRAY(Integer))
    at = bindparam("at", type_=table.c.sent_at.type)
    answers = (
        func.unnest(ids, bindparam("provider_ids", type_=ARRAY(String)))
        .table_valued(column("id", Integer), column("provider_id", String))
        .render_derived(name="answers")
    )
    statement = (
        update(table)
        .where(table.c.id == answers.c.id)
        .values(status="sent", sent_at=at, provider_id=answers.c.provider_id, last_error=None)
    )
    if paced:  # ``outbox.pacing.finish`` for sends the platform made, in the same statement
        sends = MailSend.__table__
        assert isinstance(sends, Table)
        statement = statement.add_cte(
            update(sends)
            .where(sends.c.outbox_id == any_(ids), sends.c.done.is_(False))
            .values(done=True, at=mail_pacing.started(sends, at))
            .cte("permits")
        )
    return statement


@functools.cache
def _rewrite_statement() -> Update:
    """A row written again as it is (a write to the log, changing nothing)."""
    table = OutboxMessage.__table__
    assert isinstance(table, Table)
    return (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(sent_at=table.c.sent_at)
    )


@dataclass
class Lanes:
    """Where one dispatch pass runs its two statements per message (see the module's text).

    ``store`` is the pass's pinned store: everything else runs there. The extra connections
    are opened on first use, so a pass with nothing to send opens none. Without ``relaxed``
    (a web request's hand-over of a few urgent messages) records go on the durable lane too:
    the relaxed connection is one of its own, made and closed for each pass, which costs a few
    messages more than the disk's wait it saves.
    """

    store: Store
    relaxed: bool = True
    _durable: Connection | None = field(default=None, init=False, repr=False)
    _relaxed: Connection | None = field(default=None, init=False, repr=False)
    _opened: list[Connection] = field(default_factory=list, init=False, repr=False)
    _last_recorded: int | None = field(default=None, init=False, repr=False)
    _tags: list[str] = field(default_factory=list, init=False, repr=False)
    _pass_tag: str | None = field(default=None, init=False, repr=False)

    @property
    def split(self) -> bool:
        """Whether the two statements run on connections of their own (PostgreSQL)."""
        return self.store.engine.dialect.name == "postgresql"

    def _connect(self, *, relaxed: bool) -> Connection:
        """An autocommit connection; the relaxed one does not wait for the disk at commit.

        Both note what they record under the pass's own tag (``audit.autocommit``: were the
        process killed before ``close`` seals it, another dispatcher's recovery does); the
        durable one, lent by the pool, is given its own tag back at ``close``."""
        connection = self.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self._opened.append(connection)
        keys = self.store.keys
        if keys is not None and self._pass_tag is None:
            self._pass_tag = pass_tag(keys, connection.info)
            self._tags.append(self._pass_tag)
        elif keys is None:  # nothing is sealed without the key: the connection's own tag
            self._tags.append(connection.info[TAG])
        settings = ["set_config('synchronous_commit', 'off', false)"] if relaxed else []
        if relaxed:
            connection.detach()  # closed for good at the end: the setting never leaks
        if self._pass_tag is not None:
            settings.append("set_config('compliance_bot.seal_tag', :tag, false)")
        if settings:
            params = {} if self._pass_tag is None else {"tag": self._pass_tag}
            connection.execute(text("SELECT " + ", ".join(settings)), params)
        return connection

    def _lane(self, *, relaxed: bool) -> Connection:
        """The relaxed or the durable connection, opened on first use."""
        if relaxed:
            if self._relaxed is None:
                self._relaxed = self._connect(relaxed=True)
            return self._relaxed
        if self._durable is None:
            self._durable = self._connect(relaxed=False)
        return self._durable

    def start(self, ids: Sequence[int], channel: str, now: datetime) -> set[int]:
        """Move claimed rows to ``sending``, committed durably (``outbox.claim.start``)."""
        if not self.split:
            return outbox_claim.start(self.store, ids, channel, now)
        if not ids:
            return set()
        moved = self._lane(relaxed=False).execute(
            outbox_claim.start_statement(channel), {"ids": list(ids), "now": now}
        )
        return set(moved.scalars())

    def record_delivered(
        self, delivered: Sequence[tuple[int, str | None]], at: datetime, *, paced: bool
    ) -> bool:
        """Record rows the platform took, ``(row id, provider id)`` each, in one statement on
        the relaxed connection; False (nothing done) where there is none (SQLite)."""
        if not self.split:
            return False
        lane = self._lane(relaxed=self.relaxed)
        lane.execute(
            _delivered_statement(paced),
            {"ids": [row_id for row_id, _ in delivered],
             "provider_ids": [provider_id for _, provider_id in delivered], "at": at},
        )
        if lane is self._relaxed:  # on disk with the next durable commit, or ``flush``
            self._last_recorded = delivered[-1][0]
        return True

    def flush(self) -> None:
        """Wait until the records made so far are on disk (the end of a pass: no next
        message's durable commit will flush them).

        Only a transaction that wrote to the log waits for the disk at commit (one that merely
        took a transaction id does not), so the last recorded row is written again, as it is,
        in a durable commit: the log is flushed up to it, and so past every record before it.
        """
        if self._last_recorded is None:
            return
        self._lane(relaxed=False).execute(_rewrite_statement(), {"row_id": self._last_recorded})
        self._last_recorded = None

    def close(self) -> None:
        """Seal what the extra connections recorded as sent (one transaction for the pass:
        they commit each statement on their own, outside any session), then close them (the
        relaxed one for good; the durable one back to the pool with its own tag, or, if the
        pass could not seal, ended too, so that the recovery seals what it noted)."""
        tags, self._tags = self._tags, []
        lane, self._pass_tag = self._pass_tag, None
        opened, self._opened = self._opened, []
        self._durable = self._relaxed = None
        sealed = False
        try:
            seal_pass(self.store, tags, lane)
            sealed = True
        finally:
            for connection in opened:
                if lane is not None:
                    _untag(connection, sealed=sealed)
                connection.close()


_OWN_TAG = text("SELECT set_config('compliance_bot.seal_tag', :tag, false)")


def _untag(connection: Connection, *, sealed: bool) -> None:
    """Before a lane's connection closes: one the pool lent gets its own tag back (noting
    under the pass's tag, it would leave its notes to no one); if that cannot be done, or the
    pass did not seal, it is ended instead, so that its notes go to the recovery."""
    if connection.invalidated or (sealed and connection.connection.is_detached):
        return  # the relaxed one is closed for good anyway
    if sealed:
        try:
            connection.execute(_OWN_TAG, {"tag": connection.info[TAG]})
            return
        except Exception:  # a lost connection: ended below, never lent again
            log.warning("outbox: a lane's connection lost; it is ended")
    connection.invalidate()


@contextmanager
def open_lanes(store: Store, *, relaxed: bool = True) -> Iterator[Lanes]:
    """The lanes of one pass on ``store`` (its pinned store): the records flushed to disk
    when the block ends normally, the connections closed however it ends (``relaxed``: see
    ``Lanes``)."""
    lanes = Lanes(store, relaxed=relaxed)
    try:
        yield lanes
        lanes.flush()
    finally:
        lanes.close()
