"""The console: server-rendered pages for people signed in with a session."""

from web.console import connect, lineage
from web.console.pages import bp, root_bp

__all__ = ["bp", "connect", "lineage", "root_bp"]
