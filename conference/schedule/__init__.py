"""The programme as a file: frab/pretalx `schedule.json` import and export, and iCalendar files."""
