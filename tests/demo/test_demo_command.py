"""`palliro demo` starts a working department and serves the login page with gunicorn."""

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PALLIRO_", "DJANGO_SETTINGS_MODULE"))}
    env["PALLIRO_DATA_DIR"] = str(tmp_path)
    return env


@pytest.mark.slow
def test_palliro_demo_serves_the_login_page(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "palliro", "demo", "--patients", "25", "--port", str(port)],
        env=clean_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        body, deadline = None, time.monotonic() + 90
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2) as response:
                    body = response.read().decode()
                    server = response.headers["Server"]
                break
            except OSError:
                time.sleep(0.5)
        assert body is not None, "the demo did not answer"
        assert 'name="username"' in body
        assert "gunicorn" in server
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert "nurse-a" in output and "researcher" in output and "palliro-demo" in output
    assert (tmp_path / "palliro.sqlite3").exists()


def test_palliro_demo_rejects_a_bad_patient_count(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "palliro", "demo", "--patients", "lots", "--no-serve"],
        env=clean_env(tmp_path), capture_output=True, text=True,
    )
    assert result.returncode == 2
    assert "expected a whole number" in result.stderr
    assert "Traceback" not in result.stderr
