"""Sangdam: open-source customer-support chat."""
