// The brokerage: VCFSE organisations and CVSs post and manage asks, see suggested and proposed
// matches with their reasons, accept or decline them, and confirm or dispute deliveries.
// Suppliers see asks that fit what they owe, propose matches and record what they delivered.

import { call, get, offers, routeName } from "../api.js";
import { hasRole, session } from "../auth.js";
import * as periods from "../periods.js";
import {
  add, button, day, disclosure, field, flash, form, h, heading, link, notice, num, problemNotice, qty, reload, replace, summary, table, tag, unavailable, words,
} from "../ui.js";

const KINDS = [
  ["volunteering", "Volunteering"],
  ["expert_business_advice", "Expert business advice"],
  ["equipment_or_resources", "Equipment or resources"],
  ["funding", "Funding"],
  ["work_placements", "Work placements"],
  ["supply_chain_opportunity", "Supply chain opportunity"],
];
const CLOSE_REASONS = [["filled", "Filled"], ["no_longer_needed", "No longer needed"], ["expired", "Expired"], ["withdrawn", "Withdrawn"]];

const FORMS = [
  ["registered_charity", "Registered charity"],
  ["cic", "Community interest company"],
  ["social_enterprise", "Social enterprise"],
  ["faith_group", "Faith group"],
  ["community_group", "Community group"],
];

export async function render(view) {
  if (hasRole("vcfse", "cvs", "supplier") && !(await inDirectory(view))) return undefined;
  if (hasRole("vcfse", "cvs")) return renderBoard(view);
  if (hasRole("supplier")) return renderSupplier(view);
  replace(view, heading("VCFSE partners"), notice("info", "", "Asks and matches are for VCFSE organisations, CVSs and suppliers."));
  return undefined;
}

// ---- the directory ---------------------------------------------------------------------------

/** True when the organisation is in the brokerage's directory; else offer to join it. */
async function inDirectory(view) {
  if (!offers("brokerage", "GET", "/organisations/{organisation_id}")) return true;
  const organisation = session()?.organisation;
  try {
    await get("brokerage", `/organisations/${encodeURIComponent(organisation)}`);
    return true;
  } catch (error) {
    if (error.status !== 404) throw error;
  }
  const kind = hasRole("cvs") ? "cvs" : hasRole("vcfse") ? "vcfse" : "supplier";
  replace(
    view,
    heading("Join the directory", kind === "supplier" ? "Supplier" : kind === "cvs" ? "CVS" : "VCFSE organisation"),
    h(
      "p",
      { class: "lede" },
      kind === "supplier"
        ? "Suppliers in the directory are suggested to VCFSE organisations whose asks fit what they owe."
        : "Organisations in the directory can post asks, be found by suppliers and confirm the support they receive.",
    ),
    offers("brokerage", "POST", "/organisations")
      ? form({
          label: "Join the directory",
          fields: [
            field({ name: "name", label: "Organisation name", required: true, autocomplete: "organization" }),
            kind === "vcfse" ? field({ name: "form", label: "What kind of organisation", type: "select", options: FORMS }) : null,
            field({ name: "places", label: "Places you work in", hint: "Separated by commas, for example Liverpool, Sefton" }),
            kind === "supplier" ? null : field({ name: "outcomes", label: "Outcomes you work on (optional)", hint: "Separated by commas, for example Food poverty reduced" }),
            h(
              "div",
              { class: "inline-fields" },
              kind === "vcfse" ? field({ name: "charity_number", label: "Charity number", hint: "Needed for a registered charity" }) : null,
              field({ name: "company_number", label: "Company number (optional)" }),
            ),
            h(
              "fieldset",
              { class: "group" },
              h("legend", {}, "Someone to contact (optional)"),
              h(
                "div",
                { class: "inline-fields" },
                field({ name: "contacts.0.name", label: "Name", autocomplete: "name" }),
                field({ name: "contacts.0.email", label: "Email", type: "email", autocomplete: "email" }),
              ),
            ),
          ],
          submitLabel: "Join the directory",
          onSubmit: async (v) => {
            const list = (text) => (text || "").split(",").map((x) => x.trim()).filter(Boolean);
            const body = { name: v.name, kind, places: list(v.places), outcomes: list(v.outcomes) };
            if (v.form) body.form = v.form;
            if (v.charity_number) body.charity_number = v.charity_number;
            if (v.company_number) body.company_number = v.company_number;
            if (v["contacts.0.name"]) body.contacts = [{ name: v["contacts.0.name"], email: v["contacts.0.email"] || null }];
            await call("brokerage", "POST", "/organisations", { body, idempotent: true });
            flash("You have joined the directory.");
            reload();
          },
        })
      : unavailable("Joining the directory", routeName("brokerage", "POST", "/organisations")),
  );
  return false;
}

