#!/usr/bin/env python3
"""Writes samples/holders.jsonl, samples/holders.csv and samples/holder.json from one table, so the
three formats hold the same fictional holders (tests compare them). All people are invented."""
import csv, datetime, json, os

HERE = os.path.dirname(os.path.abspath(__file__))
R = ["parole", "recognizance", "bond", "alternatives_to_detention", "order_of_supervision",
     "conditional_parole"]
# surname, given_names, sex, dob, nationality, place_of_birth, a_number, court, release_type
PEOPLE = [
    ("Núñez", "José María", "M", "1986-03-14", "MEX", "Oaxaca, Mexico", "A123456789", "LOS", R[0]),
    ("Müller", "Anna Lena", "F", "1991-11-02", "AUT", "Graz", "A20481632", "NYC", R[1]),
    ("Ångström", "Erik", "M", "1979-06-30", "SWE", None, "A301122334", "SEA", R[2]),
    ("Øvergård", "Ingrid Sofie", "F", "1995-01-19", "NOR", "Tromsø", "A40404040", "CHI", R[3]),
    ("Þórsdóttir", "Guðrún", "F", "1988-09-09", "ISL", None, "A055512345", "BOS", R[4]),
    ("Wolfeschlegelsteinhausen", "Hubert Blaine Maximilian", "M", "1970-02-28", "XXA", None,
     "A612345678", "NYC", R[5]),
    ("Nguyễn", "Thị Minh Khai", "F", "1999-12-31", "VNM", "Huế", "A71234567", "SFR", R[0]),
    ("O'Connor-Ramírez", "Seán Patrick", "M", "1983-04-01", "IRL", "Cork", "A800000001", "MIA", R[1]),
    ("Kowalczyk", "Łukasz", "M", "1990-XX-XX", "POL", "Łódź", "A90123456", "DET", R[2]),
    ("Ștefănescu", "Ioana", "F", "1975-05-XX", "ROU", "Brașov", "A010203040", "ATL", R[3]),
    ("Haddad", "Layla", "F", "2001-07-04", "XXB", "Aleppo", "A111222333", "HOU", R[4]),
    ("Çelik", "Mehmet Ali", "M", "1968-10-10", "TUR", None, "A22233344", "DAL", R[5]),
    ("Dubois", "Marie-Hélène", "F", "1993-02-14", "FRA", "Lyon", "A333444555", "NYC", R[0]),
    ("Papadopoulou-Konstantinopoulou", "Eleni", "F", "1987-08-08", "GRC", "Thessaloniki",
     "A44455566", "CHI", R[1]),
    ("Mbeki", "Thandiwe", "X", "1997-03-03", "ZAF", None, "A555666777", "ATL", R[2]),
    ("Gonçalves", "João Pedro", "M", "1984-12-12", "BRA", "São Paulo", "A66677788", "MIA", R[3]),
    ("Smith", "", "X", "1980-01-01", "XXX", None, "A777888999", "SEA", R[4]),
    ("Dvořák", "Antonín", "M", "1972-09-08", "CZE", "Nelahozeves", "A88899900", "BOS", R[5]),
    ("Schröder", "Jürgen", "M", "1965-05-05", "D", "Köln", "A999000111", "DEN", R[0]),
    ("Rahimi", "Farida", "F", "1994-06-21", "AFG", "Herat", "A10293847", "SFR", R[1]),
    ("Abebe", "Selam", "F", "2000-11-11", "ETH", "Addis Ababa", "A564738291", "DEN", R[2]),
]
OFFSETS = ["-08:00", "-05:00", "-06:00", "-07:00", "-04:00"]
CONDITIONS = [
    ["Report in person, with this card"],
    ["Do not leave the state of New York without permission", "Keep the address on file current"],
    [],
    ["Wear the ankle monitor at all times", "Answer every \"check-in\" call"],
    ["Attend every hearing"],
]

# The paper a released holder is handed (forms of DHS / EOIR), by release type; the card carries
# them in DG13 version 2.
FORMS = {
    "parole": [("I-94", "Arrival/Departure Record"), ("I-512L", "Authorization for Parole of an Alien")],
    "recognizance": [("I-220A", "Order of Release on Recognizance"), ("I-862", "Notice to Appear")],
    "bond": [("I-340", "Notice to Obligor to Deliver Alien"), ("I-862", "Notice to Appear")],
    "alternatives_to_detention": [("I-220A", "Order of Release on Recognizance"),
                                  ("G-56", "Call-In Letter")],
    "order_of_supervision": [("I-220B", "Order of Supervision"), ("I-205", "Warrant of Removal/Deportation")],
    "conditional_parole": [("I-286", "Notice of Custody Determination"), ("I-830", "Notice to EOIR: Alien Address")],
}
EXTRA = [("I-830", "Notice to EOIR: Alien Address"), ("G-56", "Call-In Letter"),
         ("I-213", "Record of Deportable/Inadmissible Alien"), ("I-797C", "Notice of Action")]

