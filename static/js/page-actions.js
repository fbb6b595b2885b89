// Small page behaviours declared in the markup, so that no page needs inline script (the
// Content-Security-Policy allows scripts from this site's files only):
//   <button data-print>               opens the print dialog
//   <form data-confirm="Question?">   asks before submitting
//   <form data-no-submit>             never submits (its fields are read by the page's script)
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) {
    event.preventDefault();
    window.print();
  }
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  if (form.hasAttribute("data-no-submit")) {
    event.preventDefault();
    return;
  }
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
