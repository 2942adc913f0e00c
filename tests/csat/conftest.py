from tests.fixtures.smtp import mail

__all__ = ["mail"]
