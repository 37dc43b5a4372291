"""A standing Spark cluster on 127.0.0.1: what the `connect` and `thrift` targets talk to.

`up` starts, each as its own process group with a pid file and a log in the cluster folder
(`<state dir>/cluster/` unless BTRNN_CLUSTER_DIR says otherwise):

- a Spark standalone master and its workers (1 core each), each worker running its own executor
  JVM and Python workers;
- one long-running application on that master, the Thrift JDBC/ODBC server with the Spark Connect
  plugin: dbt (Connect) and BI tools (Thrift) share its one Hive metastore and warehouse, the
  `local` target's (profiles/profiles.yml), so a warehouse built there has the same shape;
- moto's S3-compatible server, holding the model store (in memory: `down` loses its models).

`up` starts only what is not already running, `down` stops only what `up` started, and `status`
says what runs where. The settings `up` used are recorded in `cluster.json` for the other two.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from btrnn.runtime import LOOPBACK, local_spark_conf, state_dir

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
SERVER_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"
CONNECT_PLUGIN = "org.apache.spark.sql.connect.SparkConnectPlugin"
APP_NAME = "btrnn-cluster"
MODEL_BUCKET = "btrnn"
# moto accepts any credentials; these keep boto3 from looking for real ones.
S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
# Under the cluster folder: each executor Python worker appends a line per model load there
# (btrnn.scoring), and keeps its verified model copies here.
MODEL_LOAD_LOG = "model-loads.jsonl"
MODEL_CACHE = "model-cache"
# Variables that would turn the cluster's own Spark processes into Connect clients.
_CLIENT_ONLY_ENV = ("SPARK_REMOTE", "SPARK_CONNECT_MODE_ENABLED", "SPARK_API_MODE")


class ClusterError(RuntimeError):
    """A part did not start, or the folder holds a cluster with other settings."""


@dataclass(frozen=True)
class ClusterConfig:
    """Ports and sizes of the cluster; each field can be set as BTRNN_CLUSTER_<FIELD>."""

    master_port: int = 7077
    master_ui_port: int = 8080
    worker_ui_port: int = 8081  # worker N's web UI listens on worker_ui_port + N - 1
    connect_port: int = 15002
    thrift_port: int = 10000
    s3_port: int = 5000
    workers: int = 2
    worker_memory: str = "3g"  # each worker's one executor takes all of it

    @property
    def master_url(self) -> str:
        return f"spark://{LOOPBACK}:{self.master_port}"

    def endpoints(self) -> dict[str, str]:
        """Variables that point btrnn, dbt's targets and boto3 at this cluster."""
        return {
            "SPARK_REMOTE": f"sc://{LOOPBACK}:{self.connect_port}",
            "BTRNN_THRIFT_HOST": LOOPBACK,
            "BTRNN_THRIFT_PORT": str(self.thrift_port),
            "AWS_ENDPOINT_URL": f"http://{LOOPBACK}:{self.s3_port}",
            **S3_CREDENTIALS,
            "BTRNN_MODEL_URI": f"s3://{MODEL_BUCKET}/models",
            "BTRNN_CLUSTER_MASTER": self.master_url,
        }


def env_name(field: str) -> str:
    return f"BTRNN_CLUSTER_{field.upper()}"


def resolve_config(overrides: dict[str, object], recorded: ClusterConfig | None) -> ClusterConfig:
    """Each setting from, in order: `overrides` (options), BTRNN_CLUSTER_*, the recorded
    settings of a cluster already in the folder, the defaults."""
    base = recorded or ClusterConfig()
    values: dict[str, Any] = {}
    for field in fields(ClusterConfig):
        value = overrides.get(field.name)
        if value is None and env_name(field.name) in os.environ:
            raw = os.environ[env_name(field.name)]
            value = int(raw) if field.type in (int, "int") else raw
        if value is not None:
            values[field.name] = value
    return replace(base, **values)


@dataclass(frozen=True)
class Part:
    """One process of the cluster: how to start it and how to recognise it once started."""

    name: str
    command: list[str]
    ports: tuple[int, ...]  # must all answer before `up` returns
    signature: tuple[str, ...]  # substrings of its command line that only it has
    endpoint: str


