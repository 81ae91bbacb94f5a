"""CLI: ``evidence --out FILE.zip`` (also ``evidence build``), ``evidence verify FILE.zip``
and ``evidence key``. ``bot.cli.main`` mounts ``evidence_app`` as ``evidence``.

Its commands import the feature's modules when they run: most load SQLAlchemy and the models
(~1 s measured), and ``--help`` answers without them (tests/cli/test_demo.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from bot.core.language.i18n import N_, nsay, say, speaking
from bot.core.rendering.signed import format_fingerprint
from bot.engine.commands import SchoolOption, console, context, err, fail, friendly, schools_of

__all__ = ["evidence_app"]

OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="The zip to write, e.g. evidence.zip (replaced if it exists)."),
]
ForOption = Annotated[
    str | None,
    typer.Option(
        "--for",
        help="Whose published list the pack's index answers: an inspectorate's id, as "
        "school.yaml's inspectorate names it (default: the school's own inspectorate).",
    ),
]
HOW_TO_SHARE = N_(
    "Give this fingerprint to the inspector separately from the pack (by phone, or in a "
    "letter or email from the school): it is how they know the pack is the school's."
)


def _build(
    out: Annotated[Path, typer.Option("--out", help="The zip to write, e.g. evidence.zip.")],
    school: SchoolOption = None,
    for_: ForOption = None,
) -> None:
    """Make the pack (the same as compliance-bot evidence --out FILE.zip); its index answers
    --for's list, or the school's own inspectorate's."""
    # lazy: not loaded by --help (module docstring)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from bot.core.models import utcnow
    from bot.core.nations.inspectorates import INSPECTORATES
    from bot.features.evidence.pack import STEPS, PackRequest, make_pack
    from bot.features.evidence.service import school_reports

    ctx = context()
    config = schools_of(ctx, school)[0]
    inspected = for_ or config.inspected_by
    ids = ", ".join(INSPECTORATES)
    with speaking(config.language):
        if inspected is None:
            fail(
                say(
                    "Who inspects %(school)s is not stated: give --for (one of %(ids)s), or set "
                    "inspectorate in its settings.",
                    school=config.name,
                    ids=ids,
                ),
                highlight=False,
            )
        if inspected not in INSPECTORATES:
            fail(
                say("--for %(given)s: not one of %(ids)s.", given=inspected, ids=ids),
                highlight=False,
            )
    secret = ctx.settings.signing_key()
    request = PackRequest(
        actor="cli",
        made_by=N_("the command line (compliance-bot evidence)"),  # the summary says it
        reports=school_reports(config.id),
        reports_scope=N_("Every report the school holds is counted."),
        via="cli",
        inspectorate=inspected,
        school=config,
        scr_names=True,  # the command line counts every report, and names every gap
        platform=ctx.settings.platform(config.connection),
    )
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("Making the evidence pack", total=len(STEPS))

        def on_step(name: str) -> None:
            progress.update(task, description=name, completed=STEPS.index(name))

        with ctx.store.transaction() as session:
            pack = make_pack(
                session,
                config.id,
                config.name,
                request,
                secret=secret,
                now=utcnow(),
                tz=ZoneInfo(ctx.config.organisation.timezone),
                on_step=on_step,
            )
        progress.update(task, completed=len(STEPS))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pack.data)
    console.print(
        say(
            "[green]Evidence pack written[/]: %(file)s (%(num)d files, signed)",
            file=out,
            num=len(pack.files),
        )
    )
    console.print(
        say("Key fingerprint: [bold]%(key)s[/]", key=format_fingerprint(pack.fingerprint)),
        soft_wrap=True,
    )
    console.print(say(HOW_TO_SHARE))
    console.print(say("Check it: %(command)s", command=f"compliance-bot evidence verify {out}"))


evidence_app = typer.Typer(invoke_without_command=True)


