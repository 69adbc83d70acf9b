"""The command line: ``python -m fieldreg --help``. Every command takes ``--data DIR``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from fieldreg import auth, cli_convoys, db, doctor, keyring, launch, portable, wiring
from fieldreg.config import ROLES, default_data_dir
from fieldreg.errors import DomainError


class Context:
    """What every command needs: the data folder, created and migrated on first use."""

    def __init__(self, data: Path):
        self.data = data
        self._opened: list = []

    def open(self):
        """Open the data folder's database (creating and migrating it if new)."""
        db.unlock_inherited_from_environment(self.data)
        # A key held only verifies itself: one derived from FIELDREG_PASSPHRASE is checked
        # against the database first (unlock), so that a wrong one is said in one line.
        if keyring.is_new(self.data) or not keyring.held(self.data / db.DB_NAME):
            self.unlock()
        database = db.connect(db.prepare(self.data))
        self._opened.append(database)
        return database

    def close(self) -> None:
        """Close every connection a command opened (the last one checkpoints the WAL)."""
        while self._opened:
            self._opened.pop().close()

    def unlock(self) -> None:
        """Unlock the folder with FIELDREG_PASSPHRASE, else ask for the passphrase."""
        new = keyring.is_new(self.data)
        passphrase = os.environ.get(keyring.ENV_PASSPHRASE)
        where = "FIELDREG_PASSPHRASE" if passphrase else "the passphrase typed"
        if not passphrase:
            if new:
                click.echo(
                    f"{self.data} is new: choose the passphrase that will encrypt it "
                    f"(at least {keyring.MIN_PASSPHRASE} characters).",
                    err=True,
                )
            else:
                click.echo(
                    f"The data in {self.data} is encrypted: type its passphrase "
                    "(or set FIELDREG_PASSPHRASE).",
                    err=True,
                )
            passphrase = click.prompt(
                "Passphrase", hide_input=True, confirmation_prompt=new, err=True
            )
        try:
            db.unlock(self.data, passphrase)
        except keyring.WrongPassphrase as exc:
            if new:
                raise click.ClickException(f"Cannot set up {self.data}: {exc}.") from exc
            raise click.ClickException(
                f"Cannot unlock {self.data}: {where} is not its passphrase."
            ) from exc


class FieldRegGroup(click.Group):
    """The command group: a refused domain operation becomes a plain message, in one place."""

    def invoke(self, ctx: click.Context):
        """Run the command; turn refusals into a one-line error and exit status 1."""
        try:
            return super().invoke(ctx)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
        except keyring.WrongPassphrase as exc:
            raise click.ClickException(
                f"The passphrase does not open this station: {exc}."
            ) from None
        except db.DatabaseError as exc:
            if "not a database" not in str(exc):
                raise
            raise click.ClickException(
                "The passphrase does not open this station's data folder "
                "(check FIELDREG_PASSPHRASE, or type it when asked)."
            ) from None


@click.group(cls=FieldRegGroup)
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="FIELDREG_DATA",
    default=None,
    help="Data folder (default: $FIELDREG_DATA or ./data).",
)
@click.pass_context
def cli(ctx: click.Context, data: Path | None) -> None:
    """FieldReg: register evacuees at a station, sync to HQ, deduplicate."""
    # Whatever this process writes (database, WAL, backups, bundles, keys) is the owner's only.
    os.umask(0o077)
    wiring.wire()
    ctx.obj = Context((data or default_data_dir()).resolve())
    ctx.call_on_close(ctx.obj.close)


@cli.command()
@click.option("--code", help="Station code: three characters, unique among stations.")
@click.option("--name", help="Station name.")
@click.pass_obj
def init(obj: Context, code: str | None, name: str | None) -> None:
    """Create the data folder (if new) and set the station's code and name."""
    from fieldreg import codes

    database = obj.open()
    with db.write(database):
        if code:
            code = code.strip().upper()
            if not codes.is_valid_prefix(code):
                raise click.BadParameter(
                    f"three characters from {codes.ALPHABET}", param_hint="--code"
                )
            if list(database.query("select 1 from households limit 1")):
                raise click.ClickException("Records exist already: the station code cannot change.")
            db.set_setting(database, "station_code", code)
        if name:
            db.set_setting(database, "station_name", name.strip()[:100])
    click.echo(f"Station {db.setting(database, 'station_code')} in {obj.data}")


