"""Point gspread at another API endpoint (``api_endpoint``), like Google client libraries' ``client_options``.

gspread hard-codes ``https://sheets.googleapis.com`` and ``https://www.googleapis.com`` in its URL
constants. Its supported extension point is the ``http_client`` class passed to ``gspread.Client``;
the subclass built here rewrites those two prefixes on every request and leaves everything else
(auth, retries in ``BackOffHTTPClient``, error mapping to ``gspread.exceptions.APIError``) to gspread.
The product's Settings option ``api_endpoint`` and the tests' local fake server use the same code.
"""

from __future__ import annotations

from typing import Any

from gspread.http_client import HTTPClient
from requests import Response

#: The URL prefixes gspread uses (``gspread.urls``): Sheets v4, and Drive v3 / the v2 upload path.
GOOGLE_PREFIXES: tuple[str, ...] = ("https://sheets.googleapis.com", "https://www.googleapis.com")


def rewrite_url(url: str, api_endpoint: str) -> str:
    """Return ``url`` with a Google API prefix replaced by ``api_endpoint`` (other URLs unchanged)."""
    base = api_endpoint.rstrip("/")
    for prefix in GOOGLE_PREFIXES:
        if url.startswith(prefix + "/"):
            return base + url[len(prefix):]
    return url


def endpoint_http_client(api_endpoint: str, base: type[HTTPClient] = HTTPClient) -> type[HTTPClient]:
    """Build an ``HTTPClient`` subclass (of ``base``, e.g. ``gspread.BackOffHTTPClient``) for ``api_endpoint``.

    Use it as ``gspread.Client(auth=credentials, http_client=endpoint_http_client(url))``. The token
    exchange is not touched: google-auth talks to the ``token_uri`` of the credentials.
    """

    class EndpointHTTPClient(base):  # type: ignore[valid-type, misc]
        """gspread HTTP client whose requests go to ``api_endpoint`` instead of Google."""

        API_ENDPOINT = api_endpoint

        def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> Response:
            return super().request(method, rewrite_url(endpoint, self.API_ENDPOINT), *args, **kwargs)

    EndpointHTTPClient.__name__ = f"EndpointHTTPClient_{base.__name__}"
    return EndpointHTTPClient
