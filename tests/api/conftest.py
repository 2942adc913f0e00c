from tests.fixtures.smtp import INBOUND_DOMAIN, Mail, mail

__all__ = ["INBOUND_DOMAIN", "Mail", "mail"]
