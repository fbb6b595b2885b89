// Track and language filters on the agenda: unticking a track or a language hides its sessions.
const trackBoxes = document.querySelectorAll("[data-track-filter]");
const languageBoxes = document.querySelectorAll("[data-language-filter]");
const ticked = (boxes, key) => new Set([...boxes].filter((b) => b.checked).map((b) => b.dataset[key]));
const apply = () => {
  const tracks = ticked(trackBoxes, "trackFilter");
  const languages = ticked(languageBoxes, "languageFilter");
  document.querySelectorAll(".agenda-item").forEach((item) => {
    const offTrack = item.dataset.track !== "" && !tracks.has(item.dataset.track);
    const offLanguage = languageBoxes.length > 0 && item.dataset.language !== "" && !languages.has(item.dataset.language);
    item.hidden = offTrack || offLanguage;
  });
};
[...trackBoxes, ...languageBoxes].forEach((b) => b.addEventListener("change", apply));
// agenda-live.js redraws the days when a session moves: filter the new items too.
document.addEventListener("agenda:redrawn", apply);
