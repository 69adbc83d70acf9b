"""Numbered migrations, applied at start-up. Never edit one that has landed: add the next."""

import sqlite3

import sqlcipher3.dbapi2 as sqlcipher
from sqlite_utils import Migrations

migrations = Migrations("fieldreg")


@migrations()
def m001_core(db):
    """Create settings, users, sessions, tokens, households, people, codes, changes, audit."""
    db.executescript(
        """
        create table settings (key text primary key, value text);
        create table users (
            id text primary key, username text not null unique collate nocase,
            role text not null, pin_hash text not null, created_at text not null,
            disabled integer not null default 0, failed_logins integer not null default 0,
            locked_until text
        );
        create table sessions (
            id_hash text primary key, user_id text not null references users(id),
            csrf text not null, created_at text not null, last_seen text not null,
            device text
        );
        create table api_tokens (
            id text primary key, name text not null, token_hash text not null unique,
            role text not null, created_at text not null, revoked_at text
        );
        create table households (
            id text primary key, code text not null unique, client_id text unique,
            client_hash text, station text not null,
            arrived_at text, transport text, vehicle_ref text,
            origin_district text, origin_neighbourhood text,
            destination_kind text, destination_name text, destination_place text,
            phone text, phone_norm text, vulnerabilities text not null default '[]',
            consent_share integer not null default 0, notes text,
            status text not null default 'present',
            created_at text not null, updated_at text not null, created_by text,
            deleted integer not null default 0
        );
        create index households_phone on households(phone_norm);
        create table people (
            id text primary key, code text not null unique,
            household_id text not null references households(id), position integer not null,
            given_name text, father_name text, mother_name text, family_name text,
            sex text, age_years integer, age_estimated integer not null default 0,
            date_of_birth text, relationship text, vulnerabilities text not null default '[]',
            status text not null default 'present',
            created_at text not null, updated_at text not null,
            deleted integer not null default 0
        );
        create index people_household on people(household_id, position);
        create virtual table people_search using fts5(
            person_id unindexed, keys, prefix = '2 3'
        );
        create table codes (
            code text primary key, seq integer not null, kind text not null,
            record_id text, issued_at text not null, bound_at text
        );
        create table changes (
            site text not null, seq integer not null, hlc text not null,
            tbl text not null, record_id text not null, op text not null, data text not null,
            primary key (site, seq)
        );
        create index changes_record on changes(tbl, record_id);
        create table audit (
            id integer primary key autoincrement, at text not null, actor text,
            action text not null, tbl text, record_id text, device text, detail text
        );
        create index audit_record on audit(tbl, record_id);
        """
    )


@migrations()
def m010_login_attempts(db):
    """Count failed logins per client address, for the growing delay (issue 3)."""
    db.executescript(
        """
        create table if not exists login_attempts (
            address text primary key, failures integer not null default 0,
            last_at text not null, blocked_until text
        );
        create index if not exists audit_actor on audit(actor, at);
        """
    )


@migrations()
def m020_triage_movements(db):
    """Create the append-only triage and movements tables."""
    db.executescript(
        """
        create table triage (
            id text primary key, person_id text not null references people(id),
            category text not null, conditions text not null default '[]',
            condition_other text, mobility text, referral text, note text,
            actor text, at text not null
        );
        create index triage_person on triage(person_id, at);
        create table movements (
            id text primary key, household_id text not null references households(id),
            person_id text references people(id), kind text not null,
            destination_kind text, destination_name text, destination_place text,
            transport text, note text, actor text, at text not null
        );
        create index movements_household on movements(household_id, at);
        create index movements_person on movements(person_id, at);
        """
    )


@migrations()
def m030_devices(db):
    """Create devices (tablets) and mark the codes issued to a device's offline block."""
    db.executescript(
        """
        create table devices (
            id text primary key, created_at text not null, created_by text,
            last_seen text
        );
        alter table codes add column device_id text;
        create index codes_device on codes(device_id) where device_id is not null;
        """
    )


@migrations()
def m040_sync(db):
    """Add sync bookkeeping: receive order, field versions, held batches, conflicts, stations."""
    db.executescript(
        """
        alter table changes add column recv integer;
        alter table changes add column prev text;
        update changes set recv = rowid;
        create index changes_recv on changes(recv);
        create table sync_meta (
            tbl text not null, record_id text not null, versions text not null default '{}',
            deleted text, primary key (tbl, record_id)
        ) without rowid;
        create table sync_pending (
            site text not null, seq integer not null, hlc text not null, tbl text not null,
            record_id text not null, op text not null, data text not null, prev text,
            primary key (site, seq)
        );
        create table sync_conflicts (
            id integer primary key autoincrement, tbl text not null, record_id text not null,
            field text not null, kept_value text, kept_version text not null,
            lost_value text, lost_version text not null, at text not null,
            resolved_at text, resolved_by text, resolution text
        );
        create index sync_conflicts_open on sync_conflicts(resolved_at);
        create table sync_stations (
            code text primary key, name text, token_hash text not null, sign_pub text not null,
            box_pub text not null, created_at text not null, last_sync_at text, last_path text,
            received integer not null default 0, last_error text
        );
        """
    )


@migrations()
def m060_user_preferences(db):
    """Give each user a preferred language and digits (Western or Arabic-Indic)."""
    db.executescript(
        """
        alter table users add column lang text;
        alter table users add column digits text;
        """
    )


@migrations()
def m070_backups(db):
    """Create the record of backup attempts shown on the coordinator's page."""
    db.executescript(
        """
        create table if not exists backups (
            id integer primary key autoincrement, at text not null, ok integer not null,
            path text, bytes integer, seconds real, error text
        );
        """
    )


@migrations()
def m050_dedup(db):
    """Add deduplication: clusters, scored pairs to review, and the append-only decisions."""
    db.executescript(
        """
        create table dedup_clusters (
            person_id text primary key, cluster_id text not null, household_cluster_id text
        );
        create index dedup_clusters_cluster on dedup_clusters(cluster_id);
        create table dedup_pairs (
            a text not null, b text not null, score real not null, reasons text not null,
            status text not null default 'review', primary key (a, b)
        );
        create index dedup_pairs_status on dedup_pairs(status, score);
        create table dedup_decisions (
            id text primary key, a text not null, b text not null, verdict text not null,
            actor text, at text not null
        );
        create index dedup_decisions_pair on dedup_decisions(a, b, at);
        """
    )


@migrations()
def m002_arrival_index(db):
    """Index households by arrival time: the dashboard's last 24 hours and period filters."""
    db.execute("create index if not exists households_arrived on households(arrived_at)")


