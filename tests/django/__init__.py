"""Tests of the django integration."""
