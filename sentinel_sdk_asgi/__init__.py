"""Placeholder: this integration lands in a later change."""
