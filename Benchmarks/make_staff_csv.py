#!/usr/bin/env python3
"""Writes a staff sheet of N rows for the onboarding benchmark: unique e-mails and employee ids,
Indian names, mobiles, designations, and postings spread over real States and districts (read from the
server's own reference file). One row in 200 has a bad e-mail, so the error path is measured too."""
import csv, random, sys
from pathlib import Path

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
rng = random.Random(2026)
reference = Path(__file__).resolve().parent.parent / "Sources/KarmayogiServer/Resources/india-districts.csv"
districts = [(r["state_name"], r["district_name"]) for r in csv.DictReader(reference.open(encoding="utf-8"))]
first = ["Aarav", "Asha", "Rohit", "Priya", "Sandeep", "Kavita", "Imran", "Meena", "Arjun", "Lakshmi", "Vikram", "Neha", "Suresh",
         "Anjali", "Farhan", "Deepa", "Harpreet", "Sunita", "Rajesh", "Pooja", "मीना", "राजेश", "সুমিত", "முருகன்", "రవి"]
last = ["Verma", "Sharma", "Khan", "Iyer", "Das", "Singh", "Meena", "Patel", "Reddy", "Nair", "Yadav", "Choudhary", "Gupta", "Kumar"]
designations = ["Section Officer", "Assistant Section Officer", "Under Secretary", "Multi-Tasking Staff", "Upper Division Clerk",
                "Patwari", "Block Development Officer", "Medical Officer", "Executive Engineer", "Panchayat Secretary"]
languages = ["hi", "en", "bn", "ta", "te", "mr", "gu", "kn", "ml", "or", "pa", "ur"]
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["name", "email", "phone", "employee_id", "designation", "state", "district", "language"])
for i in range(rows):
    state, district = rng.choice(districts)
    email = f"staff{i}@bench.example.org" if i % 200 != 199 else f"staff{i}-at-bench"
    out.writerow([f"{rng.choice(first)} {rng.choice(last)}", email, f"9{rng.randrange(10**9):09d}", f"EMP-{i:06d}",
                  rng.choice(designations), state, district, rng.choice(languages)])
