"""Pins the public names of ``hologram_sdk`` (a change here is an API change)."""

import hologram_sdk

EXPECTED = [
    "__version__", "BG96", "Cellular", "Cloud", "CustomCloud", "E303", "E372",
    "EC21", "EC25", "Event", "HologramCloud", "IOTA", "Location", "MS2131",
    "Modem", "NetworkManager", "NovaM", "Nova_U201", "Outbox", "ResultCode",
]


def test_all_is_pinned():
    assert hologram_sdk.__all__ == EXPECTED


def test_every_modem_name_resolves():
    for name in ("Nova_U201", "NovaM", "BG96", "EC21", "EC25", "E372", "Location"):
        assert getattr(hologram_sdk, name).__name__ == name


def test_every_cloud_name_resolves():
    for name in ("Cloud", "CustomCloud", "HologramCloud", "Event", "ResultCode",
                 "NetworkManager"):
        assert getattr(hologram_sdk, name).__name__ == name


def test_unknown_names_are_attribute_errors():
    import pytest

    with pytest.raises(AttributeError):
        hologram_sdk.NoSuchThing  # noqa: B018
