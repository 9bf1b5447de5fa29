"""What both OFAC layouts (legacy CSV remarks, Sanctions List Service XML) share: the identifier
types that mark an identifier rather than an alias, and the entry types kept as such."""

from __future__ import annotations

ID_PREFIXES = (
    r"Passport",
    r"National ID No\.",
    r"Cedula No\.",
    r"Tax ID No\.",
    r"Registration (?:Number|ID)",
    r"Business Registration (?:Number|Document #)",
    r"(?:UK )?Company Number",
    r"SWIFT/BIC",
    r"Vessel Registration Identification",
    r"IMO",
    r"MMSI",
    r"RFC",
    r"NIT #",
    r"D-U-N-S Number",
    r"Identification Number",
    r"Legal Entity Number",
    r"C\.U\.R\.P\.",
    r"SSN",
    r"V\.A\.T\. Number",
    r"Unified Social Credit Code",
    r"Digital Currency Address - \w+",
    r"Aircraft Tail Number",
    r"Aircraft Manufacturer's Serial Number \(MSN\)",
    r"Personal ID Card",
    r"Driver's License No\.",
    r"Birth Certificate Number",
    r"Trade License No\.",
    r"Certificate of Incorporation Number",
    r"Chamber of Commerce Number",
    r"Commercial Registry Number",
    r"Matricula Mercantil No",
    r"Public Security and Immigration No\.",
    r"Stateless Person ID Card",
    r"ISIN",
    r"Kenyan ID No\.",
    r"Diplomatic Passport",
    r"Residency Number",
    r"Citizen's Card Number",
    r"Moroccan Personal ID No\.",
)
ID_PATTERN = r"^(?:alt\. )?(?:" + "|".join(ID_PREFIXES) + r")(?:\s|$)"
"""An identifier in a remark or XML feature: one of OFAC's id types, then a space or the end."""
TYPES = {"individual": "individual", "vessel": "vessel", "aircraft": "aircraft"}
"""OFAC entry types kept as they are; any other type is an `entity`."""
