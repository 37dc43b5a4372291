"""dbt-spark-python is a package of its own: `adapter/` builds a wheel that holds the plugin.

Built offline from a copy of the sources (an in-tree build leaves build/ and egg-info behind),
with this environment's setuptools, then installed with --no-deps into a temp folder and
imported from there.
"""

from __future__ import annotations

import email.parser
import shutil
import subprocess
import zipfile
from pathlib import Path

from spark_python_harness import PYTHON, spark_env

ADAPTER_DIR = Path(__file__).resolve().parents[1]
MODULES = ["__init__", "__version__", "connections", "impl", "python_submissions", "seeds"]


def pip(*args: str) -> None:
    done = subprocess.run(
        [str(PYTHON), "-m", "pip", *args, "--no-deps", "--no-index", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, (
        f"pip {args[0]} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    )


def test_adapter_builds_a_wheel_with_its_modules_and_macros(tmp_path: Path) -> None:
    source = tmp_path / "dbt-spark-python"
    source.mkdir()
    shutil.copy(ADAPTER_DIR / "pyproject.toml", source)
    shutil.copytree(
        ADAPTER_DIR / "dbt", source / "dbt", ignore=shutil.ignore_patterns("__pycache__")
    )

    pip("wheel", "--no-build-isolation", "--wheel-dir", str(tmp_path / "dist"), str(source))

    (wheel,) = (tmp_path / "dist").glob("dbt_spark_python-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = email.parser.Parser().parsestr(archive.read(metadata_name).decode())
    macros = sorted(p.name for p in (ADAPTER_DIR / "dbt/include/spark_python/macros").glob("*.sql"))
    assert macros
    expected = {f"dbt/adapters/spark_python/{module}.py" for module in MODULES}
    expected |= {"dbt/include/spark_python/__init__.py", "dbt/include/spark_python/dbt_project.yml"}
    expected |= {f"dbt/include/spark_python/macros/{name}" for name in macros}
    assert expected <= names, sorted(expected - names)
    # Namespace packages: an __init__.py here would hide dbt-core's and dbt-adapters' own.
    assert not names & {"dbt/__init__.py", "dbt/adapters/__init__.py", "dbt/include/__init__.py"}
    assert not [name for name in names if "/tests/" in name or name.startswith("tests/")]
    assert metadata["Name"] == "dbt-spark-python"
    version_file = ADAPTER_DIR / "dbt/adapters/spark_python/__version__.py"
    assert f'version = "{metadata["Version"]}"' in version_file.read_text()
    assert sorted(metadata.get_all("Requires-Dist") or []) == [
        "dbt-spark[session]<1.12,>=1.11",
        "pyspark>=4.0",
    ]

    # Installed alone into a folder ahead of the editable checkout on the path: dbt finds the
    # plugin, its macros and its dbt_project.yml there.
    target = tmp_path / "site"
    pip("install", "--target", str(target), str(wheel))
    script = (
        "from dbt.adapters.spark_python import Plugin\n"
        "from dbt.adapters.spark_python import python_submissions\n"
        "print(python_submissions.__file__)\n"
        "print(Plugin.include_path)\n"
    )
    done = subprocess.run(
        [str(PYTHON), "-c", script],
        env=spark_env(PYTHONPATH=str(target)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    module_file, include_path = (Path(line) for line in done.stdout.split())
    assert module_file.is_relative_to(target), module_file
    assert include_path == target / "dbt" / "include" / "spark_python"
    assert sorted(p.name for p in (include_path / "macros").glob("*.sql")) == macros
    assert (include_path / "dbt_project.yml").is_file()
