"""The rendered chart, without a cluster: valid for Kubernetes, hardened, and consistent with the
code it deploys (variables, routes, ports, command lines, scenario, databases)."""

from __future__ import annotations

import base64
import re
import shlex
from typing import Any

import kubernetes_validate
import pytest
import yaml
from sqlalchemy.engine import make_url

from customer_sim.cli import build_parser as simulator_parser
from customer_sim.domain.scenario import parse_scenario
from servicekit.cli import GRACEFUL_SHUTDOWN_SECONDS
from testkit import helm
from testkit.processes import ROOT
from tests.chart.code_facts import (
    PARTS,
    SERVICES,
    Part,
    service_parser,
    service_routes,
    variables_read,
)
from tests.chart.conftest import DEV_VALUES, INSTALLED, rendered_variant, variant_values

# The oldest Kubernetes the chart supports (Chart.yaml's kubeVersion) and the newest schema
# kubernetes-validate ships, both from its own offline copies.
KUBE_VERSIONS = [helm.KUBE_VERSION, "1.37.0"]
IMAGE_REPOSITORIES = {
    "inventory_service": "demand-supply-sim/inventory",
    "store_service": "demand-supply-sim/store",
    "customer_sim": "demand-supply-sim/customer-sim",
}


def app_version() -> str:
    return yaml.safe_load((helm.CHART_DIR / "Chart.yaml").read_text())["appVersion"]


def part_containers(rendered: helm.Rendered, part: Part) -> list[dict[str, Any]]:
    """Containers that run the part's own program (``python -m <package> ...``)."""
    return [
        container
        for _owner, spec in helm.pod_specs(rendered)
        for container in helm.containers(spec)
        if container.get("command", [])[:3] == ["python", "-m", part.package]
    ]


def workload(rendered: helm.Rendered, component: str) -> dict[str, Any]:
    """The one Deployment, StatefulSet or Job of a component."""
    matches = [
        owner
        for owner, _spec in helm.pod_specs(rendered)
        if owner["kind"] != "Pod"
        and owner["metadata"].get("labels", {}).get("app.kubernetes.io/component") == component
    ]
    assert len(matches) == 1, (component, [m["metadata"]["name"] for m in matches])
    return matches[0]


def expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion of a container's env value."""
    return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m[1], m[0]), text)


def container_env(rendered: helm.Rendered, container: dict[str, Any]) -> dict[str, str]:
    """The environment a container gets, resolved as the kubelet would (Secrets decoded)."""
    configmaps = {
        cm["metadata"]["name"]: cm.get("data", {}) for cm in rendered.of_kind("ConfigMap")
    }
    secrets = {
        secret["metadata"]["name"]: {
            **{k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()},
            **(secret.get("stringData") or {}),
        }
        for secret in rendered.of_kind("Secret")
    }
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(configmaps[source["configMapRef"]["name"]])
    for entry in container.get("env", []):
        if "valueFrom" in entry:
            ref = entry["valueFrom"]["secretKeyRef"]
            if ref["name"] in secrets:  # a Secret of the release: the key must be in it
                env[entry["name"]] = secrets[ref["name"]][ref["key"]]
            else:  # an existing Secret the user manages
                env[entry["name"]] = f"<{ref['key']}>"
        else:
            env[entry["name"]] = expand(entry["value"], env)
    return env


