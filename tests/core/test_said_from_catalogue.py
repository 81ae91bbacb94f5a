"""Nothing a person reads is written outside the catalogue (#78 item 5,
``bot.core.language.unsaid``):
the product's sources hold no English written in place where a person reads it, and the check
catches a planted English f-string."""

from __future__ import annotations

from bot.core.language.unsaid import english_in_place, said_here


def test_every_sentence_a_person_reads_is_from_the_catalogue() -> None:
    found, meant = english_in_place()
    assert not found, "\n".join(found)
    assert meant  # the lines English on purpose are counted (``language coverage``)


def test_a_planted_english_f_string_fails_the_check() -> None:
    planted = """
def tell(school, name):
    notice(school=school, to=[], subject=f"Hello {name}, your report is in", paragraphs=[])
    console.print(f"[green]Imported[/] {name} from the file")
    raise HTTPException(403, "You may not see this page.")
"""
    found, _meant = said_here(planted)
    assert len(found) == 3, found
    said = """
def tell(school, name):
    notice(school=school, to=[], subject=Msg("Hello %(name)s", name=name), paragraphs=[])
    console.print(say("[green]Imported[/] %(name)s", name=name))
    # English: the settings that would say a language do not load
    fail("no school is set up here")
"""
    found, meant = said_here(said)
    assert not found and len(meant) == 1
