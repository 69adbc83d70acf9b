from fieldreg.cli import cli

cli()
