"""Headwater's domain: plain Python over SQLModel sessions; imports no web framework."""
