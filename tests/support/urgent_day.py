"""A school day of the outbox on a simulated clock, for the "urgent first" benchmark.

The real sweep queues Monday's digests; the real intake stores concerns as the web POST does
(``submit_report`` in a transaction), then hands over what ``deliver_soon`` hands over after the
commit; the scheduler's dispatch job runs every ``DISPATCH_SECONDS``. Each line sends through a
real mailer to a platform that records when it received each message: the m365 mailer
(msgraph-sdk's pipeline) to the fake Graph, the google mailer to the fake Google, the SMTP mailer
to a real aiosmtpd.

One simulated clock drives everything: the dispatcher reads it (and waits on it for a permit),
the process's wall clock is moved to it (time-machine: rows are stamped with ``utcnow()``), and
each platform takes ``latency`` simulated seconds to answer a send. Whatever is scheduled for a
moment (a concern submitted, a worker killed) happens when the clock passes it, even while a
dispatch pass is waiting on a platform's answer, as a web request would run meanwhile.
"""

from __future__ import annotations

import email
import email.policy
import heapq
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import Settings
from bot.core.outbox import DispatchStats, Urgency, dispatch
from bot.core.outbox.delivery import AdminAlerts
from bot.engine.web.links import URGENT_PER_REQUEST
from bot.features.reports.intake import Intake, submit_report
from bot.features.reports.submission import Submission
from schedules.dispatcher import PASS_LIMIT
from schedules.jobs import DISPATCH_SECONDS
from tests.support.fakes.graph import FakeClock
from tests.support.scale import write_school

__all__ = [
    "DSL",
    "Killed",
    "Line",
    "Timeline",
    "build_school",
    "deliver_soon",
    "google_line",
    "m365_line",
    "scheduler_pass",
    "smtp_line",
    "spent_earlier",
    "submit_concern",
    "worker_pass",
]

DSL = "dsl@bench.example"
DEPUTY = "deputy.dsl@bench.example"
SECRET = "bench-secret-0123456789-abcdefghijklmn"


class Killed(BaseException):
    """The worker's process died (SIGKILL): nothing after this point ran, no handler saw it,
    no transaction of its was committed afterwards."""


class Timeline:
    """The simulated clock: a fake monotonic clock, the datetime it stands for, and events.

    Args:
        clock: the fake monotonic clock the mailers and the fakes share.
        start: the moment ``clock.now`` stands for when the timeline is made.
        traveller: time-machine's fixture; the process's wall clock follows the timeline.
    """

    def __init__(self, clock: FakeClock, start: datetime, traveller: Any) -> None:
        self.clock = clock
        self.start = start
        self.origin = clock.now
        self.traveller = traveller
        self._events: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._firing = False
        self.sync()

    def now(self) -> datetime:
        """The simulated moment (UTC)."""
        return self.start + timedelta(seconds=self.clock.now - self.origin)

    def stamp(self, monotonic: float) -> datetime:
        """The moment a reading of the fake clock stands for."""
        return self.start + timedelta(seconds=monotonic - self.origin)

    def sync(self) -> None:
        """Move the process's wall clock (``utcnow()``) to the simulated moment."""
        self.traveller.move_to(self.now(), tick=False)

    def at(self, moment: datetime, action: Callable[[], None]) -> None:
        """Run ``action`` when the clock reaches ``moment``."""
        when = self.origin + (moment - self.start).total_seconds()
        heapq.heappush(self._events, (when, next(self._order), action))

    def next_event(self) -> float | None:
        """The fake-clock time of the next event (None: none left)."""
        return self._events[0][0] if self._events else None

    def tick(self, seconds: float) -> None:
        """Let ``seconds`` pass, running the events that fall due on the way (an event that
        itself lets time pass does not start others: they wait for the next tick)."""
        end = self.clock.now + max(seconds, 0.0)
        while not self._firing and self._events and self._events[0][0] <= end:
            when, _, action = heapq.heappop(self._events)
            self.clock.now = max(self.clock.now, when)
            self.sync()
            self._firing = True
            try:
                action()
            finally:
                self._firing = False
        self.clock.now = max(self.clock.now, end)
        self.sync()

    def run_scheduler(self, until: datetime, one_pass: Callable[[], None]) -> int:
        """Run the scheduler's dispatch job every ``DISPATCH_SECONDS`` from now until ``until``
        (APScheduler: a run still going at the next fire time makes that one skip); returns
        the passes run."""
        fire, end, passes = self.clock.now, self.origin + (until - self.start).total_seconds(), 0
        while fire <= end:
            self.tick(fire - self.clock.now)
            one_pass()
            passes += 1
            fire += DISPATCH_SECONDS
            while fire < self.clock.now:  # the pass overran: those runs were skipped
                fire += DISPATCH_SECONDS
        return passes


