"""docker-compose.yml, Dockerfile and .dockerignore, checked statically (no Docker engine here):
the stack's shape, the pinned Airflow version and the paths the containers rely on."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SERVICES = {
    "postgres",
    "redis",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-worker",
    "airflow-triggerer",
    "airflow-init",
    "simulator",
    "minio",
    "minio-init",
}
AIRFLOW_SERVICES = sorted(s for s in SERVICES if s.startswith("airflow-"))
_INTERP = re.compile(r"^\$\{(?P<name>\w+)(?::?(?P<op>[-?])(?P<arg>.*))?\}$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    doc = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(doc, dict)
    return doc


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def env(service: dict[str, Any]) -> dict[str, str]:
    e = service.get("environment") or {}
    assert isinstance(e, dict), "environment must be a mapping"
    return {k: str(v) for k, v in e.items()}


def default(value: str) -> str:
    """What a compose value becomes with nothing set: ``${X:-d}`` -> d, a literal -> itself."""
    m = _INTERP.match(value)
    if not m:
        return value
    assert m["op"] == "-", f"{value}: no default"
    return m["arg"]


def airflow_pin() -> str:
    pins = re.findall(r"^apache-airflow==(\S+)\s*$", (ROOT / "constraints.txt").read_text(), re.M)
    assert len(pins) == 1, "constraints.txt must pin apache-airflow exactly once"
    return pins[0]


def dockerfile_lines() -> list[str]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [
        ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    ]


def bind_mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for v in service.get("volumes") or []:
        host, _, container = str(v).partition(":")
        out.append((host, container.split(":")[0]))
    return out


# ------------------------------------------------------------------------------ shape
def test_compose_parses_and_has_exactly_the_expected_services(compose: dict[str, Any]) -> None:
    assert set(services(compose)) == SERVICES
    assert "x-airflow-common" in compose


def test_every_airflow_service_inherits_the_common_block(compose: dict[str, Any]) -> None:
    common = compose["x-airflow-common"]
    for name in AIRFLOW_SERVICES:
        svc = services(compose)[name]
        assert env(svc)["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert ("./dags", "/opt/airflow/dags") in bind_mounts(svc), name
        assert svc.get("build") == common["build"] and svc["image"] == common["image"], name
        # all components must share the JWT secret and know where the execution API is
        for key in ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__CORE__EXECUTION_API_SERVER_URL"):
            assert env(svc)[key] == env(common)[key], (name, key)
    for name in set(AIRFLOW_SERVICES) - {"airflow-init"}:
        svc = services(compose)[name]
        assert svc["user"] == "${AIRFLOW_UID:-50000}:0", name
        deps = svc["depends_on"]
        assert deps["postgres"]["condition"] == "service_healthy", name
        assert deps["redis"]["condition"] == "service_healthy", name
        assert deps["airflow-init"]["condition"] == "service_completed_successfully", name
        assert "healthcheck" in svc, name


def test_each_component_runs_its_airflow_command(compose: dict[str, Any]) -> None:
    s = services(compose)
    assert s["airflow-apiserver"]["command"] == "api-server"
    assert "8080:8080" in s["airflow-apiserver"]["ports"]
    assert "/api/v2/version" in " ".join(s["airflow-apiserver"]["healthcheck"]["test"])
    assert s["airflow-scheduler"]["command"] == "scheduler"
    assert s["airflow-dag-processor"]["command"] == "dag-processor"
    assert s["airflow-worker"]["command"] == "celery worker"
    assert s["airflow-triggerer"]["command"] == "triggerer"
    init = env(s["airflow-init"])
    assert init["_AIRFLOW_DB_MIGRATE"] == "true" and init["_AIRFLOW_WWW_USER_CREATE"] == "true"


def test_executor_is_celery_on_redis_with_a_postgres_metadata_db(compose: dict[str, Any]) -> None:
    e = env(compose["x-airflow-common"])
    assert e["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert e["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
    assert "@redis:6379" in e["AIRFLOW__CELERY__BROKER_URL"]
    assert e["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    assert "@postgres/" in e["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert e["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://")
    assert e["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
    assert e["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "true"
    assert (
        e["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
    )
    s = services(compose)
    assert s["postgres"]["image"].startswith("postgres:") and "healthcheck" in s["postgres"]
    assert s["redis"]["image"].startswith("redis:") and "healthcheck" in s["redis"]
    pg = env(s["postgres"])
    assert (
        f"airflow:{pg['POSTGRES_PASSWORD']}@postgres/{pg['POSTGRES_DB']}"
        in (e["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    )


def test_the_postgres_driver_is_installed_with_clout() -> None:
    # psycopg2 comes with clout itself (pyproject + constraints); the Celery/Redis providers come
    # with the apache/airflow base image, which is what the Dockerfile builds on.
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'"psycopg2-binary[><=~!]', pyproject)
    assert re.search(r"^psycopg2-binary==", (ROOT / "constraints.txt").read_text(), re.M)
    assert dockerfile_lines()[0].startswith("FROM apache/airflow:")


# ------------------------------------------------------------------------------ versions
def test_airflow_version_of_the_image_equals_the_constraints_pin(compose: dict[str, Any]) -> None:
    pin = airflow_pin()
    froms = [ln for ln in dockerfile_lines() if ln.upper().startswith("FROM ")]
    assert froms, "Dockerfile has no FROM"
    for ln in froms:
        m = re.match(r"FROM\s+apache/airflow:(?P<version>[\w.]+?)(?:-python[\d.]+)?(?:\s|$)", ln)
        assert m, f"unexpected base image: {ln}"
        assert m["version"] == pin, f"{ln} vs apache-airflow=={pin} in constraints.txt"
    images = [compose["x-airflow-common"].get("image", "")] + [
        str(s.get("image", "")) for s in services(compose).values()
    ]
    for image in images:
        ref = default(image) if image.startswith("${") else image
        if ref.startswith("apache/airflow:"):
            assert ref.split(":", 1)[1].split("-python")[0] == pin, image
    # and clout itself asks for the same Airflow
    assert f'"apache-airflow=={pin}"' in (ROOT / "pyproject.toml").read_text()


def test_the_dockerfile_installs_clout_under_the_constraints() -> None:
    lines = dockerfile_lines()
    run = " ".join(ln for ln in lines if ln.startswith("RUN "))
    assert "pip install --no-cache-dir -c constraints.txt ." in run
    users = [ln.split()[1] for ln in lines if ln.startswith("USER ")]
    assert users and users[-1] == "airflow", "install and run as the airflow user"
    copied = [w for ln in lines if ln.startswith("COPY ") for w in ln.split()[1:-1]]
    sources = {w.rstrip("/") for w in copied if not w.startswith("--")}
    assert {"pyproject.toml", "constraints.txt", "README.md", "pipeline"} <= sources
    ignored = [
        p.strip().rstrip("/")
        for p in (ROOT / ".dockerignore").read_text().splitlines()
        if p.strip() and not p.startswith("#")
    ]
    for src in sources:
        assert (ROOT / src).exists(), f"Dockerfile copies missing {src}"
        assert not any(fnmatch.fnmatch(src, p) for p in ignored), f".dockerignore drops {src}"
    assert ".env" in ignored and ".venv" in ignored


# ------------------------------------------------------------------------------ paths
def test_every_bind_mounted_host_path_exists(compose: dict[str, Any]) -> None:
    named = set(compose.get("volumes") or {})
    blocks = [compose["x-airflow-common"], *services(compose).values()]
    seen = 0
    for svc in blocks:
        for host, _ in bind_mounts(svc):
            if host.startswith((".", "/", "$")):
                assert host.startswith("./"), f"bind mounts are relative to the repo: {host}"
                assert (ROOT / host).exists(), f"{host} is mounted but missing"
                seen += 1
            else:
                assert host in named, f"volume {host} is not declared under top-level volumes"
    assert seen


def test_the_pipeline_finds_its_sql_and_expectations_in_the_container(
    compose: dict[str, Any],
) -> None:
    # sql/ and expectations/ are package data: mounting the package brings them along
    mounts = dict(bind_mounts(compose["x-airflow-common"]))
    home = Path(mounts["./pipeline"]).parent
    assert "./sql" not in mounts and "./expectations" not in mounts
    assert (ROOT / "pipeline" / "sql" / "marts" / "influencer_daily.sql").is_file()
    assert (ROOT / "pipeline" / "expectations" / "posts.json").is_file()
    assert str(home) in env(compose["x-airflow-common"])["PYTHONPATH"].split(":")
    assert (ROOT / "dags" / "influencer_daily.py").exists()


def test_warehouse_lives_on_the_object_store_service(compose: dict[str, Any]) -> None:
    """CLOUT_WAREHOUSE names a bucket of the ``minio`` service that ``minio-init`` creates,
    with the service's endpoint and keys; the Airflow containers keep only their local state
    (CLOUT_LOCAL_DIR) on a named volume, and start once the bucket exists."""
    from pipeline.warehouse.objectstore import split_uri

    common = env(compose["x-airflow-common"])
    s = services(compose)
    bucket, prefix = split_uri(common["CLOUT_WAREHOUSE"])
    assert prefix
    minio, init = s["minio"], s["minio-init"]
    for svc in (minio, init):  # pinned images, never :latest
        assert re.fullmatch(r"quay\.io/minio/(minio|mc):RELEASE\.[\dT-]+Z", svc["image"]), svc
    assert minio["command"][:2] == ["server", "/data"] and ("warehouse", "/data") in bind_mounts(
        minio
    )
    assert f"mc mb --ignore-existing store/{bucket}" in "".join(init["command"])
    assert init["depends_on"]["minio"]["condition"] == "service_healthy"
    assert "9000" in [str(p) for p in minio["expose"]]
    assert common["AWS_ENDPOINT_URL"] == "http://minio:9000" and common["AWS_ALLOW_HTTP"] == "true"
    assert common["AWS_ACCESS_KEY_ID"] == env(minio)["MINIO_ROOT_USER"] == env(init)[
        "MINIO_ROOT_USER"]  # fmt: skip
    assert common["AWS_SECRET_ACCESS_KEY"] == env(minio)["MINIO_ROOT_PASSWORD"]
    local = common["CLOUT_LOCAL_DIR"]
    for name in AIRFLOW_SERVICES:
        svc = s[name]
        assert ("clout-local", local) in bind_mounts(svc), name
        assert not any(c == "/opt/airflow/warehouse" for _, c in bind_mounts(svc)), name
        assert svc["depends_on"]["minio-init"]["condition"] == "service_completed_successfully"
    assert {"warehouse", "clout-local"} <= set(compose.get("volumes") or {})


def test_every_variable_compose_sets_is_read_by_clout(compose: dict[str, Any]) -> None:
    """Each CLOUT_* variable of the Airflow services is a setting (or the retry delay the DAGs
    read); each AWS_* variable is one the object store reads (pipeline.warehouse.objectstore)."""
    from pipeline.config import Settings
    from pipeline.warehouse import objectstore

    settings = {f"CLOUT_{name.upper()}" for name in Settings.model_fields}
    aws = set(objectstore.VARIABLES)
    for key in env(compose["x-airflow-common"]):
        if key.startswith("CLOUT_"):
            assert key in settings | {"CLOUT_RETRY_DELAY_S"}, key
        elif key.startswith("AWS_"):
            assert key in aws, key


# ------------------------------------------------------------------------------ clout
def test_clout_settings_come_from_the_environment(compose: dict[str, Any]) -> None:
    e = env(compose["x-airflow-common"])
    for key in ("CLOUT_API_URL", "CLOUT_API_TOKEN", "CLOUT_PII_KEY"):
        m = _INTERP.match(e[key])
        assert m and m["name"] == key and m["op"], (
            f"{key} must be ${{{key}:-...}} or ${{{key}:?...}}"
        )
    # no default secret: the PII key must be set (outside the demo clout refuses to run without)
    assert _INTERP.match(e["CLOUT_PII_KEY"])["op"] == "?"  # type: ignore[index]


def test_out_of_the_box_the_workers_talk_to_the_bundled_simulator(compose: dict[str, Any]) -> None:
    e = env(compose["x-airflow-common"])
    sim = services(compose)["simulator"]
    cmd = sim["command"]
    assert cmd[:3] == ["clout", "simulate", "serve"]
    opts = dict(zip(cmd[3::2], cmd[4::2], strict=True))
    assert opts["--host"] == "0.0.0.0"
    assert default(e["CLOUT_API_URL"]) == f"http://simulator:{opts['--port']}"
    assert default(e["CLOUT_API_TOKEN"]) == opts["--token"]
    # the Airflow entrypoint would turn the command into `airflow clout ...`
    assert "entrypoint" in sim
