"""The console: server-rendered pages for people signed in with a session."""

from web.console.pages import bp, root_bp

__all__ = ["bp", "root_bp"]
