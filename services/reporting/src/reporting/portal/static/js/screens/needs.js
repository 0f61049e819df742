// Local needs: a buyer or a CVS publishes its local needs analysis (places, the outcomes needed
// there and how pressing each is); each publication replaces its last. Anyone signed in reads
// every publisher's needs; matching weighs asks towards the places and outcomes of most need.

import { call, get, offers, readOrNull, routeName } from "../api.js";
import { hasRole, session } from "../auth.js";
import {
  add, button, day, field, flash, form, group, h, heading, reload, replace, summary, table, tag, unavailable, values, words,
} from "../ui.js";
import { placesList } from "./offers.js";

const PRIORITIES = [["high", "High"], ["medium", "Medium"], ["low", "Low"]];

function filtersFromHash() {
  const query = new URLSearchParams(window.location.hash.split("?")[1] || "");
  return { place: query.get("place") || "", priority: query.get("priority") || "" };
}

export async function render(view) {
  replace(view, heading("Local needs", "Where need is greatest"));
  add(
    view,
    h(
      "p",
      { class: "lede" },
      "Councils, NHS bodies and CVSs publish where need is greatest, by place and outcome. Asks in those places and outcomes are weighed up when suppliers are suggested, so social value goes where it is needed most.",
    ),
  );
  if (!offers("brokerage", "GET", "/local-needs")) {
    add(view, unavailable("Local needs", routeName("brokerage", "GET", "/local-needs")));
    return;
  }
  if (hasRole("buyer", "cvs")) await renderOwn(view);

  add(view, h("h2", { id: "published" }, "Published needs"));
  const filters = filtersFromHash();
  const needs = await get("brokerage", "/local-needs", { ...filters, limit: 500 });
  add(
    view,
    filterForm(filters),
    table({
      caption: `${needs.length} need${needs.length === 1 ? "" : "s"}, highest priority first`,
      empty: filters.place || filters.priority ? "No published need matches these filters." : "No organisation has published its local needs yet.",
      columns: [
        { label: "Place", value: (n) => n.place },
        { label: "Outcome needed", value: (n) => n.outcome },
        { label: "Priority", value: (n) => tag(n.priority, words(n.priority)) },
        { label: "Note", value: (n) => n.note || "–" },
        { label: "Published by", value: (n) => `${n.publisher}, ${day(n.published_on)}` },
      ],
      rows: needs,
    }),
  );
}

function filterForm(current) {
  const el = h(
    "form",
    { "aria-label": "Filter local needs", class: "card filters" },
    h(
      "div",
      { class: "inline-fields" },
      field({ name: "place", label: "Place", value: current.place, list: "needs-filter-places" }),
      field({ name: "priority", label: "Priority", type: "select", options: [["", "Any priority"], ...PRIORITIES], value: current.priority }),
    ),
    placesList("needs-filter-places"),
    h("button", { type: "submit", class: "button button--secondary" }, "Filter"),
  );
  el.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = Object.entries(values(el)).filter(([, v]) => v !== "");
    window.location.hash = `#/local-needs${chosen.length ? `?${new URLSearchParams(chosen)}` : ""}`;
  });
  return el;
}

async function renderOwn(view) {
  const mine = session()?.organisation;
  add(view, h("h2", { id: "yours" }, "Your local needs analysis"));
  const found = offers("brokerage", "GET", "/local-needs/{publisher}")
    ? await readOrNull("brokerage", `/local-needs/${encodeURIComponent(mine)}`)
    : null;
  const analysis = found?.data || null;
  if (analysis) {
    add(
      view,
      summary([
        ["Title", analysis.title],
        ["Published", day(analysis.published_on)],
        ["Needs", String(analysis.needs.length)],
      ]),
    );
  } else {
    add(view, h("p", {}, "Your organisation has not published a local needs analysis yet."));
  }
  if (!offers("brokerage", "POST", "/local-needs")) {
    add(view, unavailable("Publishing local needs", routeName("brokerage", "POST", "/local-needs")));
    return;
  }
  add(
    view,
    h("h3", {}, analysis ? "Publish a new version" : "Publish your analysis"),
    h("p", {}, analysis ? "What you publish replaces the analysis above in full: keep the needs that still hold." : "Name each place and the outcome needed there, and how pressing it is."),
    needsForm(analysis, found?.etag),
  );
}

function needsForm(analysis, etag) {
  let rows = analysis?.needs?.length ? analysis.needs.map((n) => ({ ...n })) : [{ place: "", outcome: "", priority: "high", note: "" }];
  const holder = h("div", {});
  const addButton = button("Add another need", () => {
    rows = readRows();
    rows.push({ place: "", outcome: "", priority: "medium", note: "" });
    draw();
    holder.querySelector(`[name="needs.${rows.length - 1}.place"]`).focus();
  }, { kind: "secondary" });

  const readRows = () => rows.map((_, i) => {
    const v = values(holder);
    return { place: v[`needs.${i}.place`], outcome: v[`needs.${i}.outcome`], priority: v[`needs.${i}.priority`], note: v[`needs.${i}.note`] };
  });

  const draw = () => {
    replace(
      holder,
      rows.map((need, i) =>
        group(
          { name: `needs.${i}`, legend: `Need ${i + 1}`, class: "need-row" },
          h(
            "div",
            { class: "inline-fields" },
            field({ name: `needs.${i}.place`, label: "Place", value: need.place, list: "needs-places", required: true }),
            field({ name: `needs.${i}.outcome`, label: "Outcome needed", value: need.outcome, required: true, hint: "For example Food poverty reduced" }),
            field({ name: `needs.${i}.priority`, label: "Priority", type: "select", options: PRIORITIES, value: need.priority }),
          ),
          field({ name: `needs.${i}.note`, label: "Note (optional)", type: "textarea", rows: 2, value: need.note }),
          rows.length > 1
            ? button(`Remove need ${i + 1}`, () => {
                rows = readRows();
                rows.splice(i, 1);
                draw();
                addButton.focus();
              }, { kind: "secondary", class: "button button--secondary button--small" })
            : null,
        ),
      ),
    );
  };
  draw();

  return form({
    label: "Publish your local needs analysis",
    fields: [
      field({ name: "title", label: "Title of the analysis", required: true, value: analysis?.title || "", hint: "For example Sefton local needs 2026" }),
      group({ name: "needs", legend: "Needs", hint: "At least one; a place and outcome appear once" }, holder, addButton),
      placesList("needs-places"),
    ],
    submitLabel: analysis ? "Publish the new version" : "Publish the analysis",
    onSubmit: async (v) => {
      rows = readRows();
      const body = {
        title: v.title,
        needs: rows.map((n) => ({ place: n.place, outcome: n.outcome, priority: n.priority, note: n.note || "" })),
      };
      await call("brokerage", "POST", "/local-needs", { body, etag, idempotent: true });
      flash(`Your local needs analysis was published with ${body.needs.length} need${body.needs.length === 1 ? "" : "s"}.`);
      reload();
    },
  });
}
