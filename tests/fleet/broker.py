"""Test helpers: a real mosquitto process, and an MQTT subscriber that records what it gets."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
from pathlib import Path
from typing import Optional

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from tests.support.net import free_port, wait_for_port


def find_mosquitto() -> Optional[str]:
    found = shutil.which("mosquitto")
    if found:
        return found
    return "/usr/sbin/mosquitto" if os.access("/usr/sbin/mosquitto", os.X_OK) else None


class Broker:
    """``mosquitto -c <generated config>`` in the foreground on a free loopback port.

    Persistence goes to ``workdir`` (so a restart keeps subscribers' sessions);
    :meth:`stop` and :meth:`start` restart it on the same port.
    """

    def __init__(
        self, binary: str, workdir: Path, *, max_packet_size: int = 0, port: int = 0
    ) -> None:
        self.binary = binary
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.config = self.workdir / "mosquitto.conf"
        lines = [
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            "persistence true",
            f"persistence_location {self.workdir}/",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            "max_queued_messages 0",
        ]
        if os.geteuid() == 0:  # else it drops to user mosquitto and cannot save its state here
            lines.append("user root")
        if max_packet_size:
            lines.append(f"max_packet_size {max_packet_size}")
        self.config.write_text("\n".join(lines) + "\n")
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.log = self.workdir / "mosquitto.log"

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> Broker:
        assert self.proc is None
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [self.binary, "-c", str(self.config)], stdout=log, stderr=log
            )
        try:
            wait_for_port(self.port)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """SIGTERM (mosquitto saves its persistence), then wait; SIGKILL if it hangs."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    def __enter__(self) -> Broker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Subscriber:
    """An MQTT 5 client that records every JSON document on ``topics`` (QoS 1).

    ``session`` names a persistent session (kept by the broker while away, and
    across a broker restart with persistence), so nothing published meanwhile
    is missed.
    """

    def __init__(self, port: int, topics: list[str], *, session: Optional[str] = None) -> None:
        self.port = port
        self.topics = topics
        self.received: list[tuple[str, dict]] = []
        self.raw: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=session or "", protocol=paho.MQTTv5
        )
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *a: self._subscribed.set()
        self.client.on_message = self._on_message
        self._session = session

    def _on_connect(self, client, userdata, flags, reason, properties):
        if not reason.is_failure:
            client.subscribe([(t, 1) for t in self.topics])

    def _on_message(self, client, userdata, msg):
        with self._lock:
            self.raw.append((msg.topic, bytes(msg.payload)))
            try:
                self.received.append((msg.topic, json.loads(msg.payload)))
            except ValueError:
                pass

    def start(self) -> Subscriber:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        props = None
        if self._session:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 3600
        self.client.connect_async(
            "127.0.0.1", self.port, clean_start=not self._session, properties=props
        )
        self.client.reconnect_delay_set(0.05, 0.2)
        self.client.loop_start()
        if not self._subscribed.wait(10):
            self.close()
            raise TimeoutError("the subscriber did not get its SUBACK")
        return self

    def documents(self, suffix: str = "") -> list[dict]:
        with self._lock:
            return [doc for topic, doc in self.received if topic.endswith(suffix)]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self.client._reset_sockets()  # paho closes its socket pair only in __del__

    def __enter__(self) -> Subscriber:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def publish(port: int, topic: str, payload: bytes) -> None:
    """Publish one QoS 1 message and wait for its PUBACK."""
    client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        info = client.publish(topic, payload, qos=1)
        info.wait_for_publish(timeout=10)
        assert info.is_published()
    finally:
        client.disconnect()
        client.loop_stop()
        client._reset_sockets()
