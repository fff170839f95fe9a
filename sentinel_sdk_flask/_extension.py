"""``Sentinel``: the Flask extension that opens one request scope per request.

The scope wraps the app's whole request handling (``app.wsgi_app``): it is open
before the first ``before_request`` hook and closed after the last
``teardown_request`` one, and costs no request-context lookups. A streamed body,
which the server iterates after that, produces each chunk inside the same
request's scope (an ``after_request`` hook marks it). Each app keeps its own
state (and client) in ``app.extensions["sentinel"]``, so one extension object
serves any number of apps; the extension never stores an app.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, request

from sentinel_sdk import ConfigurationError, SentinelClient, SentinelConfig
from sentinel_sdk.integrations import (
    Client,
    ExcludedPaths,
    RequestScope,
    ScopedIterator,
    ScopeToken,
    capture_internal_exceptions,
    close_scope,
    open_request_scope,
)

__all__ = ["ENVIRON_KEY", "EXTENSION_KEY", "PREFIX", "Sentinel", "SentinelState"]

EXTENSION_KEY = "sentinel"
PREFIX = "SENTINEL_"
_OWN_KEYS = ("EXCLUDED_PATHS",)
ENVIRON_KEY = "sentinel_sdk.scope"
"""WSGI environ key holding the request's ``RequestScope`` while Flask handles it (also the
guard against two)."""


@dataclass(frozen=True)
class SentinelState:
    """One app's state, in ``app.extensions["sentinel"]``."""

    client: Client | None
    """The app's client; ``None`` means the process default (``sentinel_sdk.init``)."""
    excluded_paths: ExcludedPaths
    """Paths served without a request scope."""

    def open(self, environ: dict[str, Any]) -> ScopeToken | None:
        """Open the scope of the request ``environ`` describes (``None``: not scoped)."""
        path: str = environ.get("PATH_INFO") or "/"
        if not path.isascii():  # WSGI gives the bytes as latin-1 text
            path = path.encode("latin-1").decode("utf-8", "replace")
        if ENVIRON_KEY in environ or path in self.excluded_paths:
            return None
        scope, token = open_request_scope(
            method=environ.get("REQUEST_METHOD") or "GET",
            path=path,
            query=environ.get("QUERY_STRING"),
            traceparent=environ.get("HTTP_TRACEPARENT"),
            request_id=environ.get("HTTP_X_REQUEST_ID"),
            client=self.client,
            route=lambda: _route_template(environ),
        )
        environ[ENVIRON_KEY] = scope
        return token


class _ScopedWSGIApp:
    """``app.wsgi_app`` wrapped: the request scope is open while Flask handles the request."""

    __slots__ = ("state", "wsgi_app")

    def __init__(self, wsgi_app: Any, state: SentinelState) -> None:
        self.wsgi_app = wsgi_app
        self.state = state

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        token = None
        with capture_internal_exceptions():
            token = self.state.open(environ)
        if token is None:
            return self.wsgi_app(environ, start_response)
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            close_scope(token)
            # The RequestScope's route getter refers to environ: drop the cycle so the
            # request is freed by refcounting, not left to the cyclic GC.
            environ.pop(ENVIRON_KEY, None)


class Sentinel:
    """Ties every LLM call made while serving a Flask request to that request.

    ``Sentinel(app)``, or ``sentinel = Sentinel()`` then ``sentinel.init_app(app)``
    in an app factory. Options: ``app.config["SENTINEL_<OPTION>"]`` (the
    ``SentinelConfig`` option names upper-cased), over keyword ``options`` given
    here, which apply to every app. With no option at all, events go to
    ``client`` if given, else to the process default client. Paths in
    ``SENTINEL_EXCLUDED_PATHS`` / ``excluded_paths`` are served without a scope.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        client: Client | None = None,
        excluded_paths: Iterable[str] | None = None,
        **options: Any,
    ) -> None:
        if options:
            SentinelConfig().replace(**options)  # unknown or bad options fail here, not later
        self._client = client
        self._excluded_paths = excluded_paths
        self._options = options
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Configure ``app``: build its client from its config and register the hooks.

        Raises ``ConfigurationError`` for an unknown ``SENTINEL_*`` key or a bad value.
        """
        config = app.config
        # One mapping in app.config's form: constructor options, then app.config on top.
        merged = {PREFIX + name.upper(): value for name, value in self._options.items()}
        merged.update(
            (key, value)
            for key, value in config.items()
            if isinstance(key, str) and key.startswith(PREFIX)
        )
        option_keys = [key for key in merged if key[len(PREFIX) :] not in _OWN_KEYS]
        if option_keys and self._client is not None:
            raise ConfigurationError(
                "Sentinel(client=...) and SENTINEL_* options cannot go together; "
                f"got {', '.join(sorted(option_keys))}"
            )
        client: Client | None = self._client
        if option_keys:
            client = SentinelClient(
                SentinelConfig.from_mapping(
                    merged, prefix=PREFIX, source="app.config", ignore=_OWN_KEYS
                )
            )
        paths = config.get(PREFIX + "EXCLUDED_PATHS", self._excluded_paths) or ()
        state = SentinelState(client, ExcludedPaths(paths, "SENTINEL_EXCLUDED_PATHS"))
        app.extensions[EXTENSION_KEY] = state
        app.wsgi_app = _ScopedWSGIApp(app.wsgi_app, state)  # type: ignore[method-assign]
        app.after_request(_after_request)


def _route_template(environ: dict[str, Any]) -> str | None:
    """``request.url_rule.rule`` of the Flask request built on ``environ`` (after matching)."""
    request = environ.get("werkzeug.request")
    rule = getattr(request, "url_rule", None)
    return rule.rule if rule is not None else None


def _after_request(response: Response) -> Response:
    if response.is_streamed and not response.direct_passthrough:
        with capture_internal_exceptions():
            scope: RequestScope | None = request.environ.get(ENVIRON_KEY)
            if scope is not None:
                # Resolve http.route now: Flask drops environ["werkzeug.request"] at the
                # end of the request, before the server iterates the body.
                _ = scope.metadata
                body: ScopedIterator[Any] = ScopedIterator(response.response, scope)
                response.response = body
    return response
