"""`fieldreg start`: the one-click start of a station laptop.

What the start script of the one-click folder runs (and what the folder's program runs when
double-clicked with no arguments): check the laptop as `doctor` does and say what is wrong,
then serve the station to the tablets and open this laptop's browser at it once it answers.
Started a second time while the station runs, it only opens the browser.
"""

from __future__ import annotations

import click

from fieldreg import doctor, portable

# Without these the station cannot serve at all; the other findings are warnings.
BLOCKING = ("folder", "port")


@click.command()
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to serve on.")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--https-port",
    default=8443,
    show_default=True,
    type=int,
    help="HTTPS for the tablets (saving offline needs it); 0: none.",
)
@click.option("--no-browser", is_flag=True, help="Do not open the browser.")
@click.pass_obj
def start(obj, host: str, port: int, https_port: int, no_browser: bool) -> None:
    """One-click start: check this laptop, serve the station, open the browser at it."""
    cli = click.get_current_context().find_root().command  # the group this command is in
    url = f"http://127.0.0.1:{port}/"
    findings = doctor.run(obj.data, host, port)
    doctor.report(findings, only_problems=True)
    if doctor.running(obj.data):
        click.echo(f"FieldReg is already running: opening {url}")
        if not no_browser:
            portable.open_browser(url)
        return
    if any(not f.ok and f.name in BLOCKING for f in findings):
        raise click.ClickException("The station cannot start until the problem above is fixed.")
    if not no_browser:
        portable.open_browser_when_up(url, url + "healthz")
    click.echo(f"Starting the station; this laptop's browser opens at {url}. Ctrl+C stops it.")
    # Through the command line again, so that serve reads its settings (FIELDREG_THREADS...)
    # exactly as when it is typed.
    args = ["--data", str(obj.data), "serve", "--host", host, "--port", str(port)]
    if https_port:
        args += ["--https-port", str(https_port)]  # as `make run`: tablets save offline
    cli.main(args, prog_name="fieldreg", standalone_mode=False)
