"""A term of governor review digests (England, autumn 2026 with half-term, Christmas and its
bank holidays): nothing on a non-school day, at most one digest per governor in any 7 days,
every policy due listed, and a policy whose last overdue repeat went out never listed again."""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from datetime import date, timedelta

from sqlalchemy import select

from bot.core.models import OutboxMessage
from bot.engine.sweep import run_sweep
from bot.features.policies.rules import OVERDUE_REPEATS
from bot.features.policies.step import governor_alerts
from tests.features.decisions.test_support import TERMS
from tests.support.helpers import Row, SchoolBuilder, at, step_context

FIRST, LAST = date(2026, 9, 1), date(2027, 1, 15)
REVIEWS = {  # policy -> next review date, spread over the term and its holidays
    "online-safety": "2026-10-07",
    "behaviour": "2026-10-30",  # in half-term
    "child-protection": "2026-11-18",
    "data-protection": "2026-12-25",  # Christmas Day
    "code": "2025-06-01",  # long overdue on import: told as often as any, then the register
    "whistleblowing": "2027-06-30",  # far off: not mentioned this term
}


def test_a_term_of_governor_digests(school: SchoolBuilder, sqlite_url: str) -> None:
    school.people += [
        Row("clerk@oak.example", "Cleo Clerk", "staff", "All Staff"),
        Row("chair@oak.example", "Carl Chair", "governor", "Governors"),
    ]
    school.school.update(
        clerk="clerk@oak.example", chair_of_governors="chair@oak.example", terms=TERMS
    )
    for key, due in REVIEWS.items():
        school.policy(
            key,
            "2025.1",
            title=key.replace("-", " ").title() + " Policy",
            owner="head@oak.example",
            next_review=due,
        )
    ctx = school.context(sqlite_url)
    config = ctx.config.school("oak")
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=FIRST,
        now=at(FIRST),
        deliver=False,
    )
    sent_on: dict[str, date] = {}
    day = FIRST
    while day <= LAST:  # the sweep's governors step, each day in its own transaction
        with ctx.store.transaction() as session:
            governor_alerts(step_context(ctx, session, config, at(day), today=day))
            for key in session.scalars(
                select(OutboxMessage.idempotency_key).where(
                    OutboxMessage.purpose == "governor_review"
                )
            ):
                sent_on.setdefault(key, day)
        day += timedelta(days=1)
    with ctx.store.session() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.purpose == "governor_review")
            .order_by(OutboxMessage.id)
        ).all()
        mails = [(r.recipients[0], sent_on[r.idempotency_key], r.payload["text"]) for r in rows]
    by_person: dict[str, list[date]] = defaultdict(list)
    for person, day, _ in mails:
        assert config.is_school_day(day), (person, day)
        by_person[person].append(day)
    assert set(by_person) == {
        "chair@oak.example",
        "clerk@oak.example",
        "gov@oak.example",
        "head@oak.example",
    }
    for days in by_person.values():
        assert all((b - a).days >= 7 for a, b in itertools.pairwise(days))
    # every policy reaching a stage this term is listed; capped ones never come back
    for person in by_person:
        texts = [" ".join(text.split()) for who, _, text in mails if who == person]
        for key in REVIEWS:
            title = key.replace("-", " ").title() + " Policy"
            listed = [i for i, t in enumerate(texts) if title in t]
            if key == "whistleblowing":
                assert listed == []
                continue
            assert listed, (person, title)
            if date.fromisoformat(REVIEWS[key]) + timedelta(days=35) > LAST:
                continue  # its last overdue repeat is after the term
            last = [
                i
                for i in listed
                if re.search(rf"{title}: overdue[^.]*\. This is the last email about it", texts[i])
            ]
            assert len(last) == 1 and listed[-1] == last[0], (person, title)
        # imported years overdue: the first email is not the last; the last of the
        # OVERDUE_REPEATS says so, then the register only
        code_listed = [i for i, t in enumerate(texts) if "Code Policy" in t]
        code_last = [
            i
            for i in code_listed
            if re.search(r"Code Policy: overdue[^.]*\. This is the last email", texts[i])
        ]
        assert len(code_listed) == OVERDUE_REPEATS and code_last == code_listed[-1:]
    weekly = Counter((p, d.isocalendar()[:2]) for p, d, _ in mails)
    per_person = Counter(p for p, _, _ in mails)
    print(
        f"governor digests {FIRST}..{LAST}: {dict(per_person)}; "
        f"max per person per ISO week {max(weekly.values())}"
    )
    assert max(weekly.values()) == 1
