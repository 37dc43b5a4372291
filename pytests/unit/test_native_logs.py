"""TensorFlow's native start-up lines are dropped from stderr; everything else passes."""

from __future__ import annotations

import subprocess
import sys

# TensorFlow's lines as a 2-core AVX-512 machine printed them, and a native error that must stay.
NATIVE = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796695909.323393   10971 port.cc:153] oneDNN custom operations are on.",
    "E0000 00:00:1796695922.615332   10971 util.cc:131] oneDNN supports DT_BOOL only on "
    "platforms with AVX-512. Falling back to the default Eigen-based implementation if present.",
    "E0000 00:00:1796695922.615332   10971 util.cc:131] a real error",
)
CHILD = rf"""
import os, sys
from btrnn.native_logs import quiet_native_logs
quiet_native_logs()
for line in {NATIVE!r}:
    os.write(2, line.encode() + b"\n")
print("a Python line", file=sys.stderr)
os.system("echo a child process line >&2")
raise SystemExit("the last words")
"""


def test_native_noise_is_dropped_and_the_rest_passes_to_the_end():
    done = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        NATIVE[-1],
        "a Python line",
        "a child process line",
        "the last words",
    ]
