"""``mqtts://`` with a CA file, against mosquitto with a TLS listener (certificates made
here with the ``openssl`` command)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from hologram_sdk.emulator.cloud.gateway import Gateway
from hologram_sdk.errors import ConfigurationError
from tests.fleet.broker import Broker
from tests.fleet.conftest import INSTALL, MOSQUITTO
from tests.fleet.test_mqtt_route import CREDS, send
from tests.support.net import wait_until


def make_certificates(where):
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make test certificates")
    run = lambda *args: subprocess.run([openssl, *args], check=True, capture_output=True,  # noqa: E731
                                       cwd=where, timeout=60)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test-ca",
        "-keyout", "ca.key", "-out", "ca.pem")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", "server.key", "-out", "server.csr")
    (where / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "1", "-extfile", "ext.cnf", "-out", "server.pem")
    return where / "ca.pem", where / "server.pem", where / "server.key"


# paho-mqtt 2.2 drops the TLS socket of a failed handshake without closing it; the
# garbage collector closes it later, with a ResourceWarning we cannot prevent from here
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_mqtts_with_a_ca_file(tmp_path):
    if MOSQUITTO is None:
        if os.geteuid() == 0:
            pytest.fail(f"mosquitto is missing; {INSTALL}")
        pytest.skip(INSTALL)
    ca, cert, key = make_certificates(tmp_path)
    broker = Broker(MOSQUITTO, tmp_path / "tls")  # its one listener, with TLS
    broker.config.write_text(
        broker.config.read_text() + f"cafile {ca}\ncertfile {cert}\nkeyfile {key}\n"
    )
    with broker:
        route = f"mqtts://127.0.0.1:{broker.port}/secure?ca={ca}"
        with Gateway(name="gw", port=0, db=tmp_path / "g.db", routes=(route,)) as gw:
            send(gw, CREDS[0], "over tls")
            wait_until(lambda: gw.route_status()[0].forwarded == 1, what="forwarded via TLS")
            assert gw.route_status()[0].name == f"mqtts://127.0.0.1:{broker.port}/secure"
        # without the CA the broker's certificate is not trusted: the route stays down
        with Gateway(name="gw2", port=0, db=tmp_path / "h.db",
                     routes=(f"mqtts://127.0.0.1:{broker.port}/secure",)) as gw:
            send(gw, CREDS[0], "not over tls")
            wait_until(lambda: "certificate" in gw.route_status()[0].reason.lower()
                       or "ssl" in gw.route_status()[0].reason.lower(), what="a TLS refusal")
            assert gw.route_status()[0].pending == 1


def test_mqtts_with_a_missing_ca_file_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match=r"CA file .* does not exist"):
        Gateway(port=0, routes=(f"mqtts://127.0.0.1:8883?ca={tmp_path}/none.pem",))
