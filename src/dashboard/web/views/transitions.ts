// The aside a click on a node's header opens: its recent transitions,
// newest first, kept current while it is open.
import { clock, h } from "../dom.js";
import { transitionsOf, type Model } from "../model.js";

export class TransitionsAside {
  readonly el = h("aside", { class: "transitions", hidden: true });
  private node: string | null = null;

  constructor(private readonly model: Model) {
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.close();
    });
  }

  /** Opens the node's transitions; asked again for the node shown, closes them. */
  toggle(node: string): void {
    if (this.node === node) this.close();
    else this.open(node);
  }

  open(node: string): void {
    this.node = node;
    this.el.dataset.node = node;
    this.el.hidden = false;
    this.render();
  }

  close(): void {
    this.node = null;
    this.el.hidden = true;
    delete this.el.dataset.node;
  }

  /** Redraws when the node shown is the one that moved (or always, without one). */
  refresh(node?: string): void {
    if (this.node !== null && (node === undefined || node === this.node)) this.render();
  }

  private render(): void {
    const node = this.node!;
    const close = h("button", { type: "button", class: "close", "aria-label": "Close" }, "×");
    close.addEventListener("click", () => this.close());
    const items = transitionsOf(this.model, node).map((t) =>
      h(
        "li",
        {},
        h("time", { datetime: new Date(t.at).toISOString() }, clock(t.at)),
        h("span", { class: "actor" }, t.actor),
        // An actor's start comes from statecharts' initial dot; a state before that no one told is "?".
        h("span", { class: "move" }, `${t.from || (t.event === "xstate.init" ? "●" : "?")} → ${t.to}`),
        h("span", { class: "event" }, t.event),
      ),
    );
    this.el.replaceChildren(
      h("header", {}, h("h2", {}, `Transitions of ${node}`), close),
      items.length ? h("ol", {}, ...items) : h("p", { class: "empty" }, "No transitions seen yet."),
    );
  }
}