@migrations()
def m080_audit_address(db):
    """Record each audit entry's connection address apart from the client's device label."""
    db.execute("alter table audit add column address text")


# The running figures (issue 15). Each statement below adds one row's share to a tally
# (sign +1) or takes it away (-1); triggers run them in the transaction of the write itself,
# whichever code wrote it (a registration, a movement, sync's apply, a restore's renumbering).
def _m120_person_share(row: str, sign: str, when: str) -> str:
    """Return the statements adding a person row's share (row: new or old) to the tallies."""
    return f"""
    insert into tally_people (station, status, sex, dest, n)
      select coalesce(h.station, ''), coalesce({row}.status, ''), coalesce({row}.sex, ''),
             case when {row}.status = 'present' then '' else coalesce(h.destination_kind, '') end,
             {sign}
      from (select 1) left join households h on h.id = {row}.household_id where {when}
      on conflict do update set n = n + excluded.n;
    insert into tally_ages (age, dob, sex, n)
      select coalesce({row}.age_years, -1),
             case when {row}.age_years is null then coalesce(date({row}.date_of_birth), '')
                  else '' end,
             coalesce({row}.sex, ''), {sign} where {when}
      on conflict do update set n = n + excluded.n;
    insert into tally_birth_years (year, sex, n)
      select substr(date({row}.date_of_birth), 1, 4), coalesce({row}.sex, ''), {sign}
      where {when} and {row}.age_years is null and date({row}.date_of_birth) is not null
      on conflict do update set n = n + excluded.n;
    insert into tally_hours (hour, households, people)
      select coalesce(substr(h.arrived_at, 1, 13), ''), 0, {sign}
      from (select 1) left join households h on h.id = {row}.household_id where {when}
      on conflict do update set people = people + excluded.people;
    insert into tally_vulnerabilities (name, n)
      select value, {sign} from json_each(case when json_type({row}.vulnerabilities) = 'array'
                                          then {row}.vulnerabilities else '[]' end)
      where type = 'text' and {when}
      on conflict do update set n = n + excluded.n;
    insert into tally_totals (name, n) select 'people_deleted', {sign} where {row}.deleted != 0
      on conflict do update set n = n + excluded.n;"""


def _m120_household_share(row: str, sign: str, when: str) -> str:
    """Return the statements adding a household row's own share to the tallies."""
    return f"""
    insert into tally_households (station, transport, dest, n)
      select coalesce({row}.station, ''), coalesce({row}.transport, ''),
             coalesce({row}.destination_kind, ''), {sign} where {when}
      on conflict do update set n = n + excluded.n;
    insert into tally_hours (hour, households, people)
      select coalesce(substr({row}.arrived_at, 1, 13), ''), {sign}, 0 where {when}
      on conflict do update set households = households + excluded.households;
    insert into tally_vulnerabilities (name, n)
      select value, {sign} from json_each(case when json_type({row}.vulnerabilities) = 'array'
                                          then {row}.vulnerabilities else '[]' end)
      where type = 'text' and {when}
      on conflict do update set n = n + excluded.n;"""


def _m120_members_share(row: str, sign: str) -> str:
    """Return the statements adding the members' shares that depend on their household."""
    return f"""
    insert into tally_people (station, status, sex, dest, n)
      select coalesce({row}.station, ''), coalesce(p.status, ''), coalesce(p.sex, ''),
             case when p.status = 'present' then '' else coalesce({row}.destination_kind, '') end,
             {sign} * count(*)
      from people p where p.household_id = {row}.id and p.deleted = 0 group by 1, 2, 3, 4
      on conflict do update set n = n + excluded.n;
    insert into tally_hours (hour, households, people)
      select coalesce(substr({row}.arrived_at, 1, 13), ''), 0, {sign} * count(*)
      from people p where p.household_id = {row}.id and p.deleted = 0 having count(*) > 0
      on conflict do update set people = people + excluded.people;"""


M120_FILL = """
    insert into tally_people (station, status, sex, dest, n)
      select coalesce(h.station, ''), coalesce(p.status, ''), coalesce(p.sex, ''),
             case when p.status = 'present' then '' else coalesce(h.destination_kind, '') end,
             count(*)
      from people p left join households h on h.id = p.household_id where p.deleted = 0
      group by 1, 2, 3, 4;
    insert into tally_ages (age, dob, sex, n)
      select coalesce(age_years, -1),
             case when age_years is null then coalesce(date(date_of_birth), '') else '' end,
             coalesce(sex, ''), count(*) from people where deleted = 0 group by 1, 2, 3;
    insert into tally_birth_years (year, sex, n)
      select substr(date(date_of_birth), 1, 4), coalesce(sex, ''), count(*) from people
      where deleted = 0 and age_years is null and date(date_of_birth) is not null group by 1, 2;
    insert into tally_hours (hour, households, people)
      select hour, sum(households), sum(people) from (
        select coalesce(substr(arrived_at, 1, 13), '') hour, 1 households, 0 people
        from households where deleted = 0
        union all
        select coalesce(substr(h.arrived_at, 1, 13), ''), 0, 1
        from people p left join households h on h.id = p.household_id where p.deleted = 0
      ) group by 1;
    insert into tally_households (station, transport, dest, n)
      select coalesce(station, ''), coalesce(transport, ''), coalesce(destination_kind, ''),
             count(*) from households where deleted = 0 group by 1, 2, 3;
    insert into tally_vulnerabilities (name, n)
      select j.value, count(*) from (
        select vulnerabilities v from households where deleted = 0
        union all select vulnerabilities from people where deleted = 0
      ) t join json_each(case when json_type(t.v) = 'array' then t.v else '[]' end) j
      where j.type = 'text' group by 1;
    insert into tally_totals (name, n)
      select 'people_deleted', count(*) from people where deleted != 0;
"""


