// A few DOM helpers for the console: build elements from a tag, attributes and children; no framework.
export type Child = Node | string | number | false | null | undefined;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | undefined | ((e: Event) => void)> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === "function") node.addEventListener(k.replace(/^on/, ""), v);
    else if (k === "class") node.className = String(v);
    else if (v === true) node.setAttribute(k, "");
    else node.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== undefined && c !== null && c !== false) node.append(typeof c === "object" ? c : String(c));
  return node;
}

export function clear(node: Element): void {
  while (node.firstChild) node.firstChild.remove();
}

/** A value as the console shows it: JSON, but strings bare. */
export function show(value: unknown): string {
  if (value === undefined) return "(not set)";
  if (typeof value === "string") return value === "" ? '""' : value;
  return JSON.stringify(value);
}

/** Asks the operator before a state-changing request: resolves true on the dialog's confirm button. */
export function confirmAction(title: string, detail: string, action: string): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "confirm", "data-testid": "confirm-dialog" });
    const done = (ok: boolean): void => {
      dialog.close();
      dialog.remove();
      resolve(ok);
    };
    dialog.append(
      h("h3", {}, title),
      h("p", {}, detail),
      h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", "data-testid": "confirm-cancel", onclick: () => done(false) }, "Cancel"), h("button", { type: "button", class: "danger", "data-testid": "confirm-ok", onclick: () => done(true) }, action)),
    );
    dialog.addEventListener("cancel", () => done(false));
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** A unified diff with its added and removed lines marked. */
export function diffBlock(diff: string): HTMLElement {
  const pre = h("pre", { class: "diff" });
  for (const line of diff.split("\n")) {
    const cls = line.startsWith("@@") ? "hunk" : line.startsWith("+++") || line.startsWith("---") ? "file" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "ctx";
    pre.append(h("span", { class: cls }, line), "\n");
  }
  return pre;
}
