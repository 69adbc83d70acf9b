"""The words for each coded value in the page language, as option lists for forms and pages.

Each list pairs a value the schemas accept with a *lazy* translation: the words are looked up
when a page is rendered, in that request's language. (Labels written in a Jinja macro file
imported once were cached with the language of the first page served: issue 14.) A test holds
every list to its schema enumeration.
"""

from __future__ import annotations

from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

SEX = (("female", _l("Female")), ("male", _l("Male")), ("unknown", _l("Unknown")))
RELATIONSHIP = (
    ("head", _l("Head of household")),
    ("spouse", _l("Spouse")),
    ("child", _l("Child")),
    ("parent", _l("Parent")),
    ("sibling", _l("Brother or sister")),
    ("grandchild", _l("Grandchild")),
    ("grandparent", _l("Grandparent")),
    ("other_relative", _l("Other relative")),
    ("unrelated", _l("Not related")),
)
TRANSPORT = (
    ("bus", _l("Bus")),
    ("ambulance", _l("Ambulance")),
    ("private_car", _l("Private car")),
    ("pickup", _l("Pick-up truck")),
    ("on_foot", _l("On foot")),
    ("other", _l("Other")),
)
VEHICLE = (
    ("bus", _l("Bus")),
    ("ambulance", _l("Ambulance")),
    ("private_car", _l("Private car")),
    ("pickup", _l("Pick-up truck")),
    ("truck", _l("Truck")),
    ("other", _l("Other")),
)
DESTINATION = (
    ("camp", _l("Camp")),
    ("host_family", _l("Host family")),
    ("hospital", _l("Hospital")),
    ("unknown", _l("Unknown")),
)
PERSON_VULN = (
    ("unaccompanied_child", _l("Unaccompanied child")),
    ("separated_child", _l("Separated child")),
    ("older_person_alone", _l("Older person alone")),
    ("pregnant_lactating", _l("Pregnant or lactating")),
    ("disability", _l("Disability")),
    ("serious_medical_condition", _l("Serious medical condition")),
)
HOUSEHOLD_VULN = PERSON_VULN + (("female_headed_household", _l("Female-headed household")),)
CATEGORY = (
    ("immediate", _l("Immediate")),
    ("delayed", _l("Delayed")),
    ("minor", _l("Minor")),
    ("expectant", _l("Expectant")),
    ("dead", _l("Dead")),
)
CONDITION = (
    ("gunshot", _l("Gunshot")),
    ("shrapnel_blast", _l("Shrapnel / blast")),
    ("burn", _l("Burn")),
    ("fracture", _l("Fracture")),
    ("crush", _l("Crush")),
    ("diabetes", _l("Diabetes")),
    ("hypertension", _l("Hypertension")),
    ("kidney_dialysis", _l("Kidney / dialysis")),
    ("heart", _l("Heart")),
    ("cancer", _l("Cancer")),
    ("pregnancy", _l("Pregnancy")),
    ("malnutrition", _l("Malnutrition")),
    ("mental_distress", _l("Mental distress")),
    ("other", _l("Other")),
)
MOBILITY = (
    ("walks", _l("Walks")),
    ("needs_help", _l("Needs help")),
    ("stretcher", _l("Stretcher")),
)
REFERRAL_STATUS = (
    ("waiting", _l("Waiting")),
    ("transferred", _l("Transferred")),
    ("treated", _l("Treated")),
    ("refused", _l("Refused")),
)
REFERRAL_TRANSPORT = (
    ("ambulance", _l("Ambulance")),
    ("private_car", _l("Private car")),
    ("bus", _l("Bus")),
    ("on_foot", _l("On foot")),
    ("other", _l("Other")),
)
MOVEMENT = (
    ("departed", _l("Left the station")),
    ("transferred", _l("Transferred to hospital")),
    ("returned", _l("Came back")),
)
STATUS = (
    ("present", _l("At the station")),
    ("departed", _l("Left")),
    ("transferred", _l("Transferred")),
)

ROLE = (
    ("registrar", _l("Registrar")),
    ("medic", _l("Medic")),
    ("coordinator", _l("Coordinator")),
    ("analyst", _l("Analyst")),
    ("admin", _l("Administrator")),
    ("caseworker", _l("Caseworker")),
)
# Family tracing (issue 19)
SEPARATION = (
    ("unaccompanied", _l("Unaccompanied (no relative with the child)")),
    ("separated", _l("Separated (with another relative or carer)")),
)
ENQUIRER_IS = (
    ("father", _l("Father")),
    ("mother", _l("Mother")),
    ("sibling", _l("Brother or sister")),
    ("grandparent", _l("Grandparent")),
    ("other_relative", _l("Other relative")),
    ("spouse", _l("Husband or wife")),
    ("child", _l("Son or daughter")),
    ("other", _l("Other")),
)
CASE_KIND = (
    ("child", _l("Child alone")),
    ("enquiry", _l("Looking for")),
    ("household", _l("Registered family")),
    ("person", _l("Registered person")),
)
# "Open" is also a button (open a record): a case's state is another word in Arabic.
CASE_STATUS = (
    ("open", lazy_pgettext("case status", "Open")),
    ("closed", _l("Closed")),
    ("erased", _l("Erased")),
)
OUTCOME = (
    ("reunified", _l("Reunified")),
    ("family_traced", _l("Family traced: verification visit to come")),
    ("closed", _l("Closed without a match")),
)
MATCH_LABEL = (("probable", _l("Probable")), ("possible", _l("Possible")), ("", _l("Weak")))
MATCH_STATUS = (
    ("proposed", _l("Proposed")),
    ("confirmed", _l("Confirmed")),
    ("rejected", _l("Rejected")),
)

LISTS = {
    name: value
    for name, value in dict(globals()).items()
    if name.isupper() and isinstance(value, tuple) and name != "LISTS"
}
# What templates see as ``L``: ``L.SEX`` is the list, ``L.word('SEX', 'female')`` one word.
L = SimpleNamespace(**LISTS)


def word(group: str, value: str | None, default: str = "—"):
    """Return the words for ``value`` in option list ``group`` (lazy), or ``default``."""
    return dict(LISTS[group]).get(value, default)
