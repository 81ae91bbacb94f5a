"""Each connector mutation the benchmark scores (``tests/support/mutations.py``) still names
text found exactly once in its file: a change to the code that moves the text fails here, in
the default suite, rather than only in the opt-in mutation benchmark."""

from __future__ import annotations

import pytest

from tests.support.mutations import MUTATIONS, ROOT, Mutation


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.name)
def test_the_mutated_text_is_in_its_file_once(mutation: Mutation) -> None:
    source = (ROOT / mutation.path).read_text(encoding="utf-8")
    assert source.count(mutation.old) == 1, f"update the mutation {mutation.name!r} with the code"
    assert mutation.new != mutation.old
