"""Credentials resolution for the CLI and applications: flags, environment, HJSON file, defaults.

Library classes take credentials as arguments and never read the environment
or files; only :func:`resolve_credentials` does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Optional, Union

from hologram_sdk.base.credentials import parse_credentials
from hologram_sdk.base.errors import ConfigurationError, CredentialsError

#: Credential fields, and the environment variable each one is read from.
ENVIRONMENT = {
    "cloud_id": "HOLOGRAM_CLOUD_ID",
    "cloud_key": "HOLOGRAM_CLOUD_KEY",
    "devicekey": "HOLOGRAM_DEVICEKEY",
}
FIELDS = tuple(ENVIRONMENT)

MISSING_CREDENTIALS = (
    "missing credentials: give --cloud_id/--cloud_key, the environment, or -f FILE "
    "(HOLOGRAM_CLOUD_ID/HOLOGRAM_CLOUD_KEY; a device key: --devicekey, HOLOGRAM_DEVICEKEY)"
)

PathLike = Union[str, "os.PathLike[str]"]


def load_hjson_file(path: PathLike, what: str) -> object:
    """Parse an HJSON file (JSON with comments and unquoted keys): the one loader.

    :param path: the file
    :param what: how error messages name it (``"credentials file"``, ``"devices file"``)
    :raises ConfigurationError: the file is missing, a directory, unreadable or not HJSON
    """
    import hjson

    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as f:
            return hjson.load(f)
    except FileNotFoundError:
        raise ConfigurationError(f"{what} {name} does not exist") from None
    except IsADirectoryError:
        raise ConfigurationError(f"{what} {name} is a directory") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read {what} {name}: {exc}") from None
    except hjson.HjsonDecodeError as exc:
        raise ConfigurationError(f"{what} {name} is not valid HJSON: {exc}") from None


def load_credentials_file(path: PathLike) -> dict[str, object]:
    """Read an HJSON configuration file (comments allowed), as in the reference::

        {
          // Hologram cloud id (4 characters long)
          "cloud_id": "xxxx",
          // Hologram cloud key (4 characters long)
          "cloud_key": "xxxx"
        }

    ``devicekey`` (8 characters) may be given instead. Other fields are kept.

    :param path: the file
    :returns: the file's object, as a dict
    :raises ConfigurationError: the file is missing or unreadable, is not HJSON,
        is not an object, or a credential field is not a string
    """
    name = os.fspath(path)
    parsed = load_hjson_file(path, "credentials file")
    if not isinstance(parsed, dict):
        raise ConfigurationError(
            f"credentials file {name} must hold an object such as "
            '{"cloud_id": "xxxx", "cloud_key": "xxxx"}'
        )
    data = dict(parsed)
    for key in FIELDS:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise ConfigurationError(
                f"credentials file {name}: '{key}' must be a string; "
                f'quote it, e.g. {key}: "{"x" * (8 if key == "devicekey" else 4)}"'
            )
    return data


def no_credentials_in(name: str, data: Mapping[str, object]) -> str:
    """The error for a credentials file that holds none: the keys expected and found."""
    keys = ", ".join(sorted(repr(k) for k in data)) if data else "nothing"
    return (
        f"credentials file {name} has no credentials: expected 'cloud_id' and "
        f"'cloud_key', or 'devicekey' (non-empty strings); found {keys}"
    )


def config_path(environ: Optional[Mapping[str, str]] = None) -> str:
    """``$XDG_CONFIG_HOME/hologram/config.hjson``, else ``~/.config/hologram/config.hjson``
    (a relative ``XDG_CONFIG_HOME`` is ignored, as the XDG spec says)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME", "")
    if not (base and os.path.isabs(base)):
        base = os.path.join(env.get("HOME") or os.path.expanduser("~"), ".config")
    return os.path.join(base, "hologram", "config.hjson")


