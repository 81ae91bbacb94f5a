"""The demo's school.yaml is an example a person can read: commented, no anchors, reloads."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

from bot.core.config import load_config
from bot.core.config.reading import load_yaml
from bot.demo.school import demo_people, school_config, write_config


def test_demo_school_yaml_is_commented_plain_and_reloads_as_written(tmp_path: Path) -> None:
    people = demo_people(random.Random(2026), date(2026, 11, 20))
    data = school_config(people, date(2026, 11, 20), "2026.2")
    path = tmp_path / "school.yaml"
    write_config(path, data)
    text = path.read_text(encoding="utf-8")
    assert "&id" not in text and "*id" not in text
    comments = [line for line in text.splitlines() if line.strip().startswith("#")]
    assert len(comments) >= 15
    for key in ("headteacher", "terms", "sending_window", "policies", "requirements",
                "official_accounts"):
        line = next(i for i, x in enumerate(text.splitlines()) if x.strip().startswith(key + ":"))
        assert text.splitlines()[line - 1].strip().startswith("#"), key
    assert load_yaml(text) == data
    load_config(path)  # valid as written
