"""The station itself: create the data folder, serve it, keep its figures and retention."""

from __future__ import annotations

import os

import click

from fieldreg import db, keyring, portable
from fieldreg.cli.context import Context


@click.command()
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


@click.command()
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


@click.command()
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


@click.command()
@click.pass_obj
def recount(obj: Context) -> None:
    """Rebuild the running figures (dashboard tallies) from the records; say what had drifted."""
    from fieldreg import tallies

    drifted = tallies.recount(obj.open())
    said = f"had drifted: {', '.join(drifted)}" if drifted else "all equal"
    click.echo(f"Recounted; {said}.")
