"""ASGI entry point: ``uvicorn chat_project.asgi:application``."""

# mypy: disable-error-code="import-untyped"

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chat_project.settings")
application = get_asgi_application()