// ---- VCFSE and CVS ---------------------------------------------------------------------------

async function renderBoard(view) {
  const isCvs = hasRole("cvs");
  replace(view, heading("Asks and matches", isCvs ? "CVS" : "VCFSE organisation"));
  add(view, 
    h("p", { class: "lede" }, "Say what support your organisation needs from suppliers; suppliers who owe social value that fits are suggested, with the reasons. Confirm support when it arrives: a confirmed delivery is corroborated evidence of the supplier's social value."),
  );
  if (!offers("brokerage", "GET", "/board")) {
    add(view, unavailable("Your asks and matches", routeName("brokerage", "GET", "/board")));
    add(view, h("h2", {}, "Post an ask"), offers("brokerage", "POST", "/asks") ? askForm(isCvs) : unavailable("Posting asks", routeName("brokerage", "POST", "/asks")));
    return;
  }
  const chosen = new URLSearchParams(window.location.hash.split("?")[1] || "").get("vcfse") || "";
  const board = await get("brokerage", "/board", chosen ? { vcfse: chosen } : undefined);
  if (isCvs && offers("brokerage", "GET", "/cvs/groups")) add(view, await groupsSection(chosen));
  add(view, 
    h("h2", {}, "Your asks"),
    table({
      caption: `Asks of ${board.organisation}, soonest needed first`,
      captionHidden: true,
      empty: "You have not posted an ask yet.",
      columns: [
        { label: "Ask", value: (a) => a.title },
        { label: "Kind", value: (a) => words(a.kind) },
        { label: "Needed", value: (a) => `${qty(a.quantity, a.unit)} by ${day(a.needed_by)}` },
        { label: "Confirmed so far", value: (a) => qty(a.filled, a.unit), numeric: true },
        { label: "Place", value: (a) => a.place },
        { label: "Status", value: (a) => tag(a.status, words(a.status)) },
      ],
      rows: board.asks,
    }),
    board.asks.filter((a) => a.status !== "closed" && a.status !== "filled").map((a) => askCard(a)),
    h("h2", {}, "Post an ask"),
    offers("brokerage", "POST", "/asks") ? disclosure("Post a new ask", askForm(isCvs)) : unavailable("Posting asks", routeName("brokerage", "POST", "/asks")),
    h("h2", {}, "Matches"),
    matchesList(board.matches, "vcfse"),
  );
}

async function groupsSection(chosen) {
  const groups = await get("brokerage", "/cvs/groups");
  const own = groups.filter((g) => g.registered_by_you);
  return h(
    "section",
    { "aria-labelledby": "groups-heading" },
    h("h2", { id: "groups-heading" }, "The groups you vouch for"),
    table({
      caption: "Groups your CVS vouches for",
      captionHidden: true,
      empty: "Your CVS vouches for no group yet.",
      columns: [
        { label: "Group", value: (g) => (g.registered_by_you ? link(`#/partners?vcfse=${encodeURIComponent(g.organisation_id)}`, g.name) : g.name) },
        { label: "Places", value: (g) => g.places.join(", ") || "–" },
        { label: "Open asks", value: (g) => String(g.open_asks), numeric: true },
        { label: "Matches accepted", value: (g) => String(g.matches_accepted), numeric: true },
        { label: "Deliveries confirmed", value: (g) => String(g.deliveries_confirmed), numeric: true },
      ],
      rows: groups,
    }),
    own.length
      ? h("p", {}, chosen ? ["Showing the board of ", h("strong", {}, chosen), ". ", link("#/partners", "Show your own board")] : "Choose a group you registered to manage its asks and matches.")
      : null,
  );
}

