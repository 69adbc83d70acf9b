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
