// An in-page confirmation dialog: a modal <dialog> (the rest of the page is inert), focus
// kept inside with Tab and Shift+Tab, Escape cancels, focus returns to the opener.
import { h } from "./dom";

export interface ConfirmOptions {
  title: string;
  body: string;
  confirm: string;
  cancel?: string;
  danger?: boolean;
}

function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>("button, [href], input, select, textarea, [tabindex]:not([tabindex='-1'])")].filter(
    (element) => !element.hasAttribute("disabled"),
  );
}

export function confirmDialog(options: ConfirmOptions): Promise<boolean> {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const titleId = "confirm-title";
  const bodyId = "confirm-body";
  const cancel = h("button", { type: "button", class: "secondary" }, options.cancel ?? "Cancel");
  const confirm = h("button", { type: "button", class: options.danger ? "danger" : "primary" }, options.confirm);
  const dialog = h(
    "dialog",
    { class: "dialog", "aria-labelledby": titleId, "aria-describedby": bodyId },
    h("h2", { id: titleId }, options.title),
    h("p", { id: bodyId }, options.body),
    h("div", { class: "actions dialog-actions" }, cancel, confirm),
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    let answered = false;
    const close = (answer: boolean): void => {
      if (answered) return;
      answered = true;
      if (dialog.open) dialog.close();
      dialog.remove();
      opener?.focus();
      resolve(answer);
    };
    cancel.addEventListener("click", () => close(false));
    confirm.addEventListener("click", () => close(true));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      close(false);
    });
    dialog.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        close(false);
        return;
      }
      if (event.key !== "Tab") return;
      const items = focusables(dialog);
      const first = items[0];
      const last = items[items.length - 1];
      if (!first || !last) return;
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    });
    dialog.showModal();
    cancel.focus();
  });
}
