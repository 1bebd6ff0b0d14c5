"""Processes the load and fault tests start on loopback: a free port, and stopping a process
with its whole group (gunicorn and Celery fork children that would outlive their parent)."""

import contextlib
import os
import signal
import socket
import subprocess

HOST = "127.0.0.1"


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def stop_group(process, sig=signal.SIGTERM, timeout=10):
    """Send ``sig`` to the process's group (started with start_new_session=True), wait, and
    SIGKILL the group if it is still there after ``timeout`` seconds."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    else:  # its children may outlive it (a killed Celery main process leaves its pool)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


class Balancer:
    """HAProxy (Debian's `haproxy`) on loopback, spreading requests round-robin over the given
    backend ports, as a load balancer in front of several instances does. Stop with ``stop()``."""

    def __init__(self, ports, folder):
        import shutil
        import time
        from pathlib import Path

        binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not Path(binary).exists():
            raise RuntimeError("HAProxy is missing: apt-get install haproxy (.ci/run installs it)")
        self.port = free_port()
        folder = Path(folder)
        servers = "\n".join(f"    server instance{n} {HOST}:{port}" for n, port in enumerate(ports, 1))
        config = folder / "haproxy.cfg"
        config.write_text(
            "global\n    maxconn 4000\n"
            "defaults\n    mode http\n    timeout connect 5s\n    timeout client 180s\n"
            "    timeout server 180s\n    option forwardfor\n"
            f"frontend gongmo\n    bind {HOST}:{self.port}\n    default_backend instances\n"
            f"backend instances\n    balance roundrobin\n{servers}\n"
        )
        self.log_path = folder / "haproxy.log"
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [binary, "-f", str(config), "-db"],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"HAProxy exited: {self.log_path.read_text()[-2000:]}")
            with socket.socket() as probe:
                if probe.connect_ex((HOST, self.port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"HAProxy did not listen on {self.port}")

    def stop(self):
        stop_group(self.process, timeout=5)
