"""The matchmaking table as CSV: one row per partnership possibility (practice × interested country),
and one row for a practice no country has asked for yet, so the file is the whole table.

Cells pass through the project's one formula-injection rule (attendance.exports.safe_cell): a
practice called "=HYPERLINK(...)" stays a title in a spreadsheet.
"""

from __future__ import annotations

import csv
import io

from ..attendance.exports import safe_cell
from ..countries import country_name
from ..i18n.columns import header_row
from ..programme.models import Event
from .models import FOLLOW_UP_LABELS, WANT_LABELS
from .services import Table

HEADER = [
    "practice_id",
    "practice",
    "thematic_area",
    "sharing_country",
    "sharing_country_name",
    "organisation",
    "possibilities_of_practice",
    "interested_country",
    "interested_country_name",
    "wants",
    "people",
    "status",
    "status_changed",
]


def table_csv(event: Event, table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header_row(HEADER))
    for row in table.rows:
        practice = row.practice
        head = [
            practice.id,
            practice.title,
            practice.track.name if practice.track else "",
            practice.country,
            country_name(practice.country),
            practice.organisation,
            row.possibilities,
        ]
        if not row.interests:
            writer.writerow([safe_cell(cell) for cell in [*head, *[""] * 6]])
        for interest in row.interests:
            tail = [
                interest.country,
                country_name(interest.country),
                "; ".join(str(WANT_LABELS[w]) for w in interest.wants),
                len(interest.members),
                str(FOLLOW_UP_LABELS[interest.status]),
                interest.status_changed_at.astimezone(event.tz).strftime("%Y-%m-%d %H:%M"),
            ]
            writer.writerow([safe_cell(cell) for cell in [*head, *tail]])
    return out.getvalue()