@migrations()
def m090_sync_authority(db):
    """Add record ownership handed over by HQ, triage ordered by clock, no bookkeeping conflicts.

    Clock readings stored before they were read strictly are rewritten in the strict form
    first, the same way on every site (a counter past 9999 carries into the milliseconds),
    so that no site refuses another's. ``record_owners`` holds only records whose ownership
    HQ handed to another station (the rest belong to the site that created them).
    ``triage.hlc`` is the clock of the change that recorded the entry. Conflicts opened on
    bookkeeping columns (``updated_at``) are closed.
    """
    strict = "[0-9]" * 16 + ".[0-9][0-9][0-9][0-9]"
    for table in ("changes", "sync_pending"):
        bad = db.execute(f"select distinct hlc from {table} where hlc not glob ?", [strict])
        for (text,) in bad.fetchall():
            db.execute(f"update {table} set hlc = ? where hlc = ?", [_strict_clock(text), text])
    clock = db.execute("select value from settings where key = 'hlc'").fetchone()
    if clock and clock[0]:
        db.execute("update settings set value = ? where key = 'hlc'", [_strict_clock(clock[0])])
    db.executescript(
        """
        create table if not exists record_owners (
            id text primary key, tbl text not null, owner text not null, previous text,
            at text not null, actor text
        );
        alter table triage add column hlc text;
        update triage set hlc = (
            select c.hlc from changes c
            where c.tbl = 'triage' and c.record_id = triage.id and c.op = 'append' limit 1
        );
        create index if not exists triage_person_hlc on triage(person_id, hlc);
        update sync_conflicts set resolved_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'),
            resolution = 'bookkeeping'
        where field in ('created_at', 'updated_at') and resolved_at is null;
        """
    )


@migrations()
def m100_search_secure_delete(db):
    """Make the search index forget deleted keys at once (erasure), and purge old ones."""
    # FTS5 otherwise keeps a deleted row's terms in older index segments until a merge:
    # an erased person's name keys would stay in the file (issue 13). SQLCipher's SQLite has
    # the option (3.42+); a plain older sqlite3 opening the file may not, and erasure sets it
    # again itself (search_index.erase_keys), so its absence here is not fatal.
    try:
        db.execute("insert into people_search(people_search, rank) values ('secure-delete', 1)")
    except (sqlite3.OperationalError, sqlcipher.OperationalError):
        pass
    db.execute("insert into people_search(people_search) values ('optimize')")


@migrations()
def m101_device_codes_by_time(db):
    """Index the codes given to tablets by time: the hourly quota counts them (issue 13)."""
    db.execute(
        "create index if not exists codes_device_issued on codes(issued_at) "
        "where device_id is not null"
    )


@migrations()
def m120_tallies(db):
    """Keep running figures (people, households, ages, hours, vulnerabilities) by trigger."""
    people_cols = "household_id, status, sex, age_years, date_of_birth, vulnerabilities, deleted"
    household_cols = "station, transport, destination_kind, arrived_at, vulnerabilities, deleted"
    moved = "station, destination_kind, arrived_at"
    changed = " or ".join(f"old.{c} is not new.{c}" for c in moved.split(", "))
    db.executescript(
        f"""
        create table tally_people (
            station text not null, status text not null, sex text not null, dest text not null,
            n integer not null, primary key (station, status, sex, dest)
        ) without rowid;
        create table tally_ages (
            age integer not null, dob text not null, sex text not null, n integer not null,
            primary key (age, dob, sex)
        ) without rowid;
        create table tally_birth_years (
            year text not null, sex text not null, n integer not null, primary key (year, sex)
        ) without rowid;
        create table tally_hours (
            hour text primary key, households integer not null, people integer not null
        ) without rowid;
        create table tally_households (
            station text not null, transport text not null, dest text not null,
            n integer not null, primary key (station, transport, dest)
        ) without rowid;
        create table tally_vulnerabilities (name text primary key, n integer not null)
            without rowid;
        create table tally_totals (name text primary key, n integer not null) without rowid;
        create index if not exists households_station_arrived on households(station, arrived_at);
        {M120_FILL}
        create trigger tally_people_insert after insert on people begin
          {_m120_person_share("new", "1", "new.deleted = 0")}
        end;
        create trigger tally_people_delete after delete on people begin
          {_m120_person_share("old", "-1", "old.deleted = 0")}
        end;
        create trigger tally_people_update after update of {people_cols} on people begin
          {_m120_person_share("old", "-1", "old.deleted = 0")}
          {_m120_person_share("new", "1", "new.deleted = 0")}
        end;
        create trigger tally_households_insert after insert on households begin
          {_m120_household_share("new", "1", "new.deleted = 0")}
        end;
        create trigger tally_households_delete after delete on households begin
          {_m120_household_share("old", "-1", "old.deleted = 0")}
        end;
        create trigger tally_households_update after update of {household_cols} on households
        begin
          {_m120_household_share("old", "-1", "old.deleted = 0")}
          {_m120_household_share("new", "1", "new.deleted = 0")}
        end;
        create trigger tally_members_move after update of {moved} on households
        when {changed} begin
          {_m120_members_share("old", "-1")}
          {_m120_members_share("new", "1")}
        end;
        """
    )


# HQ's unique counts (issue 15), kept like the tallies above: a clustered, non-deleted person
# adds one to its cluster, its household cluster and its cluster's station; triggers on those
# tallies keep the number of clusters and each station's people also registered elsewhere.
def _m121_clustered_share(row: str, person: str, sign: str, where: str) -> str:
    """Return the statements adding a clustered person's share (row: a dedup_clusters row)."""
    return f"""
    insert into tally_clusters (cluster_id, n) select {row}.cluster_id, {sign} {where}
      on conflict do update set n = n + excluded.n;
    insert into tally_homes (home, n)
      select coalesce({row}.household_cluster_id, {person}.household_id), {sign} {where}
      on conflict do update set n = n + excluded.n;
    insert into tally_cluster_stations (cluster_id, station, n)
      select {row}.cluster_id, coalesce((select station from households
                                         where id = {person}.household_id), ''), {sign} {where}
      on conflict do update set n = n + excluded.n;"""


def _m121_cluster_row(row: str, sign: str) -> str:
    """Return the statements for a dedup_clusters row (its person must be non-deleted)."""
    where = f"from people p where p.id = {row}.person_id and p.deleted = 0"
    return _m121_clustered_share(row, "p", sign, where)


def _m121_person_row(row: str, sign: str) -> str:
    """Return the statements for a person row (if clustered and non-deleted)."""
    where = f"from dedup_clusters c where c.person_id = {row}.id and {row}.deleted = 0"
    return _m121_clustered_share("c", row, sign, where)


def _m121_overlap(old_n: str) -> str:
    """Return the statements keeping tally_overlap as a cluster's station count changes."""
    after = (
        "(select count(*) from tally_cluster_stations where cluster_id = new.cluster_id and n > 0)"
    )
    before = f"({after} - (new.n > 0) + ({old_n} > 0))"
    before_n = f"(case when station = new.station then {old_n} else n end)"
    return f"""
    insert into tally_overlap (station, n) select new.station, new.n - {old_n}
      where {after} >= 2 and {before} >= 2 on conflict do update set n = n + excluded.n;
    insert into tally_overlap (station, n)
      select station, n from tally_cluster_stations
      where cluster_id = new.cluster_id and n > 0 and {after} >= 2 and {before} < 2
      on conflict do update set n = n + excluded.n;
    insert into tally_overlap (station, n)
      select station, -{before_n} from tally_cluster_stations
      where cluster_id = new.cluster_id and {before_n} > 0 and {after} < 2 and {before} >= 2
      on conflict do update set n = n + excluded.n;"""


