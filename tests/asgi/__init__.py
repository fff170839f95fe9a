"""Tests of the asgi integration."""
