"""The console: server-rendered pages for people signed in with a session."""

from web.console import catalog, filters, jobs
from web.console.pages import bp, root_bp

__all__ = ["bp", "catalog", "filters", "jobs", "root_bp"]
