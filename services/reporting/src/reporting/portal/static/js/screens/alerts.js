// The alerts inbox, and one alert: acknowledge it, resolve it with the resolution and its text,
// and escalate it where the API allows (otherwise alerts escalate on their own when left
// unacknowledged).

import { call, get, getOrNull, offers, routeName } from "../api.js";
import { hasRole } from "../auth.js";
import * as periods from "../periods.js";
import {
  add, day, field, flash, form, h, heading, link, notice, pct, reload, replace, summary, table, tag, unavailable, values, words,
} from "../ui.js";

const KINDS = [["", "Any kind"], ["under_delivery", "Under delivery"], ["overdue_return", "Overdue return"], ["at_risk", "At risk"], ["pledge_behind", "Pledge behind"]];
const STATUSES = [["unresolved", "Not yet resolved"], ["open", "Open (not acknowledged)"], ["acknowledged", "Acknowledged"], ["resolved", "Resolved"], ["", "All"]];
const SEVERITIES = [["", "Any severity"], ["high", "High"], ["medium", "Medium"], ["low", "Low"]];
const LEVELS = { 1: "Contract manager", 2: "Head of procurement", 3: "Board" };
const RESOLUTIONS = [
  ["recovered", "Recovered: delivery has caught up"],
  ["remediation_plan_agreed", "Remediation plan agreed with the supplier"],
  ["obligation_varied", "Obligation varied by agreement"],
  ["waived", "Waived, with a reason"],
];

function filtersFromHash() {
  const query = new URLSearchParams(window.location.hash.split("?")[1] || "");
  return {
    status: query.has("status") ? query.get("status") : "unresolved",
    kind: query.get("kind") || "",
    severity: query.get("severity") || "",
    min_age_days: query.get("min_age_days") || "",
  };
}

export async function renderInbox(view) {
  replace(view, heading("Alerts inbox", "Accountability"));
  if (!offers("measurement", "GET", "/alerts")) {
    add(view, unavailable("The alerts inbox", routeName("measurement", "GET", "/alerts")));
    return;
  }
  const filters = filtersFromHash();
  const query = { ...filters, limit: 500 };
  if (filters.status === "unresolved") delete query.status;
  const [found, contracts] = await Promise.all([
    get("measurement", "/alerts", query),
    offers("commitments", "GET", "/contracts") ? get("commitments", "/contracts", { limit: 500 }) : [],
  ]);
  const alerts = filters.status === "unresolved" ? found.filter((a) => a.status !== "resolved") : found;
  const refs = new Map(contracts.map((c) => [c.contract_id, c]));
  add(view, 
    h(
      "p",
      { class: "lede" },
      hasRole("buyer")
        ? "Alerts stay open until you acknowledge them and record how they were resolved. An alert left unacknowledged escalates: to the head of procurement, then to the board."
        : "Alerts on the contracts you deliver. The contract manager acknowledges and resolves them; you recover by delivering and reporting it in your next return.",
    ),
    filterForm(filters),
    table({
      caption: `${alerts.length} alert${alerts.length === 1 ? "" : "s"}, oldest first`,
      empty: "No alerts match these filters.",
      columns: [
        { label: "Alert", value: (a) => link(`#/alerts/${a.alert_id}`, `${words(a.kind)}: ${a.measure || "return"}, ${periods.short(a.period)}`) },
        { label: "Contract", value: (a) => (refs.get(a.contract_id) ? link(`#/contracts/${a.contract_id}`, refs.get(a.contract_id).reference) : a.supplier) },
        { label: "Supplier", value: (a) => a.supplier },
        { label: "Severity", value: (a) => tag(a.severity, words(a.severity)) },
        { label: "Age", value: (a) => `${a.age_days} days`, numeric: true },
        { label: "With", value: (a) => LEVELS[a.level] || `Level ${a.level}` },
        { label: "Status", value: (a) => tag(a.status, words(a.status)) },
      ],
      rows: alerts,
    }),
  );
}