def only_expansion_helpers(container: dict[str, Any]) -> set[str]:
    """Variables set only to be expanded into another one (the database password)."""
    values = " ".join(entry.get("value", "") for entry in container.get("env", []))
    return set(re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", values))


# -- Helm and Kubernetes accept it --------------------------------------------------------------


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
def test_helm_lint_strict_is_clean(variant: str, kube_version: str) -> None:
    assert helm.lint_problems(values=variant_values(variant), kube_version=kube_version) == []


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
def test_every_object_validates_against_the_kubernetes_schema(
    rendered: helm.Rendered, kube_version: str
) -> None:
    problems = []
    for obj in rendered.everything():
        try:
            kubernetes_validate.validate(obj, kube_version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(p) for p in error.path)
            problems.append(f"{obj['kind']}/{obj['metadata']['name']}: {path}: {error.message}")
    assert problems == []
    assert {"Deployment", "Service", "ConfigMap"} <= {obj["kind"] for obj in rendered.objects}


def test_the_ci_values_cover_the_variants_ci_installs() -> None:
    names = {path.name for path in (helm.CHART_DIR / "ci").glob("*-values.yaml")}
    assert {
        "default-values.yaml",
        "external-db-values.yaml",
        "simulator-off-values.yaml",
        "everything-on-values.yaml",
    } <= names


# -- hardening ----------------------------------------------------------------------------------


def test_every_container_is_non_root_and_hardened(variant: str, rendered: helm.Rendered) -> None:
    dev = variant == DEV_VALUES.name
    for owner, spec in helm.pod_specs(rendered):
        where = f"{owner['kind']}/{owner['metadata']['name']}"
        assert spec.get("automountServiceAccountToken") is False, where
        pod_context = spec.get("securityContext", {})
        assert pod_context.get("seccompProfile") == {"type": "RuntimeDefault"}, where
        for container in helm.containers(spec):
            context = {**pod_context, **container.get("securityContext", {})}
            name = f"{where}/{container['name']}"
            assert context.get("runAsNonRoot") is True, name
            assert isinstance(context.get("runAsUser"), int) and context["runAsUser"] > 0, name
            assert context.get("allowPrivilegeEscalation") is False, name
            assert context.get("capabilities", {}).get("drop") == ["ALL"], name
            project = container["image"].split(":")[0].split("/")[-2:-1] == ["demand-supply-sim"]
            assert context.get("readOnlyRootFilesystem") is not (dev and project), name
            resources = container.get("resources", {})
            assert {"cpu", "memory"} <= set(resources.get("requests", {})), name
            if not dev:
                assert {"cpu", "memory"} <= set(resources.get("limits", {})), name


def test_no_image_is_latest_or_untagged(rendered: helm.Rendered) -> None:
    for _owner, spec in helm.pod_specs(rendered):
        for container in helm.containers(spec):
            image = container["image"]
            if "@sha256:" in image:
                continue
            name, _, tag = image.rpartition(":")
            assert name and "/" not in tag and tag not in ("", "latest"), image


def test_project_images_default_to_the_app_version(defaults: helm.Rendered) -> None:
    for part in PARTS:
        for container in part_containers(defaults, part):
            assert container["image"] == f"{IMAGE_REPOSITORIES[part.package]}:{app_version()}"


def test_image_repositories_are_the_ones_make_images_builds() -> None:
    """`make images` and the dev loop build the refs the chart deploys."""
    images_script = (ROOT / "scripts" / "images.py").read_text()
    values = yaml.safe_load((helm.CHART_DIR / "values.yaml").read_text())
    for part in PARTS:
        component = {"customer_sim": "simulator"}.get(part.package, part.component)
        assert values[component]["image"]["repository"] == IMAGE_REPOSITORIES[part.package]
        assert f'Image("{part.package}", "{IMAGE_REPOSITORIES[part.package]}")' in images_script


def test_the_registry_and_tag_values_apply_to_every_project_image() -> None:
    rendered = helm.render({"image": {"registry": "localhost:5001", "tag": "abc1234"}})
    for part in PARTS:
        for container in part_containers(rendered, part):
            assert (
                container["image"] == f"localhost:5001/{IMAGE_REPOSITORIES[part.package]}:abc1234"
            )


# -- consistency with the code ------------------------------------------------------------------


def test_each_part_gets_exactly_the_variables_it_reads(rendered: helm.Rendered) -> None:
    for part in PARTS:
        containers = part_containers(rendered, part)
        if part.package == "customer_sim" and not rendered.of_kind("Job"):
            continue
        assert containers, part.package
        reads = variables_read(part)
        for container in containers:
            env = container_env(rendered, container)
            helpers = only_expansion_helpers(container)
            assert helpers <= set(env), container["name"]
            assert set(env) - helpers == reads, (part.package, container["name"])


def test_probes_are_routes_the_services_serve(rendered: helm.Rendered) -> None:
    for part in SERVICES:
        routes = service_routes(part)
        container = workload(rendered, part.component)["spec"]["template"]["spec"]["containers"][0]
        probes = {kind: container[kind]["httpGet"]["path"] for kind in
                  ("startupProbe", "livenessProbe", "readinessProbe")}  # fmt: skip
        assert probes["livenessProbe"] == "/healthz" and probes["readinessProbe"] == "/readyz"
        assert set(probes.values()) <= routes


def test_container_ports_are_the_ports_the_servers_listen_on(rendered: helm.Rendered) -> None:
    for part in SERVICES:
        spec = workload(rendered, part.component)["spec"]["template"]["spec"]
        container = spec["containers"][0]
        args = service_parser(part).parse_args(container["args"])
        assert args.command == "serve" and args.host == "0.0.0.0"
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        assert ports == {"http": args.port}
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert container[probe]["httpGet"]["port"] in ("http", args.port)


def test_every_service_selects_exactly_one_workload(rendered: helm.Rendered) -> None:
    pods = [
        (owner, owner["spec"]["template"]["metadata"]["labels"], owner["spec"]["template"]["spec"])
        for owner, _spec in helm.pod_specs(rendered)
        if owner["kind"] != "Pod"
    ]
    for service in rendered.of_kind("Service"):
        selector = service["spec"]["selector"]
        selected = [
            (owner, spec) for owner, labels, spec in pods if selector.items() <= labels.items()
        ]
        assert len(selected) == 1, (
            service["metadata"]["name"],
            [o["metadata"]["name"] for o, _ in selected],
        )
        container_ports = {
            port.get("name"): port["containerPort"]
            for container in selected[0][1]["containers"]
            for port in container.get("ports", [])
        }
        for port in service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            assert target in container_ports or target in container_ports.values(), port


def test_the_migrate_init_container_runs_the_parts_own_migrate(rendered: helm.Rendered) -> None:
    for part in SERVICES:
        spec = workload(rendered, part.component)["spec"]["template"]["spec"]
        (init,) = spec["initContainers"]
        assert init["command"][:3] == ["python", "-m", part.package]
        args = service_parser(part).parse_args(init["command"][3:])
        assert args.command == "migrate" and args.wait >= 60
        assert init["image"] == spec["containers"][0]["image"]


def test_the_store_finds_the_inventory_by_its_service_name(rendered: helm.Rendered) -> None:
    inventory = next(
        s for s in rendered.of_kind("Service")
        if s["spec"]["selector"].get("app.kubernetes.io/component") == "inventory"
    )  # fmt: skip
    expected = f"http://{inventory['metadata']['name']}:{inventory['spec']['ports'][0]['port']}"
    for part in (SERVICES[1], PARTS[2]):  # the store and the simulator
        for container in part_containers(rendered, part):
            assert container_env(rendered, container)["INVENTORY_URL"] == expected


def test_the_job_args_parse_with_the_simulators_own_parser(variant: str) -> None:
    rendered = rendered_variant(variant)
    if variant == "simulator-off-values.yaml":
        assert rendered.of_kind("Job") == []
        return
    job = workload(rendered, "simulator")
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["python", "-m", "customer_sim"]
    args = simulator_parser().parse_args(container["args"])
    assert args.name == "run"
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert str(args.scenario).startswith(mounts["scenario"] + "/")
    values = variant_values(variant).get("simulator", {})
    assert args.days == values.get("days") and args.seed == values.get("seed")


def test_the_job_waits_for_both_services_before_it_runs(defaults: helm.Rendered) -> None:
    spec = workload(defaults, "simulator")["spec"]["template"]["spec"]
    waited = [" ".join(c["command"]) for c in spec["initContainers"]]
    assert any("http://dss-inventory:80/readyz" in w for w in waited)
    assert any("http://dss-store:80/readyz" in w for w in waited)


def scenario_text(rendered: helm.Rendered) -> str:
    (configmap,) = [
        cm for cm in rendered.of_kind("ConfigMap") if "scenario.yaml" in cm.get("data", {})
    ]
    return configmap["data"]["scenario.yaml"]


def test_the_default_scenario_is_the_shipped_one_and_valid(defaults: helm.Rendered) -> None:
    shipped = (ROOT / "customer_sim" / "scenarios" / "default.yaml").read_text()
    chart_copy = (helm.CHART_DIR / "files" / "default-scenario.yaml").read_text()
    assert chart_copy == shipped, "copy customer_sim/scenarios/default.yaml to the chart's files/"
    text = scenario_text(defaults)
    assert yaml.safe_load(text) == yaml.safe_load(shipped)
    assert parse_scenario(text).name == "default"


def test_an_inline_scenario_replaces_the_default_and_passes_validation() -> None:
    single_sku = (ROOT / "customer_sim" / "scenarios" / "single-sku.yaml").read_text()
    rendered = helm.render({"simulator": {"scenario": single_sku, "days": 3}})
    scenario = parse_scenario(scenario_text(rendered))
    assert scenario == parse_scenario(single_sku)
    assert len(scenario.products) == 1


def test_the_init_script_creates_exactly_the_databases_and_roles_the_urls_use(
    variant: str,
) -> None:
    rendered = rendered_variant(variant)
    if not rendered.of_kind("StatefulSet") or variant == "external-db-values.yaml":
        return
    script = (helm.CHART_DIR / "files" / "init-databases.sh").read_text()
    created = {
        shlex.split(line)[1] for line in script.splitlines() if line.startswith("create_part ")
    }
    used = set()
    for part in PARTS:
        for container in part_containers(rendered, part):
            var = f"{part.database.upper()}_DATABASE_URL"
            url = make_url(container_env(rendered, container)[var])
            assert url.drivername == "postgresql+psycopg" and url.host == "dss-postgres"
            assert url.username == url.database == part.database
            used.add(url.database)
    expected = used if rendered.of_kind("Job") else used | {"sim"}
    assert created == expected == {"inventory", "store", "sim"}
    # Each part's password variable, as the init script reads it, comes from the same Secret key.
    postgres = rendered.of_kind("StatefulSet")[0]["spec"]["template"]["spec"]["containers"][0]
    refs = {
        e["name"]: e["valueFrom"]["secretKeyRef"]["key"]
        for e in postgres["env"]
        if "valueFrom" in e
    }
    for name in created:
        assert f'"${name.upper()}_PASSWORD"' in script
        assert refs[f"{name.upper()}_PASSWORD"] == f"{name}-password"


def test_no_password_is_in_a_configmap_or_in_the_values(defaults: helm.Rendered) -> None:
    (secret,) = defaults.of_kind("Secret")
    passwords = [base64.b64decode(v).decode() for v in secret["data"].values()]
    assert len(set(passwords)) == 4 and all(len(p) >= 24 for p in passwords)
    configmaps = yaml.safe_dump(defaults.of_kind("ConfigMap"))
    workloads = yaml.safe_dump([spec for _owner, spec in helm.pod_specs(defaults)])
    for password in passwords:
        assert password not in configmaps and password not in workloads
    for part in PARTS:
        for container in part_containers(defaults, part):
            urls = [e for e in container["env"] if e["name"].endswith("_DATABASE_URL")]
            assert [u["value"].count("$(DB_PASSWORD)") for u in urls] == [1]
    defaults_file = helm.load_values(helm.CHART_DIR / "values.yaml")
    assert [defaults_file["externalDatabase"][part.database]["password"] for part in PARTS] == [
        ""
    ] * 3


def test_external_database_urls_come_from_the_values() -> None:
    values = {
        "postgres": {"enabled": False},
        "externalDatabase": {
            "host": "db.example.internal",
            "port": 6432,
            "sslmode": "require",
            "inventory": {"database": "inv", "user": "inv_user", "password": "test_password_1234"},
            "store": {"database": "sto", "user": "sto_user", "password": "test_password_1234"},
            "sim": {"database": "sim", "user": "sim_user", "password": "test_password_1234"},
        },
    }
    rendered = helm.render(values)
    assert rendered.of_kind("StatefulSet") == []
    for part in PARTS:
        expected = values["externalDatabase"][part.database]
        for container in part_containers(rendered, part):
            url = make_url(
                container_env(rendered, container)[f"{part.database.upper()}_DATABASE_URL"]
            )
            assert (url.host, url.port, url.database, url.username, url.password) == (
                "db.example.internal", 6432, expected["database"], expected["user"],
                "test_password_1234",
            )  # fmt: skip
            assert url.query["sslmode"] == "require"


def test_external_database_without_a_host_or_password_fails_naming_it() -> None:
    with pytest.raises(helm.ChartError, match="externalDatabase.host"):
        helm.render({"postgres": {"enabled": False}})
    with pytest.raises(helm.ChartError, match="externalDatabase.inventory.password"):
        helm.render({"postgres": {"enabled": False}, "externalDatabase": {"host": "db"}})


def test_an_existing_secret_replaces_the_generated_one() -> None:
    rendered = helm.render({"postgres": {"existingSecret": "my-db-passwords"}})
    assert rendered.of_kind("Secret") == []
    refs = {
        entry["valueFrom"]["secretKeyRef"]["name"]
        for _owner, spec in helm.pod_specs(rendered)
        for container in helm.containers(spec)
        for entry in container.get("env", [])
        if "valueFrom" in entry
    }
    assert refs == {"my-db-passwords"}


# -- lifecycle ----------------------------------------------------------------------------------


def test_the_job_name_carries_the_revision_so_upgrades_make_a_new_job() -> None:
    first = helm.render().of_kind("Job")[0]
    third = helm.render(revision=3).of_kind("Job")[0]
    assert (first["metadata"]["name"], third["metadata"]["name"]) == (
        "dss-simulator-1",
        "dss-simulator-3",
    )
    for key in ("backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished"):
        assert isinstance(first["spec"][key], int), key


def checksums(rendered: helm.Rendered) -> dict[str, str]:
    return {
        d["metadata"]["name"]: d["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
        for d in rendered.of_kind("Deployment")
    }


def test_a_config_change_rolls_the_pods_that_read_it(defaults: helm.Rendered) -> None:
    before = checksums(defaults)
    assert checksums(helm.render({"logLevel": "DEBUG"})).keys() == before.keys()
    assert all(
        after != before[name]
        for name, after in checksums(helm.render({"logLevel": "DEBUG"})).items()
    )
    store_only = checksums(helm.render({"store": {"inventoryRetries": 5}}))
    assert store_only["dss-store"] != before["dss-store"]
    assert store_only["dss-inventory"] == before["dss-inventory"]


def test_termination_outlasts_the_pre_stop_sleep_and_uvicorns_shutdown(variant: str) -> None:
    if variant not in INSTALLED:
        return
    for deployment in rendered_variant(variant).of_kind("Deployment"):
        spec = deployment["spec"]["template"]["spec"]
        sleep = int(spec["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][1])
        assert spec["terminationGracePeriodSeconds"] > sleep + GRACEFUL_SHUTDOWN_SECONDS


def test_the_notes_say_how_to_reach_the_apis_read_the_result_and_test() -> None:
    notes = helm.render_notes()
    assert "port-forward svc/dss-store 8001:80" in notes
    assert "port-forward svc/dss-inventory 8002:80" in notes
    assert "logs job/dss-simulator-1" in notes
    assert "helm test dss" in notes
    assert "simulator.scenario" in notes


# -- optional features --------------------------------------------------------------------------


OPTIONAL_KINDS = {"Ingress", "PodDisruptionBudget", "NetworkPolicy", "HorizontalPodAutoscaler"}


def test_optional_features_are_off_by_default(defaults: helm.Rendered) -> None:
    assert OPTIONAL_KINDS.isdisjoint(obj["kind"] for obj in defaults.objects)
    for deployment in defaults.of_kind("Deployment"):
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert "prometheus.io/scrape" not in annotations


def test_everything_on_turns_every_optional_feature_on() -> None:
    rendered = rendered_variant("everything-on-values.yaml")
    kinds = [obj["kind"] for obj in rendered.objects]
    assert kinds.count("Ingress") == 2 and kinds.count("PodDisruptionBudget") == 2
    (hpa,) = rendered.of_kind("HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "dss-store"
    assert "replicas" not in rendered.get("Deployment", "dss-store")["spec"]
    for deployment in rendered.of_kind("Deployment"):
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/path"] == "/metrics"


def peer_components(policy: dict[str, Any]) -> set[str]:
    return {
        peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
        for rule in policy["spec"]["ingress"]
        for peer in rule["from"]
        if "podSelector" in peer
    }


def test_network_policies_let_only_the_right_pods_in() -> None:
    rendered = rendered_variant("everything-on-values.yaml")
    postgres = rendered.get("NetworkPolicy", "dss-postgres")
    assert peer_components(postgres) == {"inventory", "store", "simulator"}
    assert postgres["spec"]["ingress"][0]["ports"] == [{"port": 5432, "protocol": "TCP"}]
    inventory = rendered.get("NetworkPolicy", "dss-inventory")
    assert peer_components(inventory) == {"store", "simulator", "test"}
    (test_pod,) = rendered.tests
    assert test_pod["metadata"]["labels"]["app.kubernetes.io/component"] == "test"


def test_helm_test_checks_both_services_and_that_the_store_sees_the_inventory(
    defaults: helm.Rendered,
) -> None:
    (pod,) = defaults.tests
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    commands = [" ".join(c["command"]) for c in pod["spec"]["containers"]]
    assert any("http://dss-inventory:80/readyz" in c for c in commands)
    assert any("http://dss-store:80/readyz" in c and "--check inventory" in c for c in commands)