def _m121_counted(table: str, total: str) -> str:
    """Return triggers counting the keys of ``table`` that count someone into ``total``."""
    change = "(new.n > 0) - ({old} > 0)"
    return f"""
    create trigger {table}_counted_insert after insert on {table} when new.n > 0 begin
      insert into tally_totals (name, n) select '{total}', 1 where true
        on conflict do update set n = n + excluded.n;
    end;
    create trigger {table}_counted_update after update of n on {table}
    when (new.n > 0) != (old.n > 0) begin
      insert into tally_totals (name, n) select '{total}', {change.format(old="old.n")} where true
        on conflict do update set n = n + excluded.n;
    end;"""


M121_FILL = """
    insert into tally_clusters (cluster_id, n)
      select c.cluster_id, count(*) from dedup_clusters c join people p on p.id = c.person_id
      where p.deleted = 0 group by 1;
    insert into tally_homes (home, n)
      select coalesce(c.household_cluster_id, p.household_id), count(*) from dedup_clusters c
      join people p on p.id = c.person_id where p.deleted = 0 group by 1;
    insert into tally_cluster_stations (cluster_id, station, n)
      select c.cluster_id, coalesce(h.station, ''), count(*) from dedup_clusters c
      join people p on p.id = c.person_id left join households h on h.id = p.household_id
      where p.deleted = 0 group by 1, 2;
    insert into tally_overlap (station, n)
      select station, sum(n) from tally_cluster_stations where cluster_id in (
        select cluster_id from tally_cluster_stations where n > 0 group by 1 having count(*) > 1
      ) group by 1;
    insert into tally_totals (name, n) select 'unique_people', count(*) from tally_clusters
      where n > 0;
    insert into tally_totals (name, n) select 'unique_households', count(*) from tally_homes
      where n > 0;
"""


@migrations()
def m121_dedup_counts(db):
    """Keep HQ's unique counts by trigger, and the bounds each dedup run or decision leaves."""
    db.executescript(
        f"""
        create table dedup_summary (
            id integer primary key check (id = 1), merged integer not null,
            splits integer not null, undecided integer not null,
            people_deleted integer not null, computed_at text not null
        );
        create table tally_clusters (cluster_id text primary key, n integer not null)
            without rowid;
        create table tally_homes (home text primary key, n integer not null) without rowid;
        create table tally_cluster_stations (
            cluster_id text not null, station text not null, n integer not null,
            primary key (cluster_id, station)
        ) without rowid;
        create table tally_overlap (station text primary key, n integer not null) without rowid;
        {M121_FILL}
        create trigger tally_clustered_insert after insert on dedup_clusters begin
          {_m121_cluster_row("new", "1")}
        end;
        create trigger tally_clustered_delete after delete on dedup_clusters begin
          {_m121_cluster_row("old", "-1")}
        end;
        create trigger tally_clustered_update
        after update of person_id, cluster_id, household_cluster_id on dedup_clusters begin
          {_m121_cluster_row("old", "-1")}
          {_m121_cluster_row("new", "1")}
        end;
        create trigger tally_clustered_person_insert after insert on people begin
          {_m121_person_row("new", "1")}
        end;
        create trigger tally_clustered_person_delete after delete on people begin
          {_m121_person_row("old", "-1")}
        end;
        create trigger tally_clustered_person_update after update of deleted, household_id
        on people begin
          {_m121_person_row("old", "-1")}
          {_m121_person_row("new", "1")}
        end;
        create trigger tally_clustered_station after update of station on households
        when old.station is not new.station begin
          insert into tally_cluster_stations (cluster_id, station, n)
            select c.cluster_id, coalesce(old.station, ''), -count(*) from people p
            join dedup_clusters c on c.person_id = p.id
            where p.household_id = new.id and p.deleted = 0 group by 1
            on conflict do update set n = n + excluded.n;
          insert into tally_cluster_stations (cluster_id, station, n)
            select c.cluster_id, coalesce(new.station, ''), count(*) from people p
            join dedup_clusters c on c.person_id = p.id
            where p.household_id = new.id and p.deleted = 0 group by 1
            on conflict do update set n = n + excluded.n;
        end;
        {_m121_counted("tally_clusters", "unique_people")}
        {_m121_counted("tally_homes", "unique_households")}
        create trigger tally_overlap_insert after insert on tally_cluster_stations begin
          {_m121_overlap("0")}
        end;
        create trigger tally_overlap_update after update of n on tally_cluster_stations begin
          {_m121_overlap("old.n")}
        end;
        """
    )


# The medical tent's and the movements' figures (issue 15) hang on each person's latest entry
# (triage: its category and referral; movements: where the person went). A share is the
# person's (if non-deleted) with the latest entry's key; it moves when a newer entry arrives,
# the latest is erased, or the person's status changes.
M122_LATEST = "(select id from {t} where person_id = {p}{but} order by at desc, id desc limit 1)"
# Triage is ordered by the clock its station stamped (m090), never by a client's ``at``.
M123_LATEST = "(select id from {t} where person_id = {p}{but} order by hlc desc, id desc limit 1)"
M122_WAITING = (
    "(p.status = 'present' and e.category in ('immediate', 'delayed', 'minor', 'expectant') "
    "and coalesce(case when json_valid(e.referral) then json_extract(e.referral, '$.status') "
    "end, 'waiting') = 'waiting')"
)


def _m122_share(table: str, person: str, entry: str, sign: str, when: str = "1") -> str:
    """Return the statement adding a person's share, for an entry (an SQL id expression)."""
    if table == "triage":
        return f"""
    insert into tally_triage (category, waiting, n)
      select e.category, {M122_WAITING}, {sign} from triage e join people p on p.id = {person}
      where e.id = {entry} and p.deleted = 0 and {when}
      on conflict do update set n = n + excluded.n;"""
    return f"""
    insert into tally_departures (dest, n)
      select coalesce(e.destination_kind, ''), {sign} from movements e join people p
      on p.id = {person} where e.id = {entry} and p.deleted = 0 and p.status != 'present'
      and {when} on conflict do update set n = n + excluded.n;"""


