"""The console: server-rendered pages for people signed in with a session."""

from web.console import catalog, filters, jobs  # noqa: F401  # their views and filters register on bp
from web.console.pages import bp, root_bp

__all__ = ["bp", "root_bp"]