def build_school(home: Path, url: str, staff: int) -> AppContext:
    """The benchmark school (``staff`` people, ten requirements each) with a DSL and a deputy,
    on the database at ``url``."""
    write_school(home, staff, school={"dsl": [DSL], "deputy_dsl": [DEPUTY]})
    ctx = AppContext(Settings(home=home, secret_key=SECRET, database_url=url))
    _ = ctx.store
    return ctx


@dataclass
class Line:
    """A sending line: the scheduler's mailer, a web process's own mailer, a dispatch
    worker's own mailer, and what the platform received (key and moment, in order).

    Args:
        name: m365, google or smtp.
        scheduler: the scheduler process's mailer.
        web: makes a web process's mailer (its own client, as a separate process).
        worker: makes a dispatch worker's mailer.
        received: (outbox key, fake-clock time) of every message the platform accepted.
        per_minute / per_day: the platform's limits (None: none), for the checks.
        per_day_counts: "recipients" or "messages".
        latency: simulated seconds the platform takes to answer one send.
        throttled: how many sends the platform refused for its limits so far.
    """

    name: str
    scheduler: Any
    web: Callable[[], Any]
    worker: Callable[[], Any]
    received: Callable[[], list[tuple[str, float]]]
    per_minute: int | None
    per_day: int | None
    per_day_counts: str
    latency: float
    throttled: Callable[[], int] = lambda: 0
    day_used: Callable[[], int] = lambda: 0  # recipients (or messages) in the last 24 hours
    fake: Any = None  # the platform's fake, where there is one
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        """Close the clients the line opened."""
        for close in reversed(self.closers):
            close()


def scheduler_pass(ctx: AppContext, mailer: Any, timeline: Timeline) -> DispatchStats:
    """One run of the scheduler's dispatch job (``schedules.jobs.dispatch_job``), on the
    simulated clock: it waits for a permit a moment away, as the job does (``time.sleep``)."""
    return dispatch(
        ctx.store,
        mailer,
        None,
        now=timeline.now,
        alerts=AdminAlerts.of(ctx.config.schools),
        wait=timeline.tick,
    )


def deliver_soon(ctx: AppContext, mailer: Any, timeline: Timeline) -> DispatchStats:
    """What ``bot.engine.web.links.deliver_soon`` hands over after a request committed: only what
    people wait for (a concern's alerts, a receipt), never the routine backlog."""
    return dispatch(
        ctx.store,
        mailer,
        None,
        now=timeline.now,
        alerts=AdminAlerts.of(ctx.config.schools),
        up_to=Urgency.WAITING,
        limit=URGENT_PER_REQUEST,
    )


def worker_pass(ctx: AppContext, mailer: Any, timeline: Timeline) -> DispatchStats:
    """One pass of a dispatch worker (``schedules.dispatcher.run_dispatcher``)."""
    return dispatch(
        ctx.store,
        mailer,
        None,
        now=timeline.now,
        limit=PASS_LIMIT,
        alerts=AdminAlerts.of(ctx.config.schools),
        wait=timeline.tick,
    )


CONCERN = Submission(
    category="other",
    involved=(("pupil", "A pupil"),),
    what_happened="A child said something worrying at lunch.",
    occurred="Today",
    location="Playground",
    actions_taken=None,
    immediate_risk=True,  # "immediate" urgency
    reporter_name="Sam Teacher",
    reporter_email="p7@bench.example",
)


def submit_concern(ctx: AppContext, timeline: Timeline) -> Intake:
    """Store an "immediate" concern exactly as the web form's POST does (its transaction)."""
    school = ctx.config.schools[0]
    with ctx.store.transaction() as session:
        intake = submit_report(
            session,
            school,
            CONCERN,
            now=timeline.now(),
            base_url=ctx.settings.base_url,
            actor="p7@bench.example",
            reporter_id=None,
            channel_card=False,
        )
    assert intake.urgency == "immediate"
    return intake


def spent_earlier(
    ctx: AppContext, line: Line, timeline: Timeline, moment: datetime, recipients: int
) -> None:
    """The m365 mailbox sent to ``recipients`` people at ``moment``, earlier that day (the
    trust's other mail): counted by Exchange (the fake Graph's 24-hour recipient log) and in
    the outbox's pacing table, as the dispatcher had recorded it then."""
    from bot.core.models import MailSend
    from tests.support.fakes.graph import SENDER

    with ctx.store.transaction() as session:
        session.add(
            MailSend(
                mailbox=SENDER.lower(), at=moment, recipients=recipients, outbox_id=None, done=True
            )
        )
    when = timeline.origin + (moment - timeline.start).total_seconds()
    line.fake.recipient_log.setdefault(SENDER.casefold(), []).append((when, recipients))