def _m122_triggers(table: str, key: str = "at") -> str:
    """Return the triggers keeping a latest-entry tally for ``table`` (latest by ``key``)."""
    newer = (
        f"not exists (select 1 from {table} x where x.person_id = {{r}}.person_id and "
        f"(x.{key} > {{r}}.{key} or (x.{key} = {{r}}.{key} and x.id > {{r}}.id)))"
    )
    pattern = M123_LATEST if key == "hlc" else M122_LATEST
    latest = pattern.format(t=table, p="{p}", but="")
    before = pattern.format(t=table, p="new.person_id", but=" and id != new.id")
    return f"""
    create trigger tally_{table}_entry_insert after insert on {table}
    when {newer.format(r="new")} begin
      {_m122_share(table, "new.person_id", before, "-1")}
      {_m122_share(table, "new.person_id", "new.id", "1")}
    end;
    create trigger tally_{table}_entry_delete after delete on {table}
    when {newer.format(r="old")} begin
      insert into tally_{"triage" if table == "triage" else "departures"} {_m122_old(table)}
      {_m122_share(table, "old.person_id", latest.format(p="old.person_id"), "1")}
    end;
    create trigger tally_{table}_person_update after update of status, deleted on people begin
      {_m122_person(table, "old", "-1", pattern)}
      {_m122_person(table, "new", "1", pattern)}
    end;"""


def _m122_old(table: str) -> str:
    """Return the rest of an insert taking away the share of an erased latest entry."""
    if table == "triage":
        waiting = M122_WAITING.replace("e.", "old.")
        return f"""(category, waiting, n) select old.category, {waiting}, -1 from people p
      where p.id = old.person_id and p.deleted = 0 on conflict do update set n = n + excluded.n;"""
    return """(dest, n) select coalesce(old.destination_kind, ''), -1 from people p
      where p.id = old.person_id and p.deleted = 0 and p.status != 'present'
      on conflict do update set n = n + excluded.n;"""


def _m122_person(table: str, row: str, sign: str, pattern: str = M122_LATEST) -> str:
    """Return the statement for a person's share as the row (old or new) of the person had it."""
    latest = pattern.format(t=table, p=f"{row}.id", but="")
    if table == "triage":
        waiting = M122_WAITING.replace("p.", f"{row}.")
        return f"""
    insert into tally_triage (category, waiting, n)
      select e.category, {waiting}, {sign} from triage e
      where e.id = {latest} and {row}.deleted = 0 on conflict do update set n = n + excluded.n;"""
    return f"""
    insert into tally_departures (dest, n)
      select coalesce(e.destination_kind, ''), {sign} from movements e
      where e.id = {latest} and {row}.deleted = 0 and {row}.status != 'present'
      on conflict do update set n = n + excluded.n;"""


M122_FILL = """
    insert into tally_triage (category, waiting, n)
      select e.category, {waiting}, count(*) from triage e join people p on p.id = e.person_id
      where p.deleted = 0 and e.id = {latest} group by 1, 2;
    insert into tally_departures (dest, n)
      select coalesce(e.destination_kind, ''), count(*) from movements e
      join people p on p.id = e.person_id
      where p.deleted = 0 and p.status != 'present' and e.id = {moved} group by 1;
""".format(
    waiting=M122_WAITING,
    latest=M122_LATEST.format(t="triage", p="e.person_id", but=""),
    moved=M122_LATEST.format(t="movements", p="e.person_id", but=""),
)


@migrations()
def m122_latest_entries(db):
    """Keep triage (by latest category, waiting or not) and departures by destination."""
    db.executescript(
        f"""
        create table tally_triage (
            category text not null, waiting integer not null, n integer not null,
            primary key (category, waiting)
        ) without rowid;
        create table tally_departures (dest text primary key, n integer not null) without rowid;
        {M122_FILL}
        {_m122_triggers("triage")}
        {_m122_triggers("movements")}
        """
    )


@migrations()
def m123_triage_tally_by_clock(db):
    """Count each person's current triage as the latest by clock (hlc), as pages show it."""
    latest = M123_LATEST.format(t="triage", p="e.person_id", but="")
    db.executescript(
        f"""
        drop trigger tally_triage_entry_insert;
        drop trigger tally_triage_entry_delete;
        drop trigger tally_triage_person_update;
        delete from tally_triage;
        insert into tally_triage (category, waiting, n)
          select e.category, {M122_WAITING}, count(*) from triage e
          join people p on p.id = e.person_id
          where p.deleted = 0 and e.id = {latest} group by 1, 2;
        {_m122_triggers("triage", key="hlc")}
        """
    )


@migrations()
def m200_convoys(db):
    """Add convoys, their vehicles, boarding and arrival scans (synced), imported lists (local)."""
    db.executescript(
        """
        create table convoys (
            id text primary key, reference text not null, agency text, origin text,
            departure_point text, destination text, planned_departure text, departed_at text,
            notes text, station text not null, created_at text not null,
            updated_at text not null, created_by text, deleted integer not null default 0
        );
        create table vehicles (
            id text primary key, convoy_id text, kind text not null, label text, plate text,
            driver_phone text, expected integer, announced integer not null default 1,
            notes text, station text not null, boarding_closed_at text,
            boarding_closed_by text, arrival_closed_at text, arrival_closed_by text,
            created_at text not null, updated_at text not null, created_by text,
            deleted integer not null default 0
        );
        create index vehicles_convoy on vehicles(convoy_id);
        create table convoy_scans (
            id text primary key, vehicle_id text not null, kind text not null,
            person_id text, code text not null, via text, at text not null, station text,
            actor text, device text, client_id text
        );
        create index convoy_scans_vehicle on convoy_scans(vehicle_id, kind);
        create index convoy_scans_person on convoy_scans(person_id);
        create index convoy_scans_client on convoy_scans(client_id);
        alter table households add column arrival_vehicle_id text;
        create index households_vehicle on households(arrival_vehicle_id)
            where arrival_vehicle_id is not null;
        create table foreign_lists (
            id text primary key, name text not null, agency text, filename text,
            scope text not null default 'all', header text not null, rows text not null,
            mapping text, result text, created_at text not null, created_by text,
            reconciled_at text
        );
        create table foreign_mappings (
            signature text primary key, mapping text not null, updated_at text not null
        );
        """
    )


def _strict_clock(text) -> str:
    """Return a clock reading in the strict form (frozen here: migrations never change)."""
    millis, _, counter = str(text or "").partition(".")
    millis_n = int(millis) if millis.isdigit() else 0
    counter_n = int(counter) if counter.isdigit() else 0
    millis_n, counter_n = millis_n + counter_n // 10000, counter_n % 10000
    return f"{millis_n:016d}.{counter_n:04d}"


