"""Deduplication: HQ's full run, and any CSV list of people with the same engine."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from fieldreg.cli.context import Context


@click.command()
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


@click.command("dedup-csv")
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
