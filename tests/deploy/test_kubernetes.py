"""deploy/kubernetes: every manifest validated offline against the Kubernetes schemas.

``kubernetes-validate`` carries the JSON schemas of each Kubernetes release, so this needs no
cluster and no network. Two files are not Kubernetes API objects and have no schema there: the
CloudNativePG ``Cluster`` (a custom resource; its CRD is not shipped with kubernetes-validate)
and ``kustomization.yaml`` (read by kubectl itself). For those the fields the deployment relies
on are checked by hand below.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.support.paths import REPO

HERE = REPO / "deploy" / "kubernetes"
VERSION = "1.30.0"  # the oldest release the manifests promise to work on (strict schemas)
NOT_KUBERNETES = {"postgresql.cnpg.io/v1", "kustomize.config.k8s.io/v1beta1"}


def _documents() -> list[tuple[Path, dict[str, Any]]]:
    docs = []
    for path in sorted(HERE.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                docs.append((path, doc))
    return docs


def _named(kind: str, name: str) -> dict[str, Any]:
    found = [d for _, d in _documents() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind} {name}"
    return found[0]


@pytest.mark.parametrize(
    "path,doc",
    [
        pytest.param(p, d, id=f"{p.name}:{d['kind']}")
        for p, d in _documents()
        if d["apiVersion"] not in NOT_KUBERNETES
    ],
)
def test_each_manifest_is_valid_against_the_kubernetes_schema(
    path: Path, doc: dict[str, Any]
) -> None:
    try:
        kubernetes_validate.validate(doc, VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        pytest.fail(f"{path.name}: {doc['kind']} {doc['metadata']['name']}: {exc.message}")


def test_kustomization_lists_every_manifest_once() -> None:
    kustomization = yaml.safe_load((HERE / "kustomization.yaml").read_text(encoding="utf-8"))
    listed = kustomization["resources"]
    on_disk = sorted(p.name for p in HERE.glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(listed) == on_disk and len(set(listed)) == len(listed)


def test_cloudnativepg_cluster_gives_the_secret_the_pods_read() -> None:
    """Not schema-validated (a custom resource): the fields the other manifests rely on."""
    cluster = _named("Cluster", "compliance-bot-db")
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    assert cluster["spec"]["instances"] >= 2
    assert cluster["spec"]["bootstrap"]["initdb"] == {"database": "app", "owner": "app"}
    assert set(cluster["spec"]) <= {"instances", "imageName", "bootstrap", "storage", "postgresql"}
    app_secret = f"{cluster['metadata']['name']}-app"  # CloudNativePG names it so
    for kind, name in (
        ("Deployment", "compliance-bot-web"),
        ("Deployment", "compliance-bot-scheduler"),
        ("Deployment", "compliance-bot-dispatcher"),
        ("Deployment", "compliance-bot-sweep-worker"),
        ("Job", "compliance-bot-migrate"),
    ):
        container = _named(kind, name)["spec"]["template"]["spec"]["containers"][0]
        url = {e["name"]: e for e in container["env"]}["COMPLIANCE_BOT_DATABASE_URL"]
        assert url["valueFrom"]["secretKeyRef"] == {"name": app_secret, "key": "uri"}
        sources = {next(iter(s.values()))["name"] for s in container["envFrom"]}
        assert sources == {"compliance-bot-settings", "compliance-bot-secrets"}


def test_one_scheduler_scaled_web_and_dispatchers() -> None:
    scheduler = _named("Deployment", "compliance-bot-scheduler")
    assert scheduler["spec"]["replicas"] == 1
    assert scheduler["spec"]["strategy"] == {"type": "Recreate"}  # never two at once
    assert _named("Deployment", "compliance-bot-dispatcher")["spec"]["replicas"] >= 2
    assert _named("Deployment", "compliance-bot-sweep-worker")["spec"]["replicas"] >= 2
    hpa = _named("HorizontalPodAutoscaler", "compliance-bot-web")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "compliance-bot-web"
    assert hpa["spec"]["minReplicas"] >= 2
    commands = {
        name: _named("Deployment", f"compliance-bot-{name}")["spec"]["template"]["spec"][
            "containers"
        ][0]["command"]
        for name in ("web", "scheduler", "dispatcher", "sweep-worker")
    }
    assert "--web-only" in commands["web"]  # web pods never run jobs
    assert "--scheduler-only" in commands["scheduler"]
    assert "--dispatch-only" in commands["dispatcher"]
    assert "--sweep-worker" in commands["sweep-worker"]  # never --until-idle: it stays up
    assert "--until-idle" not in commands["sweep-worker"]


def test_web_probes_point_at_endpoints_the_app_serves(tmp_path: Path) -> None:
    from bot.web.app import create_app
    from tests.support.helpers import SchoolBuilder

    ctx = SchoolBuilder(tmp_path).context()
    served = {getattr(route, "path", None) for route in create_app(ctx.settings, ctx).routes}
    ctx.store.dispose()
    container = _named("Deployment", "compliance-bot-web")["spec"]["template"]["spec"][
        "containers"
    ][0]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["path"].split("?")[0] in served
    # the database only: a stopped scheduler must not take the report form out of service
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz?scope=pages"


def test_no_real_secret_is_committed() -> None:
    secret = _named("Secret", "compliance-bot-secrets")
    for key, value in secret["stringData"].items():
        assert value.startswith("replace-with-") or key.endswith("SENDER"), key
