"""Connections to the company's own systems (external data card) and to GitHub."""
