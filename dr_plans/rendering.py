"""Runbook Markdown to safe HTML: the shared renderer lives in vigil.markdown (post-mortems use it too)."""

from vigil.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render_markdown

__all__ = ["ALLOWED_ATTRIBUTES", "ALLOWED_TAGS", "render_markdown"]
