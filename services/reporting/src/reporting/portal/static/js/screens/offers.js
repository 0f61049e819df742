// Offers: a supplier posts what it can give VCFSE organisations (what, where, until when, and
// optionally towards one of its obligations), lists and withdraws its offers. Everyone signed
// in can browse the open offers by measure and place.

import { call, get, offers, routeName } from "../api.js";
import { hasRole, session } from "../auth.js";
import {
  add, day, disclosure, field, flash, form, group, h, heading, qty, reload, replace, splitList, table, tag, unavailable, values, words,
} from "../ui.js";

export const KINDS = [
  ["volunteering", "Volunteering"],
  ["expert_business_advice", "Expert business advice"],
  ["equipment_or_resources", "Equipment or resources"],
  ["funding", "Funding"],
  ["work_placements", "Work placements"],
  ["supply_chain_opportunity", "Supply chain opportunity"],
];

/** The nine Cheshire and Merseyside boroughs: the places the brokerage serves by default. */
export const PLACES = [
  "Cheshire East", "Cheshire West and Chester", "Halton", "Knowsley", "Liverpool", "Sefton", "St Helens", "Warrington", "Wirral",
];

/** A datalist of the usual places, for place fields to suggest from. */
export function placesList(id) {
  return h("datalist", { id }, PLACES.map((p) => h("option", { value: p })));
}

function filtersFromHash() {
  const query = new URLSearchParams(window.location.hash.split("?")[1] || "");
  return { measure: query.get("measure") || "", place: query.get("place") || "" };
}

export async function render(view) {
  const supplier = hasRole("supplier");
  replace(view, heading("Offers", supplier ? "Supplier" : "VCFSE partners"));
  if (!offers("brokerage", "GET", "/offers")) {
    add(view, unavailable("Offers", routeName("brokerage", "GET", "/offers")));
    return;
  }
  if (supplier) {
    await renderSupplier(view);
  } else {
    add(view, h("p", { class: "lede" }, "What suppliers offer VCFSE organisations: volunteering, advice, equipment, funding, placements and supply chain work. Post an ask that fits an offer, and the supplier is suggested to you."));
  }
  add(view, h("h2", { id: "browse" }, supplier ? "Every open offer" : "Open offers"));
  const filters = filtersFromHash();
  const found = await get("brokerage", "/offers", { ...filters, status: "open", limit: 500 });
  add(
    view,
    filterForm(filters),
    table({
      caption: `${found.length} open offer${found.length === 1 ? "" : "s"}, newest first`,
      empty: filters.measure || filters.place ? "No open offer matches these filters." : "No supplier has an open offer right now.",
      columns: [
        { label: "Offer", value: (o) => h("span", {}, o.title, h("span", { class: "cell-note" }, o.description)) },
        { label: "From", value: (o) => o.supplier },
        { label: "Kind", value: (o) => words(o.kind) },
        { label: "Counts in", value: (o) => o.measures.join(", ") },
        { label: "Where", value: (o) => o.places.join(", ") || "–" },
        { label: "How much", value: (o) => qty(o.quantity, o.unit), numeric: true },
        { label: "Until", value: (o) => (o.available_until ? day(o.available_until) : "No end date") },
      ],
      rows: found,
    }),
  );
}

function filterForm(current) {
  const el = h(
    "form",
    { "aria-label": "Filter offers", class: "card filters" },
    h(
      "div",
      { class: "inline-fields" },
      field({ name: "measure", label: "Measure", hint: "A TOMs code, like NT17", value: current.measure }),
      field({ name: "place", label: "Place", value: current.place, list: "offer-places" }),
    ),
    placesList("offer-places"),
    h("button", { type: "submit", class: "button button--secondary" }, "Filter"),
  );
  el.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = Object.entries(values(el)).filter(([, v]) => v !== "");
    window.location.hash = `#/offers${chosen.length ? `?${new URLSearchParams(chosen)}` : ""}`;
  });
  return el;
}

// ---- a supplier's own offers -----------------------------------------------------------------

