"""Anomaly detection on stream-health metric series; imports neither Flask nor Celery."""
