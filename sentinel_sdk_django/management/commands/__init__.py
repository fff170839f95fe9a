"""``manage.py sentinel_check``."""
