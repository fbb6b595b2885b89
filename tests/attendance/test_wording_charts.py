"""The summary sentence, durations, M49 regions and the SVG charts."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pycountry

from conference.attendance import charts
from conference.attendance.wording import duration_words, summary_sentence
from conference.countries import _M49_SUBREGIONS, m49_region, m49_subregion

SVG = "{http://www.w3.org/2000/svg}"


def test_the_summary_in_the_organisers_words():
    assert summary_sentence(
        participants=452, countries=71, online=312, on_site=140, hybrid=0, sessions=38
    ) == ("452 participants from 71 countries: 312 online, 140 on site; 38 sessions")
    assert summary_sentence(
        participants=1204, countries=1, online=1100, on_site=150, hybrid=46, sessions=1
    ) == ("1,204 participants from 1 country: 1,100 online, 150 on site (46 both); 1 session")
    assert summary_sentence(participants=1, countries=0, online=1, on_site=0, hybrid=0, sessions=1) == (
        "1 participant from 0 countries: 1 online, 0 on site; 1 session"
    )


def test_durations_in_words():
    assert [duration_words(s) for s in (0, 59, 60, 3599, 3600, 3900, -5)] == [
        "0 s",
        "59 s",
        "1 min",
        "59 min",
        "1 h 00 min",
        "1 h 05 min",
        "0 s",
    ]


def test_every_country_has_one_m49_region():
    listed = [code for codes in _M49_SUBREGIONS.values() for code in codes.split()]
    assert len(listed) == len(set(listed))  # nobody in two regions
    assert set(listed) == {c.alpha_2 for c in pycountry.countries} - {"AQ"}  # Antarctica has no region
    assert (m49_subregion("kr"), m49_region("KR")) == ("Eastern Asia", "Asia")
    assert (m49_subregion("TO"), m49_subregion("EG"), m49_subregion("KE")) == (
        "Polynesia",
        "Northern Africa",
        "Sub-Saharan Africa",
    )
    assert (m49_subregion(None), m49_subregion("AQ"), m49_region("ZZ")) == ("Unknown", "Unknown", "Unknown")


def test_axis_ticks_are_whole_and_readable():
    assert [charts.axis_ticks(v) for v in (0, 1, 3, 7, 238, 500, 501)] == [
        (1, 1),
        (1, 1),
        (1, 3),
        (2, 4),
        (50, 5),
        (100, 5),
        (200, 3),
    ]


def test_charts_are_valid_svg_with_escaped_labels():
    line = charts.line_chart(
        "People <present>",
        ["09:00", "09:15"],
        [
            charts.Series("Online", [3, 7], charts.ONLINE_COLOUR),
            charts.Series("On site", [1, 0], charts.ON_SITE_COLOUR),
        ],
    )
    bars = charts.bar_chart("By country", [("<script>alert(1)</script>", 5), ("Fiji", 2)])
    modes = charts.mode_chart("By mode", online_only=6, hybrid=2, on_site_only=2)
    for svg in (line, bars, modes):
        ET.fromstring(str(svg))  # well-formed XML
    assert "<script>" not in str(bars) and "&lt;script&gt;" in str(bars)
    tree = ET.fromstring(str(bars))
    values = {
        r.get("data-label"): int(r.get("data-value")) for r in tree.iter(f"{SVG}rect") if r.get("data-label")
    }
    assert values == {"<script>alert(1)</script>": 5, "Fiji": 2}
    assert "Online only: 6 (60%)" in str(modes) and "Both online and on site: 2 (20%)" in str(modes)
    assert [p.get("data-series") for p in ET.fromstring(str(line)).iter(f"{SVG}polyline")] == [
        "Online",
        "On site",
    ]
    empty = charts.bar_chart("By region", [])
    assert "No attendance recorded yet" in str(empty)