@cli.command()
@click.option("--role", type=click.Choice(["station", "hq"]), default="station", show_default=True)
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--threads",
    default=32,
    show_default=True,
    type=int,
    envvar="FIELDREG_THREADS",
    help="Worker threads. Most wait for the group commit: 32 lets 20-30 tablets share one.",
)
@click.option("--https", "use_https", is_flag=True, help="Serve TLS with this station's own CA.")
@click.option("--ca-port", type=int, help="Plain-HTTP port handing out the CA (default PORT+1).")
@click.option(
    "--https-port",
    type=int,
    help="Also serve HTTPS for the tablets on this port (the station's own CA); --port stays "
    "plain HTTP for this laptop and hands out the CA. `make run` uses 8443.",
)
@click.pass_obj
def serve(
    obj: Context,
    role: str,
    host: str,
    port: int,
    threads: int,
    use_https: bool,
    ca_port: int,
    https_port: int | None,
) -> None:
    """Serve the station (or HQ) to the browsers on this network."""
    import logging

    from fieldreg import background, backup, create_app, serving
    from fieldreg.lock import DataLock, FolderInUse
    from fieldreg.views import station

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if use_https and https_port:
        raise click.UsageError("Give --https (TLS on --port) or --https-port, not both.")
    if os.environ.get(keyring.ENV_PASSPHRASE) and not keyring.is_new(obj.data):
        obj.unlock()  # a wrong FIELDREG_PASSPHRASE is said plainly, before anything starts
    try:
        lock = DataLock(obj.data, "server").acquire()
    except FolderInUse as exc:
        raise click.ClickException(str(exc)) from exc
    ca_port = ca_port or port + 1
    tls_port = port if use_https else https_port
    app = create_app(
        {
            "DATA": str(obj.data),
            "ROLE": role,
            "HTTPS_PORT": tls_port,
            "CA_PORT": (ca_port if use_https else port) if tls_port else None,
        }
    )
    syncer = background.start(app.config)
    stop_backups = backup.schedule(app.config["DATABASE"], *backup.settings(app.config))
    stops = [stop_backups, station.watch_idle(app)]

    def stop_background() -> None:
        if syncer is not None:
            syncer.stop.set()
        for stop in stops:
            stop()

    try:
        if https_port:
            from fieldreg.https import serve_beside

            try:
                stops.append(serve_beside(app, obj.data, host, https_port, threads))
            except OSError as exc:
                stop_background()
                message = f"Cannot serve HTTPS on port {https_port}: {exc}."
                raise click.ClickException(message) from None
        _print_addresses(obj.data, role, host, port, use_https, https_port, ca_port)
        if use_https:
            from fieldreg.https import serve_https

            try:
                serve_https(app, obj.data, host, port, ca_port, threads)
            finally:
                stop_background()
            return
        grace = float(app.config["SHUTDOWN_GRACE_SECONDS"])
        serving.serve(app, host, port, threads, grace=grace, on_stop=stop_background)
    finally:
        lock.release()


def _print_addresses(data, role, host, port, use_https, https_port, ca_port) -> None:
    """Say where to open the station: the tablets' HTTPS address first, then this laptop's."""
    click.echo(f"FieldReg {role} serving {data}")
    lan = [a for a in lan_addresses(host, port) if not a.startswith("http://127.")]
    if https_port or use_https:
        tablets = https_port or port
        for address in lan:
            click.echo(f"  tablets: {_with(address, 'https', tablets)}  (offline saving)")
        door = port if https_port else ca_port
        for address in lan[:1]:
            ca_url = _with(address, "http", door) + "/ca.crt"
            click.echo(f"  tablets install the station's CA once from {ca_url}")
    else:
        for address in lan:
            click.echo(f"  tablets: {address}  (no offline saving: it needs --https-port)")
    laptop = "https" if use_https else "http"
    click.echo(f"  this laptop: {laptop}://127.0.0.1:{port}")
    if not keyring.is_unlocked(data):
        door = ca_port if use_https else port
        click.echo(f"  locked: unlock it at http://127.0.0.1:{door}/unlock on this laptop")


def _with(address: str, scheme: str, port: int) -> str:
    """Return ``address`` (http://host:port) with another scheme and port."""
    host = address.split("://", 1)[1].rsplit(":", 1)[0]
    return f"{scheme}://{host}:{port}"


