"""Marshmallow schemas, one module per resource family: the one description of each record.

records   households and people (forms, API, exports, sync payloads), search, figures
medical   triage, the medical queue, movements, scanning, tag binding
devices   tablets' code blocks and outbox deliveries
admin     audit log, users, tokens, everything held about a person
dedup     review queue and decisions
sync      sync conflicts and their resolution; handing a record over (HQ)
convoys   convoys, vehicles, scans, reconciliations, imported lists, signed counts
"""
