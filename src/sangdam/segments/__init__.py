"""Segments: saved filters over customers (attributes, tags, events, last seen, language)."""
