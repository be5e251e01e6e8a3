"""Classification: decoded recipient fields -> bounce_type, reason, rule.  Pure."""

from bouncewatch.classify.api import classify

__all__ = ["classify"]
