"""Cut the few Graph types the connector uses out of Microsoft's published v1.0 CSDL.

Run: ``python tests/support/conformance/trim_graph_metadata.py v1.0-Prod.csdl COMMIT`` with the
file from github.com/microsoftgraph/msgraph-metadata (``schemas/v1.0-Prod.csdl``) at COMMIT.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
TYPES = [
    "entity",
    "directoryObject",
    "user",
    "group",
    "site",
    "baseItem",
    "list",
    "columnDefinition",
    "listItem",
    "fieldValueSet",
    "listInfo",
    "textColumn",
    "outlookItem",
    "message",
    "itemBody",
    "recipient",
    "emailAddress",
]
OUT = Path(__file__).with_name("graph-v1.0-trimmed.csdl.xml")


def trim(source: Path, commit: str) -> str:
    """The trimmed CSDL text: the types above, their properties and navigation properties."""
    root = next(
        schema
        for schema in ET.parse(source).getroot().iter(f"{EDM}Schema")
        if schema.get("Namespace") == "microsoft.graph"
    )
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<!-- Trimmed from Microsoft Graph's published v1.0 metadata:",
        "     https://github.com/microsoftgraph/msgraph-metadata/blob/"
        f"{commit}/schemas/v1.0-Prod.csdl",
        f"     (commit {commit}). Only the types the connector sends or reads are kept;",
        "     regenerate with tests/support/conformance/trim_graph_metadata.py. -->",
        '<Schema Namespace="microsoft.graph" xmlns="http://docs.oasis-open.org/odata/ns/edm">',
    ]
    for kind in ("EntityType", "ComplexType"):
        for node in root.iter(f"{EDM}{kind}"):
            name = node.get("Name")
            if name not in TYPES:
                continue
            attrs = " ".join(
                f'{k}="{node.get(k)}"' for k in ("Name", "BaseType", "OpenType") if node.get(k)
            )
            lines.append(f"  <{kind} {attrs}>")
            for child in node:
                tag = child.tag.removeprefix(EDM)
                if tag in ("Property", "NavigationProperty"):
                    lines.append(
                        f'    <{tag} Name="{child.get("Name")}" Type="{child.get("Type")}" />'
                    )
            lines.append(f"  </{kind}>")
    for node in root.iter(f"{EDM}Action"):
        if node.get("Name") == "sendMail":
            lines.append('  <Action Name="sendMail" IsBound="true">')
            for child in node.iter(f"{EDM}Parameter"):
                lines.append(
                    f'    <Parameter Name="{child.get("Name")}" Type="{child.get("Type")}" />'
                )
            lines.append("  </Action>")
            break
    lines.append("</Schema>")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    OUT.write_text(trim(Path(sys.argv[1]), sys.argv[2]), encoding="utf-8")