@migrations()
def m300_tracing(db):
    """Create family tracing: cases (children alone, enquiries), notes, photos, matches, decisions.

    A photo is kept in the database (encrypted like everything else), never as a file.
    """
    db.executescript(
        """
        create table tracing_cases (
            id text primary key, kind text not null, person_id text, household_id text,
            station text not null, separation text, status text not null default 'open',
            outcome text, given_name text, father_name text, mother_name text,
            family_name text, siblings text not null default '[]', sex text,
            age_years integer, date_of_birth text, origin text, separated_place text,
            separated_on text, brought_by text, description text, carer text,
            relationship text, enquirer_name text, enquirer_contact text,
            consent_share integer not null default 0, consent_by text,
            assent integer not null default 0, source text, source_ref text,
            matched_at text, reunified_at text, closed_at text, created_by text,
            created_at text not null, updated_at text not null,
            deleted integer not null default 0
        );
        create index tracing_cases_person on tracing_cases(person_id);
        create index tracing_cases_open on tracing_cases(status, kind);
        create unique index tracing_cases_source on tracing_cases(source, source_ref)
            where source_ref is not null;
        create table tracing_notes (
            id text primary key, case_id text not null, text text not null, actor text,
            station text, at text not null
        );
        create index tracing_notes_case on tracing_notes(case_id, at);
        create table tracing_photos (
            id text primary key, case_id text not null, mime text not null,
            data text not null, created_by text, created_at text not null,
            updated_at text not null, deleted integer not null default 0
        );
        create index tracing_photos_case on tracing_photos(case_id);
        create table tracing_matches (
            id text primary key, case_id text not null, target_kind text not null,
            target_id text not null, person_id text, score real not null,
            label text not null default '', reasons text not null default '[]',
            stations text, found_by text, found_at text not null, updated_at text not null,
            deleted integer not null default 0
        );
        create index tracing_matches_case on tracing_matches(case_id);
        create index tracing_matches_target on tracing_matches(target_id);
        create table tracing_decisions (
            id text primary key, match_id text not null, case_id text not null,
            target_id text not null, verdict text not null, outcome text, note text,
            actor text, at text not null
        );
        create index tracing_decisions_match on tracing_decisions(match_id, at);
        """
    )


@migrations()
def m301_search_readings(db):
    """Key people with ث ذ ظ in a name under its other readings too, as new ones are (issue 15)."""
    # People indexed before names had readings would stay unfound by "Osman" or "Monzer" at a
    # station upgraded in the field: the keys are computed in Python, so the index's own code
    # rewrites them (a no-op on a new database).
    from fieldreg import search_index

    search_index.reindex_readings(db)


@migrations()
def m310_record_ids_across_tables(db):
    """Index the field versions by record id: an id names one record, whatever its table.

    HQ and the stations refuse a new record (a vehicle, a person) whose client-made id another
    table already holds (sync.authority.other_table), so that ownership, which belongs to
    (table, id), cannot be borrowed through a shared id (issue 13).
    """
    db.execute("create index if not exists sync_meta_record on sync_meta(record_id)")


@migrations()
def m311_sync_quarantine(db):
    """Keep the changes HQ refused, with its reason, and those an admin set aside (audit).

    A change HQ refuses for ever (a write of HQ's own tables recorded before the station
    checked them) blocks every later push; an admin sets it aside (sync.repair.set_aside):
    it moves, whole, into ``sync_quarantine`` and the later changes are numbered down.
    """
    db.executescript(
        """
        create table if not exists sync_refusals (
            seq integer primary key, hlc text not null, reason text not null, at text not null
        );
        create table if not exists sync_quarantine (
            id integer primary key autoincrement, site text not null, seq integer not null,
            hlc text not null, tbl text not null, record_id text not null, op text not null,
            data text not null, prev text, reason text, refused_at text,
            set_aside_at text not null, set_aside_by text
        );
        """
    )


@migrations()
def m312_tracing_entries(db):
    """Remember who wrote each field of a tracing case here, and with which change.

    A registrar who opened a case sees only what they entered (issue 19): a field whose
    current version is the one they wrote. Local to the site (never synced): a registrar sees
    only the cases they opened at this station.
    """
    db.execute(
        "create table if not exists tracing_entries (case_id text not null, field text not "
        "null, actor text, version text not null, primary key (case_id, field))"
    )


# A station's figures count what was registered there (issue 15, HQ's first day): every tally
# a figure reads is keyed by the station of the person's (or household's) registration, so a
# station leaves out the shared copies of other stations' people it holds for search, and HQ
# sums over every station. Vulnerabilities are kept apart by whose flag they are (a person's
# or a household's), so that the chart counts people and households, never flags.
M340_STATION = "coalesce((select station from households where id = {p}.household_id), '')"
M340_TRIGGERS = (
    "tally_people_insert", "tally_people_delete", "tally_people_update",
    "tally_households_insert", "tally_households_delete", "tally_households_update",
    "tally_members_move", "tally_triage_entry_insert", "tally_triage_entry_delete",
    "tally_triage_person_update", "tally_movements_entry_insert",
    "tally_movements_entry_delete", "tally_movements_person_update",
)  # fmt: skip
M340_VULNERABLE = (
    "json_each(case when json_type({v}) = 'array' then {v} else '[]' end)"  # a list, else none
)
M340_TABLES = """
    create table tally_ages (
        station text not null, age integer not null, dob text not null, sex text not null,
        n integer not null, primary key (station, age, dob, sex)
    ) without rowid;
    create table tally_birth_years (
        station text not null, year text not null, sex text not null, n integer not null,
        primary key (station, year, sex)
    ) without rowid;
    create table tally_hours (
        station text not null, hour text not null, households integer not null,
        people integer not null, primary key (station, hour)
    ) without rowid;
    create table tally_vulnerabilities (
        station text not null, kind text not null, name text not null, n integer not null,
        primary key (station, kind, name)
    ) without rowid;
    create table tally_triage (
        station text not null, category text not null, waiting integer not null,
        n integer not null, primary key (station, category, waiting)
    ) without rowid;
    create table tally_departures (
        station text not null, dest text not null, n integer not null, primary key (station, dest)
    ) without rowid;
"""


