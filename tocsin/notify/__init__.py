"""Delivery of messages: first-class email (SMTP) and signed webhooks, chat webhooks, Apprise."""
