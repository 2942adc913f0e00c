from tests.fixtures.smtp import Mail, mail

__all__ = ["Mail", "mail"]