def lan_addresses(host: str, port: int) -> list[str]:
    """List the URLs tablets can use to reach this laptop."""
    if host not in ("0.0.0.0", "::"):
        return [f"http://{host}:{port}"]
    return [f"http://127.0.0.1:{port}"] + [f"http://{ip}:{port}" for ip in portable.lan_addresses()]


@cli.group()
def users() -> None:
    """Manage users."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option(
    "--pin",
    prompt="PIN",
    hide_input=True,
    confirmation_prompt=True,
    help="4 to 12 digits (coordinators and admins: at least 6); no repeated digit, run or "
    "common PIN. Asked without echo when not given (give it only in scripts).",
)
@click.pass_obj
def users_add(obj: Context, name: str, role: str, pin: str) -> None:
    """Add a user with a role and a PIN."""
    auth.add_user(obj.open(), name, role, pin, actor="cli")
    click.echo(f"User {name} ({role}) added.")


@users.command("list")
@click.pass_obj
def users_list(obj: Context) -> None:
    """List users, their roles, and who is disabled or locked out by failed logins."""
    database = obj.open()
    for user in auth.list_users(database):
        flag = "\tdisabled" if user["disabled"] else ""
        until = auth.locked_until(database, user["username"])
        if until and not user["disabled"]:
            when = until[:16].replace("T", " ")
            flag = f"\tlocked until {when} UTC (users unlock {user['username']})"
        click.echo(f"{user['username']}\t{user['role']}{flag}")


@cli.group()
def tokens() -> None:
    """Manage API tokens."""


@tokens.command("create")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    required=True,
    help="What the token may do, as a user of this role (no default: choose the least).",
)
@click.pass_obj
def tokens_create(obj: Context, name: str, role: str) -> None:
    """Create an API token of a role; the token is printed on the last line, once."""
    secret = auth.create_token(obj.open(), name, role, actor="cli")
    click.echo(f"Token {name} ({role}). Keep it secret; it is not shown again:")
    click.echo(secret)


@cli.group("backup")
def backup_group() -> None:
    """Back up the database (automatic backups run inside `serve`)."""


@backup_group.command("now")
@click.pass_obj
def backup_now(obj: Context) -> None:
    """Write a checked backup now, into FIELDREG_BACKUP_DIR (default DATA/backups)."""
    from fieldreg import backup, create_app

    app = create_app({"DATA": str(obj.data)})
    folder, _minutes, keep = backup.settings(app.config)
    attempt = backup.run(app.config["DATABASE"], folder, keep)
    if not attempt["ok"]:
        raise click.ClickException(attempt["error"])
    click.echo(f"Backup written and checked: {attempt['path']}")


@backup_group.command("list")
@click.pass_obj
def backup_list(obj: Context) -> None:
    """List the backups in the backup folder, oldest first."""
    from fieldreg import backup, create_app

    app = create_app({"DATA": str(obj.data)})
    folder = backup.settings(app.config)[0]
    station = db.setting(obj.open(), "station_code")
    for path in backup.listing(folder, station):
        click.echo(f"{path}\t{path.stat().st_size}")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--skip-codes",
    default=1000,
    show_default=True,
    type=int,
    help="Codes left unissued after the restore, for tags printed after the backup.",
)
@click.pass_obj
def restore(obj: Context, file: Path, skip_codes: int) -> None:
    """Replace the database with a backup FILE (the server must be stopped)."""
    from fieldreg.lock import FolderInUse
    from fieldreg.restore import RestoreRefused, bring_salt
    from fieldreg.restore import restore as do_restore

    data = obj.data
    if bring_salt(data, file):
        click.echo(f"Took the salt kept beside {file.name}: give this station's passphrase.")
    if not keyring.is_unlocked(data):
        obj.unlock()
    try:
        done = do_restore(data, file, skip_codes)
    except FolderInUse as exc:
        raise click.ClickException(f"{exc} Restore refused.") from exc
    except RestoreRefused as exc:
        raise click.ClickException(exc.message) from exc
    if done["replaced"]:
        click.echo(f"The replaced database was kept as {done['replaced']}")
    click.echo(f"Restored {file} into {data}; new codes start after {done['code_seq']}.")


@cli.command()
@click.pass_obj
def rekey(obj: Context) -> None:
    """Change the passphrase: re-encrypt the database under a new one (and a new salt).

    The current passphrase comes from FIELDREG_PASSPHRASE or a prompt, the new one from
    FIELDREG_NEW_PASSPHRASE or a prompt. Stop the server first.
    """
    old = os.environ.get(keyring.ENV_PASSPHRASE) or click.prompt(
        "Current passphrase", hide_input=True, err=True
    )
    new = os.environ.get("FIELDREG_NEW_PASSPHRASE") or click.prompt(
        "New passphrase", hide_input=True, confirmation_prompt=True, err=True
    )
    try:
        db.rekey(obj.data, old, new)
    except keyring.WrongPassphrase as exc:
        raise click.ClickException(f"Passphrase not changed: {exc}.") from exc
    database = db.connect(obj.data / db.DB_NAME)
    with db.write(database):
        from fieldreg import audit

        audit.log(database, "cli", "rekey")
    click.echo("Passphrase changed. Give the new one to whoever unlocks this station.")


@users.command("unlock")
@click.argument("name")
@click.pass_obj
def users_unlock(obj: Context, name: str) -> None:
    """Let a user locked out by failed logins try again (and every device with them)."""
    from fieldreg import throttle

    database = obj.open()
    found = [u for u in auth.list_users(database) if u["username"].lower() == name.lower()]
    if not found:
        raise click.ClickException(f"No user {name}.")
    auth.unlock_user(database, found[0]["id"], actor="cli")
    throttle.clear(database)
    click.echo(f"User {name} unlocked.")


@tokens.command("list")
@click.pass_obj
def tokens_list(obj: Context) -> None:
    """List API tokens: id, name, role, created, revoked (never the secret)."""
    for token in auth.list_tokens(obj.open()):
        revoked = f"\trevoked {token['revoked_at']}" if token["revoked_at"] else ""
        click.echo(
            f"{token['id']}\t{token['name']}\t{token['role']}\t{token['created_at']}{revoked}"
        )


@tokens.command("revoke")
@click.argument("token_id")
@click.pass_obj
def tokens_revoke(obj: Context, token_id: str) -> None:
    """Revoke an API token by its id (from `tokens list`)."""
    auth.revoke_token(obj.open(), token_id, actor="cli")
    click.echo("Token revoked.")


@cli.command()
@click.option("--days", type=int, default=None, help="Override FIELDREG_RETENTION_DAYS.")
@click.pass_obj
def purge(obj: Context, days: int | None) -> None:
    """Erase closed records (departed, transferred) older than the retention period."""
    from fieldreg import subject

    if days is None:
        days = int(os.environ.get("FIELDREG_RETENTION_DAYS", "0"))
    if days <= 0:
        raise click.ClickException("No retention period: give --days N or FIELDREG_RETENTION_DAYS.")
    count = subject.purge_closed(obj.open(), days)
    click.echo(f"{count} people erased (closed for more than {days} days).")


@cli.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx", "pfif"]), default="csv", show_default=True
)
@click.option(
    "--kind",
    default="people",
    show_default=True,
    help="csv: households, people, triage or movements (xlsx has every kind).",
)
@click.option("--hxl", is_flag=True, help="Add a row of HXL hashtags under the header.")
@click.option(
    "--pseudonymise",
    "partner",
    metavar="PARTNER",
    help="For a partner: no names or phones, ids replaced by the partner's pseudonyms.",
)
@click.option(
    "--medical",
    is_flag=True,
    help="Include medical detail (conditions, notes, referrals): only for medical staff.",
)
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def export_cmd(
    obj: Context, fmt: str, kind: str, hxl: bool, partner: str | None, medical: bool, out: Path
):
    """Export people (or households, triage, movements) as CSV, XLSX or PFIF 1.4 XML to OUT."""
    from fieldreg import exports

    body = exports.export(obj.open(), fmt, kind, hxl, partner, actor="cli", medical=medical)
    exports.write_file(out, body)
    click.echo(f"Wrote {out} ({len(body)} bytes).")


@cli.group()
def stations() -> None:
    """Stations that sync to this HQ."""


@stations.command("add")
@click.argument("code")
@click.option("--name", default="", help="Station name.")
@click.option(
    "--url",
    envvar="FIELDREG_HQ_URL",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="The address stations use to reach this HQ (put in the credential).",
)
@click.pass_obj
def stations_add(obj: Context, code: str, name: str, url: str) -> None:
    """Register a station; its credential is printed on the last line, once."""
    from fieldreg import syncing

    credential = syncing.add_station(obj.open(), code, name, url)
    click.echo(f"Station {code.upper()} registered. Give it this credential (secret, shown once):")
    click.echo(credential)


@stations.command("list")
@click.pass_obj
def stations_list(obj: Context) -> None:
    """List registered stations and their last sync."""
    from fieldreg import conflicts

    for row in conflicts.stations(obj.open()):
        click.echo(
            f"{row['code']}\t{row['last_sync_at'] or '-'}\t{row['last_path'] or '-'}"
            f"\t{row['received']}"
        )


@cli.command()
@click.argument("credential")
@click.pass_obj
def join(obj: Context, credential: str) -> None:
    """Store the credential HQ printed for this station."""
    from fieldreg import syncing

    cred = syncing.join(obj.open(), credential)
    click.echo(f"Station {cred['station']} joined HQ {cred['hq']} at {cred['hq_url']}.")


@cli.command()
@click.option("--hq", "url", help="HQ address (overrides the one in the credential).")
@click.pass_obj
def sync(obj: Context, url: str | None) -> None:
    """Push this station's changes to HQ, then pull what HQ has for it."""
    from fieldreg import syncing

    report = syncing.run_sync(obj.open(), url)
    click.echo(
        f"Sync done: {report.pushed} sent (HQ has up to {report.acked}), {report.pulled} received."
    )


