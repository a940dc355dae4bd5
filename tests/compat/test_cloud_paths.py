"""The reference's cloud and event import paths, names, defaults and signatures.

Other areas keep their own files here (test_modem_paths.py, test_network_paths.py).
"""
# ruff: noqa: N813

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

ERR_NAMES = {
    "ERR_OK": 0, "ERR_CONNCLOSED": 1, "ERR_MSGINVALID": 2, "ERR_AUTHINVALID": 3,
    "ERR_PAYLOADINVALID": 4, "ERR_PROTINVALID": 5, "ERR_INTERNAL": 6, "ERR_METADATA": 7,
    "ERR_TOPICINVALID": 8, "ERR_UNKNOWN": -1, "ERR_QUEUED": -2,
}


def _defaults(func) -> dict:
    return {name: p.default for name, p in inspect.signature(func).parameters.items()}


def _fresh(code: str) -> str:
    """Run ``code`` in a fresh interpreter (import order matters for these checks)."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_package_level_names():
    import Hologram
    from Hologram import Cloud, CustomCloud, Event, HologramCloud
    from Hologram import Hologram as hologram_name  # the reference's example line
    from hologram_sdk import cloud
    from hologram_sdk.base import events

    assert hologram_name is Hologram
    assert Cloud is cloud.base.Cloud
    assert CustomCloud is cloud.custom.CustomCloud
    assert HologramCloud is cloud.hologram.HologramCloud
    assert Event is events.Event
    assert set(Hologram.__all__) >= {"Cloud", "CustomCloud", "Event", "HologramCloud"}


def test_module_paths():
    import Hologram
    from Hologram.Cloud import Cloud
    from Hologram.CustomCloud import CustomCloud
    from Hologram.Event import Event
    from Hologram.HologramCloud import HologramCloud

    assert (Hologram.Cloud, Hologram.CustomCloud) == (Cloud, CustomCloud)
    assert (Hologram.Event, Hologram.HologramCloud) == (Event, HologramCloud)
    assert issubclass(HologramCloud, CustomCloud) and issubclass(CustomCloud, Cloud)


@pytest.mark.parametrize(
    "imports",
    [
        "import Hologram.HologramCloud; from Hologram import HologramCloud",
        "from Hologram.HologramCloud import HologramCloud as X; from Hologram import HologramCloud",
        "import Hologram.Cloud, Hologram.Event, Hologram.CustomCloud, Hologram.HologramCloud; "
        "from Hologram import Cloud, Event, CustomCloud, HologramCloud",
    ],
)
def test_class_names_survive_submodule_imports_in_any_order(imports):
    out = _fresh(imports + "\nimport Hologram\n"
                 "print(all(isinstance(getattr(Hologram, n), type) for n in Hologram.__all__),"
                 " isinstance(HologramCloud, type))")
    assert out == "True True"


def test_error_codes():
    from Hologram.HologramCloud import ERR_OK

    namespace: dict = {}
    exec("from Hologram.HologramCloud import *", namespace)
    for name, value in ERR_NAMES.items():
        code = namespace[name]
        assert code == value and str(code) == str(value) and int(code) == value
    assert ERR_OK == 0 and str(ERR_OK) == "0"


def test_constructor_defaults():
    from Hologram import CustomCloud, HologramCloud

    hologram = _defaults(HologramCloud.__init__)
    assert list(hologram)[:4] == ["self", "credentials", "enable_inbound", "network"]
    assert hologram["enable_inbound"] is True and hologram["network"] == ""
    custom = _defaults(CustomCloud.__init__)
    assert list(custom)[:8] == ["self", "credentials", "send_host", "send_port", "receive_host",
                                "receive_port", "enable_inbound", "network"]
    assert custom["enable_inbound"] is False and custom["network"] == ""
    assert custom["credentials"] is inspect.Parameter.empty


def test_documented_defaults_of_a_hologram_cloud():
    from Hologram import HologramCloud

    cloud = HologramCloud({"cloud_id": "34mg", "cloud_key": "12ab"}, enable_inbound=False)
    assert (cloud.send_host, cloud.send_port) == ("cloudsocket.hologram.io", 9999)
    assert (cloud.receive_host, cloud.receive_port) == ("0.0.0.0", 4010)
    assert cloud.credentials == {"cloud_id": "34mg", "cloud_key": "12ab"}


def test_custom_cloud_examples_construct():
    from Hologram import CustomCloud

    first = CustomCloud(None, send_host="my.example.host.com", send_port=9999)
    second = CustomCloud(None, receive_host="0.0.0.0", receive_port=57750,
                         network="cellular-iota")
    assert (first.send_host, first.send_port) == ("my.example.host.com", 9999)
    assert second.network.listAvailableInterfaces() == [
        "", "cellular-e303", "cellular-iota", "cellular-ms2131"]


@pytest.mark.parametrize(
    ("cls", "method", "params"),
    [
        ("Cloud", "getSDKVersion", {}),
        ("Cloud", "openReceiveSocket", {}),
        ("Cloud", "closeReceiveSocket", {}),
        ("Cloud", "consumeReceivedMessage", {}),
        ("Cloud", "popReceivedMessage", {"raw": False}),
        ("CustomCloud", "sendMessage", {"message": inspect.Parameter.empty, "timeout": 5}),
        ("HologramCloud", "sendMessage",
         {"message": inspect.Parameter.empty, "topics": None, "timeout": 5}),
        ("HologramCloud", "sendSMS",
         {"destination_number": inspect.Parameter.empty, "message": inspect.Parameter.empty}),
        ("HologramCloud", "getResultString", {"result_code": inspect.Parameter.empty}),
        ("HologramCloud", "resultWasSuccess", {"result_code": inspect.Parameter.empty}),
        ("Event", "subscribe", {"event": inspect.Parameter.empty,
                                "callback": inspect.Parameter.empty}),
        ("Event", "unsubscribe", {"event": inspect.Parameter.empty,
                                  "callback": inspect.Parameter.empty}),
        ("Event", "broadcast", {"event": inspect.Parameter.empty}),
    ],
)
def test_documented_methods(cls, method, params):
    import Hologram

    func = getattr(getattr(Hologram, cls), method)
    defaults = _defaults(func)
    defaults.pop("self")
    for name, default in params.items():
        assert name in defaults, f"{cls}.{method} lacks {name}"
        assert defaults[name] == default
    # the documented parameters come first, in the documented order
    assert list(defaults)[: len(params)] == list(params)


@pytest.mark.parametrize("prop", ["send_host", "send_port", "receive_host", "receive_port",
                                  "credentials", "event", "network"])
def test_documented_properties(prop):
    from Hologram import CustomCloud

    cloud = CustomCloud(None)
    assert hasattr(cloud, prop)


def test_get_sdk_version():
    import hologram_sdk
    from Hologram import CustomCloud

    assert CustomCloud(None).getSDKVersion() == hologram_sdk.__version__ == "1.0.0.dev0"


def test_import_hologram_is_light():
    out = _fresh("import sys, Hologram\n"
                 "heavy = {'hologram_sdk.cloud.base', 'socket', 'selectors', 'json', 'sqlite3',"
                 " 'serial', 'hjson'}\n"
                 "print(sorted(heavy & set(sys.modules)))")
    assert out == "[]"


def test_making_a_cloud_loads_no_modem_tables_files_or_database():
    """Non-network mode needs neither the modem registry nor pathlib/tempfile (the
    default outbox path is built from strings) nor SQLite (no outbox file yet)."""
    out = _fresh("import sys\n"
                 "from Hologram.CustomCloud import CustomCloud\n"
                 "CustomCloud(None, send_host='127.0.0.1', send_port=9999)\n"
                 "heavy = {'hologram_sdk.modem.registry', 'dataclasses', 'pathlib', 'tempfile',"
                 " 'sqlite3', 'hologram_sdk.outbox.item'}\n"
                 "print(sorted(heavy & set(sys.modules)))")
    assert out == "[]"
