"""The console: server-rendered pages for people signed in with a session."""

from web.console import catalog, connect, filters, jobs, lineage
from web.console.pages import bp, root_bp

__all__ = ["bp", "catalog", "connect", "filters", "jobs", "lineage", "root_bp"]