def _m340_person_share(row: str, sign: str, when: str) -> str:
    """Return the statements adding a person row's share (row: new or old) to the tallies."""
    st = M340_STATION.format(p=row)
    return f"""
    insert into tally_people (station, status, sex, dest, n)
      select coalesce(h.station, ''), coalesce({row}.status, ''), coalesce({row}.sex, ''),
             case when {row}.status = 'present' then '' else coalesce(h.destination_kind, '') end,
             {sign}
      from (select 1) left join households h on h.id = {row}.household_id where {when}
      on conflict do update set n = n + excluded.n;
    insert into tally_ages (station, age, dob, sex, n)
      select {st}, coalesce({row}.age_years, -1),
             case when {row}.age_years is null then coalesce(date({row}.date_of_birth), '')
                  else '' end,
             coalesce({row}.sex, ''), {sign} where {when}
      on conflict do update set n = n + excluded.n;
    insert into tally_birth_years (station, year, sex, n)
      select {st}, substr(date({row}.date_of_birth), 1, 4), coalesce({row}.sex, ''), {sign}
      where {when} and {row}.age_years is null and date({row}.date_of_birth) is not null
      on conflict do update set n = n + excluded.n;
    insert into tally_hours (station, hour, households, people)
      select coalesce(h.station, ''), coalesce(substr(h.arrived_at, 1, 13), ''), 0, {sign}
      from (select 1) left join households h on h.id = {row}.household_id where {when}
      on conflict do update set people = people + excluded.people;
    insert into tally_vulnerabilities (station, kind, name, n)
      select {st}, 'person', value, {sign}
      from {M340_VULNERABLE.format(v=f"{row}.vulnerabilities")} where type = 'text' and {when}
      on conflict do update set n = n + excluded.n;
    insert into tally_totals (name, n) select 'people_deleted', {sign} where {row}.deleted != 0
      on conflict do update set n = n + excluded.n;"""


def _m340_household_share(row: str, sign: str, when: str) -> str:
    """Return the statements adding a household row's own share to the tallies."""
    return f"""
    insert into tally_households (station, transport, dest, n)
      select coalesce({row}.station, ''), coalesce({row}.transport, ''),
             coalesce({row}.destination_kind, ''), {sign} where {when}
      on conflict do update set n = n + excluded.n;
    insert into tally_hours (station, hour, households, people)
      select coalesce({row}.station, ''), coalesce(substr({row}.arrived_at, 1, 13), ''),
             {sign}, 0 where {when}
      on conflict do update set households = households + excluded.households;
    insert into tally_vulnerabilities (station, kind, name, n)
      select coalesce({row}.station, ''), 'household', value, {sign}
      from {M340_VULNERABLE.format(v=f"{row}.vulnerabilities")} where type = 'text' and {when}
      on conflict do update set n = n + excluded.n;"""


def _m340_members_share(row: str, sign: str) -> str:
    """Return the statements adding the members' shares that depend on their household."""
    st, many = f"coalesce({row}.station, '')", f"{sign} * count(*)"
    members = f"people p where p.household_id = {row}.id and p.deleted = 0"
    return f"""
    insert into tally_people (station, status, sex, dest, n)
      select {st}, coalesce(p.status, ''), coalesce(p.sex, ''),
             case when p.status = 'present' then '' else coalesce({row}.destination_kind, '') end,
             {many} from {members} group by 1, 2, 3, 4
      on conflict do update set n = n + excluded.n;
    insert into tally_hours (station, hour, households, people)
      select {st}, coalesce(substr({row}.arrived_at, 1, 13), ''), 0, {many}
      from {members} having count(*) > 0
      on conflict do update set people = people + excluded.people;
    insert into tally_ages (station, age, dob, sex, n)
      select {st}, coalesce(p.age_years, -1),
             case when p.age_years is null then coalesce(date(p.date_of_birth), '') else '' end,
             coalesce(p.sex, ''), {many} from {members} group by 1, 2, 3, 4
      on conflict do update set n = n + excluded.n;
    insert into tally_birth_years (station, year, sex, n)
      select {st}, substr(date(p.date_of_birth), 1, 4), coalesce(p.sex, ''), {many}
      from {members} and p.age_years is null and date(p.date_of_birth) is not null
      group by 1, 2, 3 on conflict do update set n = n + excluded.n;
    insert into tally_vulnerabilities (station, kind, name, n)
      select {st}, 'person', j.value, {many}
      from people p join {M340_VULNERABLE.format(v="p.vulnerabilities")} j
      where p.household_id = {row}.id and p.deleted = 0 and j.type = 'text' group by 1, 2, 3
      on conflict do update set n = n + excluded.n;
    insert into tally_triage (station, category, waiting, n)
      select {st}, e.category, {M122_WAITING}, {many} from people p join triage e
      on e.id = {M123_LATEST.format(t="triage", p="p.id", but="")}
      where p.household_id = {row}.id and p.deleted = 0 group by 1, 2, 3
      on conflict do update set n = n + excluded.n;
    insert into tally_departures (station, dest, n)
      select {st}, coalesce(e.destination_kind, ''), {many} from people p join movements e
      on e.id = {M122_LATEST.format(t="movements", p="p.id", but="")}
      where p.household_id = {row}.id and p.deleted = 0 and p.status != 'present'
      group by 1, 2 on conflict do update set n = n + excluded.n;"""


def _m340_share(table: str, person: str, entry: str, sign: str) -> str:
    """Return the statement adding a person's share, for an entry (an SQL id expression)."""
    st = M340_STATION.format(p="p")
    if table == "triage":
        return f"""
    insert into tally_triage (station, category, waiting, n)
      select {st}, e.category, {M122_WAITING}, {sign} from triage e
      join people p on p.id = {person} where e.id = {entry} and p.deleted = 0
      on conflict do update set n = n + excluded.n;"""
    return f"""
    insert into tally_departures (station, dest, n)
      select {st}, coalesce(e.destination_kind, ''), {sign} from movements e join people p
      on p.id = {person} where e.id = {entry} and p.deleted = 0 and p.status != 'present'
      on conflict do update set n = n + excluded.n;"""


def _m340_old(table: str) -> str:
    """Return the statement taking away the share of an erased latest entry."""
    st = M340_STATION.format(p="p")
    if table == "triage":
        waiting = M122_WAITING.replace("e.", "old.")
        return f"""
    insert into tally_triage (station, category, waiting, n)
      select {st}, old.category, {waiting}, -1 from people p
      where p.id = old.person_id and p.deleted = 0 on conflict do update set n = n + excluded.n;"""
    return f"""
    insert into tally_departures (station, dest, n)
      select {st}, coalesce(old.destination_kind, ''), -1 from people p
      where p.id = old.person_id and p.deleted = 0 and p.status != 'present'
      on conflict do update set n = n + excluded.n;"""


