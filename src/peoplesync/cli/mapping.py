"""Field mapping commands: `peoplesync mapping show|set|preview|reset SOURCE` (SOURCE: merge,
the connected HRIS; file, CSV/XLSX uploads)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from peoplesync.accounts import service as accounts
from peoplesync.cli.context import handles_errors, out, print_json, state, utcnow
from peoplesync.connections import mapping
from peoplesync.core.mapping import Exclusion, FieldMapping
from peoplesync.errors import InputError
from peoplesync.runs import mapping as use

mapping_app = typer.Typer(
    help="Map source fields to demographics, and exclude people.", no_args_is_help=True
)
AccountOpt = Annotated[
    str | None, typer.Option("--account", "-a", help="Account name (optional when only one).")
]
SourceArg = Annotated[str, typer.Argument(help="merge (the connected HRIS) or file (uploads).")]
MapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        "-m",
        help="FIELD=Demographic (exact name; FIELD= not to import it). Repeatable.",
    ),
]
ExcludeOpt = Annotated[
    str | None,
    typer.Option(help="FIELD=VALUE[,VALUE...]: leave out people whose field holds a value."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _pairs(given: list[str] | None) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in given or []:
        field, sep, name = item.partition("=")
        if not sep or not field.strip():
            raise InputError(
                f"--map '{item}' is not FIELD=Demographic.",
                hint="For example: --map 'team=TEAM NAME', or --map 'gender=' not to import it.",
                field="map",
            )
        found[field.strip()] = name.strip()
    return found


def _exclusion(given: str | None) -> Exclusion | None:
    if given is None:
        return None
    field, sep, values = given.partition("=")
    if not sep:
        raise InputError(
            f"--exclude '{given}' is not FIELD=VALUE.",
            hint="For example: --exclude 'employment_type=Contractor'.",
            field="exclude",
        )
    return mapping.parse_exclusion(field.strip(), values.split(","))


def _with(
    stored: FieldMapping, given: list[str] | None, exclude: str | None, clear: bool
) -> tuple[dict[str, str], Exclusion | None]:
    targets = {**stored.targets, **_pairs(given)}
    rule = None if clear else (_exclusion(exclude) or stored.exclusion)
    return targets, rule


@handles_errors
def show(
    ctx: typer.Context, source: SourceArg, account: AccountOpt = None, as_json: JsonOpt = False
) -> None:
    """Each field of the source, the demographic it maps to, and the exclusion rule."""
    st = state(ctx)
    with st.uow() as session:
        acct = accounts.resolve_account(session, account)
        view = use.mapping_view(session, acct.id, _checked(source))
    if as_json:
        print_json(view)
        return
    table = Table("Field", "Label", "Demographic")
    for row in view["fields"]:
        table.add_row(escape(row["field"]), escape(row["label"]), escape(row["demographic"] or "-"))
    out.print(table)
    rule = view["exclude"]
    out.print(
        "Exclusion: "
        + (escape(f"{rule['field']} = {', '.join(rule['values'])}") if rule else "none")
    )


def _checked(source: str) -> str:
    if source not in mapping.SOURCES:
        raise InputError(f"'{source}' is not a source.", hint="Use merge or file.", field="source")
    return source


@handles_errors
def set_mapping(
    ctx: typer.Context,
    source: SourceArg,
    map_: MapOpt = None,
    exclude: ExcludeOpt = None,
    no_exclude: Annotated[
        bool, typer.Option("--no-exclude", help="Remove the exclusion rule.")
    ] = False,
    account: AccountOpt = None,
) -> None:
    """Change the mapping (the fields not named keep theirs); checked whole, or refused."""
    st = state(ctx)
    with st.uow() as session:
        acct = accounts.resolve_account(session, account)
        stored = mapping.load_mapping(session, acct.id, _checked(source))
        targets, rule = _with(stored, map_, exclude, no_exclude)
        use.save(session, acct.id, source, targets, rule, actor="cli", now=utcnow())
    out.print("Saved: the next sync shows what the mapping changes, as demographic changes.")


@handles_errors
def preview(
    ctx: typer.Context,
    source: SourceArg,
    file: Annotated[Path | None, typer.Option(help="The file to preview (source file).")] = None,
    map_: MapOpt = None,
    exclude: ExcludeOpt = None,
    account: AccountOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The values the mapping (with --map/--exclude changes, unsaved) gives a few people."""
    st = state(ctx)
    with st.uow() as session:
        acct = accounts.resolve_account(session, account)
        stored = mapping.load_mapping(session, acct.id, _checked(source))
        targets, rule = _with(stored, map_, exclude, False)
        proposed = use.proposed_of(stored, targets, rule)
        if source == "merge":
            found = use.preview_merge(session, acct.id, st.hris(), proposed)
        else:
            if file is None:
                raise InputError("A file preview needs --file.", field="file")
            redacted = use.redacted_of(session, acct.id)
            found = use.preview_file(file.read_bytes(), proposed, name=file.name, redacted=redacted)
    if as_json:
        print_json({"people": found.people, "fields": found.fields, "error": found.error})
        return
    if found.error:
        raise InputError(found.error)
    table = Table("Person", "Demographics", "Excluded")
    for p in found.people:
        shown = ", ".join(f"{k}: {v}" for k, v in p["values"].items())
        table.add_row(
            escape(f"{p['name']} <{p['email']}>"), escape(shown), "yes" if p["excluded"] else ""
        )
    out.print(table)


@handles_errors
def reset(ctx: typer.Context, source: SourceArg, account: AccountOpt = None) -> None:
    """Back to the source's default mapping (what peoplesync always imported)."""
    st = state(ctx)
    with st.uow() as session:
        acct = accounts.resolve_account(session, account)
        mapping.reset_mapping(session, acct.id, _checked(source))
    out.print("Back to the default mapping.")


mapping_app.command("show")(show)
mapping_app.command("set")(set_mapping)
mapping_app.command("preview")(preview)
mapping_app.command("reset")(reset)
