// Track filter on the agenda: unticking a track hides its sessions.
const boxes = document.querySelectorAll("[data-track-filter]");
const apply = () => {
  const shown = new Set([...boxes].filter((b) => b.checked).map((b) => b.dataset.trackFilter));
  document.querySelectorAll(".agenda-item").forEach((item) => {
    item.hidden = item.dataset.track !== "" && !shown.has(item.dataset.track);
  });
};
boxes.forEach((b) => b.addEventListener("change", apply));
// agenda-live.js redraws the days when a session moves: filter the new items too.
document.addEventListener("agenda:redrawn", apply);