async function renderSupplier(view) {
  const mine = session()?.organisation;
  const [open, withdrawn, owed, contracts] = await Promise.all([
    get("brokerage", "/offers", { supplier: mine, status: "open", limit: 500 }),
    get("brokerage", "/offers", { supplier: mine, status: "withdrawn", limit: 500 }),
    offers("brokerage", "GET", "/obligations") ? get("brokerage", "/obligations") : [],
    offers("commitments", "GET", "/contracts") ? get("commitments", "/contracts", { limit: 500 }).catch(() => []) : [],
  ]);
  const references = new Map(contracts.map((c) => [c.contract_id, c.reference]));
  const obligations = owed.filter((o) => o.supplier === mine);
  const towards = (o) => {
    if (!o.obligation_id) return "–";
    const ob = obligations.find((x) => x.obligation_id === o.obligation_id);
    const ref = references.get(o.contract_id) || (ob && references.get(ob.contract_id));
    return `${ref ? `${ref}: ` : ""}${ob ? ob.measure : "an obligation"}`;
  };
  add(
    view,
    h("p", { class: "lede" }, "Offer VCFSE organisations what you can give. An offer tied to one of your obligations helps you meet it: asks that fit are suggested to you with the reasons, and the support a VCFSE organisation confirms corroborates your returns."),
    h("h2", { id: "yours" }, "Your offers"),
    table({
      caption: "Your offers, open and withdrawn",
      captionHidden: true,
      empty: "You have not posted an offer yet.",
      columns: [
        { label: "Offer", value: (o) => o.title },
        { label: "Kind", value: (o) => words(o.kind) },
        { label: "Counts in", value: (o) => o.measures.join(", ") },
        { label: "Where", value: (o) => o.places.join(", ") || "–" },
        { label: "How much", value: (o) => qty(o.quantity, o.unit), numeric: true },
        { label: "Until", value: (o) => (o.available_until ? day(o.available_until) : "No end date") },
        { label: "Towards", value: towards },
        { label: "Status", value: (o) => tag(o.status === "open" ? "published" : "cancelled", words(o.status)) },
      ],
      rows: [...open, ...withdrawn],
    }),
    open.length && offers("brokerage", "POST", "/offers/{offer_id}/withdrawal") ? open.map(withdrawForm) : null,
    h("h2", { id: "post" }, "Post an offer"),
    offers("brokerage", "POST", "/offers")
      ? offerForm(obligations, references)
      : unavailable("Posting offers", routeName("brokerage", "POST", "/offers")),
  );
}

function withdrawForm(offer) {
  return disclosure(
    `Withdraw “${offer.title}”`,
    form({
      label: `Withdraw the offer ${offer.title}`,
      fields: [field({ name: "reason", label: "Why (optional)", type: "textarea", rows: 2 })],
      submitLabel: "Withdraw the offer",
      kind: "warning",
      onSubmit: async (v) => {
        const { etag } = await call("brokerage", "GET", `/offers/${offer.offer_id}`);
        await call("brokerage", "POST", `/offers/${offer.offer_id}/withdrawal`, { body: { reason: v.reason }, etag });
        flash(`The offer “${offer.title}” was withdrawn: it is no longer suggested.`);
        reload();
      },
    }),
  );
}

function offerForm(obligations, references) {
  const options = [["", "Not tied to an obligation"]].concat(
    obligations.map((o) => [o.obligation_id, `${references.get(o.contract_id) || "Contract"}: ${o.measure}, ${o.outcome} (${qty(o.total_committed, o.unit)} committed)`]),
  );
  return form({
    label: "Post an offer",
    fields: [
      field({ name: "title", label: "Title", required: true, hint: "For example Volunteers for food banks in Bootle" }),
      field({ name: "description", label: "What you offer and how to use it", type: "textarea", required: true }),
      field({ name: "kind", label: "Kind of support", type: "select", options: KINDS }),
      field({ name: "measures", label: "TOMs measures it counts in", hint: "Codes separated by commas, for example NT17 or NT15, NT17", required: true }),
      field({ name: "places", label: "Places (optional)", hint: "Separated by commas, for example Liverpool, Sefton; where you joined the directory if left empty", list: "post-offer-places" }),
      placesList("post-offer-places"),
      group(
        { name: "capacity", legend: "How much (optional)", hint: "Give a quantity and its unit together, or neither" },
        h(
          "div",
          { class: "inline-fields" },
          field({ name: "quantity", label: "Quantity", type: "number", min: 0, step: "any", inputmode: "decimal" }),
          field({ name: "unit", label: "Unit", hint: "For example hours, GBP, placements" }),
        ),
      ),
      field({ name: "available_until", label: "Available until (optional)", type: "date" }),
      field({ name: "obligation_id", label: "Towards one of your obligations (optional)", type: "select", options, hint: obligations.length ? "Asks that help you meet it are suggested first" : "You have no obligation the brokerage knows of yet" }),
    ],
    submitLabel: "Post the offer",
    onSubmit: async (v) => {
      const body = {
        kind: v.kind,
        title: v.title,
        description: v.description,
        measures: splitList(v.measures),
        places: splitList(v.places),
        quantity: v.quantity || null,
        unit: v.unit || null,
        available_until: v.available_until || null,
        obligation_id: v.obligation_id || null,
      };
      await call("brokerage", "POST", "/offers", { body, idempotent: true });
      flash(`Your offer “${v.title}” was posted: VCFSE organisations whose asks fit it will see you suggested.`);
      reload();
    },
  });
}
