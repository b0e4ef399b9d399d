"""matcher: match volunteers, funds and venues to community needs."""

__version__ = "0.1.0"
