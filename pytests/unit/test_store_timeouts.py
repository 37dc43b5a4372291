"""An unreachable or stalled S3 endpoint fails the model store fast, with a clear error that
never prints credentials (real sockets on 127.0.0.1; no S3 server needed)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from btrnn import artifacts
from btrnn.artifacts import ArtifactError, ModelStore, redact


@pytest.fixture
def s3_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setattr(artifacts, "S3_CONNECT_TIMEOUT_S", 1.0)
    monkeypatch.setattr(artifacts, "S3_READ_TIMEOUT_S", 1.0)
    monkeypatch.setattr(artifacts, "S3_MAX_ATTEMPTS", 2)


@pytest.fixture
def stalled_port() -> Iterator[int]:
    """A server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def current_version_error(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, float]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    started = time.monotonic()
    with pytest.raises(ArtifactError) as raised:
        ModelStore.from_uri("s3://models/btrnn").current_version()
    return str(raised.value), time.monotonic() - started


@pytest.mark.usefixtures("s3_env")
def test_a_down_endpoint_fails_fast_without_credentials_in_the_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    endpoint = f"http://admin:s3cr3t@127.0.0.1:{closed_port()}"
    message, elapsed = current_version_error(endpoint, monkeypatch)

    assert "s3://models/btrnn/CURRENT" in message and "failed after 2 attempts" in message
    assert "s3cr3t" not in message
    assert elapsed < 10


@pytest.mark.usefixtures("s3_env")
def test_a_stalled_endpoint_times_out_within_the_bound(
    monkeypatch: pytest.MonkeyPatch, stalled_port: int
) -> None:
    message, elapsed = current_version_error(f"http://127.0.0.1:{stalled_port}", monkeypatch)

    assert "timeout" in message.lower() and "read 1 s" in message
    # Two attempts of a 1 s read timeout, and the retry's backoff.
    assert elapsed < 10


def test_redact_removes_userinfo_only() -> None:
    text = "GET http://key:secret@host:9000/b and https://host/path@x"
    assert redact(text) == "GET http://***@host:9000/b and https://host/path@x"
