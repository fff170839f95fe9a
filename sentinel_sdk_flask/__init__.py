"""Per-request capture for Flask: ``Sentinel(app)`` or ``Sentinel().init_app(app)``.

from flask import Flask
from sentinel_sdk_flask import Sentinel

app = Flask(__name__)
app.config["SENTINEL_BROKERS"] = ["localhost:9092"]
app.config["SENTINEL_SERVICE_NAME"] = "chat-api"
Sentinel(app)
"""

from __future__ import annotations

try:
    import flask  # noqa: F401
except ImportError as exc:  # pragma: no cover - the extra is missing
    raise ImportError(
        "sentinel_sdk_flask needs Flask: pip install 'llm-sentinel-sdk[flask]'"
    ) from exc

from ._extension import EXTENSION_KEY, Sentinel, SentinelState

__all__ = ["EXTENSION_KEY", "Sentinel", "SentinelState"]
