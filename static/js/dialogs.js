/* Modal dialogs (<dialog>) that keyboard and screen-reader users can follow (WCAG 2.4.3, 2.1.2):
 * opening moves the focus into the dialog, closing gives it back to the control that opened it
 * (or to `next` when that one is gone), and Escape closes it through the same path as its Cancel
 * button (`onCancel`), so nothing is left running behind a dialog the browser closed by itself.
 *
 *   const box = modal(dialogElement, onCancel);
 *   box.open(firstControl);   box.close(next);
 */
const FOCUSABLE = "[autofocus], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled]), a[href], [tabindex]:not([tabindex='-1'])";

function visible(node) {
  return !!(node && node.isConnected && node.getClientRects().length);
}

export function modal(dialog, onCancel) {
  let opener = null;
  // Escape: a modal <dialog> fires `cancel`; without showModal (old browsers) we listen ourselves.
  dialog.addEventListener("cancel", function (event) { event.preventDefault(); onCancel(); });
  dialog.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !dialog.showModal) { event.preventDefault(); onCancel(); }
  });
  return {
    open: function (first) {
      opener = document.activeElement;
      if (dialog.showModal) { dialog.showModal(); } else { dialog.setAttribute("open", ""); }
      const target = first || dialog.querySelector(FOCUSABLE);
      if (target) { target.focus(); }
    },
    close: function (next) {
      if (dialog.close) { dialog.close(); } else { dialog.removeAttribute("open"); }
      const target = visible(next) ? next : opener;
      opener = null;
      if (visible(target)) { target.focus(); }
    },
    isOpen: function () { return dialog.open || dialog.hasAttribute("open"); },
  };
}