def credential_sources(
    flags: Mapping[str, Optional[str]],
    environ: Mapping[str, str],
    file: Optional[PathLike] = None,
    config: Optional[PathLike] = None,
) -> list[tuple[str, dict[str, str]]]:
    """Each source of credentials, highest first, as (label, its non-empty fields):
    flags, environment, the ``-f`` file, the config file (when it exists).

    :raises ConfigurationError: the ``-f`` file cannot be used or holds no credentials,
        or the config file cannot be used
    """
    sources: list[tuple[str, dict[str, str]]] = [
        ("flag", {k: str(v) for k in FIELDS if (v := flags.get(k))}),
        ("environment", {k: environ[var] for k, var in ENVIRONMENT.items() if environ.get(var)}),
    ]
    if file is not None:
        data = load_credentials_file(file)
        found = {k: s for k in FIELDS if isinstance(s := data.get(k), str) and s}
        if not found:
            raise ConfigurationError(no_credentials_in(os.fspath(file), data))
        sources.append((f"file {os.fspath(file)}", found))
    if config is not None and os.path.exists(config):
        data = load_credentials_file(config)
        found = {k: s for k in FIELDS if isinstance(s := data.get(k), str) and s}
        sources.append((f"config {os.fspath(config)}", found))
    return sources


def resolve_credentials(
    flags: Mapping[str, Optional[str]],
    environ: Mapping[str, str],
    file: Optional[PathLike] = None,
    config: Optional[PathLike] = None,
) -> Optional[dict[str, str]]:
    """Resolve the cloud credentials. The one place that says the order:

    **flags > environment > file > defaults.**

    1. *flags*: ``cloud_id``, ``cloud_key``, ``devicekey`` given on the command
       line (or by the caller);
    2. *environment*: ``HOLOGRAM_CLOUD_ID``, ``HOLOGRAM_CLOUD_KEY``,
       ``HOLOGRAM_DEVICEKEY``;
    3. *file*: the HJSON file given with ``-f/--file``
       (:func:`load_credentials_file`);
    4. *config*: the config file (:func:`config_path`, HJSON like the ``-f``
       file), when it exists;
    5. *defaults*: none; without credentials the result is ``None`` and the
       caller decides (``hologram send --raw`` sends a raw message with
       ``CustomCloud``).

    Empty values count as absent. The *format* is chosen by the highest
    source that names any credential: the device key if that source has one,
    else the ``cloud_id``/``cloud_key`` pair. Within that format each field
    takes the highest source that has it, so ``--cloud_id`` on the command
    line can pair with ``cloud_key`` from the file.

    :param flags: values from the command line (``None`` when not given)
    :param environ: the environment, usually ``os.environ``
    :param file: an HJSON credentials file, or ``None``
    :param config: the config file, or ``None`` (a path that does not exist is skipped)
    :returns: ``{"cloud_id": ..., "cloud_key": ...}``, ``{"devicekey": ...}`` or ``None``
    :raises CredentialsError: a pair is incomplete, or a value has the wrong length
    :raises ConfigurationError: the file cannot be used, or holds no credentials
    """
    sources = [found for _, found in credential_sources(flags, environ, file, config)]
    top = next((s for s in sources if s), None)
    if top is None:
        return None

    def first(key: str) -> Optional[str]:
        return next((s[key] for s in sources if key in s), None)

    if "devicekey" in top:
        resolved = {"devicekey": top["devicekey"]}
    else:
        cloud_id, cloud_key = first("cloud_id"), first("cloud_key")
        missing = [k for k, v in (("cloud_id", cloud_id), ("cloud_key", cloud_key)) if not v]
        if missing:
            flag = missing[0]
            raise CredentialsError(
                f"missing credentials: {flag} is not set; give --{flag}, "
                f"{ENVIRONMENT[flag]}, or {flag} in -f FILE"
            )
        resolved = {"cloud_id": str(cloud_id), "cloud_key": str(cloud_key)}
    parse_credentials(resolved)  # raises CredentialsError with a clear message
    return resolved
