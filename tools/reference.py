"""docs/reference.md, written from the code so it cannot drift: every command of the
``compliance-bot`` Typer app with its help and options, every deployment setting of the
``Settings`` model with its environment variable and default, and every key of school.yaml
(``OrgConfig``) with its default; a setting's description is the comment the code gives it.

``uv run python -m tools.reference`` rewrites the page; ``--check`` exits 1 when it differs
(``tests/test_docs.py`` runs the check)."""

from __future__ import annotations

import inspect
import re
import sys
import typing
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

PAGE = Path(__file__).resolve().parents[1] / "docs" / "reference.md"
REGENERATE = "uv run python -m tools.reference"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _commands(command: Any, path: tuple[str, ...]) -> list[str]:
    lines: list[str] = []
    if path and not getattr(command, "hidden", False):
        lines += [f"### `compliance-bot {' '.join(path)}`", ""]
        if command.help:
            lines += [inspect.cleandoc(command.help).split("\n\n")[0].replace("\n", " "), ""]
        params = [p for p in command.params if p.name != "help" and not getattr(p, "hidden", False)]
        if params:
            lines += ["| option | help |", "|---|---|"]
            for param in params:
                names = ", ".join(f"`{o}`" for o in param.opts + param.secondary_opts)
                if param.param_type_name == "argument":
                    names = f"`{(param.name or '').upper()}`"
                lines.append(f"| {names} | {_cell(getattr(param, 'help', None) or '')} |")
            lines.append("")
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        lines += _commands(sub, (*path, name))
    return lines


def _comments(model: type[BaseModel]) -> dict[str, str]:
    """Each field's comment in the model's source: the lines above it and the one after it."""
    found: dict[str, str] = {}
    above: list[str] = []
    for line in inspect.getsource(model).splitlines()[1:]:
        stripped = line.strip()
        if stripped.startswith("#"):
            above.append(stripped.lstrip("# "))
            continue
        field = re.match(r"    (\w+): [^#]*?(?:#\s*(.*))?$", line)
        if field and field.group(1) in model.model_fields:
            found[field.group(1)] = " ".join([*above, field.group(2) or ""]).strip()
        above = []
    return found


def _model(annotation: Any) -> tuple[type[BaseModel] | None, str]:
    """The model a field holds (itself, in a list or optional) and the key suffix for a list."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, ""
    origin = typing.get_origin(annotation)
    for arg in typing.get_args(annotation):
        model, _ = _model(arg)
        if model is not None:
            return model, "[]" if origin in (list, tuple) else ""
    return None, ""


def _default(info: Any) -> str:
    if info.default_factory is not None:
        return "(computed)"
    if info.default is PydanticUndefined:
        return "required"
    if info.default is None:
        return "not set"
    return f"`{info.default}`"


def _fields(model: type[BaseModel], key: str, sep: str, env: bool) -> list[str]:
    rows: list[str] = []
    comments = _comments(model)
    for name, info in model.model_fields.items():
        sub, suffix = _model(info.annotation)
        full = f"{key}{name.upper() if env else name}"
        if sub is not None and not (env and suffix):
            rows += _fields(sub, full + suffix + sep, sep, env)
            continue
        rows.append(f"| `{full}` | {_default(info)} | {_cell(comments.get(name, ''))} |")
    return rows


def page() -> str:
    """The reference page as the code says it today."""
    from bot.cli.main import app
    from bot.core.config.schema import OrgConfig
    from bot.core.deployment.settings import Settings

    prefix = str(Settings.model_config.get("env_prefix", ""))
    lines = [
        "# Reference",
        "",
        f"Generated from the code by `{REGENERATE}`; do not edit by hand (a test fails when this",
        "page differs from what the code says). Every command's full help is its `--help`.",
        "",
        "## Commands",
        "",
        *_commands(typer.main.get_command(app), ()),
        "## Deployment settings",
        "",
        "Environment variables (or a `.env` file); nested settings join their names with `__`.",
        "",
        "| variable | default | meaning |",
        "|---|---|---|",
        *_fields(Settings, prefix, "__", env=True),
        "",
        "## School settings (`school.yaml`)",
        "",
        "Keys of the school file; `schools[]` is each school's entry.",
        "",
        "| key | default | meaning |",
        "|---|---|---|",
        *_fields(OrgConfig, "", ".", env=False),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = page()
    if "--check" in argv:
        if PAGE.exists() and PAGE.read_text(encoding="utf-8") == text:
            return 0
        print(f"docs/reference.md differs from the code: run {REGENERATE}", file=sys.stderr)
        return 1
    PAGE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