@cli.group()
def bundle() -> None:
    """Carry sync on a USB stick: encrypted, signed files."""


@bundle.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--for", "for_station", help="HQ only: write what HQ has for this station.")
@click.pass_obj
def bundle_export(obj: Context, file: Path, for_station: str | None) -> None:
    """Write the changes the other side has not acknowledged into FILE."""
    from fieldreg import syncing

    data, count = syncing.export_bundle(obj.open(), for_station)
    partial = file.with_name(file.name + ".part")
    keyring.write_private(partial, data)  # a bundle is encrypted; still the owner's only
    partial.replace(file)
    click.echo(f"Bundle written: {file} ({count} changes, {len(data)} bytes).")


@bundle.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.pass_obj
def bundle_import(obj: Context, file: Path) -> None:
    """Check and apply a bundle; a damaged or foreign file is refused and changes nothing."""
    from fieldreg import syncing

    outcome = syncing.import_bundle(obj.open(), file.read_bytes())
    click.echo(
        f"Bundle from {outcome['from']} applied: {outcome['changes']} changes in the file, "
        f"{outcome.get('applied', outcome['changes'])} new."
    )


@cli.command()
@click.pass_obj
def dedup(obj: Context) -> None:
    """Deduplicate all people at HQ (a full run) and print a summary."""
    from fieldreg import dedup as dedup_domain

    with _bar() as bar:
        summary = dedup_domain.full_run(obj.open(), _progress(bar))
    click.echo(
        f"{summary['records']} registrations: {summary['unique_people']} unique people, "
        f"{summary['unique_households']} unique households; {summary['links']} links, "
        f"{summary['review']} pairs to review."
    )


@cli.command("dedup-csv")
@click.argument("in_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.argument("out_file", type=click.Path(dir_okay=False, path_type=Path))
def dedup_csv(in_file: Path, out_file: Path) -> None:
    """Deduplicate any list of people (CSV) with the HQ engine; write id,cluster_id."""
    from sync.dedup import dedup_csv as run_csv

    with _bar() as bar:
        report = run_csv(in_file, out_file, progress=_progress(bar))
    for warning in report.warnings:
        click.echo(warning, err=True)
    click.echo(
        f"{report.people} people read ({report.encoding}), {report.clusters} clusters: {out_file}"
    )


def _bar():
    """Return a progress bar on stderr, so that stdout stays the result."""
    return click.progressbar(length=100, label="Deduplicating", file=sys.stderr)


def _progress(bar):
    """Return an engine progress callback that moves a click progress bar."""

    def report(stage: str, fraction: float) -> None:
        bar.label = f"Deduplicating ({stage})"
        bar.update(max(0, int(fraction * 100) - bar.pos))

    return report


cli.add_command(doctor.doctor)
cli.add_command(launch.start)
cli.add_command(cli_convoys.convoy)
