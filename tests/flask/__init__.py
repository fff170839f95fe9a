"""Tests of the flask integration."""
