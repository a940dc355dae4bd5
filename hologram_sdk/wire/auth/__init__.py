"""Pure codecs of the Hologram cloud's authentication methods (no I/O).

* :mod:`.otp`: HOTP/TOTP (RFC 4226/6238) for TOTP authentication;
* :mod:`.simotp`: SIM-OTP's RAND, token and AUTHENTICATE APDU;
* :mod:`.milenage`: MILENAGE f1-f5* and the GSM c2/c3 (what a USIM computes);
* :mod:`.aes`: the AES-128 block cipher MILENAGE needs (the standard library has none);
* :mod:`.compact`: the compact request format TOTP and SIM-OTP requests use.

CSRPSK (device key) requests are the JSON format of ``wire.protocol``.
"""

#: the authentication methods of ``HologramCloud(authentication_type=...)``
AUTHENTICATION_TYPES = ("csrpsk", "totp", "sim-otp")