def _m340_person(table: str, row: str, sign: str, pattern: str) -> str:
    """Return the statement for a person's share as the row (old or new) of the person had it."""
    latest, st = pattern.format(t=table, p=f"{row}.id", but=""), M340_STATION.format(p=row)
    if table == "triage":
        waiting = M122_WAITING.replace("p.", f"{row}.")
        return f"""
    insert into tally_triage (station, category, waiting, n)
      select {st}, e.category, {waiting}, {sign} from triage e
      where e.id = {latest} and {row}.deleted = 0 on conflict do update set n = n + excluded.n;"""
    return f"""
    insert into tally_departures (station, dest, n)
      select {st}, coalesce(e.destination_kind, ''), {sign} from movements e
      where e.id = {latest} and {row}.deleted = 0 and {row}.status != 'present'
      on conflict do update set n = n + excluded.n;"""


def _m340_entry_triggers(table: str, key: str) -> str:
    """Return the triggers keeping a latest-entry tally for ``table`` (latest by ``key``)."""
    newer = (
        f"not exists (select 1 from {table} x where x.person_id = {{r}}.person_id and "
        f"(x.{key} > {{r}}.{key} or (x.{key} = {{r}}.{key} and x.id > {{r}}.id)))"
    )
    pattern = M123_LATEST if key == "hlc" else M122_LATEST
    latest = pattern.format(t=table, p="old.person_id", but="")
    before = pattern.format(t=table, p="new.person_id", but=" and id != new.id")
    return f"""
    create trigger tally_{table}_entry_insert after insert on {table}
    when {newer.format(r="new")} begin
      {_m340_share(table, "new.person_id", before, "-1")}
      {_m340_share(table, "new.person_id", "new.id", "1")}
    end;
    create trigger tally_{table}_entry_delete after delete on {table}
    when {newer.format(r="old")} begin
      {_m340_old(table)}
      {_m340_share(table, "old.person_id", latest, "1")}
    end;
    create trigger tally_{table}_person_update
    after update of status, deleted, household_id on people begin
      {_m340_person(table, "old", "-1", pattern)}
      {_m340_person(table, "new", "1", pattern)}
    end;"""


M340_FILL = f"""
    insert into tally_ages (station, age, dob, sex, n)
      select coalesce(h.station, ''), coalesce(p.age_years, -1),
             case when p.age_years is null then coalesce(date(p.date_of_birth), '') else '' end,
             coalesce(p.sex, ''), count(*)
      from people p left join households h on h.id = p.household_id where p.deleted = 0
      group by 1, 2, 3, 4;
    insert into tally_birth_years (station, year, sex, n)
      select coalesce(h.station, ''), substr(date(p.date_of_birth), 1, 4), coalesce(p.sex, ''),
             count(*) from people p left join households h on h.id = p.household_id
      where p.deleted = 0 and p.age_years is null and date(p.date_of_birth) is not null
      group by 1, 2, 3;
    insert into tally_hours (station, hour, households, people)
      select station, hour, sum(households), sum(people) from (
        select coalesce(station, '') station, coalesce(substr(arrived_at, 1, 13), '') hour,
               1 households, 0 people from households where deleted = 0
        union all
        select coalesce(h.station, ''), coalesce(substr(h.arrived_at, 1, 13), ''), 0, 1
        from people p left join households h on h.id = p.household_id where p.deleted = 0
      ) group by 1, 2;
    insert into tally_vulnerabilities (station, kind, name, n)
      select t.station, t.kind, j.value, count(*) from (
        select coalesce(station, '') station, 'household' kind, vulnerabilities v
        from households where deleted = 0
        union all select coalesce(h.station, ''), 'person', p.vulnerabilities from people p
        left join households h on h.id = p.household_id where p.deleted = 0
      ) t join {M340_VULNERABLE.format(v="t.v")} j where j.type = 'text' group by 1, 2, 3;
    insert into tally_triage (station, category, waiting, n)
      select coalesce(h.station, ''), e.category, {M122_WAITING}, count(*) from triage e
      join people p on p.id = e.person_id left join households h on h.id = p.household_id
      where p.deleted = 0 and e.id = {M123_LATEST.format(t="triage", p="e.person_id", but="")}
      group by 1, 2, 3;
    insert into tally_departures (station, dest, n)
      select coalesce(h.station, ''), coalesce(e.destination_kind, ''), count(*)
      from movements e join people p on p.id = e.person_id
      left join households h on h.id = p.household_id
      where p.deleted = 0 and p.status != 'present'
      and e.id = {M122_LATEST.format(t="movements", p="e.person_id", but="")} group by 1, 2;
"""


@migrations()
def m340_tallies_by_station(db):
    """Key every running figure by the station of registration; vulnerabilities by whose flag."""
    people_cols = "household_id, status, sex, age_years, date_of_birth, vulnerabilities, deleted"
    household_cols = "station, transport, destination_kind, arrived_at, vulnerabilities, deleted"
    moved = "station, destination_kind, arrived_at"
    changed = " or ".join(f"old.{c} is not new.{c}" for c in moved.split(", "))
    drops = "".join(f"drop trigger if exists {name};\n" for name in M340_TRIGGERS)
    tables = ("ages", "birth_years", "hours", "vulnerabilities", "triage", "departures")
    drops += "".join(f"drop table tally_{name};\n" for name in tables)
    db.executescript(
        f"""
        {drops}
        {M340_TABLES}
        {M340_FILL}
        create trigger tally_people_insert after insert on people begin
          {_m340_person_share("new", "1", "new.deleted = 0")}
        end;
        create trigger tally_people_delete after delete on people begin
          {_m340_person_share("old", "-1", "old.deleted = 0")}
        end;
        create trigger tally_people_update after update of {people_cols} on people begin
          {_m340_person_share("old", "-1", "old.deleted = 0")}
          {_m340_person_share("new", "1", "new.deleted = 0")}
        end;
        create trigger tally_households_insert after insert on households begin
          {_m340_household_share("new", "1", "new.deleted = 0")}
        end;
        create trigger tally_households_delete after delete on households begin
          {_m340_household_share("old", "-1", "old.deleted = 0")}
        end;
        create trigger tally_households_update after update of {household_cols} on households
        begin
          {_m340_household_share("old", "-1", "old.deleted = 0")}
          {_m340_household_share("new", "1", "new.deleted = 0")}
        end;
        create trigger tally_members_move after update of {moved} on households
        when {changed} begin
          {_m340_members_share("old", "-1")}
          {_m340_members_share("new", "1")}
        end;
        {_m340_entry_triggers("triage", "hlc")}
        {_m340_entry_triggers("movements", "at")}
        """
    )


@migrations()
def m341_shared_clusters(db):
    """Index the clusters of two people or more: HQ folds only those to count people once."""
    db.execute(
        "create index if not exists tally_clusters_shared on tally_clusters(cluster_id) where n > 1"
    )
