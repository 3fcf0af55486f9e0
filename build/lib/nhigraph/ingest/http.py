"""Live collection over HTTP: one client with back-off, and the pagination styles of SaaS APIs.

``ApiClient.get`` retries ``429`` (honouring ``Retry-After``), ``5xx`` and network
errors with exponential back-off; ``401``/``403`` raise ``AccessDenied`` naming
the permission the endpoint needs; a source that stays down raises
``SourceUnavailable`` so the caller writes nothing and cleans nothing up. The
pagination helpers follow each vendor's documented envelope and yield
``RawPage``s, the same shape ``ingest --source`` reads from saved files. Tokens
are sent in headers only and never appear in an error, a page or a log line.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import httpx

from nhigraph.errors import NhigraphError
from nhigraph.ingest.raw import RawPage

MAX_WAIT = 120.0  # seconds; a Retry-After beyond this is capped
MAX_PAGES = 100_000  # a loop guard: an API that keeps returning 'next' forever


class AccessDenied(NhigraphError):
    """The credentials lack a permission the endpoint needs (401/403)."""

    code = "ACCESS_DENIED"


class HttpError(NhigraphError):
    """An answer the source gave that retrying will not change (a 4xx other than 401/403/429)."""

    code = "SOURCE_ERROR"

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class SourceUnavailable(NhigraphError):
    """The source did not answer usefully after retries: nothing is written or removed."""

    code = "SOURCE_UNAVAILABLE"


class ApiClient:
    """GETs against one API, with retries; ``transport`` lets tests replay recorded responses."""

    def __init__(
        self,
        source: str,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
        transport: httpx.BaseTransport | None = None,
        max_retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 30.0,
    ) -> None:
        self.source = source
        self.max_retries = max_retries
        self.sleep = sleep
        self.client = httpx.Client(
            base_url=base_url,
            headers=dict(headers or {}),
            auth=auth,
            transport=transport,
            timeout=timeout,
            follow_redirects=False,
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self,
        url: str,
        permission: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        method: str = "GET",
    ) -> httpx.Response:
        """The response to ``method url``, after retrying what is worth retrying."""
        what = f"{method} {_path(url)}"
        attempt = 0
        while True:
            problem: str
            wait: float
            try:
                response = self.client.request(method, url, params=params, headers=headers)
            except httpx.TransportError as exc:
                problem = f"network error ({type(exc).__name__})"
                wait = _backoff(attempt)
            else:
                status = response.status_code
                if status in (401, 403):
                    raise AccessDenied(
                        f"{self.source}: {what} returned {status}: the credentials need "
                        f"{permission}"
                    )
                if status == 429 or status >= 500:
                    problem = f"HTTP {status}"
                    asked = _retry_after(response) if status == 429 else None
                    wait = _backoff(attempt) if asked is None else asked
                elif status >= 400:
                    raise HttpError(
                        f"{self.source}: {what} returned {status}{_reason(response)}"
                        f"{_error_code(response)}",
                        status,
                    )
                else:
                    return response
            if attempt >= self.max_retries:
                raise SourceUnavailable(
                    f"{self.source}: {what} failed after {attempt + 1} attempts ({problem})"
                )
            self.sleep(min(wait, MAX_WAIT))
            attempt += 1

    def json(
        self,
        url: str,
        permission: str,
        params: Mapping[str, Any] | None = None,
        method: str = "GET",
    ) -> tuple[Any, httpx.Response]:
        response = self.get(url, permission, params=params, method=method)
        try:
            return response.json(), response
        except ValueError:
            raise SourceUnavailable(
                f"{self.source}: {method} {_path(url)} answered with something that is not JSON"
            ) from None


def _path(url: str) -> str:
    return url.split("?", 1)[0]


def _reason(response: httpx.Response) -> str:
    return f" {response.reason_phrase}" if response.reason_phrase else ""


def _error_code(response: httpx.Response) -> str:
    """The API's short error code, when its JSON body has one (never its free text, which
    may quote what was sent)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, list) and body:
        body = body[0]  # Salesforce answers with a list of errors
    if not isinstance(body, dict):
        return ""
    for key in ("errorCode", "error", "code"):
        value = body.get(key)
        if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", value):
            return f" ({value})"
    return ""


def _backoff(attempt: int) -> float:
    return float(min(2**attempt, 60))


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


# --------------------------------------------------------------------------- pagination

#: Where the next page is, given a page's body, its response and the query it was sent
#: with: (url, query) to fetch next, or None on the last page.
#: A None query keeps the url's own query string (httpx replaces it with any dict given).
Following = Callable[
    [Any, httpx.Response, dict[str, Any] | None], tuple[str, dict[str, Any] | None] | None
]


