// A few DOM helpers. Elements are built with the DOM API only: no HTML strings, no inline
// style attributes (the page runs under style-src 'self').

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.replace(/^on/, ""), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, ...children);
}

let counter = 0;
/** A unique id for label/aria wiring. */
export function uid(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A labelled input with an optional hint, wired with for/id and aria-describedby. */
export function field(
  label: string,
  attrs: Attrs,
  hint?: string,
): { wrapper: HTMLDivElement; input: HTMLInputElement } {
  const id = uid("field");
  const hintId = hint ? `${id}-hint` : null;
  const input = h("input", { id, ...attrs, "aria-describedby": hintId });
  const wrapper = h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    input,
  );
  return { wrapper, input };
}

/** Shows or hides a sentence in a live region. */
export function say(region: HTMLElement, sentence: string | null | undefined): void {
  region.textContent = sentence ?? "";
  region.hidden = !sentence;
}
