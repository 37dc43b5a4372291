"""`btrnn bench`: scoring rows/s on Spark, batched against the paper's row-at-a-time UDF.

- machine: the machine's float32 matmul rate, the CPU other processes used, CPU and versions;
- scoring: the benchmark itself (synthetic models and users, both scoring paths);
- report: the printed table;
- command: the options `btrnn bench` takes, and their run.

Importing the package loads neither TensorFlow nor Spark: btrnn.cli registers the options.
"""

from btrnn.bench.command import add_arguments, run
from btrnn.bench.report import format_report
from btrnn.bench.scoring import BenchConfig, run_benchmark

__all__ = ["BenchConfig", "add_arguments", "format_report", "run", "run_benchmark"]
