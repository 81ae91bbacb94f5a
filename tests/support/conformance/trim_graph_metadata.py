"""Cut the few Graph types the connector uses out of Microsoft's published v1.0 CSDL.

Run: ``python tests/support/conformance/trim_graph_metadata.py v1.0-Prod.csdl COMMIT`` with the
file from github.com/microsoftgraph/msgraph-metadata (``schemas/v1.0-Prod.csdl``) at COMMIT.
Each kept property keeps its ``Type`` and ``Nullable``; every enum a kept property names is
kept with its members; the actions the bot calls keep their parameters.
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
    "assignedLicense",
    "teamworkActivityTopic",
    "teamworkNotificationRecipient",
    "aadUserNotificationRecipient",
    "keyValuePair",
    "internetMessageHeader",
]
# (action, binding type): the actions the bot calls
ACTIONS = [
    ("sendMail", "graph.user"),
    ("sendActivityNotification", "graph.userTeamwork"),
    ("sendActivityNotificationToRecipients", "graph.teamwork"),
]
OUT = Path(__file__).with_name("graph-v1.0-trimmed.csdl.xml")


def _element(tag: str, node: ET.Element, keys: tuple[str, ...]) -> str:
    attrs = " ".join(f'{k}="{node.get(k)}"' for k in keys if node.get(k))
    return f"<{tag} {attrs}"


def trim(source: Path, commit: str) -> str:
    """The trimmed CSDL text: the types above with their (navigation) properties, their enums."""
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
    named: set[str] = set()
    member = ("Name", "Type", "Nullable")
    for kind in ("EntityType", "ComplexType"):
        for node in root.iter(f"{EDM}{kind}"):
            if node.get("Name") not in TYPES:
                continue
            lines.append(
                "  " + _element(kind, node, ("Name", "BaseType", "Abstract", "OpenType")) + ">"
            )
            for child in node:
                if child.tag.removeprefix(EDM) in ("Property", "NavigationProperty"):
                    tag = child.tag.removeprefix(EDM)
                    lines.append("    " + _element(tag, child, member) + " />")
                    named.add(str(child.get("Type")))
            lines.append(f"  </{kind}>")
    for node in root.iter(f"{EDM}Action"):
        params = list(node.iter(f"{EDM}Parameter"))
        if (node.get("Name"), params[0].get("Type")) not in ACTIONS:
            continue
        lines.append(f'  <Action Name="{node.get("Name")}" IsBound="true">')
        for child in params:
            lines.append("    " + _element("Parameter", child, member) + " />")
            named.add(str(child.get("Type")))
        lines.append("  </Action>")
    wanted = {t.removeprefix("Collection(").rstrip(")").removeprefix("graph.") for t in named}
    for node in root.iter(f"{EDM}EnumType"):
        if node.get("Name") in wanted:
            lines.append("  " + _element("EnumType", node, ("Name", "IsFlags")) + ">")
            lines += ["    " + _element("Member", m, ("Name",)) + " />" for m in node]
            lines.append("  </EnumType>")
    lines.append("</Schema>")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    OUT.write_text(trim(Path(sys.argv[1]), sys.argv[2]), encoding="utf-8")