@evidence_app.callback()
@friendly
def evidence(
    typer_ctx: typer.Context,
    out: OutOption = None,
    school: SchoolOption = None,
    for_: ForOption = None,
) -> None:
    """An inspector's evidence pack: make it (--out FILE.zip), check it (verify), its key.

    compliance-bot evidence --out FILE.zip makes the pack. The zip holds a dated PDF summary
    (policy register, acknowledgements, training, AUP signatures, policy reviews, counts of
    concerns with no content or names, the filtering and monitoring review), a CSV per table, a
    README saying how to check it, an index answering the inspectorate's published list item
    by item (inspection-index.csv, --for), and a manifest of every file's SHA-256 signed with
    the school's key. Making one is recorded in the audit log.
    """
    if typer_ctx.invoked_subcommand is not None:
        return
    if out is None:
        console.print(typer_ctx.get_help())
        raise typer.Exit(0)
    _build(out, school, for_)


evidence_app.command("build")(friendly(_build))


@evidence_app.command("verify")
def evidence_verify(
    pack: Annotated[Path, typer.Argument(help="The evidence pack (zip) to check.")],
    fingerprint: Annotated[
        str | None,
        typer.Option(
            "--fingerprint",
            help="The key fingerprint the school gave you separately (spaces allowed).",
        ),
    ] = None,
) -> None:
    """Check a pack offline: signature, every file and its SHA-256, nothing added.

    Exits 0 when the pack verifies and its key has the fingerprint given; 1 naming each file
    that fails and why; 2 when the fingerprint given is not one; 3 when the pack is whole but
    no fingerprint was given, so its signer is not confirmed.
    """
    from bot.features.evidence.verify import verify_pack

    try:
        result = verify_pack(pack, fingerprint)
    except ValueError as exc:
        # English: an inspector checks a pack away from the school, with no school's settings
        fail(f"--fingerprint: {exc}", highlight=False)
    # English below: an inspector checks a pack away from the school, with no school's settings
    if not result.ok:
        for problem in result.problems:
            err.print(f"[bold red]fails:[/] {problem}", highlight=False, soft_wrap=True)
        err.print("[bold red]The pack does not verify.[/]")  # English: as above
        raise typer.Exit(1)
    assert result.fingerprint is not None
    console.print(  # English: as above
        f"Checked {len(result.files)} files against the signed manifest: each is present and "
        "unchanged, and nothing was added.",
        highlight=False,
    )
    console.print(  # English: as above
        f"Signed with the key whose fingerprint is {format_fingerprint(result.fingerprint)}.",
        highlight=False,
    )
    if fingerprint is None:
        console.print(  # English: as above
            "[bold yellow]The signer is not confirmed:[/] anyone can make a pack that is whole "
            "and signed, with a key of their own. Ask the school for its key fingerprint (by "
            "phone, or in a letter or email from the school) and run this again with "
            '--fingerprint "…".',
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(3)
    console.print("It is the fingerprint you were given.")  # English: as above
    console.print("[green]The pack verifies.[/]")  # English: as above


@evidence_app.command("key")
@friendly
def evidence_key() -> None:
    """Show the fingerprint of the school's evidence key, to give to an inspector."""
    from bot.features.evidence.pack import earlier_fingerprint, earlier_packs, key_fingerprint

    ctx = context()
    secret = ctx.settings.signing_key()
    key = key_fingerprint(secret)
    console.print(
        say("Key fingerprint: [bold]%(key)s[/]", key=format_fingerprint(key)), soft_wrap=True
    )
    console.print(say(HOW_TO_SHARE))
    with ctx.store.session() as session:
        earlier = earlier_packs(session, secret)
    if earlier:
        console.print(
            nsay(
                "%(num)d pack made before was signed with the school's earlier key, fingerprint "
                "[bold]%(key)s[/]: give that one to whoever checks those packs.",
                "%(num)d packs made before were signed with the school's earlier key, fingerprint "
                "[bold]%(key)s[/]: give that one to whoever checks those packs.",
                earlier,
                key=format_fingerprint(earlier_fingerprint(secret)),
            ),
            soft_wrap=True,
        )