function askForm(isCvs) {
  return form({
    label: "Post an ask",
    fields: [
      isCvs ? field({ name: "vcfse", label: "The group you post for", hint: "Its identifier in the directory", required: true }) : null,
      field({ name: "title", label: "Title", required: true }),
      field({ name: "description", label: "What you need and why", type: "textarea", required: true }),
      field({ name: "kind", label: "Kind of support", type: "select", options: KINDS }),
      h(
        "div",
        { class: "inline-fields" },
        field({ name: "quantity", label: "How much", type: "number", min: 0, step: "any", required: true }),
        field({ name: "unit", label: "Unit", hint: "For example hours, GBP, placements", required: true }),
      ),
      h(
        "div",
        { class: "inline-fields" },
        field({ name: "place", label: "Place", hint: "For example Liverpool", required: true }),
        field({ name: "needed_by", label: "Needed by", type: "date", required: true }),
      ),
      field({ name: "measures", label: "TOMs measures it counts in (optional)", hint: "Codes separated by commas, for example NT17; the usual ones for its kind if left empty" }),
    ],
    submitLabel: "Post the ask",
    onSubmit: async (v) => {
      const body = {
        kind: v.kind,
        title: v.title,
        description: v.description,
        quantity: v.quantity || null,
        unit: v.unit,
        place: v.place,
        needed_by: v.needed_by || null,
      };
      if (v.vcfse) body.vcfse = v.vcfse;
      const measures = (v.measures || "").split(",").map((x) => x.trim()).filter(Boolean);
      if (measures.length) body.measures = measures;
      await call("brokerage", "POST", "/asks", { body, idempotent: true });
      flash("Your ask was posted: suppliers who fit it will be suggested.");
      reload();
    },
  });
}

function askCard(ask) {
  const suggestions = h("div", {}, h("p", { class: "muted" }, "Open to load the suggestions."));
  const details = disclosure(`Suppliers suggested for “${ask.title}”`, suggestions);
  let loaded = false;
  details.addEventListener("toggle", async () => {
    if (!details.open || loaded) return;
    loaded = true;
    if (!offers("brokerage", "GET", "/asks/{ask_id}/suggestions")) {
      replace(suggestions, unavailable("Suggestions", routeName("brokerage", "GET", "/asks/{ask_id}/suggestions")));
      return;
    }
    try {
      const found = await get("brokerage", `/asks/${ask.ask_id}/suggestions`);
      replace(
        suggestions,
        table({
          caption: "Suggested suppliers, best first",
          captionHidden: true,
          empty: "No supplier fits this ask yet.",
          columns: [
            { label: "Supplier", value: (s) => s.supplier },
            { label: "Score", value: (s) => num(s.score), numeric: true },
            { label: "Why", value: (s) => reasons(s.reasons) },
            {
              label: "Action",
              value: (s) =>
                offers("brokerage", "POST", "/matches")
                  ? actionButton("Propose this supplier", () => call("brokerage", "POST", "/matches", { body: { ask_id: ask.ask_id, supplier: s.supplier, offer_id: s.offer_id }, idempotent: true }), `You proposed ${s.supplier}; the match is waiting for their answer.`)
                  : "–",
            },
          ],
          rows: found,
        }),
      );
    } catch (error) {
      replace(suggestions, problemNotice(error));
    }
  });
  const close = offers("brokerage", "POST", "/asks/{ask_id}/closure")
    ? disclosure(
        `Close “${ask.title}”`,
        form({
          label: `Close the ask ${ask.title}`,
          fields: [
            field({ name: "reason", label: "Why", type: "select", options: CLOSE_REASONS }),
            field({ name: "note", label: "Note (optional)", type: "textarea", rows: 2 }),
          ],
          submitLabel: "Close the ask",
          kind: "secondary",
          onSubmit: async (v) => {
            const { etag } = await call("brokerage", "GET", `/asks/${ask.ask_id}`);
            await call("brokerage", "POST", `/asks/${ask.ask_id}/closure`, { body: { reason: v.reason, note: v.note }, etag });
            flash("The ask was closed.");
            reload();
          },
        }),
      )
    : null;
  return h("div", {}, details, close);
}