@dataclass(frozen=True)
class PartStatus:
    name: str
    pid: int | None  # None: stopped
    endpoint: str


def cluster_dir() -> Path:
    """Pid files, logs, work folders and recorded settings (ignored by git with .btrnn/)."""
    default = state_dir() / "cluster"
    return Path(os.environ.get("BTRNN_CLUSTER_DIR", default)).resolve()


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def _parts(config: ClusterConfig, folder: Path) -> list[Part]:
    """Every part, in start order: those a later part needs come first."""
    bin_dir = spark_home() / "bin"
    master_conf, app_conf = folder / "master.conf", folder / "application.conf"
    s3 = [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(config.s3_port)]
    master = [str(bin_dir / "spark-class"), MASTER_CLASS, "--host", LOOPBACK,
              "--port", str(config.master_port), "--webui-port", str(config.master_ui_port),
              "--properties-file", str(master_conf)]  # fmt: skip
    application = [str(bin_dir / "spark-submit"), "--master", config.master_url,
                   "--name", APP_NAME, "--properties-file", str(app_conf), "--class", SERVER_CLASS,
                   "--hiveconf", f"hive.server2.thrift.bind.host={LOOPBACK}",
                   "--hiveconf", f"hive.server2.thrift.port={config.thrift_port}",
                   "spark-internal"]  # fmt: skip
    parts = [
        Part(
            "s3",
            s3,
            (config.s3_port,),
            ("moto.server", f" -p {config.s3_port} "),
            f"AWS_ENDPOINT_URL=http://{LOOPBACK}:{config.s3_port}",
        ),
        Part(
            "master",
            master,
            (config.master_port, config.master_ui_port),
            (MASTER_CLASS, str(master_conf)),
            f"{config.master_url} (web UI http://{LOOPBACK}:{config.master_ui_port})",
        ),
    ]
    for n in range(1, config.workers + 1):
        ui_port = config.worker_ui_port + n - 1
        work_dir = folder / f"work-{n}"
        worker = [str(bin_dir / "spark-class"), WORKER_CLASS, config.master_url, "--host", LOOPBACK,
                  "--cores", "1", "--memory", config.worker_memory,
                  "--webui-port", str(ui_port), "--work-dir", str(work_dir)]  # fmt: skip
        parts.append(
            Part(
                f"worker-{n}",
                worker,
                (ui_port,),
                (WORKER_CLASS, f"{work_dir} "),
                f"1 core, {config.worker_memory} (web UI http://{LOOPBACK}:{ui_port})",
            )
        )
    parts.append(
        Part(
            "application",
            application,
            (config.connect_port, config.thrift_port),
            (SERVER_CLASS, str(app_conf)),
            f"SPARK_REMOTE=sc://{LOOPBACK}:{config.connect_port}, "
            f"Thrift {LOOPBACK}:{config.thrift_port}",
        )
    )
    return parts


def application_conf(config: ClusterConfig, folder: Path | None = None) -> dict[str, str]:
    """The server application's Spark settings: the `local` target's, on this cluster."""
    from btrnn.scoring import CACHE_ENV, LOAD_LOG_ENV

    folder = folder or cluster_dir()
    conf = local_spark_conf(config.master_url)
    conf.update(
        {
            "spark.app.name": APP_NAME,
            "spark.plugins": CONNECT_PLUGIN,
            "spark.connect.grpc.binding.address": LOOPBACK,
            "spark.connect.grpc.binding.port": str(config.connect_port),
            "spark.sql.catalogImplementation": "hive",
            # One executor per worker, each with the worker's one core and all of its memory.
            "spark.executor.cores": "1",
            "spark.executor.memory": config.worker_memory,
            "spark.cores.max": str(config.workers),
            "spark.pyspark.python": sys.executable,
            "spark.pyspark.driver.python": sys.executable,
            # BI queries over Thrift take turns with a running build instead of queueing behind it.
            "spark.scheduler.mode": "FAIR",
            # Executors get the workers' environment and these, never the environment of a
            # client (dbt over Connect): the application says where scoring logs its model loads
            # and caches models, as a real cluster's application conf would.
            f"spark.executorEnv.{LOAD_LOG_ENV}": str(folder / MODEL_LOAD_LOG),
            f"spark.executorEnv.{CACHE_ENV}": str(folder / MODEL_CACHE),
        }
    )
    return conf


