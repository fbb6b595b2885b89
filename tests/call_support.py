"""Helpers for the call tests in Chromium: fake devices, the device check, remote video that plays."""

from __future__ import annotations

FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]

# The other person's tile: its <video> shows frames (a width) and plays (its time advances).
REMOTE_VIDEO_PLAYS = """(name) => {
  const tile = [...document.querySelectorAll('#call .call-tile')].find(t => t.textContent.includes(name));
  const video = tile && tile.querySelector('video');
  if (!video || video.videoWidth === 0) return false;
  window.__seen = window.__seen || {};
  const before = window.__seen[name];
  window.__seen[name] = video.currentTime;
  return before !== undefined && video.currentTime > before;
}"""


def tile_of(page, name: str):
    return page.locator("#call .call-tile", has_text=name)


def join_call_with_devices(page) -> None:
    page.wait_for_selector("#call [data-call=open-check]", state="visible")
    page.click("#call [data-call=open-check]")
    page.check("#call [data-call=check-mic]")
    page.check("#call [data-call=check-cam]")
    page.wait_for_function("document.querySelector('#call [data-call=preview]').videoWidth > 0")
    page.click("#call [data-call=join]")
    page.wait_for_function("window.Call && Call.inCall()")
