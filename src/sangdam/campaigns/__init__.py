"""Campaigns: a message to a segment, delivered in the widget by a durable batched job."""