def _write_properties(path: Path, conf: dict[str, str]) -> None:
    lines = [f"{key} {value}" for key, value in sorted(conf.items())]
    path.write_text("\n".join(lines) + "\n")


def _environment(config: ClusterConfig) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CLIENT_ONLY_ENV}
    env.update(SPARK_HOME=str(spark_home()), SPARK_LOCAL_IP=LOOPBACK, PYSPARK_PYTHON=sys.executable)
    # Executors (scoring) fetch models from the cluster's store.
    env.update(AWS_ENDPOINT_URL=f"http://{LOOPBACK}:{config.s3_port}", **S3_CREDENTIALS)
    return env


def _command_line(pid: int) -> str | None:
    """The live (non-zombie) process's arguments, space-joined with a trailing space."""
    out = subprocess.run(
        ["ps", "-ww", "-o", "stat=", "-o", "args=", "-p", str(pid)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if not out or out.startswith("Z"):
        return None
    return out.split(None, 1)[-1] + " "


def _group_alive(pgid: int) -> bool:
    """True while any non-zombie process is left in the process group."""
    out = subprocess.run(
        ["ps", "-A", "-o", "pgid=", "-o", "stat="], capture_output=True, text=True, check=True
    ).stdout
    return any(
        line.split()[0] == str(pgid) and not line.split()[1].startswith("Z")
        for line in out.splitlines()
        if line.strip()
    )


def _pid_file(folder: Path, part: Part) -> Path:
    return folder / f"{part.name}.pid"


def _running_pid(folder: Path, part: Part) -> int | None:
    """The pid in the part's pid file, if that process runs and is the part (not a reused pid)."""
    try:
        pid = int(_pid_file(folder, part).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    args = _command_line(pid)
    if args is None or not all(mark in args for mark in part.signature):
        return None
    return pid


def _answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((LOOPBACK, port)) == 0


def _log_tail(folder: Path, part: Part, lines: int = 40) -> str:
    log = folder / f"{part.name}.log"
    text = log.read_text(errors="replace") if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def _start(folder: Path, part: Part, env: dict[str, str]) -> int:
    """Start the part in its own process group; its output goes to <name>.log."""
    busy = [port for port in part.ports if _answers(port)]
    if busy:
        raise ClusterError(
            f"{part.name}: port {busy[0]} on {LOOPBACK} is taken by another process; "
            "choose another port (btrnn cluster up --help)"
        )
    log = folder / f"{part.name}.log"
    if log.exists():
        log.replace(log.with_suffix(".log.1"))
    with log.open("wb") as out:
        process = subprocess.Popen(
            part.command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=folder,
            start_new_session=True,
        )
    _pid_file(folder, part).write_text(f"{process.pid}\n")
    return process.pid


def _wait_for_ports(folder: Path, parts: Sequence[Part], deadline: float) -> None:
    for part in parts:
        while not all(_answers(port) for port in part.ports):
            if _running_pid(folder, part) is None:
                raise ClusterError(f"{part.name} exited; its log ends:\n{_log_tail(folder, part)}")
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"{part.name} did not open ports {part.ports} in time; its log ends:\n"
                    f"{_log_tail(folder, part)}"
                )
            time.sleep(0.5)


def master_state(config: ClusterConfig) -> dict[str, Any]:
    """The master's JSON view: workers, applications and the cores they hold."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    url = f"http://{LOOPBACK}:{config.master_ui_port}/json/"
    with opener.open(url, timeout=5) as response:
        return dict(json.load(response))


def _wait_for_executors(config: ClusterConfig, deadline: float) -> None:
    """Until every worker is registered and the application holds a core on each."""
    while True:
        try:
            state = master_state(config)
        except OSError:
            state = {}
        apps = [a for a in state.get("activeapps", []) if a.get("name") == APP_NAME]
        if state.get("aliveworkers") == config.workers and any(
            a.get("cores") == config.workers for a in apps
        ):
            return
        if time.monotonic() > deadline:
            raise ClusterError(
                f"the application has not got {config.workers} executors in time; the master "
                f"says: {json.dumps(state)[:2000]}"
            )
        time.sleep(0.5)


def _create_bucket(config: ClusterConfig) -> None:
    import boto3

    s3 = boto3.session.Session(
        aws_access_key_id=S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=S3_CREDENTIALS["AWS_DEFAULT_REGION"],
    ).client("s3", endpoint_url=f"http://{LOOPBACK}:{config.s3_port}")
    existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    if MODEL_BUCKET not in existing:
        s3.create_bucket(Bucket=MODEL_BUCKET)


def _recorded_state_dir(folder: Path) -> str | None:
    try:
        return str(json.loads((folder / "cluster.json").read_text())["state_dir"])
    except (OSError, ValueError, KeyError):
        return None


def recorded_config(folder: Path) -> ClusterConfig | None:
    try:
        return ClusterConfig(**json.loads((folder / "cluster.json").read_text())["config"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def up(
    overrides: dict[str, object] | None = None,
    folder: Path | None = None,
    timeout_s: float = 240.0,
) -> ClusterConfig:
    """Start every part that is not running; return once all answer and hold their executors."""
    folder = folder or cluster_dir()
    folder.mkdir(parents=True, exist_ok=True)
    recorded = recorded_config(folder)
    config = resolve_config(overrides or {}, recorded)
    if recorded is not None:
        running = [p.name for p in _parts(recorded, folder) if _running_pid(folder, p)]
        was = {**asdict(recorded), "state_dir": _recorded_state_dir(folder)}
        wanted = {**asdict(config), "state_dir": str(state_dir())}
        changed = [
            f"{key} {was[key]} (asked: {wanted[key]})" for key in was if was[key] != wanted[key]
        ]
        if running and changed:
            raise ClusterError(
                f"{', '.join(running)} already run in {folder} with {', '.join(changed)}: "
                "`btrnn cluster down` first, or leave the settings as they are"
            )
    (folder / "cluster.json").write_text(
        json.dumps({"config": asdict(config), "state_dir": str(state_dir())}, indent=2) + "\n"
    )
    _write_properties(folder / "master.conf", {"spark.master.rest.enabled": "false"})
    _write_properties(folder / "application.conf", application_conf(config, folder))
    env = _environment(config)
    deadline = time.monotonic() + timeout_s
    parts = _parts(config, folder)
    # The master first: workers and the application register with it as they start.
    first, rest = parts[:2], parts[2:]
    for group in (first, rest):
        for part in group:
            if _running_pid(folder, part) is None:
                print(f"starting {part.name}", file=sys.stderr)
                _start(folder, part, env)
        _wait_for_ports(folder, group, deadline)
    _wait_for_executors(config, deadline)
    _create_bucket(config)
    return config


def status(folder: Path | None = None) -> list[PartStatus]:
    """Each part of the cluster recorded in the folder, with its pid if it runs."""
    folder = folder or cluster_dir()
    config = recorded_config(folder) or resolve_config({}, None)
    return [
        PartStatus(part.name, _running_pid(folder, part), part.endpoint)
        for part in _parts(config, folder)
    ]


def down(folder: Path | None = None, grace_s: float = 30.0) -> list[str]:
    """Stop what `up` started (SIGTERM to each group, SIGKILL after `grace_s`); return names."""
    folder = folder or cluster_dir()
    config = recorded_config(folder) or resolve_config({}, None)
    stopping: dict[str, int] = {}
    for part in reversed(_parts(config, folder)):  # the application before the workers
        pid = _running_pid(folder, part)
        if pid is not None:
            print(f"stopping {part.name} (pid {pid})", file=sys.stderr)
            os.killpg(pid, signal.SIGTERM)
            stopping[part.name] = pid
    deadline = time.monotonic() + grace_s
    for name, pid in stopping.items():
        while _group_alive(pid) and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.2)
        if _group_alive(pid):
            print(f"{name} ignored SIGTERM for {grace_s:g} s: SIGKILL", file=sys.stderr)
            os.killpg(pid, signal.SIGKILL)
            while _group_alive(pid):
                _reap(pid)
                time.sleep(0.1)
        _reap(pid)
    for pid_file in folder.glob("*.pid"):
        pid_file.unlink()
    (folder / "cluster.json").unlink(missing_ok=True)
    return list(stopping)


def _reap(pid: int) -> None:
    """Collect the exit status when the caller itself started the process (`up` in-process)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def add_parser(commands: argparse._SubParsersAction) -> None:
    """`btrnn cluster up|down|status`."""
    cluster = commands.add_parser(
        "cluster",
        help="a standing Spark cluster on 127.0.0.1 (master, workers, Connect + Thrift, S3)",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    actions = cluster.add_subparsers(dest="action", required=True)
    folder_help = (
        "pid files, logs and settings (default: BTRNN_CLUSTER_DIR, else <state dir>/cluster)"
    )

    start = actions.add_parser(
        "up",
        help="start what is not running; print the endpoints as shell variables",
        description="Starts every part that is not already running and waits until each answers "
        "and the application holds one executor per worker. Prints `export` lines for the "
        'endpoints (`eval "$(btrnn cluster up)"`); progress goes to stderr. Each option can '
        "also be set as BTRNN_CLUSTER_<OPTION> (e.g. BTRNN_CLUSTER_THRIFT_PORT).",
    )
    defaults = ClusterConfig()
    helps = {
        "master_port": "the master's RPC port",
        "master_ui_port": "the master's web UI (its /json/ lists workers and applications)",
        "worker_ui_port": "worker 1's web UI; worker N uses this + N - 1",
        "connect_port": "Spark Connect (gRPC)",
        "thrift_port": "the Thrift JDBC/ODBC endpoint",
        "s3_port": "the S3-compatible model store",
        "workers": "workers, 1 core each",
        "worker_memory": "memory of each worker and its executor, e.g. 3g",
    }
    for field in fields(ClusterConfig):
        default = getattr(defaults, field.name)
        start.add_argument(
            f"--{field.name.replace('_', '-')}",
            type=type(default),
            default=None,
            help=f"{helps[field.name]} (default: {default}; env {env_name(field.name)})",
        )
    start.add_argument("--dir", type=Path, default=None, help=folder_help)
    start.add_argument(
        "--timeout",
        type=float,
        default=240.0,
        help="seconds to wait for every part (default: %(default)s)",
    )
    start.set_defaults(run=_cmd_up)

    stop = actions.add_parser("down", help="stop what `up` started")
    stop.add_argument("--dir", type=Path, default=None, help=folder_help)
    stop.add_argument(
        "--grace",
        type=float,
        default=30.0,
        help="seconds between SIGTERM and SIGKILL (default: %(default)s)",
    )
    stop.set_defaults(run=_cmd_down)

    show = actions.add_parser("status", help="what runs where; exit 0 only if every part runs")
    show.add_argument("--dir", type=Path, default=None, help=folder_help)
    show.set_defaults(run=_cmd_status)


def _cmd_up(args: argparse.Namespace) -> int:
    overrides = {field.name: getattr(args, field.name) for field in fields(ClusterConfig)}
    started = time.monotonic()
    try:
        config = up(overrides, args.dir, args.timeout)
    except ClusterError as err:
        print(f"btrnn cluster up: {err}", file=sys.stderr)
        return 1
    print(f"cluster up in {time.monotonic() - started:.0f} s", file=sys.stderr)
    for name, value in config.endpoints().items():
        print(f"export {name}={value}")
    return 0


def _cmd_down(args: argparse.Namespace) -> int:
    stopped = down(args.dir, args.grace)
    print(f"stopped: {', '.join(stopped) or 'nothing was running'}", file=sys.stderr)
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    parts = status(args.dir)
    for part in parts:
        state = f"running  pid {part.pid:<8}" if part.pid else "stopped" + " " * 15
        print(f"{part.name:<12} {state} {part.endpoint}")
    return 0 if all(part.pid for part in parts) else 1
