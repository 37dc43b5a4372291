"""The machine under the benchmark: its float32 matmul rate, the CPU others used, its make.

The matmul rate is the yardstick the model's FLOP/s are put against. A shared machine makes
every rate meaningless, so CpuMeter measures the CPU that processes outside this run (and the
hypervisor) took meanwhile. CPU name and library versions go into the report's header.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class MatmulRate:
    size: int
    numpy_gflops: float
    tensorflow_gflops: float

    @property
    def best_gflops(self) -> float:
        return max(self.numpy_gflops, self.tensorflow_gflops)


def _best_seconds(run: Callable[[], object], repeats: int) -> float:
    run()  # warm-up: thread pools, allocation, kernel selection
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def measure_matmul(size: int = 2048, repeats: int = 5) -> MatmulRate:
    """Best-of float32 GEMM rate of this machine, in numpy (BLAS) and in TensorFlow (oneDNN)."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    flop = 2.0 * size**3
    numpy_s = _best_seconds(lambda: a @ b, repeats)
    ta, tb = tf.constant(a), tf.constant(b)
    tf_s = _best_seconds(lambda: tf.linalg.matmul(ta, tb).numpy(), repeats)
    return MatmulRate(size, flop / numpy_s / 1e9, flop / tf_s / 1e9)


class CpuMeter:
    """CPU used by processes outside this run (and hypervisor steal) since the meter started.

    This machine may be shared: another job on the same cores halves the rates measured here,
    so the table says how busy everything else was. Linux /proc only; elsewhere it reads 0.
    """

    def __init__(self) -> None:
        self._start = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float, float]:
        """(wall s, machine busy core-s, steal core-s, this process tree's core-s)."""
        wall = time.perf_counter()
        try:
            fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
            tick = os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError):
            return wall, 0.0, 0.0, 0.0
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields
        busy = (user + nice + system + irq + softirq) / tick
        return wall, busy, steal / tick, _tree_cpu_ticks(os.getpid()) / tick

    def others(self) -> tuple[float, float]:
        """Average cores used by other processes, and cores stolen by the hypervisor."""
        wall, busy, steal, own = (b - a for a, b in zip(self._start, self._sample(), strict=True))
        if wall <= 0:
            return 0.0, 0.0
        return max(0.0, busy - own) / wall, steal / wall


def _tree_cpu_ticks(root: int) -> int:
    """utime + stime (own and reaped children's) of root and all its live descendants."""
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:  # fields after the ')' that closes the command name, from `state` on
                stats[int(entry.name)] = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
    children: dict[int, list[int]] = {}
    for pid, fields in stats.items():
        children.setdefault(int(fields[1]), []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += sum(int(value) for value in stats[pid][11:15])
        todo += children.get(pid, [])
    return total


def cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo, else what `platform` knows (may be empty)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


# The CPU features that change the float32 / reduced-precision GEMM rate (benchmarks record them).
_VECTOR_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")


def cpu_flags() -> list[str]:
    """Which of the vector extensions that matter for GEMM this CPU has (from /proc/cpuinfo)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                present = set(line.split(":", 1)[1].split())
                return [flag for flag in _VECTOR_FLAGS if flag in present]
    except OSError:
        pass
    return []


def library_versions() -> str:
    """Versions of the libraries whose speed is measured: numpy, TensorFlow, Keras, PySpark."""
    import keras
    import pyspark
    import tensorflow as tf

    return (
        f"numpy {np.__version__}, tensorflow {tf.__version__}, keras {keras.__version__}, "
        f"pyspark {pyspark.__version__}"
    )
