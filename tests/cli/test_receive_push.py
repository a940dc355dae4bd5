"""``hologram receive``/``hologram_receive.py`` and ``hologram push`` as real processes."""

import signal
import threading

from hologram_sdk.cloud.custom import CustomCloud
from hologram_sdk.emulator.cloud import push
from tests.cli.util import HOLOGRAM, Proc, run, script
from tests.support.net import free_port


def test_receive_script_prints_pushed_messages_and_stops_on_sigterm(env):
    port = free_port()
    proc = Proc([*script("hologram_receive.py"), "--host", "127.0.0.1", "-p", str(port)], env)
    try:
        proc.wait_for(f"Ready to receive data on port {port}")
        push("127.0.0.1", port, "hello device")
        proc.wait_for("Received message: hello device\n")
        push("127.0.0.1", port, "second one")
        proc.wait_for("Received message: second one\n")
        status, out, err = proc.stop(signal.SIGTERM)
    finally:
        proc.kill()
    assert status == 0, err
    assert out.endswith("Closing socket...\n")
    assert "Traceback" not in err


def test_hologram_receive_with_timeout_exits_by_itself(env):
    port = free_port()
    proc = Proc([*HOLOGRAM, "receive", "--host", "127.0.0.1", "--port", str(port),
                 "--timeout", "1.5"], env)
    try:
        proc.wait_for("Ready to receive")
        push("127.0.0.1", port, "within the timeout")
        proc.wait_for("Received message: within the timeout")
        status, out, err = proc.stop(timeout=10)
    finally:
        proc.kill()
    assert (status, err) == (0, "")
    assert "Closing socket..." in out


def test_receive_sigint_is_a_clean_exit(env):
    port = free_port()
    proc = Proc([*HOLOGRAM, "receive", "--host", "127.0.0.1", "-p", str(port)], env)
    try:
        proc.wait_for("Ready to receive")
        status, _, err = proc.stop(signal.SIGINT)
    finally:
        proc.kill()
    assert (status, err) == (0, "")


def test_receive_on_a_busy_port_is_a_one_line_error(env):
    device = CustomCloud(None, receive_host="127.0.0.1", receive_port=free_port(),
                         enable_inbound=True)
    try:
        result = run([*HOLOGRAM, "receive", "--host", "127.0.0.1", "--port",
                      str(device.receive_port), "--timeout", "1"], env)
    finally:
        device.close()
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert str(device.receive_port) in result.stderr


def test_push_cli_delivers_to_a_custom_cloud(env):
    port = free_port()
    arrived = threading.Event()
    device = CustomCloud(None, receive_host="127.0.0.1", receive_port=port, enable_inbound=True)
    try:
        device.event.subscribe("message.received", arrived.set)
        result = run([*HOLOGRAM, "push", "--port", str(port), "open the valve"], env)
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"pushed 14 bytes to 127.0.0.1:{port}\n"
        assert arrived.wait(5)
        assert device.popReceivedMessage() == "open the valve"
    finally:
        device.close()


def test_push_cli_to_nobody(env):
    port = free_port()
    result = run([*HOLOGRAM, "push", "--host", "127.0.0.1", "-p", str(port), "x"], env)
    assert result.returncode == 1
    expected = f"hologram push: cannot reach 127.0.0.1:{port}: connection refused"
    assert result.stderr.startswith(expected)