function filterForm(current) {
  const el = h(
    "form",
    { "aria-label": "Filter alerts", class: "card", style: "margin-bottom:1.5rem" },
    h(
      "div",
      { class: "inline-fields" },
      field({ name: "status", label: "Status", type: "select", options: STATUSES, value: current.status }),
      field({ name: "kind", label: "Kind", type: "select", options: KINDS, value: current.kind }),
      field({ name: "severity", label: "Severity", type: "select", options: SEVERITIES, value: current.severity }),
      field({ name: "min_age_days", label: "Raised at least this many days ago", type: "number", min: 0, value: current.min_age_days }),
    ),
    h("button", { type: "submit", class: "button button--secondary" }, "Filter"),
  );
  el.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = values(el);
    const query = new URLSearchParams(Object.entries(chosen).filter(([k, v]) => v !== "" || k === "status"));
    window.location.hash = `#/alerts?${query.toString()}`;
  });
  return el;
}

export async function renderAlert(view, { id }) {
  const { data: alert, etag } = await call("measurement", "GET", `/alerts/${id}`);
  const contract = alert.contract_id && offers("commitments", "GET", "/contracts/{contract_id}")
    ? await getOrNull("commitments", `/contracts/${alert.contract_id}`).catch(() => null)
    : null;
  const isBuyer = hasRole("buyer");
  replace(
    view,
    h("p", { class: "breadcrumbs" }, link("#/alerts", "Alerts inbox"), contract ? [" · ", link(`#/contracts/${contract.contract_id}`, `Contract ${contract.reference}`)] : null),
    heading(`${words(alert.kind)}: ${alert.measure || "return"}, ${periods.label(alert.period)}`, "Alert"),
    summary([
      ["Status", tag(alert.status, words(alert.status))],
      ["Severity", tag(alert.severity, words(alert.severity))],
      ["Contract", contract ? `${contract.reference}: ${contract.title}` : alert.contract_id || "–"],
      ["Supplier", alert.supplier],
      ["Raised", day(alert.raised_on)],
      ["Delivered ÷ due when raised", pct(alert.ratio)],
      ["Now with", `${LEVELS[alert.level] || alert.escalated_to} (level ${alert.level} of 3)`],
    ]),
    alert.detail ? h("p", { class: "quote" }, alert.detail) : null,
    alert.acknowledged ? notice("info", "Acknowledged", `By ${alert.acknowledged.by || "the contract manager"} on ${day(alert.acknowledged.acknowledged_on || alert.acknowledged.on)}.`, alert.acknowledged.note || "") : null,
    alert.resolution ? notice("success", `Resolved: ${words(alert.resolution.resolution)}`, alert.resolution.plan || alert.resolution.reason || "", alert.resolution.agreed_on ? `Agreed on ${day(alert.resolution.agreed_on)}.` : "") : null,
  );
  if (isBuyer && alert.status !== "resolved") add(view, actions(alert, etag));
  else if (!isBuyer && alert.status !== "resolved") {
    add(view, notice("info", "What happens next", "The contract manager acknowledges this alert and records how it is resolved. Recovering the shortfall in your next return, or agreeing a remediation plan, resolves it."));
  }
  add(view, h("h2", { id: "escalations" }, "Escalations"), escalationsOf(alert));
  add(view, h("h2", {}, "History"), historyOf(alert.history || []));
}

const ESCALATE = ["POST", "/alerts/{alert_id}/escalation"];

/** Escalating by hand: the next level, and why, in words the next level will read. */
function escalation(alert, etag) {
  if (alert.level >= 3) {
    return h("p", {}, "This alert is already with the board, the top level: it cannot be escalated further.");
  }
  if (!offers("measurement", ...ESCALATE)) {
    return h(
      "div",
      {},
      h("p", {}, "An alert that stays unacknowledged escalates on its own: to the head of procurement, then to the board."),
      unavailable("Escalating by hand", routeName("measurement", ...ESCALATE)),
    );
  }
  const next = LEVELS[alert.level + 1];
  return h(
    "div",
    {},
    h(
      "p",
      {},
      `Escalating sends the alert to the ${next.toLowerCase()} now, whether or not it is acknowledged. ` +
        (alert.status === "open" ? "Left unacknowledged, it escalates on its own as well." : "Acknowledged alerts escalate only by hand."),
    ),
    form({
      label: "Escalate the alert",
      fields: [
        field({
          name: "reason",
          label: "Why it needs escalating",
          type: "textarea",
          required: true,
          hint: `What the ${next.toLowerCase()} needs to know and decide; it is kept in the alert's history`,
        }),
      ],
      submitLabel: `Escalate to ${next}`,
      kind: "warning",
      onSubmit: async (v) => {
        await call("measurement", "POST", `/alerts/${alert.alert_id}/escalation`, { body: { reason: v.reason }, etag });
        flash(`Alert escalated to the ${next.toLowerCase()}.`);
        reload();
      },
    }),
  );
}

