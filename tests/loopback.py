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
