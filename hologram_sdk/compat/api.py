"""0.10's ``Api``: the Hologram REST API calls a device script needs (activate a SIM,
list plans, read a SIM's state).

HTTP goes through a small client passed in as ``http``. By default that is the
``requests`` package when it is installed (as in 0.10, so code and tests that
patch ``requests.post`` / ``requests.get`` see the calls) and the standard
library's ``urllib`` otherwise: the SDK itself depends on neither.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Optional, Protocol

from hologram_sdk.base.errors import ApiError

#: the public REST endpoint (``base_url`` points elsewhere, e.g. a local cloud)
HOLOGRAM_REST_API_BASEURL = "https://dashboard.hologram.io/api/1"
#: seconds for one HTTP request
DEFAULT_TIMEOUT = 30.0

logger = logging.getLogger(__name__)


class HttpResponse(Protocol):
    status_code: Any
    text: str

    def json(self) -> Any: ...

    def raise_for_status(self) -> None: ...


class HttpClient(Protocol):
    def post(self, url: str, **kwargs: Any) -> HttpResponse: ...

    def get(self, url: str, **kwargs: Any) -> HttpResponse: ...


class _UrllibResponse:
    def __init__(self, status: int, body: bytes, url: str) -> None:
        self.status_code = status
        self.text = body.decode("utf-8", errors="replace")
        self._url = url

    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError:
            raise ApiError(f"the API at {self._url} did not answer JSON") from None

    def raise_for_status(self) -> None:
        if not 200 <= int(self.status_code) < 400:
            raise ApiError(f"HTTP {self.status_code} from {self._url}: {self.text[:200]}")


class UrllibClient:
    """A requests-shaped client over :mod:`urllib.request` (``params``, ``data``,
    ``auth`` and ``timeout`` keywords; an HTTP error status is a response, not
    an exception, as with requests)."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout

    def post(self, url: str, **kwargs: Any) -> _UrllibResponse:
        return self._send("POST", url, **kwargs)

    def get(self, url: str, **kwargs: Any) -> _UrllibResponse:
        return self._send("GET", url, **kwargs)

    def _send(
        self,
        method: str,
        url: str,
        params: Optional[dict[str, Any]] = None,
        data: Optional[dict[str, Any]] = None,
        auth: Optional[tuple[str, str]] = None,
        timeout: Optional[float] = None,
    ) -> _UrllibResponse:
        if params:
            url = f"{url}?{urllib.parse.urlencode(params)}"
        body = None
        headers = {"Accept": "application/json"}
        if data is not None:
            fields = {k: v for k, v in data.items() if v is not None}
            body = urllib.parse.urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        shown = url.split("?", 1)[0]  # never log the API key in the query
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as reply:
                return _UrllibResponse(reply.status, reply.read(), shown)
        except urllib.error.HTTPError as exc:
            with exc:
                return _UrllibResponse(exc.code, exc.read(), shown)
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ApiError(f"cannot reach the API at {shown}: {reason}") from None


class _RequestsClient:
    """Looks ``requests.post`` / ``requests.get`` up at each call (so patches apply)."""

    def __init__(self, module: Any) -> None:
        self._requests = module

    def post(self, url: str, **kwargs: Any) -> Any:
        return self._call("post", url, kwargs)

    def get(self, url: str, **kwargs: Any) -> Any:
        return self._call("get", url, kwargs)

    def _call(self, verb: str, url: str, kwargs: dict[str, Any]) -> Any:
        kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        try:
            return getattr(self._requests, verb)(url, **kwargs)
        except self._requests.RequestException as exc:
            raise ApiError(f"cannot reach the API at {url}: {type(exc).__name__}") from None


def default_client() -> HttpClient:
    """``requests`` when installed, else :class:`UrllibClient`."""
    try:
        import requests
    except ImportError:
        return UrllibClient()
    return _RequestsClient(requests)


class Api:
    """``Api(apikey='...')`` or ``Api(username='...', password='...')``.

    :param apikey: an API key (sent as the ``apikey`` query parameter)
    :param username: user name for HTTP basic authentication (with ``password``)
    :param password: password for HTTP basic authentication
    :param base_url: the REST API's base URL (default :data:`HOLOGRAM_REST_API_BASEURL`)
    :param http: the HTTP client (default :func:`default_client`)
    :raises ApiError: neither an API key nor both user name and password
    """

    def __init__(
        self,
        apikey: str = "",
        username: str = "",
        password: str = "",
        *,
        base_url: str = HOLOGRAM_REST_API_BASEURL,
        http: Optional[HttpClient] = None,
    ) -> None:
        if not apikey and not (username and password):
            raise ApiError(
                "Must specify valid HTTP authentication credentials: apikey, "
                "or username and password"
            )
        self.authtype = "apikey" if apikey else "basic_auth"
        self.apikey = apikey
        self.username = username
        self.password = password
        self.base_url = base_url.rstrip("/")
        self._http = http

    def __repr__(self) -> str:  # never show the key or the password
        return f"Api({self.authtype}, base_url={self.base_url!r})"

    @property
    def http(self) -> HttpClient:
        if self._http is None:
            self._http = default_client()
        return self._http

    def _auth(self) -> dict[str, Any]:
        if self.authtype == "apikey":
            return {"params": {"apikey": self.apikey}}
        return {"params": {}, "auth": (self.username, self.password)}

    @staticmethod
    def _ok(response: Any) -> bool:
        return bool(response.status_code == 200)

    def _json(self, response: Any) -> Any:
        if not self._ok(response):
            try:
                response.raise_for_status()
            except ApiError:
                raise
            except Exception as exc:  # requests.HTTPError and kin
                raise ApiError(f"HTTP {response.status_code}: {exc}") from None
        try:
            return response.json()
        except ApiError:
            raise
        except ValueError:
            raise ApiError("the API did not answer JSON") from None

    def activateSIM(
        self, sim: str = "", plan: Any = None, zone: int = 1, preview: bool = False
    ) -> tuple[bool, Any]:
        """Claim (activate) the SIM with ICCID ``sim`` on ``plan``.

        :returns: ``(True, order data)``, or ``(False, reason)`` (the API's text
            when the status is not 200, else its message for this SIM)
        :raises ApiError: the API cannot be reached
        """
        args = self._auth()
        args["data"] = {"plan": plan, "tier": zone}
        if preview:
            args["params"]["preview"] = 1
        url = f"{self.base_url}/links/cellular/sim_{sim}/claim"
        response = self.http.post(url, **args)
        if not self._ok(response):
            return False, response.text
        body = self._json(response)
        if not body.get("success"):
            data = body.get("data")
            return False, data.get(str(sim), data) if isinstance(data, dict) else data
        return True, body.get("order_data")

    def getPlans(self) -> tuple[bool, Any]:
        """The plans the account can use: ``(success, list of plans)``.

        :raises ApiError: an HTTP error status, or the API cannot be reached
        """
        body = self._json(self.http.get(f"{self.base_url}/plans", **self._auth()))
        return bool(body.get("success")), body.get("data")

    def getSIMState(self, sim: str) -> tuple[bool, Any]:
        """The state of the SIM with ICCID ``sim`` (``'LIVE'``, ``'PAUSED'``...).

        :raises ApiError: an HTTP error status, no such SIM, or the API cannot be reached
        """
        args = self._auth()
        args["params"]["sim"] = str(sim)
        body = self._json(self.http.get(f"{self.base_url}/links/cellular", **args))
        data = body.get("data")
        if not data:
            raise ApiError(f"the API knows no SIM {sim!r}")
        return bool(body.get("success")), data[0].get("state")