/** Each move up a level: by hand with its reason, or automatic when nobody acknowledged it. */
function escalationsOf(alert) {
  const moves = alert.escalations || (alert.history || []).filter((e) => e.type === "AlertEscalated");
  return table({
    caption: "Escalations of this alert, oldest first",
    captionHidden: true,
    empty: `Not escalated: it is with the ${(LEVELS[alert.level] || "contract manager").toLowerCase()}, where every alert starts.`,
    columns: [
      { label: "Escalated on", value: (e) => day(e.escalated_on) },
      { label: "From", value: (e) => LEVELS[e.from_level] || `Level ${e.from_level}` },
      { label: "To", value: (e) => LEVELS[e.level] || words(e.escalated_to) },
      { label: "By", value: (e) => (e.automatic || e.by === "automatic" || !e.by ? "Automatically" : e.by) },
      { label: "Why", value: (e) => e.reason || (e.automatic ? "Not acknowledged in time" : "–") },
    ],
    rows: moves,
  });
}

function actions(alert, etag) {
  const path = `/alerts/${alert.alert_id}`;
  const section = h("section", { "aria-labelledby": "act-heading" }, h("h2", { id: "act-heading" }, "Act on this alert"));
  if (alert.status === "open") {
    add(section, 
      h("h3", {}, "Acknowledge"),
      h("p", {}, "Acknowledging says you have taken the alert on; it stops it escalating."),
      form({
        label: "Acknowledge the alert",
        fields: [field({ name: "note", label: "Note (optional)", type: "textarea", hint: "What you will do, or have asked the supplier to do" })],
        submitLabel: "Acknowledge",
        onSubmit: async (v) => {
          await call("measurement", "POST", `${path}/acknowledgement`, { body: { note: v.note }, etag });
          flash("Alert acknowledged: it will not escalate further.");
          reload();
        },
      }),
    );
  }
  if (alert.status === "acknowledged" && offers("measurement", "POST", "/alerts/{alert_id}/resolution")) {
    add(section, 
      h("h3", {}, "Resolve"),
      form({
        label: "Resolve the alert",
        fields: [
          field({ name: "resolution", label: "How was it resolved?", type: "select", options: RESOLUTIONS }),
          field({ name: "plan", label: "Remediation plan", type: "textarea", hint: "Needed for an agreed remediation plan: what the supplier will deliver, by when" }),
          field({ name: "agreed_on", label: "Plan agreed on", type: "date", hint: "Needed for an agreed remediation plan" }),
          field({ name: "reason", label: "Reason", type: "textarea", hint: "Needed for a waiver; say why the shortfall is accepted" }),
        ],
        submitLabel: "Resolve",
        onSubmit: async (v) => {
          const body = { resolution: v.resolution };
          if (v.plan) body.plan = v.plan;
          if (v.agreed_on) body.agreed_on = v.agreed_on;
          if (v.reason) body.reason = v.reason;
          await call("measurement", "POST", `${path}/resolution`, { body, etag });
          flash(`Alert resolved: ${words(v.resolution)}.`);
          reload();
        },
      }),
    );
  } else if (alert.status === "open") {
    add(section, h("p", { class: "muted" }, "Once acknowledged, you can record how the alert was resolved."));
  }
  add(section, h("h3", {}, "Escalate"), escalation(alert, etag));
  return section;
}

function historyOf(history) {
  if (!history.length) return h("p", { class: "muted" }, "No history recorded.");
  return h(
    "ol",
    { class: "history" },
    history.map((event) => {
      const kind = String(event.type || event.event || "event").replace(/^Alert/, "").replace(/([a-z])([A-Z])/g, "$1 $2");
      const when = Object.entries(event).find(([k, v]) => (k.endsWith("_on") || k === "at") && typeof v === "string");
      const said = event.note || event.plan || event.reason || event.detail || "";
      return h(
        "li",
        {},
        h("strong", {}, words(kind.toLowerCase())),
        when ? ` on ${day(when[1])}` : "",
        event.by ? ` by ${event.by}` : "",
        event.level ? ` (level ${event.level})` : "",
        said ? h("p", { class: "quote" }, said) : null,
      );
    }),
  );
}