def _follow(
    client: ApiClient,
    endpoint: str,
    url: str,
    permission: str,
    params: Mapping[str, Any] | None,
    page_params: Mapping[str, str] | None,
    following: Following,
    check: Callable[[Any], None] | None = None,
) -> Iterator[RawPage]:
    """Fetch ``url`` and the pages after it, as ``following`` finds them."""
    next_url, query = url, (None if params is None else dict(params))
    for _ in range(MAX_PAGES):
        body, response = client.json(next_url, permission, params=query)
        if check is not None:
            check(body)
        link = response.headers.get("link")
        yield RawPage(
            endpoint,
            str(response.request.url),
            body,
            dict(page_params or {}),
            {"link": link} if link else {},
        )
        after = following(body, response, query)
        if after is None:
            return
        next_url, query = after
    raise SourceUnavailable(f"{client.source}: {_path(url)} kept returning more pages; stopped")


def _member(body: Any, *keys: str) -> Any:
    for key in keys:
        body = body.get(key) if isinstance(body, dict) else None
    return body


def _odata_next(body: Any, response: httpx.Response, query: dict[str, Any] | None) -> Any:
    link = _member(body, "@odata.nextLink")
    return (link, None) if isinstance(link, str) and link else None


def _token_next(body: Any, response: httpx.Response, query: dict[str, Any] | None) -> Any:
    token = _member(body, "nextPageToken")
    if not isinstance(token, str) or not token:
        return None
    return str(response.request.url.copy_with(query=None)), {**(query or {}), "pageToken": token}


def _link_next(body: Any, response: httpx.Response, query: dict[str, Any] | None) -> Any:
    following = response.links.get("next", {}).get("url")
    return (following, None) if following else None


def _cursor_next(body: Any, response: httpx.Response, query: dict[str, Any] | None) -> Any:
    cursor = _member(body, "response_metadata", "next_cursor")
    if not isinstance(cursor, str) or not cursor:
        return None
    return str(response.request.url.copy_with(query=None)), {**(query or {}), "cursor": cursor}


def _soql_next(body: Any, response: httpx.Response, query: dict[str, Any] | None) -> Any:
    following = _member(body, "nextRecordsUrl")
    if _member(body, "done") is not False or not isinstance(following, str) or not following:
        return None
    return urljoin(str(response.request.url), following), None


def pages_odata(
    client: ApiClient,
    endpoint: str,
    url: str,
    permission: str,
    params: Mapping[str, Any] | None = None,
    page_params: Mapping[str, str] | None = None,
) -> Iterator[RawPage]:
    """Microsoft Graph: follow ``@odata.nextLink`` (an absolute URL) until it is absent."""
    return _follow(client, endpoint, url, permission, params, page_params, _odata_next)


def pages_token(
    client: ApiClient,
    endpoint: str,
    url: str,
    permission: str,
    params: Mapping[str, Any] | None = None,
    page_params: Mapping[str, str] | None = None,
) -> Iterator[RawPage]:
    """Google APIs: repeat with ``pageToken`` = the last ``nextPageToken`` until absent."""
    return _follow(client, endpoint, url, permission, params, page_params, _token_next)


def pages_link(
    client: ApiClient,
    endpoint: str,
    url: str,
    permission: str,
    params: Mapping[str, Any] | None = None,
    page_params: Mapping[str, str] | None = None,
) -> Iterator[RawPage]:
    """GitHub and Okta: follow the ``Link: <...>; rel="next"`` header until absent."""
    return _follow(client, endpoint, url, permission, params, page_params, _link_next)


def pages_cursor(
    client: ApiClient,
    endpoint: str,
    url: str,
    permission: str,
    params: Mapping[str, Any] | None = None,
    page_params: Mapping[str, str] | None = None,
) -> Iterator[RawPage]:
    """Slack Web API: ``ok`` must be true; repeat with ``cursor`` =
    ``response_metadata.next_cursor`` until it is empty. Slack reports most errors with
    HTTP 200 and ``ok: false``; a missing scope becomes ``AccessDenied``."""

    def check(body: Any) -> None:
        if _member(body, "ok") is not False:
            return
        error = str(_member(body, "error") or "unknown_error")
        if error in _SLACK_DENIED:
            raise AccessDenied(
                f"{client.source}: GET {_path(url)} answered '{error}': the token needs "
                f"{permission}"
            )
        if error in {"ratelimited", "fatal_error", "internal_error", "service_unavailable"}:
            raise SourceUnavailable(f"{client.source}: GET {_path(url)} answered '{error}'")
        raise NhigraphError(f"{client.source}: GET {_path(url)} answered '{error}'")

    return _follow(client, endpoint, url, permission, params, page_params, _cursor_next, check)


_SLACK_DENIED = frozenset(
    {
        "missing_scope",
        "not_allowed_token_type",
        "not_allowed",
        "app_management_app_not_installed_on_org",
        "not_authed",
        "invalid_auth",
        "no_permission",
        "feature_not_enabled",
        "not_an_admin",
    }
)


def pages_soql(
    client: ApiClient,
    endpoint: str,
    url: str,
    permission: str,
    params: Mapping[str, Any] | None = None,
    page_params: Mapping[str, str] | None = None,
) -> Iterator[RawPage]:
    """Salesforce REST query: follow ``nextRecordsUrl`` (a path) while ``done`` is false."""
    return _follow(client, endpoint, url, permission, params, page_params, _soql_next)
