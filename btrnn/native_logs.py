"""TensorFlow's native start-up lines, kept off the terminal of the commands that train or score.

TensorFlow's C++ code logs through absl before anything initialises absl's logging, so those
lines bypass TF_CPP_MIN_LOG_LEVEL and go straight to file descriptor 2: an `I0000 ... oneDNN
custom operations are on` line per import and, on some CPUs, `E0000 ... oneDNN supports DT_BOOL
only on platforms with AVX-512`, an ERROR about nothing a user can act on. No setting silences
them short of turning oneDNN off (slower), so the process's descriptor 2 goes through a pipe
that drops those lines and passes every other byte on.
"""

from __future__ import annotations

import atexit
import os
import re
import sys
import threading

# absl's line header: severity letter, date (0000 before initialisation), time, thread, file:line.
NOISE = re.compile(
    rb"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    rb"|[IW]\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] .*"  # information and warnings, never errors
    rb"|E\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] oneDNN supports DT_BOOL only on platforms with AVX-512.*"
    rb")\r?\n?$"
)


def _forward(source: int, target: int) -> None:
    with os.fdopen(source, "rb") as lines:
        for line in lines:
            if not NOISE.match(line):
                os.write(target, line)


def quiet_native_logs() -> None:
    """From now until exit, drop TensorFlow's native noise from this process's stderr."""
    sys.stderr.flush()
    original = os.dup(2)
    read, write = os.pipe()
    os.dup2(write, 2)
    os.close(write)
    forwarder = threading.Thread(target=_forward, args=(read, original), daemon=True)
    forwarder.start()

    def restore() -> None:  # the pipe's last writer goes: the forwarder drains it and ends
        sys.stderr.flush()
        os.dup2(original, 2)
        forwarder.join(timeout=5)

    atexit.register(restore)
