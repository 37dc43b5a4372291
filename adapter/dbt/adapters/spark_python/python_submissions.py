"""Runs a compiled dbt Python model in the SparkSession that the dbt connection uses.

dbt runs models in its threads (`--threads N`), so several models may be here at once. They
share the session, which is safe: PySpark's builder creates it under a lock (classic and
Spark Connect alike) and hands every later caller the same one, as it does for dbt-spark's SQL
cursor. Each model gets its own exec namespace; the one process-wide thing written is a
linecache entry per model name (its source for tracebacks). The one lock is for imports:
pyspark.pandas imports itself circularly, and two threads importing it at once can see it half
initialised (`cannot import name 'pandas' from 'pyspark'`), so it is imported once, under a
lock, before the first model runs.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import linecache
import shlex
import sys
import threading
import traceback
from collections.abc import Iterable
from typing import Any

from dbt.adapters.base import PythonJobHelper
from dbt.adapters.spark.connections import SparkConnectionMethod, SparkCredentials
from dbt_common.exceptions import DbtRuntimeError
from packaging.requirements import InvalidRequirement, Requirement

_IMPORT_LOCK = threading.Lock()


def import_pandas_on_spark() -> None:
    """Import pyspark.pandas (which the models and dbt's epilogue use) once, in one thread.

    Where it cannot be imported (pandas or pyarrow missing or of unsupported versions), the
    models' own imports fail as usual and the epilogue falls back to `createDataFrame`.
    """
    # Not `"pyspark.pandas" in sys.modules`: a half-imported module is in it already.
    with _IMPORT_LOCK, contextlib.suppress(ImportError):
        import pyspark.pandas  # noqa: F401


def connection_session(server_side_parameters: dict[str, str]) -> Any:
    """The session dbt-spark's `session` method runs SQL in (the same builder, so the same one).

    With SPARK_REMOTE set, PySpark's builder returns a Spark Connect session instead of
    starting a local JVM, so the model then runs against that server.
    """
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for key, value in server_side_parameters.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    _make_active_in_this_thread(session)
    return session


def _make_active_in_this_thread(session: Any) -> None:
    """Make a Spark Connect session the active one of the model's thread.

    A Connect session is active only in the thread that created it (SPARK-44694); in dbt's other
    threads `getOrCreate()` returns it without making it active, and pyspark.ml's remote calls
    (e.g. `Word2VecModel.getVectors()`) then fail on `getActiveSession() is None`. PySpark has no
    public setter for Connect, so this uses the one its builder uses (sets only what is unset).
    """
    if not type(session).__module__.startswith("pyspark.sql.connect"):
        return  # a classic session is active in every thread (it lives in the JVM)
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    if ConnectSession.getActiveSession() is None:
        ConnectSession._set_default_and_active_session(session)


def unmet_requirements(packages: Iterable[str]) -> list[str]:
    """The entries of a model's `packages` config that this Python cannot satisfy, each with why.

    An entry is met when its distribution is installed in a version its specifier allows, or,
    for a name that is not a distribution (an import name), when the module can be found.
    """
    unmet = []
    for entry in packages:
        try:
            requirement = Requirement(entry)
        except InvalidRequirement:
            unmet.append(f"{entry} (not a package requirement)")
            continue
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue  # for another Python or platform
        try:
            installed: str | None = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed is None:
            if not _importable(requirement.name):
                unmet.append(f"{entry} (not installed)")
        elif requirement.specifier and not requirement.specifier.contains(
            installed, prereleases=True
        ):
            unmet.append(f"{entry} (installed: {installed})")
    return unmet


def _importable(name: str) -> bool:
    module = name.replace("-", "_")
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def failure_message(identifier: str, exc: BaseException, filename: str, own_lines: range) -> str:
    """A one-line summary, the frames inside the model's code, then the rest of the traceback.

    `own_lines` are the lines of the compiled model that are the model's own file (dbt adds its
    `dbt` object and the write after them); the summary names the deepest frame among them by
    its line in that file.
    """
    first_line = next((line for line in str(exc).splitlines() if line.strip()), "")
    error = f"{type(exc).__name__}: {first_line.strip()}" if first_line else type(exc).__name__
    trace = traceback.TracebackException.from_exception(exc)
    inside = [frame for frame in trace.stack if frame.filename == filename]
    # The rest, less this module's own `exec` frame, which every failure has.
    outside = [f for f in trace.stack if f.filename not in (filename, __file__)]
    own = [frame for frame in inside if frame.lineno in own_lines]
    if own:
        where = f" at line {(own[-1].lineno or 0) - own_lines.start + 1}"
    elif inside:
        where = f" in the code dbt added after the model's own (compiled line {inside[-1].lineno})"
    else:
        where = ""
    lines = [f"Python model {identifier} failed{where}: {error}"]
    if inside:
        lines += ["", "In the model (most recent call last):"]
        lines += [text.rstrip("\n") for text in traceback.StackSummary.from_list(inside).format()]
    trace.stack = traceback.StackSummary.from_list(outside)
    lines += ["", "The rest of the traceback:", "".join(trace.format()).rstrip("\n")]
    return "\n".join(lines)


class SessionPythonJobHelper(PythonJobHelper):
    """Submission method `session`: exec the model's compiled code with `spark` bound."""

    def __init__(self, parsed_model: dict, credentials: SparkCredentials) -> None:
        if credentials.method != SparkConnectionMethod.SESSION:
            raise DbtRuntimeError(
                f"Python model {parsed_model['alias']}: submission method 'session' needs a "
                f"profile with `method: session` (a local SparkSession, or Spark Connect via "
                f"SPARK_REMOTE); this target uses `method: {credentials.method}`."
            )
        self.identifier: str = parsed_model["alias"]
        self.credentials = credentials
        packages = parsed_model.get("config", {}).get("packages") or []
        self.packages: list[str] = [packages] if isinstance(packages, str) else list(packages)
        self.raw_code = str(parsed_model.get("raw_code") or "")

    def check_packages(self) -> None:
        """Fail before anything runs when the model's `packages` are not importable here."""
        unmet = unmet_requirements(self.packages)
        if not unmet:
            return
        names = " ".join(shlex.quote(entry.split(" (")[0]) for entry in unmet)
        listed = "\n".join(f"  - {entry}" for entry in unmet)
        raise DbtRuntimeError(
            f"Python model {self.identifier} needs packages that the Python running dbt "
            f"({sys.executable}) cannot import:\n{listed}\n"
            f"The `session` method installs nothing: install them into that environment, e.g.\n"
            f"  {shlex.quote(sys.executable)} -m pip install {names}\n"
            f"(over Spark Connect, UDFs also need them in the server's Python workers)"
        )

    def model_source(self, compiled_code: str) -> tuple[str, range]:
        """The code to run, and which of its lines are the model's own file.

        dbt renders the model's file first, after a few blank lines: those are dropped, so that
        tracebacks give the model's lines their numbers in its file.
        """
        start = compiled_code.find(self.raw_code) if self.raw_code else -1
        if start < 0:
            return compiled_code, range(1, compiled_code.count("\n") + 2)
        prefix = compiled_code[:start]
        if not prefix.strip():
            compiled_code, prefix = compiled_code[start:], ""
        first = prefix.count("\n") + 1
        return compiled_code, range(first, first + len(self.raw_code.splitlines()))

    def submit(self, compiled_code: str) -> None:
        self.check_packages()
        import_pandas_on_spark()
        spark = connection_session(self.credentials.server_side_parameters)
        code, own_lines = self.model_source(compiled_code)
        filename = f"<python model {self.identifier}>"
        # Source text for tracebacks and warnings; an mtime of None keeps checkcache off it.
        linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
        namespace: dict[str, Any] = {"spark": spark, "__name__": f"dbt_model_{self.identifier}"}
        try:
            exec(compile(code, filename, "exec"), namespace)
        except Exception as exc:
            raise DbtRuntimeError(
                failure_message(self.identifier, exc, filename, own_lines)
            ) from exc
