"""Redaction and minimisation: fields an account keeps nowhere (see `service`)."""
