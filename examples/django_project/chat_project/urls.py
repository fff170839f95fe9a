"""URLs of the example project."""

# mypy: disable-error-code="import-untyped"

from __future__ import annotations

from django.urls import path

from chat_project import views

urlpatterns = [
    path("health/", views.health),
    path("chat/<str:session_id>/", views.chat),
    path("achat/<str:session_id>/", views.achat),
    path("stream/<str:session_id>/", views.stream),
]