function reasons(list) {
  return h("ul", { class: "reasons" }, (list || []).map((r) => h("li", {}, `${words(r.factor)} (${num(r.points)} points): ${r.detail}`)));
}

/** A button that calls the API, then redraws the screen with a message (or shows the problem). */
function actionButton(label, action, message, kind = "") {
  const status = h("span");
  const el = button(label, async () => {
    el.disabled = true;
    try {
      await action();
      flash(message);
      reload();
    } catch (error) {
      el.disabled = false;
      replace(status, problemNotice(error));
    }
  }, { kind, class: `button button--small ${kind ? `button--${kind}` : ""}` });
  return h("span", {}, el, status);
}

function matchesList(matches, side) {
  if (!matches.length) return h("p", { class: "muted" }, "No matches yet.");
  return matches.map((m) => matchCard(m, side));
}

function matchCard(match, side) {
  const mine = side === "vcfse" ? match.vcfse_accepted : match.supplier_accepted;
  const live = match.status === "proposed";
  const base = `/matches/${match.match_id}`;
  const withEtag = async (path, body) => {
    const { etag } = await call("brokerage", "GET", base);
    return call("brokerage", "POST", path, { body, etag });
  };
  return h(
    "section",
    { class: "card", style: "margin-bottom:1rem", "aria-labelledby": `m-${match.match_id}` },
    h("h3", { id: `m-${match.match_id}` }, `${match.supplier} with ${match.vcfse}: ${match.measure}`),
    summary([
      ["Status", tag(match.status, words(match.status))],
      ["Score", num(match.score)],
      ["Proposed", `${day(match.proposed_on)} by ${match.proposed_by}`],
      ["Supplier accepted", match.supplier_accepted ? "Yes" : "Not yet"],
      ["VCFSE accepted", match.vcfse_accepted ? "Yes" : "Not yet"],
      match.alert_id ? ["Prompted by", "A shortfall alert on the supplier's contract"] : null,
      match.decline_reason ? ["Declined because", match.decline_reason] : null,
    ]),
    h("h4", {}, "Why this match"),
    reasons(match.reasons),
    live && !mine
      ? h(
          "div",
          { class: "button-row" },
          offers("brokerage", "POST", "/matches/{match_id}/acceptance")
            ? actionButton("Accept", () => withEtag(`${base}/acceptance`), "You accepted the match.")
            : unavailable("Accepting", routeName("brokerage", "POST", "/matches/{match_id}/acceptance")),
        )
      : null,
    live && offers("brokerage", "POST", "/matches/{match_id}/decline")
      ? disclosure(
          "Decline this match",
          form({
            label: "Decline the match",
            fields: [field({ name: "reason", label: "Why", type: "textarea", required: true })],
            submitLabel: "Decline",
            kind: "warning",
            onSubmit: async (v) => {
              await withEtag(`${base}/decline`, { reason: v.reason });
              flash("You declined the match.");
              reload();
            },
          }),
        )
      : null,
    deliveries(match, side, withEtag),
  );
}

