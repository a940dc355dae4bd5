"""The surface of hologram-python 0.10 that ``Hologram/``, ``Exceptions/`` and
``UtilClasses/`` re-export.

Everything here adapts the SDK underneath (cloud, network, modem, errors) to the
names, signatures and return shapes code written for 0.10 expects; nothing here
is a second implementation of what the layers below already do. (0.10's
payload builders, ``Hologram.Authentication``, live with the SDK's
authentication in :mod:`hologram_sdk.cloud.authentication`.)

* :mod:`.faces` -- how one name serves both generations' import forms
* :mod:`.utilclasses` -- ``Location``, ``SMS``, ``ModemResult``, ``RWLock``
* :mod:`.api` -- ``Api`` (the REST API: activate a SIM, plans, SIM state)
* :mod:`.network` -- ``Network``, ``Ethernet``, ``Wifi``, ``BLE`` stand-ins
* :mod:`.modem` / :mod:`.modem_sockets` / :mod:`.modems` -- the 0.10 modem classes
* :mod:`.modem_mode` -- ``ModemMode``, ``IPPP``, ``PPP``, ``MockPPP``
"""
