from tests.fixtures.smtp import FROM_ADDRESS, INBOUND_DOMAIN, MAX_INBOUND, Mail, mail

__all__ = ["FROM_ADDRESS", "INBOUND_DOMAIN", "MAX_INBOUND", "Mail", "mail"]
