"""Notifications: emails to an account's admins (SMTP, or the embedded outbox) and signed
outgoing webhooks. Both are written in the caller's unit of work and sent after its commit."""
