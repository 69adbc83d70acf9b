"""The command line: init, users, tokens; the data folder is created and migrated on demand."""

import subprocess
import sys

import pytest

from tests.conftest import ROOT


def test_help_lists_the_commands():
    out = subprocess.run(
        [sys.executable, "-m", "fieldreg", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for command in ["init", "serve", "users", "tokens"]:
        assert command in out


def test_init_sets_code_and_name(tmp_path):
    from click.testing import CliRunner

    from fieldreg.cli import cli

    result = CliRunner().invoke(
        cli, ["--data", str(tmp_path / "x"), "init", "--code", "abc", "--name", "North gate"]
    )
    assert result.exit_code == 0 and "Station ABC" in result.output
    bad = CliRunner().invoke(cli, ["--data", str(tmp_path / "y"), "init", "--code", "A0O"])
    assert bad.exit_code != 0


def test_data_folder_from_environment(tmp_path):
    env_dir = tmp_path / "from-env"
    subprocess.run(
        [sys.executable, "-m", "fieldreg", "init"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={
            "FIELDREG_DATA": str(env_dir),
            "PATH": "/usr/bin",
            "FIELDREG_PASSPHRASE": "passphrase from env",
            "FIELDREG_KDF": "fast",
        },
    )
    assert (env_dir / "fieldreg.db").exists()


def test_users_add_and_token_create(runner, db):
    ok = runner.invoke("users", "add", "mona", "--role", "medic", "--pin", "4729")
    assert ok.exit_code == 0
    assert next(db.query("select role from users where username='mona'"))["role"] == "medic"
    assert runner.invoke("users", "add", "mona", "--role", "medic", "--pin", "4729").exit_code
    assert runner.invoke("users", "add", "x", "--role", "medic", "--pin", "12").exit_code
    assert runner.invoke("users", "add", "y", "--role", "king", "--pin", "4729").exit_code
    token = runner.invoke("tokens", "create", "importer", "--role", "registrar")
    assert token.exit_code == 0
    secret = token.output.strip().splitlines()[-1]
    assert secret.startswith("frt_")
    stored = [r["token_hash"] for r in db.query("select token_hash from api_tokens")]
    assert secret not in stored  # only the hash is kept


def test_a_token_needs_a_role_and_the_list_shows_it(runner, db):
    """Issue 13: `tokens create NAME` without --role gave an admin token."""
    bare = runner.invoke("tokens", "create", "importer")
    assert bare.exit_code != 0 and "--role" in bare.output
    assert db.execute("select count(*) from api_tokens").fetchone()[0] == 0
    made = runner.invoke("tokens", "create", "importer", "--role", "analyst")
    assert made.exit_code == 0 and "(analyst)" in made.output
    listed = runner.invoke("tokens", "list").output.strip().splitlines()
    assert [line.split("\t")[1:3] for line in listed] == [["importer", "analyst"]]


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_users_add_refuses_weak_and_short_pins(runner, db, role):
    """Issue 13: no trivial PIN for anyone, 6 digits at least for coordinators and admins."""
    for pin in ("1234", "0000", "4729", "111111", "123456", "654321", "121212", "123123"):
        refused = runner.invoke("users", "add", "boss", "--role", role, "--pin", pin)
        assert refused.exit_code != 0, pin
    assert runner.invoke("users", "add", "boss", "--role", role, "--pin", "472913").exit_code == 0
    assert (
        runner.invoke("users", "add", "reg", "--role", "registrar", "--pin", "4729").exit_code == 0
    )


def _fieldreg(data, *args, env=None, stdin=""):
    """Run the command line as a person does, in its own process."""
    import os

    base = {k: v for k, v in os.environ.items() if k != "FIELDREG_PASSPHRASE"}
    return subprocess.run(
        [sys.executable, "-m", "fieldreg", "--data", str(data), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        input=stdin,
        env={**base, "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=60,
    )


def test_the_passphrase_is_asked_for_plainly_and_a_wrong_one_said_plainly(tmp_path):
    """Issue 14: a bare "Passphrase:" prompt, and SQLCipher's log lines for a wrong one."""
    data, right = tmp_path / "data", {"FIELDREG_PASSPHRASE": "the right passphrase"}
    assert _fieldreg(data, "init", env=right).returncode == 0
    wrong = _fieldreg(data, "users", "list", env={"FIELDREG_PASSPHRASE": "not the passphrase"})
    assert wrong.returncode == 1
    assert "FIELDREG_PASSPHRASE is not its passphrase" in wrong.stderr
    assert "hmac" not in wrong.stderr.lower() and "sqlcipher" not in wrong.stderr.lower()
    asked = _fieldreg(data, "users", "list", stdin="typed wrongly\n")
    assert "is encrypted: type its passphrase (or set FIELDREG_PASSPHRASE)" in asked.stderr
    assert "the passphrase typed is not its passphrase" in asked.stderr
    assert "hmac" not in asked.stderr.lower() and asked.returncode == 1
    typed = _fieldreg(data, "users", "list", stdin="the right passphrase\n")
    assert typed.returncode == 0, typed.stderr


def test_a_pin_not_given_is_asked_without_echo(runner, db):
    from fieldreg.cli.people import users_add

    pin = next(p for p in users_add.params if p.name == "pin")
    assert pin.hide_input and pin.confirmation_prompt
    added = runner.invoke("users", "add", "huda", "--role", "registrar", input="2468\n2468\n")
    assert added.exit_code == 0 and "2468" not in added.output
    assert next(db.query("select role from users where username='huda'"))["role"] == "registrar"


def test_users_list_shows_who_is_locked_out(runner, db):
    from fieldreg import auth

    runner.invoke("users", "add", "omar", "--role", "registrar", "--pin", "2468")
    for _attempt in range(auth.MAX_FAILURES):
        auth.login(db, "omar", "0000")
    listed = runner.invoke("users", "list").output
    assert "omar\tregistrar\tlocked until" in listed and "users unlock omar" in listed
