"""Benchmark: what proof of reading adds to an acknowledgement, on the server's side — the
median of 5 people (15 with ``COMPLIANCE_BOT_BENCH=full``) each acknowledging a three-section
policy with a two-question check (open, three pages, one check, confirm) against as many
acknowledging it with one click.

Run with ``uv run pytest tests/benchmarks/test_reading_proof_benchmark.py -m benchmark -s``.
Printed: the median seconds of each route and the difference (the person's own reading time is
theirs: this is what the bot adds to it). Only correctness is asserted.
"""

from __future__ import annotations

import statistics
import time

import pytest
from sqlalchemy import select

from bot.core.guards.links import make_token
from bot.core.models import Duty, Person
from bot.engine.sweep import run_sweep
from tests.features.decisions.test_support import csrf_of
from tests.features.policies.test_proof_of_reading import POLICY, PROOF, TODAY, _client
from tests.support.helpers import Row, SchoolBuilder, at
from tests.support.scale import bench_size

pytestmark = pytest.mark.benchmark
PEOPLE = bench_size(5, 15)


def _links(school: SchoolBuilder, proof: bool) -> tuple[object, list[str]]:
    school.people += [Row(f"p{n}@oak.example", f"Person {n}") for n in range(PEOPLE)]
    school.policy("cp", "2026.1", POLICY, title="Child Protection Policy")
    school.requirement(
        id="ack-cp",
        kind="acknowledge_policy",
        policy="cp",
        audience={"roles": ["staff"]},
        **({"proof_of_reading": PROOF} if proof else {}),
    )
    ctx = school.context(None, demo=True)
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=TODAY,
        now=at(TODAY),
        deliver=False,
    )
    with ctx.store.session() as session:
        rows = session.execute(
            select(Duty, Person)
            .join(Person, Person.id == Duty.person_id)
            .where(Person.email.like("p%@oak.example"))
        ).all()
        key = ctx.settings.signing_key()
        links = ["/ack/" + make_token(key, "ack", p.id, d.id, d.policy_version_id) for d, p in rows]
    return ctx, links


def _median(ctx: object, links: list[str], proof: bool) -> float:
    client = _client(ctx)  # type: ignore[arg-type]
    times = []
    for link in links:
        start = time.perf_counter()
        page = client.get(link)
        if proof:
            for n in (2, 3):
                page = client.get(f"{link}?page={n}")
            client.post(
                f"{link}/check", data={"csrf_token": csrf_of(page.text), "q1": "2", "q2": "2"}
            )
        done = client.post(
            link,
            data={
                "csrf_token": csrf_of(client.get("/signin").text) if proof else csrf_of(page.text)
            },
        )
        times.append(time.perf_counter() - start)
        assert "Thank you" in done.text
    return statistics.median(times)


def test_proof_of_reading_adds_little_to_a_median_acknowledgement(tmp_path) -> None:  # type: ignore[no-untyped-def]
    plain_ctx, plain = _links(SchoolBuilder(tmp_path / "plain"), proof=False)
    proof_ctx, proofed = _links(SchoolBuilder(tmp_path / "proof"), proof=True)
    one_click = _median(plain_ctx, plain, proof=False)
    with_proof = _median(proof_ctx, proofed, proof=True)
    print(
        f"\nmedian acknowledgement, server side: one click {one_click:.3f} s; with proof of "
        f"reading (3 sections, a 2-question check) {with_proof:.3f} s; the bot adds "
        f"{with_proof - one_click:.3f} s (plus 4 page loads of the person's own reading)"
    )
