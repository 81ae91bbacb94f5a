"""``compliance-bot complaints counts``: data-protection complaints counted per period (for the
number the regulations may ask the school to report), as a table or CSV; never content.
``compliance-bot privacy export``: a person's data as a zip for them (subject access);
``compliance-bot privacy record``: the school's record of processing (UK GDPR Art. 30);
``compliance-bot privacy schedule|erase|hold``: the retention schedule, erasure on request and
legal holds.

Its commands import the feature's modules when they run, so ``--help`` answers at once.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.core.language.i18n import Day, say, speaking
from bot.engine.commands import SchoolOption, console, context, fail, friendly, schools_of

__all__ = ["complaints_app", "privacy_app"]

complaints_app = typer.Typer(help="Data protection complaints (counts only).", no_args_is_help=True)


@complaints_app.command("counts")
@friendly
def complaints_counts(
    period: Annotated[
        str,
        typer.Option(
            "--period", help="month, quarter or year (of the day each complaint arrived)."
        ),
    ] = "quarter",
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on standard output.")] = False,
    school: SchoolOption = None,
) -> None:
    """Complaints received, acknowledged in time or late, outcomes given, per period."""
    from bot.core.language.words import csv_text  # lazy: not loaded by --help (module docstring)
    from bot.features.privacy.rules import COUNT_HEADER, PERIODS
    from bot.features.privacy.service import audit_complaint, complaint_counts

    if period not in PERIODS:  # Click's usage error (its frame is English), before any school
        raise typer.BadParameter(f"choose one of {', '.join(PERIODS)}", param_hint="--period")
    ctx = context()
    rows: list[tuple[object, ...]] = []
    with ctx.store.transaction() as session:
        for chosen in schools_of(ctx, school):
            counts = complaint_counts(session, chosen.id, period)
            audit_complaint(
                session, chosen, "cli", "complaint.counts_read", None, period=period, csv=as_csv
            )
            if as_csv:
                rows += ((chosen.name, *c.row()) for c in counts)
                continue
            console.print(f"[bold]{chosen.name}[/]", highlight=False)
            if not counts:
                console.print("  " + say("No complaints yet."))
            for c in counts:
                console.print(
                    "  "
                    + say(
                        "%(period)s: %(received)s received, %(in_time)s acknowledged within 30 "
                        "days, %(late)s late, %(awaiting)s awaiting; %(outcomes)s outcomes "
                        "(%(by_due)s by the date set), %(open)s open",
                        period=c.period,
                        received=c.received,
                        in_time=c.acknowledged_in_time,
                        late=c.acknowledged_late,
                        awaiting=c.awaiting_acknowledgement,
                        outcomes=c.outcomes,
                        by_due=c.outcomes_by_due,
                        open=c.open,
                    ),
                    highlight=False,
                )
    if as_csv:
        sys.stdout.write(csv_text(("School", *COUNT_HEADER), rows, bom=False))


privacy_app = typer.Typer(
    help=(
        "A person's data-protection rights: subject access, the record of processing, the "
        "retention schedule, erasure, legal holds."
    ),
    no_args_is_help=True,
)
ReasonOption = Annotated[str, typer.Option("--reason", help="The school's reason, recorded.")]


@privacy_app.command("export")
@friendly
def privacy_export(
    person: Annotated[
        str, typer.Argument(help="Their email, or their name as the directory has it.")
    ],
    out: Annotated[Path, typer.Option("--out", help="The folder to write the zip into.")],
    school: SchoolOption = None,
) -> None:
    """Everything held about one person (subject access), as a zip for them; what is about
    other people too is listed for review by those who read reports, not put in it."""
    from bot.core.language.words import said_words, school_words
    from bot.core.models import utcnow  # lazy: not loaded by --help (module docstring)
    from bot.features.privacy.access import AccessError, find_person, open_request
    from bot.features.privacy.export import subject_access

    ctx = context()
    schools = schools_of(ctx, school)
    if len(schools) > 1:  # whose data is asked for is never guessed
        ids = ", ".join(s.id for s in schools)
        fail(say("This trust has several schools: say which with --school (%(ids)s).", ids=ids))
    chosen = schools[0]
    now = utcnow()
    with ctx.store.transaction() as session:
        try:
            found = find_person(session, chosen, person)
        except AccessError as exc:
            fail(exc.msg, highlight=False, soft_wrap=True)
        request = open_request(session, chosen, found, "access", now=now, actor="cli")
        data, held = subject_access(session, chosen, request, found, "cli", now)
        out.mkdir(parents=True, exist_ok=True)
        target = out / f"subject-access-{request.reference}.zip"
        target.write_bytes(data)
    console.print(
        say(
            "Wrote %(file)s for request %(reference)s (answer due by %(due)s).",
            file=str(target),
            reference=request.reference,
            due=Day(request.outcome_due_on),
        ),
        highlight=False,
    )
    if held.review:
        words = said_words(school_words(chosen))
        listed = say("Listed for the %(dsl)s to review, not in the zip:", dsl=words.dsl)
        console.print(listed, highlight=False, soft_wrap=True)
        for reference, day, why in held.review:
            console.print(f"  {reference} ({day}): {why}", highlight=False, soft_wrap=True)


@privacy_app.command("record")
@friendly
def privacy_record(
    out: Annotated[Path, typer.Option("--out", help="The folder to write the record into.")],
    school: SchoolOption = None,
) -> None:
    """The school's record of processing for this system (UK GDPR Article 30), pre-filled from
    its settings for the DPO to complete, as a PDF and a CSV."""
    from bot.core import audit  # lazy: not loaded by --help (module docstring)
    from bot.features.privacy.record import RECORD_FILE, record_csv, record_pdf, record_rows

    ctx = context()
    out.mkdir(parents=True, exist_ok=True)
    for chosen in schools_of(ctx, school):
        with speaking(chosen.language):
            rows = record_rows(chosen, ctx.settings.platform(chosen.connection))
            target = out / f"{chosen.id}-{RECORD_FILE}"
            target.write_bytes(record_csv(rows))
            target.with_suffix(".pdf").write_bytes(record_pdf(rows, chosen.name, chosen.language))
            console.print(
                say("Wrote %(file)s and its PDF.", file=str(target)),
                highlight=False,
                soft_wrap=True,
            )
        with ctx.store.transaction() as session:
            audit.record(
                session,
                actor="cli",
                action="privacy.record_written",
                object_type="privacy_record",
                school_id=chosen.id,
            )


@privacy_app.command("schedule")
@friendly
def privacy_schedule(school: SchoolOption = None) -> None:
    """How long each kind of record is kept, from which event, and the source of each default."""
    from bot.features.privacy.retention import schedule_rows  # lazy: not loaded by --help

    ctx = context()
    for chosen in schools_of(ctx, school)[:1]:
        for row in schedule_rows(chosen):
            chosen_words = say(" (the school's choice)") if row.school_choice else ""
            console.print(
                say(
                    "%(kind)s: %(period)s (counted from: %(event)s)%(chosen)s. Source: %(source)s",
                    kind=row.name,
                    period=row.period,
                    event=row.runs_from,
                    chosen=chosen_words,
                    source=row.source,
                ),
                highlight=False,
                soft_wrap=True,
            )


@privacy_app.command("erase")
@friendly
def privacy_erase(
    person: Annotated[str, typer.Argument(help="The person's email address.")],
    reason: ReasonOption,
    school: SchoolOption = None,
) -> None:
    """Erase a person's data now where the law allows (UK GDPR Art. 17); where a record must
    be kept, say which, under what rule and until when, and erase nothing."""
    from bot.core.days.clock import local_today
    from bot.core.models import utcnow
    from bot.features.privacy.erasure import HoldError, answer_lines, erase

    ctx = context()
    chosen = schools_of(ctx, school)[0]
    with ctx.store.transaction() as session:
        try:
            refused = erase(
                session,
                chosen,
                person,
                reason=reason,
                by="cli",
                outbox_dir=ctx.settings.outbox_dir,
                today=local_today(utcnow()),
            )
        except HoldError as exc:
            fail(exc.msg, highlight=False)
    first, *kept = answer_lines(refused, person)
    console.print(str(first))
    for line in kept:
        console.print(f"  - {line}", highlight=False, soft_wrap=True)
    if refused:
        raise typer.Exit(1)


@privacy_app.command("hold")
@friendly
def privacy_hold(
    subject: Annotated[
        str, typer.Argument(help="A person's email address or a report's reference.")
    ],
    by: Annotated[
        str, typer.Option("--by", help="Who sets or lifts it (their address): named with the hold.")
    ],
    reason: ReasonOption,
    lift: Annotated[bool, typer.Option("--lift", help="Lift the hold instead.")] = False,
    school: SchoolOption = None,
) -> None:
    """Keep a person's records or a report whatever the retention schedule says (a claim, an
    inquiry, the police), until the hold is lifted."""
    from bot.features.privacy.erasure import HoldError, set_hold

    ctx = context()
    chosen = schools_of(ctx, school)[0]
    with ctx.store.transaction() as session:
        try:
            set_hold(session, chosen, subject, by=by, reason=reason, lift=lift)
        except HoldError as exc:
            fail(exc.msg, highlight=False)
    if lift:
        console.print(say("The hold on %(subject)s is lifted.", subject=subject), highlight=False)
    else:
        console.print(say("%(subject)s is held.", subject=subject), highlight=False)
