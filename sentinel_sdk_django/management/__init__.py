"""Management commands of the LLM Sentinel Django app."""
