"""hub/k8s/: every manifest against the Kubernetes API schemas, offline, and the chart values
against the example hub config (the same services, roles and user-server environment).

kubernetes-validate ships the schemas of each Kubernetes release in the wheel, so nothing is
fetched. Not checked here: the zero-to-jupyterhub chart's own values schema and rendering
(``helm template`` needs the chart from its repository), images, and a running cluster.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]  # no type information
import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML, installed with kubernetes-validate, has no types
from traitlets.config import Config

from g4f_jupyter.core.registry import load_spec
from g4f_jupyter.service.policy import parse_policy

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "hub" / "k8s"
VERSIONS = ("1.29.0", "1.37.0")  # the oldest release still common on managed clusters, and the newest bundled
MANIFESTS = sorted(p for p in K8S.glob("*.yaml") if p.name != "values.yaml")


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _all_documents() -> list[dict[str, Any]]:
    return [doc for path in MANIFESTS for doc in _documents(path)]


def _find(kind: str, name: str, path: Path | None = None) -> dict[str, Any]:
    docs = _documents(path) if path else _all_documents()
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)


def _values() -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load((K8S / "values.yaml").read_text())
    return values


def _hub_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    """hub/jupyterhub_config.py as JupyterHub loads it (every optional part switched on)."""
    monkeypatch.setenv("G4F_HUB_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("G4F_HUB_MODEL_KEY", "set")
    config = Config()
    path = REPO / "hub" / "jupyterhub_config.py"
    exec(compile(path.read_text(), str(path), "exec"), {"get_config": lambda: config, "__file__": str(path)})
    return config


def _container_env(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e for e in container.get("env", [])}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_every_manifest_is_valid_for_kubernetes(path: Path, version: str) -> None:
    documents = _documents(path)
    assert documents
    for document in documents:
        kubernetes_validate.validate(document, version, strict=True)


def test_the_validator_refuses_what_kubernetes_would() -> None:
    deployment = _find("Deployment", "g4f-model", K8S / "model-server.yaml")
    typo = copy.deepcopy(deployment)
    container = typo["spec"]["template"]["spec"]["containers"][0]
    container["resource"] = container.pop("resources")  # a misspelt key
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(typo, VERSIONS[0], strict=True)
    wrong_type = copy.deepcopy(deployment)
    wrong_type["spec"]["replicas"] = "one"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(wrong_type, VERSIONS[0], strict=True)


def test_the_network_policy_lets_only_user_pods_reach_the_model_server() -> None:
    policy = _find("NetworkPolicy", "g4f-model")
    for variant in ("model-server.yaml", "model-server-vllm.yaml"):
        pods = _find("Deployment", "g4f-model", K8S / variant)["spec"]["template"]["metadata"]["labels"]
        assert policy["spec"]["podSelector"]["matchLabels"].items() <= pods.items(), variant
        service = _find("Service", "g4f-model", K8S / variant)
        assert service["spec"]["selector"].items() <= pods.items() and service["spec"]["ports"][0]["port"] == 8080
    (rule,) = policy["spec"]["ingress"]
    assert rule["from"] == [{"podSelector": {"matchLabels": {"component": "singleuser-server"}}}]  # KubeSpawner's label
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    egress = _values()["singleuser"]["networkPolicy"]["egress"]
    assert {"podSelector": {"matchLabels": policy["spec"]["podSelector"]["matchLabels"]}} in egress[0]["to"]


def test_the_hub_wide_config_map_holds_a_valid_provider_and_policy(tmp_path: Path) -> None:
    data = _find("ConfigMap", "g4f-hub-config")["data"]
    (tmp_path / "HubModel.toml").write_text(data["HubModel.toml"])
    spec = load_spec(tmp_path / "HubModel.toml")
    example = load_spec(REPO / "hub" / "etc" / "g4f" / "providers" / "HubModel.toml")
    assert spec.api_base == "http://g4f-model:8080/v1" and spec.api_base_env == example.api_base_env
    assert (spec.name, spec.default, spec.api_key_env) == (example.name, example.default, example.api_key_env)
    settings = json.loads(data["jupyter_server_config.json"])
    assert settings == json.loads((REPO / "hub" / "etc" / "jupyter_server_config.json").read_text())
    policy = parse_policy(json.dumps(settings["G4FSettings"]["policy"]))
    assert policy["students"].providers == ["HubModel"] and policy["students"].max_streams == 2
    singleuser = _values()["singleuser"]
    (volume,) = singleuser["storage"]["extraVolumes"]
    assert volume["configMap"]["name"] == "g4f-hub-config"
    assert {item["key"] for item in volume["configMap"]["items"]} == set(data)
    (mount,) = singleuser["storage"]["extraVolumeMounts"]
    assert mount["mountPath"] == singleuser["extraEnv"]["JUPYTER_CONFIG_PATH"]
    paths = {item["path"] for item in volume["configMap"]["items"]}
    assert "g4f/providers/HubModel.toml" in paths and "jupyter_server_config.json" in paths


def test_the_values_name_the_services_roles_and_environment_of_the_example_hub(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, values = _hub_config(tmp_path, monkeypatch), _values()
    services = {s["name"]: s for s in config.JupyterHub.services}
    assert set(values["hub"]["services"]) == set(services)
    for name, service in services.items():
        chart = values["hub"]["services"][name]
        assert chart["oauth_no_confirm"] == service.get("oauth_no_confirm", False), name
        assert chart.get("oauth_client_allowed_scopes") == service.get("oauth_client_allowed_scopes"), name
        deployment = _find("Deployment", name)
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["command"][-1] == service["command"][-1], name  # the same module
        assert set(service.get("environment", {})) <= set(_container_env(deployment)), name
        assert _container_env(deployment)["JUPYTERHUB_SERVICE_NAME"]["value"] == name
        token = _container_env(deployment)["JUPYTERHUB_API_TOKEN"]["valueFrom"]["secretKeyRef"]
        assert token == {"name": "hub", "key": f"hub.services.{name}.apiToken"}  # where the chart keeps it
        assert chart["url"].endswith(f":{container['ports'][0]['containerPort']}")
        image = values["singleuser"]["image"]
        assert container["image"] == f"{image['name']}:{image['tag']}"
    roles = {r["name"]: r for r in config.JupyterHub.load_roles}
    assert set(values["hub"]["loadRoles"]) == set(roles)
    for name, role in roles.items():
        assert values["hub"]["loadRoles"][name]["scopes"] == role["scopes"], name
        assert values["hub"]["loadRoles"][name].get("groups") == role.get("groups"), name
    chart_config = Config()
    exec(compile(values["hub"]["extraConfig"]["g4f"], "values.yaml", "exec"), {"c": chart_config})
    assert chart_config.Spawner.server_token_scopes == config.Spawner.server_token_scopes
    assert chart_config.JupyterHub.custom_scopes == config.JupyterHub.custom_scopes
    environment = values["singleuser"]["extraEnv"]
    assert set(config.Spawner.environment) <= set(environment)
    assert environment["G4F_HUB_MODEL_URL"] == "http://g4f-model:8080/v1"
    assert values["singleuser"]["defaultUrl"] == config.Spawner.default_url
