"""Family tracing: who may be the family of a child who arrived alone, and who may be the
person an adult is looking for. Pure Python over plain data, like sync.dedup (no Flask).

    registered people ──▶ PeopleIndex       names as the dedup features hold them (spelling,
                          (index.py)        cross-script skeleton, in-script form), postings
                                            by skeleton, households as groups of rows
    open cases ─────────▶ Probes            a child: the names it gave (its own, father's,
                          (ranking.py)         mother's, family's, siblings'), age, sex, home,
                                            where and when separated; an enquiry: the person
                                            sought (a parent's own names fill the child's)
         │
         ├─ child ─▶ households (families.py)   father's name ↔ a man's given name or the
         │                                      children's father's name, mother's likewise,
         │                                      family name, siblings ↔ children's names, home
         ├─ child ↔ enquiry (pairs.py)          two accounts of one child, field by field
         └─ enquiry ─▶ people (pairs.py)        the sought person among those registered
         ▼
    Candidate per (case, target): a weight in bits (weights.py: log2 of how much likelier
    the agreements are for a relative than for anyone, rarer names weighing more), the
    reasons field by field, labelled "probable" or "possible" above two thresholds.

Rejected pairs are never proposed again; the caller keeps decisions, proposals and cases.
"""

from sync.tracing.index import PeopleIndex
from sync.tracing.ranking import rank
from sync.tracing.result import Candidate, Reason
from sync.tracing.weights import POSSIBLE, PROBABLE, label

__all__ = ["POSSIBLE", "PROBABLE", "Candidate", "PeopleIndex", "Reason", "label", "rank"]
