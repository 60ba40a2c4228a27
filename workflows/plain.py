"""Developers' citations turned into words staff read (issue 19, point 5).

A deadline rule's ``source`` is written for developers and auditors of the rules: it
cites RULES.md sections, its evidence markers ([S22], [P], [U]) and statutes in
shorthand ("ASBCPA 2014 s77"). The API keeps it as it is; a page shows
``plain_citation(source)``: no RULES.md, no section signs, no evidence markers, and each
Act named in full with "section" written out.
"""

from __future__ import annotations

import re

# Statute shorthand and the name of the Act it stands for.
ACTS = {
    "ASBCPA 2014": "the Anti-social Behaviour, Crime and Policing Act 2014",
    "ASB Act 2014": "the Anti-social Behaviour, Crime and Policing Act 2014",
    "MSA 2015": "the Modern Slavery Act 2015",
    "NABA 2022": "the Nationality and Borders Act 2022",
    "CTSA 2015": "the Counter-Terrorism and Security Act 2015",
    "DVCVA 2004": "the Domestic Violence, Crime and Victims Act 2004",
}
TERMS = {
    "ICPC": "initial child protection conference",
    "LA": "local authority",
    "DHR": "Domestic Homicide Review",
}

_RULES_REF = re.compile(r"RULES\.md\s*(?:§[\d.]+(?:-[\d.]+)?(?:\s*note)?[/,\s]*)*:?\s*")
_SECTION_NOTE = re.compile(r"\s*\((?:§[^)]*)\)")
_SECTION_SIGN = re.compile(r"§\s*[\d.]+(?:-[\d.]+)?\s*(?:Duration)?")
_MARKER = re.compile(r"\s*\[(?:S\d*|P|U)(?::[^\]]*)?\]")
# Notes for the rules' maintainers about wording they could not check.
_UNCHECKED = re.compile(
    r"(?:;\s*)?(?:wording not retrieved|the exact start-day wording|'each panel'|"
    r"Channel duty guidance wording)(?=;|$)"
)
_SECTIONS = re.compile(r"\bss(\d+)-(\d+)\b")
_SECTION = re.compile(r"\bs(\d+[A-Z]?(?:\(\d+\))*(?:\([a-z]\))*(?:-\(\w+\))?)")


def plain_citation(text: str) -> str:
    """``text`` without RULES.md references, section signs or evidence markers, with Acts
    and sections written out in words."""
    text = _RULES_REF.sub("", text)
    text = _SECTION_NOTE.sub("", text)
    text = _SECTION_SIGN.sub("", text)
    text = _MARKER.sub("", text)
    text = _UNCHECKED.sub("", text)
    for short, full in ACTS.items():
        text = re.sub(rf"{re.escape(short)}(?= s\d)", f"{full},", text)
        text = text.replace(short, full)
    for short, full in TERMS.items():
        text = re.sub(rf"\b{short}\b", full, text)
    text = _SECTIONS.sub(r"sections \1 to \2", text)
    text = _SECTION.sub(r"section \1", text)
    text = re.sub(r"\s+([;,.])", r"\1", text)
    text = re.sub(r"\s{2,}", " ", text).strip(" ;,")
    return text[:1].upper() + text[1:]
