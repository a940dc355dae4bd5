"""A pppd TEST DOUBLE, used as ``pppd_path`` where kernel PPP is missing.

It accepts pppd's command line (``connect <cmd> <device> <speed> <flags>...``),
opens the device, runs the connect string with ``/bin/sh -c`` with stdin and
stdout on the device and stderr on its own stdout -- exactly as pppd 2.4.9
does, so the real ``chat`` talks to the modem emulator -- and then prints the
lines pppd prints (modem-facts.md section 8.3) instead of negotiating LCP/IPCP,
which needs the kernel's PPP driver.

Double-only options come before ``--`` (the tests' wrapper script adds them)::

    --mode=up            print the address lines, stay up until a signal (default)
    --mode=hang          never report addresses (LCP never finishes)
    --mode=lcp-timeout   print the LCP timeout and exit 10
    --ignore-term        ignore SIGTERM (the caller must SIGKILL)
    --local=IP --remote=IP --dns1=IP --dns2=IP   address values
    --no-remote          print the "defaulting to" line (peer gives no address)
    --escape-guard=S     guard time of the modem's +++ escape (default 1.0 s)

pppd hangs the modem up by dropping DTR when it terminates; a pty has no DTR,
so on SIGTERM/SIGINT/SIGHUP the double hangs up the Hayes way instead: guard
time, ``+++``, guard time, ``ATH``.  The modem is then back in command state,
as it would be after a real pppd.

While up it watches the device: ``NO CARRIER`` from the modem, EOF or EIO is a
hang-up -> ``Modem hangup``, ``Connection terminated.``, exit 16. SIGTERM or
SIGINT -> ``Terminating on signal N`` ... exit 5 (pppd's codes, section 8.4).
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import termios
import time
import tty


class _Signalled(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _parse(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    double: dict[str, str] = {}
    if "--" in argv:
        split = argv.index("--")
        for opt in argv[:split]:
            key, _, value = opt.lstrip("-").partition("=")
            double[key] = value or "1"
        argv = argv[split + 1 :]
    return double, argv


def _raise_signal(signum: int, _frame: object) -> None:
    raise _Signalled(signum)


def _hang_up(fd: int, guard: float) -> None:
    """Leave data mode as the modem sees a DTR drop: ``+++`` between guard times, ``ATH``."""
    try:
        time.sleep(guard * 1.2)
        os.write(fd, b"+++")
        time.sleep(guard * 1.5)
        os.write(fd, b"ATH\r")
        deadline = time.monotonic() + max(0.5, 3 * guard)
        seen = b""
        while b"OK" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], deadline - time.monotonic())
            if not ready:
                break
            seen += os.read(fd, 256)
    except OSError:
        pass


def _terminate(signum: int, started: float) -> int:
    if signum == signal.SIGHUP:
        _say("Hangup (SIGHUP)")
    else:
        _say(f"Terminating on signal {signum}")
    _say(f"Connect time {(time.monotonic() - started) / 60:.1f} minutes.")
    _say("Sent 0 bytes, received 0 bytes.")
    _say("Connection terminated.")
    return 5


def main(argv: list[str]) -> int:
    double, args = _parse(argv)
    if "connect" not in args:
        _say("pppd double: no connect option")
        return 2
    connect = args[args.index("connect") + 1]
    devices = [a for a in args if a.startswith("/dev/")]
    if not devices:
        sys.stderr.write("pppd: no device given\n")
        return 2
    device = devices[0]

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _raise_signal)
    if "ignore-term" in double:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)

    try:
        fd = os.open(device, os.O_RDWR | os.O_NOCTTY)
    except OSError as exc:
        _say(f"Failed to open {device}: {exc.strerror}")
        return 7
    started = time.monotonic()
    script = None
    data_mode = False
    try:
        tty.setraw(fd, termios.TCSANOW)
        script = subprocess.Popen(
            ["/bin/sh", "-c", connect], stdin=fd, stdout=fd, stderr=sys.stdout.fileno(),
            start_new_session=True,
        )
        status = script.wait()
        if status != 0:
            _say("Connect script failed")
            return 8
        data_mode = True
        _say("Serial connection established.")
        _say("Using interface ppp0")
        _say(f"Connect: ppp0 <--> {device}")
        mode = double.get("mode", "up")
        if mode == "lcp-timeout":
            _say("LCP: timeout sending Config-Requests")
            _say("Connection terminated.")
            return 10
        if mode == "up":
            remote = double.get("remote", "10.64.64.64")
            if "no-remote" in double:
                _say(f"Could not determine remote IP address: defaulting to {remote}")
            _say(f"local  IP address {double.get('local', '10.170.12.34')}")
            _say(f"remote IP address {remote}")
            if "usepeerdns" in args:
                _say(f"primary   DNS address {double.get('dns1', '8.8.8.8')}")
                _say(f"secondary DNS address {double.get('dns2', '8.8.4.4')}")
        seen = b""
        while True:
            ready, _, _ = select.select([fd], [], [])
            try:
                data = os.read(fd, 256) if ready else b""
            except OSError:
                data = b""
            seen = (seen + data)[-64:]
            if not data or b"NO CARRIER" in seen:
                _say("Modem hangup")
                _say("Connection terminated.")
                return 16
    except _Signalled as sig:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        if script is not None and script.poll() is None:
            os.killpg(script.pid, sig.signum)
            script.wait()
        if data_mode:
            _hang_up(fd, float(double.get("escape-guard", "1.0")))
        return _terminate(sig.signum, started)
    finally:
        os.close(fd)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
