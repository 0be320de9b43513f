"""The `peoplesync` command line (Typer + Rich)."""

from peoplesync.cli.commands import app, main
from peoplesync.cli.demo import demo
from peoplesync.cli.hris import connect_app, disconnect_hris, list_connections, sandbox
from peoplesync.cli.mapping import mapping_app
from peoplesync.cli.web import logins_app, serve

app.command()(demo)
app.add_typer(connect_app, name="connect")
app.command("connections")(list_connections)
app.command("disconnect")(disconnect_hris)
app.command()(sandbox)
app.command()(serve)
app.add_typer(logins_app, name="logins")
app.add_typer(mapping_app, name="mapping")

__all__ = ["app", "main"]

# Automation (issue 5): worker, autosync, redact, outbox, alerts, webhooks, findings, apply.
from peoplesync.cli.jobs import register as _register_jobs  # noqa: E402 - appended registration

_register_jobs(app)

from peoplesync.cli.held import held_app  # noqa: E402 - appended registration

app.add_typer(held_app, name="held")