# --------------------------------------------------------------------------- the lines


def _key_of(raw: bytes) -> str | None:
    headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
    value = headers.get("X-Compliance-Bot-Key")
    return str(value).strip() if value is not None else None


def m365_line(home: Path, timeline: Timeline, latency: float) -> Line:
    """The m365 mailer (msgraph-sdk's real pipeline) to the fake Graph, paced as Exchange is
    (30 messages a minute, 10,000 recipients a day per mailbox)."""
    import httpx

    from connectors.m365.connector import build
    from tests.connectors.contract.kit_m365 import m365_settings
    from tests.support.fakes.graph import SENDER, FakeGraph

    fake = FakeGraph(clock=timeline.clock)
    fake.seed_population()

    def answer(request: httpx.Request) -> httpx.Response:
        response = fake.handler(request)
        if request.url.path.endswith("/sendMail"):
            timeline.tick(latency)  # Graph answers ``latency`` after it received the send
        return response

    transport = httpx.MockTransport(answer)
    line = Line(
        "m365",
        None,
        lambda: None,
        lambda: None,
        received=lambda: [(m.key or "", m.at) for m in fake.sent],
        per_minute=fake.messages_per_minute,
        per_day=fake.recipients_per_day,
        per_day_counts="recipients",
        latency=latency,
        throttled=lambda: fake.throttled + fake.budget_refused,
        fake=fake,
        day_used=lambda: fake.recipients_in_window(SENDER, timeline.clock.now),
    )

    def mailer() -> Any:
        made = build(
            m365_settings(home), transport=transport, clock=timeline.clock, sleep=timeline.tick
        ).mailer
        line.closers.append(made.client.close)
        return made

    line.scheduler, line.web, line.worker = mailer(), mailer, mailer
    return line


def google_line(home: Path, timeline: Timeline, latency: float) -> Line:
    """The google mailer (googleapiclient, two sends a batch) to the fake Google; Gmail takes
    about 60 sends a minute and 2,000 messages a day from one account."""
    from tests.connectors.contract.kit_google import build_google, seeded_fake

    fake = seeded_fake()
    stamps: list[float] = []

    class Http:
        """The fake as httplib2 sees it; a send (or a batch of them) is answered after
        ``latency``, and each accepted message is stamped when Google received it."""

        def request(
            self,
            uri: str,
            method: str = "GET",
            body: Any = None,
            headers: Any = None,
            *args: Any,
            **kwargs: Any,
        ) -> Any:
            before = len(fake.sent)
            answer = fake.request(uri, method, body, headers, *args, **kwargs)
            stamps.extend([timeline.clock.now] * (len(fake.sent) - before))
            if len(fake.sent) > before:
                timeline.tick(latency)
            return answer

        def __getattr__(self, name: str) -> Any:
            return getattr(fake, name)

    http = Http()

    def received() -> list[tuple[str, float]]:
        return [(_key_of(m.raw) or "", at) for m, at in zip(fake.sent, stamps, strict=True)]

    def mailer() -> Any:  # Gmail's quota units counted and waited for on the simulated clock
        return build_google(
            home,
            http,
            clock=timeline.clock,  # type: ignore[arg-type]
            sleep=timeline.tick,
        ).mailer

    def day_used() -> int:
        return sum(1 for at in stamps if timeline.clock.now - at < 86_400)

    return Line(
        "google",
        mailer(),
        mailer,
        mailer,
        received,
        per_minute=60,
        per_day=2_000,
        per_day_counts="messages",
        latency=latency,
        day_used=day_used,
    )


@contextmanager
def smtp_line(home: Path, timeline: Timeline, latency: float) -> Iterator[Line]:
    """The SMTP mailer to a real aiosmtpd on this machine, which stamps each message with the
    simulated moment it received it; each send is answered ``latency`` after."""
    from connectors.local.connector import SmtpMailer
    from tests.support.smtp import Inbox, running_smtp

    got: list[tuple[str, float]] = []

    class Stamping(Inbox):
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            got.append((_key_of(envelope.content) or "", timeline.clock.now))
            return "250 OK"

    class Answering(SmtpMailer):
        def send(self, message: Any) -> Any:
            result = super().send(message)
            timeline.tick(latency)
            return result

    with running_smtp(Stamping()) as (_, port):

        def mailer() -> Any:
            return Answering("127.0.0.1", port, "bot@bench.example", security="none")

        yield Line(
            "smtp",
            mailer(),
            mailer,
            mailer,
            lambda: list(got),
            per_minute=None,
            per_day=None,
            per_day_counts="messages",
            latency=latency,
            day_used=lambda: len(got),
        )