def day(iso, delta):
    return (datetime.date.fromisoformat(iso) + datetime.timedelta(days=delta)).isoformat()

def documents(i, n, court, rel, issued):
    count = 16 if n == 6 else [1, 2, 3, 4, 5][i % 5]
    kinds = FORMS[rel] + EXTRA
    docs = []
    for k in range(count):
        form, title = kinds[k % len(kinds)]
        d = {"form": form, "title": title, "number": f"{court}{n:03d}-{k + 1:02d}",
             "issued_on": day(issued, -((count - k) * 3 + i % 4))}
        if form == "G-56":
            d["expires_on"] = day(d["issued_on"], 180)
        if k % 2 == 0:
            d["issued_by"] = f"ICE ERO {court}"
        docs.append(d)
    return docs

def holder(i, p):
    n = i + 1
    surname, given, sex, dob, nat, pob, anum, court, rel = p
    issue_month = (i % 11) + 1
    rec = {
        "document_number": f"DC26{n:05d}",
        "surname": surname,
        "given_names": given,
        "sex": sex,
        "date_of_birth": dob,
        "nationality": nat,
    }
    if pob:
        rec["place_of_birth"] = pob
    rec["date_of_issue"] = f"{2025 + i % 2}-{issue_month:02d}-{(i * 3) % 27 + 1:02d}"
    rec["date_of_expiry"] = f"{2029 + i % 2}-{issue_month:02d}-{(i * 3) % 27 + 1:02d}"
    rec["photo"] = f"photos/holder-{n:02d}.jp2" if n == 21 else f"photos/holder-{n:02d}.jpg"
    rec["a_number"] = anum
    rec["card_access_number"] = f"{(n * 137911) % 1000000:06d}"
    rec["docket"] = {
        "court": court,
        "case_number": f"{court}-2026-{n * 731:06d}",
        "next_hearing": f"2027-{(i % 12) + 1:02d}-{(i % 27) + 1:02d}T{8 + i % 8:02d}:{(i * 15) % 60:02d}:00{OFFSETS[i % 5]}",
        "release_type": rel,
        "reporting_office": f"ERO {court} Field Office",
        "check_in_interval_days": [7, 14, 30, 1, 90, 365][i % 6],
        "conditions": CONDITIONS[i % 5],
    }
    rec["background_check"] = {
        "reference": f"NSBC-{rec['date_of_issue'][:4]}-{n * 4099 % 1000000:06d}",
        "cleared_on": day(rec["date_of_issue"], -(5 + (i * 7) % 40)),
        "agency": "National Vetting Center",
    }
    rec["documents"] = documents(i, n, court, rel, rec["date_of_issue"])
    if n not in (5, 17):
        rec["portal_reference"] = f"DKT{n:02d}" + "".join("ABCDEFGHJKLMNPQRSTUVWXYZ23456789"[(n * 7 + k * 13) % 32] for k in range(9))
    if n in (3, 12):
        rec["document_code"] = "IR"
    if n == 21:
        rec["issuing_state"] = "USA"
    return rec

records = [holder(i, p) for i, p in enumerate(PEOPLE)]
with open(os.path.join(HERE, "holders.jsonl"), "w", encoding="utf-8") as f:
    for r in records:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
with open(os.path.join(HERE, "holder.json"), "w", encoding="utf-8") as f:
    f.write(json.dumps(records[0], ensure_ascii=False, indent=2) + "\n")

max_docs = max(len(r["documents"]) for r in records)
cols = ["document_number", "document_code", "issuing_state", "surname", "given_names", "sex",
        "date_of_birth", "nationality", "place_of_birth", "date_of_issue", "date_of_expiry", "photo",
        "a_number", "card_access_number", "docket.court", "docket.case_number",
        "docket.next_hearing", "docket.release_type", "docket.reporting_office",
        "docket.check_in_interval_days", "docket.conditions", "background_check.reference",
        "background_check.cleared_on", "background_check.agency", "portal_reference"]
cols += [f"documents.{k}.{f}" for k in range(1, max_docs + 1)
         for f in ("form", "title", "number", "issued_on", "expires_on", "issued_by")]
with open(os.path.join(HERE, "holders.csv"), "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\r\n")
    w.writerow(cols)
    for r in records:
        row = []
        for c in cols:
            group, _, sub = c.partition(".")
            if group == "documents":
                k, _, field = sub.partition(".")
                docs = r["documents"]
                v = docs[int(k) - 1].get(field) if int(k) <= len(docs) else None
            elif sub:
                v = r[group].get(sub)
                if isinstance(v, list):
                    v = "|".join(v)
            else:
                v = r.get(c)
            row.append("" if v is None else str(v))
        w.writerow(row)
