"""The Kubernetes manifests agree with the code they deploy: probe paths are routes of the app,
ConfigMap keys are real settings with valid values, selectors select the pods, and the grace
period outlasts the service's own shutdown. No cluster needed: the files are parsed (pyyaml)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.settings import ENV_PREFIX, Settings

K8S = Path(__file__).resolve().parents[1] / "deploy" / "k8s"
DOCKERFILE = Path(__file__).resolve().parents[1] / "Dockerfile"


def _docs() -> dict[str, dict[str, Any]]:
    docs: dict[str, dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                assert doc["kind"] not in docs, f"{path.name}: a second {doc['kind']}"
                docs[doc["kind"]] = doc
    return docs


@pytest.fixture(scope="module")
def docs() -> dict[str, dict[str, Any]]:
    return _docs()


@pytest.fixture(scope="module")
def container(docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    (only,) = docs["Deployment"]["spec"]["template"]["spec"]["containers"]
    return only


@pytest.fixture(scope="module")
def config(docs: dict[str, dict[str, Any]]) -> dict[str, str]:
    return docs["ConfigMap"]["data"]


def test_every_kind_is_there_and_listed_by_kustomize(docs: dict[str, dict[str, Any]]) -> None:
    kinds = {"ConfigMap", "Deployment", "Service", "HorizontalPodAutoscaler"}
    assert kinds | {"PodDisruptionBudget", "Kustomization"} == set(docs)
    listed = set(docs["Kustomization"]["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk


def test_probe_paths_are_routes_of_the_app(container: dict[str, Any], tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from service.app import create_app

    app = create_app(Settings(model_dir=tmp_path))  # builds the routes, loads nothing
    documented = set(app.openapi()["paths"])
    probes = {
        kind: container[kind]["httpGet"]["path"]
        for kind in ("startupProbe", "readinessProbe", "livenessProbe")
    }
    assert probes["readinessProbe"] == "/readyz"
    assert probes["livenessProbe"] == "/healthz"
    client = TestClient(app)  # no `with`: the lifespan (model loading) does not run
    for kind, path in probes.items():
        assert path in documented, f"{kind} probes {path}, which the app does not document"
        assert client.get(path).status_code != 404, f"{kind} probes {path}, not a route"
    # before the model is loaded the process is alive but not ready: exactly what the probes
    # need to tell apart
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503


def test_probes_and_service_use_the_container_port(
    docs: dict[str, dict[str, Any]], container: dict[str, Any], config: dict[str, str]
) -> None:
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": int(config["FANZHA_PORT"])}
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[kind]["httpGet"]["port"] in (*ports, *ports.values())
    (service_port,) = docs["Service"]["spec"]["ports"]
    assert service_port["targetPort"] in (*ports, *ports.values())
    annotations = docs["Deployment"]["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == config["FANZHA_PORT"]


def test_configmap_keys_are_settings_and_their_values_validate(
    config: dict[str, str], tmp_path: Path
) -> None:
    fields = {}
    for key, value in config.items():
        assert key.startswith(ENV_PREFIX), key
        field = key.removeprefix(ENV_PREFIX).lower()
        assert field in Settings.model_fields, f"{key} is not a setting of `fanzha serve`"
        assert isinstance(value, str), f"{key}: ConfigMap values must be strings (quote them)"
        fields[field] = value
    fields["model_dir"] = tmp_path  # the image's path does not exist here
    settings = Settings(**fields)
    assert settings.host == "0.0.0.0"


def test_workers_match_the_cpu_request_and_the_hpa_can_measure_cpu(
    docs: dict[str, dict[str, Any]], container: dict[str, Any], config: dict[str, str]
) -> None:
    requests = container["resources"]["requests"]
    cpu = requests["cpu"]
    cores = int(cpu[:-1]) / 1000 if str(cpu).endswith("m") else float(cpu)
    workers = int(config["FANZHA_WORKERS"])
    assert workers <= max(1, cores)
    # a pod without a CPU limit sees its node's cores: the batches must be sized explicitly
    batches, threads = int(config["FANZHA_BATCH_CONCURRENCY"]), int(config["FANZHA_THREADS"])
    assert workers * batches * threads <= cores + workers
    assert "memory" in requests and "memory" in container["resources"]["limits"]
    hpa = docs["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"]["kind"] == "Deployment"
    assert hpa["scaleTargetRef"]["name"] == docs["Deployment"]["metadata"]["name"]
    assert any(m["resource"]["name"] == "cpu" for m in hpa["metrics"])
    assert 2 <= hpa["minReplicas"] <= hpa["maxReplicas"]
    assert "replicas" not in docs["Deployment"]["spec"], "the HPA owns the replica count"


def test_selectors_select_the_pods(docs: dict[str, dict[str, Any]]) -> None:
    spec = docs["Deployment"]["spec"]
    pod_labels = spec["template"]["metadata"]["labels"]
    selectors = {
        "Deployment": spec["selector"]["matchLabels"],
        "Service": docs["Service"]["spec"]["selector"],
        "PodDisruptionBudget": docs["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"],
    }
    for kind, selector in selectors.items():
        assert selector.items() <= pod_labels.items(), f"{kind} selects no pod"
    pdb = docs["PodDisruptionBudget"]["spec"]
    assert pdb.get("maxUnavailable", 0) == 1 or pdb.get("minAvailable", 0) >= 1


def test_shutdown_fits_in_the_grace_period(
    docs: dict[str, dict[str, Any]], config: dict[str, str]
) -> None:
    grace = docs["Deployment"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    shutdown = float(config["FANZHA_SHUTDOWN_DELAY_S"]) + float(config["FANZHA_GRACEFUL_TIMEOUT_S"])
    assert grace > shutdown
    strategy = docs["Deployment"]["spec"]["strategy"]["rollingUpdate"]
    assert strategy["maxUnavailable"] == 0  # a new pod is ready before an old one leaves


def test_pod_runs_as_the_images_non_root_user(docs: dict[str, dict[str, Any]]) -> None:
    security = docs["Deployment"]["spec"]["template"]["spec"]["securityContext"]
    uid = re.search(r"--uid (\d+)", DOCKERFILE.read_text(encoding="utf-8"))
    assert uid is not None
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] == int(uid.group(1))
