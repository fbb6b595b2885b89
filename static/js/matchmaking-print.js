/* The printable matchmaking table: its Print button. */
var button = document.querySelector("[data-print]");
if (button) { button.addEventListener("click", function () { window.print(); }); }
