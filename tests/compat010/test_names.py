"""hologram-python 0.10's top-level packages and import forms, next to the 2017 ones.
# ruff: noqa: N813, N815, E501, RUF059

Import order matters for these checks, so the import forms run in a fresh
interpreter each.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import datetime

import pytest


def _fresh(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_exceptions_are_our_error_classes():
    import Exceptions.HologramError as legacy
    from hologram_sdk import errors

    for name in ("HologramError", "NetworkError", "ModemError", "PPPError",
                 "PPPConnectionError", "SerialError", "ApiError", "AuthenticationError"):
        assert getattr(legacy, name) is getattr(errors, name)
    # an error our code raises is caught by the 0.10 name
    from Hologram.CustomCloud import CustomCloud

    with CustomCloud(None, receive_host="127.0.0.1", receive_port=0, outbox=False) as cloud:
        with pytest.raises(legacy.HologramError, match="Send host and port must be set"):
            cloud.sendMessage("hello")
        with pytest.raises(NotImplementedError, match="Cannot send SMS via custom cloud"):
            cloud.sendSMS("+15551234567", "hi")


def test_utilclasses():
    from UtilClasses import SMS, Location, ModemResult, RWLock
    from UtilClasses.UtilClasses import ModemResult as again

    assert again is ModemResult
    assert (ModemResult.OK, ModemResult.Error, ModemResult.Timeout) == ("OK", "Error", "Timeout")
    sms = SMS("447937405250", datetime(2017, 6, 24, 0, 26, 49), "Test 123")
    assert repr(sms).startswith("SMS: sender: 447937405250, timestamp: ")
    assert repr(sms).endswith("message: Test 123")
    where = Location("24/06/2017", "00:26:49", "52.1", "0.1", "10", "50")
    assert (where.latitude, where.uncertainty, repr(where)) == ("52.1", "50", "Location")

    lock = RWLock()
    lock.reader_acquire()
    lock.reader_acquire()  # readers share
    got_writer = threading.Event()

    def writer():
        lock.writer_acquire()
        got_writer.set()
        lock.writer_release()

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.05)
    assert not got_writer.is_set()  # a writer waits for every reader
    lock.reader_release()
    lock.reader_release()
    assert got_writer.wait(5)
    thread.join(5)
    with lock:  # acquire/release are the writer side
        assert lock.writer


@pytest.mark.parametrize(
    "code",
    [
        # 0.10: the name is a module holding the class; 2017 / ours: the class
        "from Hologram.Network import NetworkManager\n"
        "a = NetworkManager.NetworkManager(None, '')\n"
        "b = NetworkManager(None, '')\n"
        "assert type(a) is type(b) and isinstance(a, NetworkManager)",
        "from Hologram.Network import Cellular\n"
        "assert Cellular.Cellular is Cellular and Cellular.CLOUD_CONNECTED == 1",
        "import Hologram.Network.Cellular as c\nassert c.CLOUD_ERR_CONNECT == 12",
        "from Hologram.Network.Cellular import CLOUD_ERR_SIM\nassert CLOUD_ERR_SIM == 3",
        "import Hologram.HologramCloud as hc\nassert hc.ERR_OK == 0 and hc.ERR_TOPICINVALID == 8\n"
        "assert hc.HologramCloud.ERR_UNKNOWN == -1",
        "from Hologram.HologramCloud import ERR_OK, HologramCloud\nassert ERR_OK == 0",
        "from Hologram.Event import Event\nEvent().subscribe('x', print)\n"
        "import Hologram.Event as ev\nassert ev.Event is Event",
        "from Hologram.Network.Modem import E303, Nova_U201\n"
        "from Hologram.Network.Modem.Nova_U201 import Nova_U201 as N\n"
        "assert N is Nova_U201 and Nova_U201.Nova_U201 is Nova_U201\n"
        "import Hologram.Network.Modem.E303 as e\nassert e.E303_DEVICE_NAME == '/dev/ttyUSB0'",
        "from Hologram.Network import Ethernet, Network, Wifi\n"
        "assert Ethernet.Ethernet().interfaceName == 'eth0' and Wifi().interfaceName == 'wlan0'\n"
        "assert isinstance(Ethernet(), Network)",
        "from Hologram.Authentication import *\nfrom Hologram.Authentication import Authentication\n"
        "Authentication.Authentication({'devicekey': '12345678'})\n"
        "assert CSRPSKAuthentication is not None",
        "from Hologram.Api import Api\nimport Hologram.Api.Api as m\nassert m is Api or m.Api is Api",
        "from Hologram.Network.Modem.ModemMode import PPP, MockPPP\n"
        "from Hologram.Network.Modem.ModemMode.PPP import PPP as P\nassert P is PPP",
    ],
)
def test_import_forms_of_both_generations(code):
    _fresh(code)


def test_ppp_connection_error_both_signatures():
    from Exceptions.HologramError import PPPConnectionError, PPPError

    ours = PPPConnectionError(8, "the connect script failed", "chat: timeout\n")
    assert (ours.code, str(ours), ours.output) == (8, "the connect script failed",
                                                    "chat: timeout\n")
    legacy = PPPConnectionError(16)  # 0.10: PPPConnectionError(code, output=None)
    assert isinstance(legacy, PPPError) and legacy.code == 16 and "16" in legacy.message
    legacy = PPPConnectionError(8, "Script /usr/sbin/chat finished\nConnect script failed\n")
    assert legacy.output.startswith("Script") and legacy.message == "pppd exited with status 8"
