"""The MQTT route: every stored message and SMS published to a broker with QoS 1.

``--route mqtt://[user[:pass]@]HOST:PORT[/PREFIX]`` (``mqtts://`` for TLS, with
``?ca=FILE`` or ``$HOLOGRAM_MQTT_CA``; credentials also from
``$HOLOGRAM_MQTT_USERNAME`` / ``$HOLOGRAM_MQTT_PASSWORD``). The topic layout,
with every device name and Hologram topic percent-encoded as one level::

    PREFIX/devices/<device>/messages    each message of the device (JSON, QoS 1)
    PREFIX/topics/<topic>/messages      the same message once per Hologram topic it has
    PREFIX/devices/<device>/sms         each SMS the device sent
    PREFIX/devices/<device>/to-device   subscribed by the gateways: cloud-to-device
    PREFIX/devices/<device>/seen        retained: which gateway saw the device last

A row counts as forwarded once the broker's PUBACK for every topic it went to
came back with a success code; a PUBACK with an error code (MQTT 5, e.g.
mosquitto's ``message_size_limit``) or a payload over the broker's maximum
packet size marks it failed with the reason. The client is paho-mqtt (the
``mqtt`` extra), imported only here; this module is imported only when such a
route is configured. Reconnection uses the project's backoff; paho keeps the
unacknowledged publications of a dropped connection and sends them again, in
order, once it is back.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import urllib.parse
from typing import Optional, Union

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from hologram_sdk.base.backoff import Backoff
from hologram_sdk.base.errors import ConfigurationError
from hologram_sdk.emulator.cloud.routes import (
    DEFAULT_PREFIX,
    ENV_MQTT_CA,
    ENV_MQTT_PASSWORD,
    ENV_MQTT_USERNAME,
    FORWARDED,
    Done,
    Outcome,
    Outgoing,
    Retries,
    Route,
    RouteURL,
    StateListener,
    encode_document,
    topic_level,
)

logger = logging.getLogger("hologram_sdk.emulator.cloud")

KEEPALIVE = 30
#: records handed to paho before their PUBACKs (it queues what is over its in-flight limit)
WINDOW = 512
#: publications in flight on the first connection (MQTT 5 brokers say how many they
#: take, as Receive Maximum; mosquitto 20), and at most on later ones
INFLIGHT_FIRST = 20
INFLIGHT_CAP = 256
#: How long the broker keeps a gateway's session (its to-device subscription and
#: what arrives for it) while the gateway is away, seconds.
SESSION_EXPIRY = 24 * 3600



class _Group:
    """One row's publications: done when every topic's PUBACK came."""

    __slots__ = ("done", "failure", "item", "remaining")

    def __init__(self, item: Outgoing, done: Done, remaining: int) -> None:
        self.item, self.done, self.remaining = item, done, remaining
        self.failure = ""


class MqttRoute(Route):
    """See the module docstring. Built by :func:`~.routes.make_route`."""

    window = WINDOW

    def __init__(
        self, url: RouteURL, *, gateway: str, env: Union[dict[str, str], os._Environ[str]]
    ) -> None:
        super().__init__(url, gateway=gateway, env=env)
        self.prefix = url.path.strip("/") or DEFAULT_PREFIX
        username = url.username or env.get(ENV_MQTT_USERNAME) or None
        password = url.password or env.get(ENV_MQTT_PASSWORD) or None
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"hologram-gateway-{gateway}",
            protocol=paho.MQTTv5,
        )
        if url.scheme == "mqtts":
            ca = url.query.get("ca") or env.get(ENV_MQTT_CA) or None
            if ca is not None and not os.path.isfile(ca):
                raise ConfigurationError(f"route {self.name}: CA file {ca} does not exist")
            self.client.tls_set(ca_certs=ca)
        if username is not None:
            self.client.username_pw_set(username, password)
        #: unacknowledged QoS 1 publications on the wire; the rest wait in paho's queue
        self._inflight = INFLIGHT_FIRST
        self.client.max_inflight_messages_set(self._inflight)
        self.client.max_queued_messages_set(0)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.on_message = self._on_message
        # jitter: gateways that lost one broker do not all knock at the same instant
        self.backoff = Retries(Backoff(base=0.2, cap=5.0, jitter=0.5))
        self._lock = threading.Lock()
        self._waiting: dict[int, _Group] = {}
        self._early: dict[int, ReasonCode] = {}
        #: publications nobody waits for (``seen``): their PUBACKs are dropped, never
        #: parked in ``_early``, where a later publication reusing the mid (mids
        #: wrap at 65535) would take one as its own acknowledgement
        self._unowned: set[int] = set()
        self._max_packet = 0
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._reason = ""
        self._connected = False

    # topics

    def device_topic(self, device: str, leaf: str) -> str:
        return f"{self.prefix}/devices/{topic_level(device)}/{leaf}"

    def topics_for(self, item: Outgoing) -> list[str]:
        if item.kind == "sms":
            return [self.device_topic(item.device, "sms")]
        own = [self.device_topic(item.device, "messages")]
        return own + [f"{self.prefix}/topics/{topic_level(t)}/messages" for t in item.topics]

    # lifecycle

    def start(self, on_state: StateListener) -> None:
        super().start(on_state)
        if self._thread is not None:
            return
        self.client.connect_async(
            self.url.host,
            self.url.port,
            keepalive=KEEPALIVE,
            clean_start=False,
            properties=_connect_properties(),
        )
        self._thread = threading.Thread(target=self._run, name=f"mqtt {self.name}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            try:
                self.client.disconnect()
            except Exception:  # already gone
                pass
            self._thread.join()
            self._thread = None
        # paho closes its socket pair only when the client is collected; close it now
        # (its own __del__ does the same) so a stopped route holds no descriptors
        reset = getattr(self.client, "_reset_sockets", None)
        if reset is not None:
            reset()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.client.max_inflight_messages != self._inflight:
                    self.client.max_inflight_messages_set(self._inflight)
                rc = self.client.reconnect()
            except (OSError, ValueError) as exc:
                self._down(_reason(exc))
                self._stop.wait(self.backoff.next())
                continue
            if rc != paho.MQTT_ERR_SUCCESS:
                self._down(paho.error_string(rc))
                self._stop.wait(self.backoff.next())
                continue
            while not self._stop.is_set():
                rc = self.client.loop(timeout=0.5)
                if rc != paho.MQTT_ERR_SUCCESS:
                    break
            if self._stop.is_set():
                break
            self._down(self._reason or paho.error_string(rc))
            self._stop.wait(self.backoff.next())
        try:
            self.client.loop(timeout=0.1)  # let a DISCONNECT go out
        except Exception:
            pass

    def _down(self, reason: str) -> None:
        self._connected = False
        self._state(False, reason)

    # paho callbacks (its network thread: ours)

    def _on_connect(
        self,
        client: paho.Client,
        userdata: object,
        flags: object,
        reason: ReasonCode,
        properties: Optional[Properties],
    ) -> None:
        if reason.is_failure:
            self._reason = f"broker refused the connection: {reason}"
            client.disconnect()
            return
        self._reason = ""
        self._max_packet = int(getattr(properties, "MaximumPacketSize", 0) or 0)
        # paho does not keep to the broker's Receive Maximum (mosquitto's
        # max_inflight_messages, 20 by default) and can only change its own limit
        # between connections: remember it for the next one
        receive_max = int(getattr(properties, "ReceiveMaximum", 0) or 0)
        self._inflight = min(INFLIGHT_CAP, receive_max or INFLIGHT_CAP)
        client.subscribe(
            [(f"{self.prefix}/devices/+/to-device", 1), (f"{self.prefix}/devices/+/seen", 1)]
        )
        self._connected = True
        self.backoff.reset()
        self._state(True)

    def _on_disconnect(
        self,
        client: paho.Client,
        userdata: object,
        flags: object,
        reason: ReasonCode,
        properties: Optional[Properties],
    ) -> None:
        if reason.is_failure or not self._stop.is_set():
            self._reason = f"disconnected: {reason}" if str(reason) != "Success" else "disconnected"

    def _on_publish(
        self,
        client: paho.Client,
        userdata: object,
        mid: int,
        reason: ReasonCode,
        properties: Optional[Properties],
    ) -> None:
        with self._lock:
            group = self._waiting.pop(mid, None)
            if group is None:
                if mid in self._unowned:
                    self._unowned.discard(mid)
                else:  # the PUBACK beat submit() or publish_seen() to its bookkeeping
                    self._early[mid] = reason
                return
        self._resolve(group, reason)

    def _on_message(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        try:
            parts = msg.topic.split("/")
            leaf, device = parts[-1], urllib.parse.unquote(parts[-2], errors="surrogateescape")
            if leaf == "to-device" and self.on_to_device is not None:
                self.on_to_device(device, bytes(msg.payload))
            elif leaf == "seen" and self.on_seen is not None and msg.payload:
                doc = json.loads(msg.payload)
                if isinstance(doc, dict):
                    self.on_seen(device, doc)
        except Exception:  # a bad message must not stop the route
            logger.exception("route %s: cannot handle a message on %s", self.name, msg.topic)

    # sending

    def submit(self, item: Outgoing, done: Done) -> None:
        payload = encode_document(item, self.gateway)
        topics = self.topics_for(item)
        limit = self._max_packet
        too_big = limit and max(len(payload) + len(t.encode()) + 16 for t in topics) > limit
        if too_big:
            done(item, Outcome("failed", f"over the broker's maximum packet size ({limit} bytes)"))
            return
        group = _Group(item, done, len(topics))
        for topic in topics:
            info = self.client.publish(topic, payload, qos=1)
            with self._lock:
                early = self._early.pop(info.mid, None)
                if early is None:
                    self._waiting[info.mid] = group
                    self._unowned.discard(info.mid)  # a stale one, 65535 mids ago
            if early is not None:
                self._resolve(group, early)

    def publish_seen(self, device: str, doc: dict[str, object]) -> None:
        """Tell the other gateways this one saw ``device`` last (retained, QoS 1)."""
        payload = json.dumps(doc, separators=(",", ":")).encode()
        info = self.client.publish(self.device_topic(device, "seen"), payload, qos=1, retain=True)
        with self._lock:
            if self._early.pop(info.mid, None) is None:
                self._unowned.add(info.mid)

    def _resolve(self, group: _Group, reason: ReasonCode) -> None:
        with self._lock:
            if reason.is_failure and not group.failure:
                group.failure = f"broker refused it: {reason}"
            group.remaining -= 1
            last = group.remaining == 0
        if last:
            outcome = Outcome("failed", group.failure) if group.failure else FORWARDED
            group.done(group.item, outcome)


def _connect_properties() -> Properties:
    from paho.mqtt.packettypes import PacketTypes

    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = SESSION_EXPIRY
    return props


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__
