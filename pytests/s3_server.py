"""A real S3-compatible server for tests: moto's server mode over HTTP on 127.0.0.1.

`running_s3_server()` starts one in a subprocess and yields its endpoint URL; the session fixture
`s3_endpoint` also points boto3 at it (endpoint, dummy credentials, region) while it runs.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0

# Variables that would send boto3 elsewhere or override the dummy credentials: cleared while a
# test endpoint is active, so no test can reach a real account.
_REDIRECTING_ENV = (
    "AWS_ENDPOINT_URL_S3",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    """True once the server replies to an HTTP request (any status); proxies are bypassed."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


@contextmanager
def running_s3_server() -> Iterator[str]:
    """Run moto's S3-compatible server on a free loopback port; yield its endpoint URL."""
    with tempfile.TemporaryDirectory(prefix="btrnn-moto-") as tmp:
        log_path = Path(tmp) / "moto.log"
        for _ in range(3):  # the free port can be taken between probing and binding
            port = _free_port()
            url = f"http://{HOST}:{port}"
            with log_path.open("wb") as log:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            try:
                deadline = time.monotonic() + START_TIMEOUT_S
                while proc.poll() is None and time.monotonic() < deadline:
                    if _answers(url):
                        break
                    time.sleep(0.1)
                if proc.poll() is None and _answers(url):
                    yield url
                    return
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        tail = log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"moto S3 server did not start on {HOST}; its log ends:\n{tail}")


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """Endpoint URL of a session-wide S3 server; boto3 in this process (and children) uses it."""
    with running_s3_server() as url, pytest.MonkeyPatch.context() as mp:
        for name in _REDIRECTING_ENV:
            mp.delenv(name, raising=False)
        mp.setenv("AWS_ENDPOINT_URL", url)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        # A developer's ~/.aws files must not change addressing or credentials in tests.
        mp.setenv("AWS_CONFIG_FILE", os.devnull)
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        yield url
