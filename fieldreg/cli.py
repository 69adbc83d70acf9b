"""The command line: ``python -m fieldreg --help``. Every command takes ``--data DIR``."""

from __future__ import annotations

import socket
from pathlib import Path

import click

from fieldreg import auth, db
from fieldreg.config import ROLES, default_data_dir
from fieldreg.errors import DomainError


class Context:
    """What every command needs: the data folder, created and migrated on first use."""

    def __init__(self, data: Path):
        self.data = data

    def open(self):
        """Open the data folder's database (creating and migrating it if new)."""
        return db.connect(db.prepare(self.data))


@click.group()
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
    ctx.obj = Context((data or default_data_dir()).resolve())


def _fail(exc: DomainError) -> None:
    raise click.ClickException(exc.message)


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
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--https", "use_https", is_flag=True, help="Serve TLS with this station's own CA.")
@click.option("--ca-port", type=int, help="Plain-HTTP port handing out the CA (default PORT+1).")
@click.pass_obj
def serve(
    obj: Context, role: str, host: str, port: int, threads: int, use_https: bool, ca_port: int
) -> None:
    """Serve the station (or HQ) to the browsers on this network."""
    from fieldreg import create_app

    ca_port = ca_port or port + 1
    app = create_app(
        {
            "DATA": str(obj.data),
            "ROLE": role,
            "HTTPS_PORT": port if use_https else None,
            "CA_PORT": ca_port if use_https else None,
        }
    )
    click.echo(f"FieldReg {role} serving {obj.data}")
    scheme = "https" if use_https else "http"
    for address in lan_addresses(host, port):
        click.echo(f"  open {address.replace('http://', scheme + '://')}")
    if use_https:
        from fieldreg.serving import serve_https

        click.echo(f"  tablets install the CA from http://<address>:{ca_port}/ca.crt")
        serve_https(app, obj.data, host, port, ca_port, threads)
        return
    import waitress

    waitress.serve(app, host=host, port=port, threads=threads, ident="fieldreg")


def lan_addresses(host: str, port: int) -> list[str]:
    """List the URLs tablets can use to reach this laptop."""
    if host not in ("0.0.0.0", "::"):
        return [f"http://{host}:{port}"]
    ips = set(_interface_addresses())
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
        ips.update(info[4][0] for info in infos)
    except OSError:
        pass
    lan = sorted(ip for ip in ips if not ip.startswith("127."))
    return [f"http://127.0.0.1:{port}"] + [f"http://{ip}:{port}" for ip in lan]


def _interface_addresses() -> list[str]:
    """Read the IPv4 address of each network interface (Linux; elsewhere nothing)."""
    try:
        import fcntl
        import struct
    except ImportError:
        return []
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _index, name in socket.if_nameindex():
            try:
                packed = fcntl.ioctl(sock.fileno(), 0x8915, struct.pack("256s", name[:15].encode()))
                found.append(socket.inet_ntoa(packed[20:24]))  # SIOCGIFADDR
            except OSError:
                continue
    return found


@cli.group()
def users() -> None:
    """Manage users."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--pin", required=True, help="4 to 12 digits.")
@click.pass_obj
def users_add(obj: Context, name: str, role: str, pin: str) -> None:
    """Add a user with a role and a PIN."""
    try:
        auth.add_user(obj.open(), name, role, pin, actor="cli")
    except DomainError as exc:
        _fail(exc)
    click.echo(f"User {name} ({role}) added.")


@users.command("list")
@click.pass_obj
def users_list(obj: Context) -> None:
    """List users and their roles."""
    for user in auth.list_users(obj.open()):
        flag = "\tdisabled" if user["disabled"] else ""
        click.echo(f"{user['username']}\t{user['role']}{flag}")


@cli.group()
def tokens() -> None:
    """Manage API tokens."""


@tokens.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="admin", show_default=True)
@click.pass_obj
def tokens_create(obj: Context, name: str, role: str) -> None:
    """Create an API token; the token is printed on the last line, once."""
    try:
        secret = auth.create_token(obj.open(), name, role, actor="cli")
    except DomainError as exc:
        _fail(exc)
    click.echo(f"Token {name} ({role}). Keep it secret; it is not shown again:")
    click.echo(secret)
