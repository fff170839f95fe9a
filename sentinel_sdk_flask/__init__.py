"""Per-request capture for Flask: ``Sentinel(app)`` or ``Sentinel().init_app(app)``.

from flask import Flask
from sentinel_sdk_flask import Sentinel

app = Flask(__name__)
app.config["SENTINEL_BROKERS"] = ["localhost:9092"]
app.config["SENTINEL_SERVICE_NAME"] = "chat-api"
Sentinel(app)
"""

from __future__ import annotations

from sentinel_sdk.integrations import require

require("flask", extra="flask", integration=__name__, distribution="Flask")

from ._extension import EXTENSION_KEY, Sentinel, SentinelState  # noqa: E402 (once the framework is known to be there)

__all__ = ["EXTENSION_KEY", "Sentinel", "SentinelState"]
