"""URLs of the Django framework tests."""

# mypy: disable-error-code="import-untyped"

from __future__ import annotations

from django.urls import include, path

from tests.django import views

api = [path("chat/<str:session_id>/", views.chat)]

urlpatterns = [
    path("chat/<str:session_id>/", views.chat),
    path("achat/<str:session_id>/", views.achat),
    path("stream/", views.stream),
    path("astream/", views.astream),
    path("stream-n/<int:count>/", views.stream_n),
    path("boom/", views.boom),
    path("health/", views.health),
    path("health/live/", views.health),
    path("threads/", views.threads),
    path("v1/", include(api)),
    path("lc/<str:session_id>/", views.lc),
    path("alc/<str:session_id>/", views.alc),
    path("oai/", views.oai),
    path("aoai-stream/", views.aoai_stream),
]
