"""Readiness probe: does a host:port answer the Kafka protocol (ApiVersions), not just TCP."""

from __future__ import annotations

import socket
import struct
import time

__all__ = ["BrokerNotReady", "answers_kafka", "free_port", "wait_until_answers"]

_API_VERSIONS_KEY = 18
_CORRELATION_ID = 0x6B63  # "kc"; any value works, the broker echoes it back


class BrokerNotReady(RuntimeError):
    """The broker did not answer the Kafka protocol in time."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port the OS reports free on `host` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _api_versions_request(client_id: bytes = b"kcall-probe") -> bytes:
    # ApiVersions v0: header (api_key, api_version, correlation_id, client_id), empty body.
    body = struct.pack(">hhih", _API_VERSIONS_KEY, 0, _CORRELATION_ID, len(client_id)) + client_id
    return struct.pack(">i", len(body)) + body


def _read_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        data += chunk
    return data


def answers_kafka(host: str, port: int, timeout_s: float = 1.0) -> bool:
    """True when the listener replies to an ApiVersions request with error code 0."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as sock:
            sock.sendall(_api_versions_request())
            (size,) = struct.unpack(">i", _read_exact(sock, 4))
            if size < 6:
                return False
            correlation_id, error_code = struct.unpack(">ih", _read_exact(sock, 6))
            return bool(correlation_id == _CORRELATION_ID and error_code == 0)
    except (OSError, struct.error):
        return False


def wait_until_answers(host: str, port: int, *, timeout_s: float = 15.0) -> float:
    """Poll until the broker answers; return the seconds it took, or raise BrokerNotReady."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if answers_kafka(host, port, timeout_s=0.5):
            return time.monotonic() - start
        time.sleep(0.02)
    raise BrokerNotReady(f"no Kafka ApiVersions answer from {host}:{port} in {timeout_s:.0f} s")
