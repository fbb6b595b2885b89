"""The main pages on a 320-pixel-wide phone and at 200 % zoom (a 1280-pixel window whose CSS pixels are
doubled: 640 CSS pixels across), in Chromium: nothing scrolls sideways and no control is cut off
(WCAG 1.4.10 Reflow, 1.4.4 Resize text). Text a person typed can be long: the pages must wrap it."""

from __future__ import annotations

import json

import pytest
from browser_support import sign_in_page

from conference.extensions import db
from conference.programme.models import ProgrammeSession

# Every visible control (and heading) must lie within the page's width, unless it sits in a box that
# scrolls sideways on purpose (a wide table in an overflow-x: auto wrapper).
LAYOUT_PROBLEMS = """() => {
  const root = document.scrollingElement;
  const width = root.clientWidth;
  const problems = [];
  if (root.scrollWidth > width) problems.push(`scrolls sideways: ${root.scrollWidth} > ${width}`);
  const scrolls = (node) => {
    for (let p = node.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll') return true;
    }
    return false;
  };
  for (const node of document.querySelectorAll('a[href], button, input, select, textarea, summary, h1, h2, label')) {
    const box = node.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(node).visibility === 'hidden') continue;
    // The skip link waits off-screen until it takes the focus; then it is checked like the rest.
    if (node.closest('.visually-hidden, .skip-link:not(:focus), [hidden], dialog:not([open])') || scrolls(node)) continue;
    if (box.left < -1 || box.right > width + 1) {
      const name = (node.id ? '#' + node.id : '') || node.textContent.trim().slice(0, 30) || node.name || '';
      problems.push(`${node.tagName.toLowerCase()} ${name}: ${Math.round(box.left)}..${Math.round(box.right)} of ${width}`);
    }
  }
  return problems.slice(0, 8);
}"""

VIEWPORTS = {
    "phone 320": {"viewport": {"width": 320, "height": 640}, "device_scale_factor": 1},
    "1280 at 200 %": {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2},
}


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_main_pages_reflow_without_sideways_scrolling(
    app, make_event, make_user, make_registration, live_server, browser, size
):
    event = make_event("symposium")
    organiser = make_user("organiser", name="Olga Organiser-Longname Wolfeschlegelsteinhausen")
    make_registration(organiser, event, "in_person")
    with app.app_context():
        plenary = db.session.query(ProgrammeSession.id).filter_by(event_id=event.id, kind="plenary").scalar()
    e, s = f"/events/{event.slug}", f"/events/{event.slug}/sessions/{plenary}"
    paths = [
        f"{e}/agenda",
        f"{s}/live",
        f"{s}/moderate",
        f"{e}/checkin",
        f"{e}/badge",
        f"{e}/board",
        f"{e}/matchmaking",
    ]

    context = browser.new_context(locale="en-GB", **VIEWPORTS[size])
    page = context.new_page()
    sign_in_page(page, live_server, organiser)
    found = {}
    for path in paths:
        response = page.goto(f"{live_server}{path}")
        assert response.status == 200, (path, response.status)
        page.wait_for_load_state("networkidle")
        problems = page.evaluate(LAYOUT_PROBLEMS)
        if problems:
            found[path] = problems
    context.close()
    assert not found, json.dumps(found, indent=1)