function deliveries(match, side, withEtag) {
  const base = `/matches/${match.match_id}`;
  const rows = match.deliveries || [];
  const parts = [h("h4", {}, "Deliveries")];
  parts.push(
    table({
      caption: "Support recorded through this match",
      captionHidden: true,
      empty: "No delivery recorded yet.",
      columns: [
        { label: "Delivered", value: (d) => `${day(d.delivered_on)} (${periods.short(d.period)})` },
        { label: "Quantity", value: (d) => qty(d.quantity, d.unit), numeric: true },
        { label: "Note", value: (d) => d.note || "–" },
        { label: "Status", value: (d) => tag(d.status, words(d.status)) },
        {
          label: "Action",
          value: (d) =>
            side === "vcfse" && d.status === "recorded"
              ? h(
                  "div",
                  {},
                  offers("brokerage", "POST", "/matches/{match_id}/deliveries/{delivery_id}/confirmation")
                    ? actionButton("Confirm", () => withEtag(`${base}/deliveries/${d.delivery_id}/confirmation`), "You confirmed the delivery: it now counts as corroborated.")
                    : "–",
                  offers("brokerage", "POST", "/matches/{match_id}/deliveries/{delivery_id}/dispute")
                    ? disclosure(
                        "Dispute",
                        form({
                          label: "Dispute the delivery",
                          fields: [field({ name: "reason", label: "What is wrong with it", type: "textarea", required: true })],
                          submitLabel: "Dispute the delivery",
                          kind: "warning",
                          onSubmit: async (v) => {
                            await withEtag(`${base}/deliveries/${d.delivery_id}/dispute`, { reason: v.reason });
                            flash("You disputed the delivery: it will not count as corroborated.");
                            reload();
                          },
                        }),
                      )
                    : null,
                )
              : d.dispute_reason || "–",
        },
      ],
      rows,
    }),
  );
  if (side === "supplier" && match.status === "accepted" && offers("brokerage", "POST", "/matches/{match_id}/deliveries")) {
    parts.push(
      disclosure(
        "Record support you delivered",
        form({
          label: "Record a delivery",
          fields: [
            field({ name: "quantity", label: `How much, in ${match.unit}`, type: "number", min: 0, step: "any", required: true }),
            field({ name: "delivered_on", label: "Delivered on", type: "date", required: true }),
            field({ name: "note", label: "Note (optional)", type: "textarea", rows: 2 }),
          ],
          submitLabel: "Record the delivery",
          onSubmit: async (v) => {
            const { etag } = await call("brokerage", "GET", base);
            await call("brokerage", "POST", `${base}/deliveries`, { body: { quantity: v.quantity || null, delivered_on: v.delivered_on || null, note: v.note }, etag, idempotent: true });
            flash("Recorded: the VCFSE organisation is asked to confirm it.");
            reload();
          },
        }),
      ),
    );
  }
  return parts;
}

// ---- suppliers -------------------------------------------------------------------------------

async function renderSupplier(view) {
  replace(view, heading("VCFSE partners", "Supplier"));
  add(view, h("p", { class: "lede" }, "Asks from VCFSE organisations that fit what you owe, with the reasons; propose a match, and record the support you deliver so the organisation can confirm it."));
  add(view, h("h2", {}, "Asks that fit what you owe"));
  if (!offers("brokerage", "GET", "/opportunities")) {
    add(view, unavailable("Opportunities", routeName("brokerage", "GET", "/opportunities")));
  } else {
    const found = await get("brokerage", "/opportunities");
    add(view, 
      table({
        caption: "Asks that fit, best first",
        captionHidden: true,
        empty: "No open ask fits your obligations right now.",
        columns: [
          { label: "Ask", value: (o) => `${o.ask.title} (${o.ask.vcfse})` },
          { label: "Needed", value: (o) => `${qty(o.ask.remaining, o.ask.unit)} in ${o.ask.place} by ${day(o.ask.needed_by)}` },
          { label: "Counts towards", value: (o) => o.measure },
          { label: "Score", value: (o) => num(o.score), numeric: true },
          { label: "Why", value: (o) => reasons(o.reasons) },
          {
            label: "Action",
            value: (o) =>
              offers("brokerage", "POST", "/matches")
                ? actionButton("Propose a match", () => call("brokerage", "POST", "/matches", { body: { ask_id: o.ask.ask_id, offer_id: o.offer_id, obligation_id: o.obligation_id }, idempotent: true }), "You proposed a match: the VCFSE organisation is asked to accept it.")
                : "–",
          },
        ],
        rows: found,
      }),
    );
  }
  add(view, h("h2", {}, "Your matches"));
  if (!offers("brokerage", "GET", "/matches")) {
    add(view, unavailable("Matches", routeName("brokerage", "GET", "/matches")));
    return;
  }
  const matches = await get("brokerage", "/matches");
  const own = matches.filter((m) => m.supplier === session()?.organisation);
  add(view, ...[matchesList(own, "supplier")].flat());
}
