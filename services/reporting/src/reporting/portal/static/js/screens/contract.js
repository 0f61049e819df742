// One contract: its obligations with quarterly target-and-delivered charts, the returns with their
// narratives, case studies and evidence, its alerts, its variations, the Procurement Act KPI
// rating and its exports. Contract managers accept or query returns and vary obligations here.

import { call, download, get, getOrNull, offers, pool, routeName } from "../api.js";
import { exportButtons } from "./dashboard.js";
import { hasRole, session } from "../auth.js";
import { bars, chart, COLOURS } from "../charts.js";
import { measureGuidance } from "../guidance.js";
import * as periods from "../periods.js";
import {
  add, button, day, disclosure, field, flash, form, h, heading, link, money, notice, pct, problemNotice, qty, reload, replace, summary, table, tag, unavailable, words,
} from "../ui.js";

export async function render(view, { id }) {
  const { data: contract, etag } = await call("commitments", "GET", `/contracts/${id}`);
  const [progress, schedule, alerts] = await Promise.all([
    offers("reporting", "GET", "/contracts/{contract_id}/progress") ? getOrNull("reporting", `/contracts/${id}/progress`) : null,
    offers("measurement", "GET", "/contracts/{contract_id}/schedule") ? getOrNull("measurement", `/contracts/${id}/schedule`) : null,
    offers("measurement", "GET", "/alerts") ? get("measurement", "/alerts", { contract_id: id, limit: 500 }) : null,
  ]);
  const historyOffered = offers("measurement", "GET", "/contracts/{contract_id}/obligations/{obligation_id}/progress");
  const histories = historyOffered && schedule
    ? await pool(contract.obligations, 4, (ob) => getOrNull("measurement", `/contracts/${id}/obligations/${ob.obligation_id}/progress`))
    : [];
  const submitted = (schedule?.periods || []).filter((p) => p.return_version !== null);
  const returns = offers("measurement", "GET", "/contracts/{contract_id}/returns/{period}")
    ? await pool(submitted, 4, async (p) => {
        const found = await call("measurement", "GET", `/contracts/${id}/returns/${p.period}`);
        return { ...found.data, etag: found.etag };
      })
    : [];

  const reported = new Map((progress?.obligations || []).map((o) => [o.obligation_id, o]));
  const isBuyer = hasRole("buyer") && contract.buyer === sessionOrganisation();
  const isSupplier = hasRole("supplier") && contract.supplier === sessionOrganisation();

  replace(
    view,
    h("p", { class: "breadcrumbs" }, link(isSupplier ? "#/returns" : "#/dashboard", isSupplier ? "Returns" : "Portfolio dashboard")),
    heading(contract.title, `Contract ${contract.reference}`),
    summary([
      ["Supplier", contract.supplier],
      ["Buyer", contract.buyer],
      ["Status", tag(contract.status, words(contract.status))],
      ["Runs", `${day(contract.starts_on)} to ${day(contract.ends_on)}`],
      ["Value", money(contract.value_gbp)],
      ["Returns due", `${contract.return_due_days} days after each quarter ends`],
      ["Framework", contract.framework_version],
    ]),
    contract.warnings?.length
      ? notice("info", "Rules of good practice this contract bends", h("ul", {}, contract.warnings.map((w) => h("li", {}, w.message))))
      : null,
    isSupplier ? h("p", {}, link(`#/returns/${id}`, "Submit or amend a return for this contract", { class: "button" })) : null,
    contents(),
  );

  add(view, h("h2", { id: "obligations" }, "Obligations: committed against delivered"));
  if (!progress) {
    add(view, 
      offers("reporting", "GET", "/contracts/{contract_id}/progress")
        ? notice("info", "Figures are on their way", "The reporting service has not yet recorded this contract's figures; they appear within moments of the contract's events. Reload to check.")
        : unavailable("Committed against delivered", routeName("reporting", "GET", "/contracts/{contract_id}/progress")),
    );
  }
  add(view, obligationsTable(contract, reported));
  contract.obligations.forEach((ob, i) => add(view, obligationCard(contract, ob, reported.get(ob.obligation_id), histories[i], historyOffered)));

  add(view, h("h2", { id: "alerts" }, "Alerts"));
  add(view, alerts === null ? unavailable("Alerts", routeName("measurement", "GET", "/alerts")) : alertsTable(alerts));

  add(view, h("h2", { id: "returns" }, "Returns"));
  add(view, schedule === null ? notice("info", "No return schedule yet", "The measurement service has not yet opened this contract's return schedule.") : returnsSection(contract, schedule, returns, isBuyer));

  add(view, h("h3", { id: "corroborations" }, "Evidence confirmed by VCFSE partners"));
  add(view, await corroborationsSection(contract));

  add(view, h("h2", { id: "variations" }, "Variations"));
  add(view, variationsSection(contract, etag, isBuyer));

  add(view, h("h2", { id: "kpi" }, "Procurement Act KPI rating"));
  add(view, await kpiSection(contract));

  add(view, h("h2", { id: "exports" }, "Exports"));
  add(view, exportsSection(contract));
}

function sessionOrganisation() {
  return session()?.organisation || null;
}

function contents() {
  const items = [
    ["obligations", "Obligations"],
    ["alerts", "Alerts"],
    ["returns", "Returns"],
    ["variations", "Variations"],
    ["kpi", "KPI rating"],
    ["exports", "Exports"],
  ];
  return h(
    "nav",
    { "aria-label": "On this page" },
    h("h2", { class: "visually-hidden" }, "On this page"),
    h(
      "ul",
      {},
      items.map(([target, text]) =>
        h("li", {}, h("a", { href: `#${target}`, onclick: (event) => { event.preventDefault(); const el = document.getElementById(target); el.setAttribute("tabindex", "-1"); el.focus(); } }, text)),
      ),
    ),
  );
}

function obligationsTable(contract, reported) {
  return table({
    caption: "Each obligation, committed against delivered",
    columns: [
      { label: "Measure", value: (ob) => `${ob.measure}: ${ob.description || ob.outcome}` },
      { label: "Theme", value: (ob) => ob.theme },
      { label: "Committed over the contract", value: (ob) => qty(ob.total, ob.unit), numeric: true },
      { label: "Committed to date", value: (ob) => qty(reported.get(ob.obligation_id)?.committed_to_date, ob.unit), numeric: true },
      { label: "Delivered to date", value: (ob) => qty(reported.get(ob.obligation_id)?.delivered_to_date, ob.unit), numeric: true },
      { label: "Delivered ÷ committed", value: (ob) => pct(reported.get(ob.obligation_id)?.ratio), numeric: true },
      { label: "Status", value: (ob) => tag(reported.get(ob.obligation_id)?.status) },
      { label: "KPI", value: (ob) => (ob.is_kpi ? "Yes" : "No") },
    ],
    rows: contract.obligations,
  });
}

function obligationCard(contract, ob, reported, history, historyOffered) {
  const delivered = new Map((history?.assessments || []).map((a) => [a.period, a]));
  const quarters = periods.union(ob.targets, Object.fromEntries(delivered));
  const spec = bars({
    categories: quarters.map(periods.short),
    series: [
      { name: "Target", values: quarters.map((q) => Number(ob.targets[q] ?? delivered.get(q)?.target ?? 0)), colour: COLOURS.committed },
      { name: "Delivered", values: quarters.map((q) => (delivered.has(q) ? Number(delivered.get(q).delivered) : null)), colour: COLOURS.delivered },
    ],
    yTitle: ob.unit,
  });
  const assessed = quarters.filter((q) => delivered.has(q));
  const chartSummary = assessed.length
    ? `${ob.measure}, quarter by quarter: ${assessed.map((q) => `${periods.short(q)} target ${qty(ob.targets[q] ?? delivered.get(q).target, ob.unit)}, delivered ${qty(delivered.get(q).delivered, ob.unit)}`).join("; ")}.`
    : `${ob.measure}: quarterly targets of ${quarters.length} quarters; nothing delivered has been assessed yet.`;
  return h(
    "section",
    { class: "card", style: "margin-bottom:1.5rem", "aria-labelledby": `ob-${ob.obligation_id}` },
    h("h3", { id: `ob-${ob.obligation_id}` }, `${ob.measure}: ${ob.description || ob.outcome}`),
    summary([
      ["Theme and outcome", `${ob.theme}: ${ob.outcome}`],
      ["Status", h("span", {}, tag(reported?.status), reported?.last_period_assessed ? ` as of ${periods.label(reported.last_period_assessed)}` : "")],
      ["Committed over the contract", qty(ob.total, ob.unit)],
      ["Delivered to date", reported ? `${qty(reported.delivered_to_date, ob.unit)} of ${qty(reported.committed_to_date, ob.unit)} due (${pct(reported.ratio)})` : "–"],
      ob.place ? ["Place", ob.place] : null,
      ob.vcfse_partner ? ["VCFSE partner", ob.vcfse_partner] : null,
      ob.proxy_value_gbp_per_unit ? ["Proxy value", `${money(ob.proxy_value_gbp_per_unit)} per ${ob.unit}`] : null,
    ]),
    historyOffered
      ? chart({
          title: `${ob.measure}: target and delivered by quarter`,
          summary: chartSummary,
          ...spec,
          height: 280,
          tableColumns: [
            { label: "Quarter", value: (q) => periods.label(q) },
            { label: "Target", value: (q) => qty(ob.targets[q] ?? delivered.get(q)?.target, ob.unit), numeric: true },
            { label: "Delivered", value: (q) => qty(delivered.get(q)?.delivered, ob.unit), numeric: true },
            { label: "Cumulative delivered ÷ due", value: (q) => pct(delivered.get(q)?.ratio), numeric: true },
            { label: "Status", value: (q) => (delivered.has(q) ? tag(delivered.get(q).status) : "–") },
          ],
          tableRows: quarters,
        })
      : unavailable("The quarterly chart", routeName("measurement", "GET", "/contracts/{contract_id}/obligations/{obligation_id}/progress")),
    measureGuidance({ code: ob.measure, theme: ob.theme, unit: ob.unit, wording: ob.outcome }),
  );
}

function alertsTable(alerts) {
  return table({
    caption: "Alerts on this contract",
    captionHidden: true,
    empty: "No alerts have been raised on this contract.",
    columns: [
      { label: "Alert", value: (a) => link(`#/alerts/${a.alert_id}`, `${words(a.kind)}: ${a.measure || "return"}, ${periods.label(a.period)}`) },
      { label: "Severity", value: (a) => tag(a.severity, words(a.severity)) },
      { label: "Raised", value: (a) => `${day(a.raised_on)} (${a.age_days} days ago)` },
      { label: "Delivered ÷ due", value: (a) => pct(a.ratio), numeric: true },
      { label: "Status", value: (a) => tag(a.status, words(a.status)) },
    ],
    rows: alerts,
  });
}

function returnsSection(contract, schedule, returns, isBuyer) {
  const byPeriod = new Map(returns.map((r) => [r.period, r]));
  const obligations = new Map(contract.obligations.map((ob) => [ob.obligation_id, ob]));
  return h(
    "div",
    {},
    table({
      caption: "Reporting periods",
      captionHidden: true,
      columns: [
        { label: "Quarter", value: (p) => periods.label(p.period) },
        { label: "Due", value: (p) => day(p.due_on) },
        { label: "Status", value: (p) => tag(p.status, words(p.status)) },
        { label: "Version", value: (p) => (p.return_version === null ? "–" : String(p.return_version)), numeric: true },
      ],
      rows: schedule.periods,
    }),
    ...schedule.periods
      .filter((p) => byPeriod.has(p.period))
      .map((p) => returnDetails(contract, byPeriod.get(p.period), obligations, isBuyer)),
  );
}

function returnDetails(contract, ret, obligations, isBuyer) {
  const status = h("div");
  const canReview = isBuyer && ["submitted", "late"].includes(ret.status);
  const path = `/contracts/${contract.contract_id}/returns/${ret.period}`;
  return h(
    "section",
    { class: "card", style: "margin-bottom:1rem", "aria-labelledby": `ret-${ret.period}` },
    h("h3", { id: `ret-${ret.period}` }, `Return for ${periods.label(ret.period)}`),
    summary([
      ["Status", tag(ret.status, words(ret.status))],
      ["Submitted", `${day(ret.submitted_on)}${ret.late ? " (late)" : ""}`],
      ["Version", String(ret.version)],
    ]),
    ret.narrative ? [h("h4", {}, "The supplier's narrative"), h("p", { class: "quote" }, ret.narrative)] : null,
    table({
      caption: `Lines of the ${periods.short(ret.period)} return`,
      columns: [
        { label: "Measure", value: (l) => obligations.get(l.obligation_id)?.measure || l.obligation_id },
        { label: "Delivered in the quarter", value: (l) => qty(l.quantity, obligations.get(l.obligation_id)?.unit), numeric: true },
        { label: "What happened", value: (l) => lineStory(l) },
        { label: "Evidence", value: (l) => (l.evidence?.length ? h("ul", {}, l.evidence.map((e) => h("li", {}, e))) : "None given") },
        { label: "Confirmed by VCFSE partners", value: (l) => corroborationOf(l, obligations.get(l.obligation_id)?.unit) },
      ],
      rows: ret.lines,
    }),
    ret.history?.length ? disclosure("History of this return", historyList(ret.history)) : null,
    canReview
      ? h(
          "div",
          {},
          status,
          h(
            "div",
            { class: "button-row" },
            button("Accept this return", async (event) => {
              event.target.disabled = true;
              try {
                await call("measurement", "POST", `${path}/acceptance`, { etag: ret.etag });
                flash(`The return for ${periods.label(ret.period)} was accepted.`);
                reload();
              } catch (error) {
                event.target.disabled = false;
                replace(status, problemNotice(error));
              }
            }),
          ),
          disclosure(
            "Query this return",
            form({
              label: `Query the ${periods.short(ret.period)} return`,
              fields: [field({ name: "comment", label: "What do you want the supplier to explain or correct?", type: "textarea", required: true })],
              submitLabel: "Send the query",
              kind: "secondary",
              onSubmit: async (values) => {
                await call("measurement", "POST", `${path}/queries`, { body: { comment: values.comment }, etag: ret.etag });
                flash(`Your query was sent: the supplier answers by amending the return.`);
                reload();
              },
            }),
          ),
        )
      : null,
  );
}

/** A return line's corroborated evidence: what each VCFSE partner confirmed it received. */
function corroborationOf(line, unit) {
  const found = line.corroborations || [];
  if (!found.length) return "None confirmed";
  return h(
    "div",
    {},
    h("span", { class: "corroborated" }, `${qty(line.corroborated_quantity, unit || found[0].unit)} confirmed`),
    h(
      "ul",
      { class: "reasons" },
      found.map((c) => h("li", {}, `${qty(c.quantity, c.unit)} delivered ${day(c.delivered_on)}: confirmed by ${c.partner}${c.confirmed_by && c.confirmed_by !== c.partner ? ` (through ${c.confirmed_by})` : ""} on ${day(c.confirmed_on)}`)),
    ),
  );
}

/** Every delivery VCFSE partners confirmed on the contract, by obligation and quarter. */
async function corroborationsSection(contract) {
  const route = ["GET", "/contracts/{contract_id}/corroborations"];
  if (!offers("measurement", ...route)) return unavailable("Evidence confirmed by VCFSE partners", routeName("measurement", ...route));
  let groups;
  try {
    groups = (await getOrNull("measurement", `/contracts/${contract.contract_id}/corroborations`)) || [];
  } catch (error) {
    return problemNotice(error);
  }
  const rows = groups.flatMap((g) => g.corroborations.map((c) => ({ ...c, measure: g.measure, period: g.period })));
  return h(
    "div",
    {},
    h("p", {}, "Support the supplier delivered through the brokerage that the VCFSE organisation confirmed it received: evidence that corroborates the return for that obligation and quarter. Disputed or unconfirmed deliveries never appear."),
    table({
      caption: "Deliveries confirmed by VCFSE partners",
      captionHidden: true,
      empty: "No VCFSE partner has confirmed a delivery on this contract yet.",
      columns: [
        { label: "Quarter", value: (c) => periods.label(c.period) },
        { label: "Measure", value: (c) => c.measure },
        { label: "Partner", value: (c) => c.partner },
        { label: "Delivered", value: (c) => `${qty(c.quantity, c.unit)} on ${day(c.delivered_on)}`, numeric: true },
        { label: "Confirmed", value: (c) => `By ${c.confirmed_by} on ${day(c.confirmed_on)}` },
      ],
      rows,
    }),
  );
}

function lineStory(line) {
  const parts = [];
  if (line.narrative) parts.push(h("p", {}, line.narrative));
  if (line.case_study) parts.push(disclosure("Case study", h("p", { class: "quote" }, line.case_study)));
  if (line.beneficiaries !== null && line.beneficiaries !== undefined) parts.push(h("p", {}, `Beneficiaries: ${line.beneficiaries}`));
  if (line.places?.length) parts.push(h("p", {}, `Places: ${line.places.join(", ")}`));
  return parts.length ? h("div", {}, parts) : "–";
}

export function historyList(history) {
  return h(
    "ol",
    { class: "history" },
    history.map((event) => {
      const when = Object.entries(event).find(([k, v]) => k.endsWith("_on") && typeof v === "string");
      const said = event.comment || event.reason || event.note || event.plan || "";
      return h(
        "li",
        {},
        h("strong", {}, words(String(event.type || event.event || "event").replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase())),
        when ? ` on ${day(when[1])}` : "",
        event.by ? ` by ${event.by}` : "",
        said ? h("p", { class: "quote" }, said) : null,
      );
    }),
  );
}

function variationsSection(contract, etag, isBuyer) {
  const made = contract.obligations.flatMap((ob) => (ob.variations || []).map((v) => ({ ob, v })));
  const canVary = isBuyer && contract.status === "active" && offers("commitments", "POST", "/contracts/{contract_id}/obligations/{obligation_id}/variations");
  return h(
    "div",
    {},
    table({
      caption: "Variations agreed",
      captionHidden: true,
      empty: "No obligation has been varied.",
      columns: [
        { label: "Measure", value: ({ ob }) => ob.measure },
        { label: "Agreed", value: ({ v }) => day(v.agreed_on) },
        { label: "Reason", value: ({ v }) => v.reason },
        { label: "Total before", value: ({ ob, v }) => qty(sum(v.previous_targets), ob.unit), numeric: true },
        { label: "Total after", value: ({ ob, v }) => qty(sum(v.targets), ob.unit), numeric: true },
      ],
      rows: made,
    }),
    canVary ? disclosure("Vary an obligation's targets", variationForm(contract, etag)) : null,
  );
}

function sum(targets) {
  return Object.values(targets || {}).reduce((a, b) => a + Number(b), 0);
}

function variationForm(contract, etag) {
  const holder = h("div");
  const pick = field({
    name: "obligation",
    label: "Obligation",
    type: "select",
    options: contract.obligations.map((ob) => [ob.obligation_id, `${ob.measure}: ${ob.description || ob.outcome}`]),
  });
  const draw = () => {
    const ob = contract.obligations.find((o) => o.obligation_id === pick.querySelector("select").value) || contract.obligations[0];
    replace(
      holder,
      h(
        "fieldset",
        { class: "group" },
        h("legend", {}, `New quarterly targets for ${ob.measure}, in ${ob.unit}`),
        h("div", { class: "inline-fields" }, Object.entries(ob.targets).map(([period, value]) =>
          field({ name: `targets.${period}`, label: periods.label(period), type: "number", min: 0, step: "any", value, inputmode: "decimal" }),
        )),
      ),
    );
  };
  pick.querySelector("select").addEventListener("change", draw);
  draw();
  return form({
    label: "Vary an obligation",
    fields: [
      pick,
      holder,
      field({ name: "reason", label: "Why the targets change", type: "textarea", required: true }),
      field({ name: "agreed_on", label: "Agreed with the supplier on", type: "date", required: true }),
    ],
    submitLabel: "Record the variation",
    onSubmit: async (values) => {
      const targets = {};
      for (const [key, value] of Object.entries(values)) if (key.startsWith("targets.")) targets[key.slice(8)] = value;
      await call("commitments", "POST", `/contracts/${contract.contract_id}/obligations/${values.obligation}/variations`, {
        body: { targets, reason: values.reason, agreed_on: values.agreed_on || null },
        etag,
      });
      flash("The variation was recorded; the return schedule follows it.");
      reload();
    },
  });
}

async function kpiSection(contract) {
  if (!offers("reporting", "GET", "/contracts/{contract_id}/kpi-rating")) {
    return unavailable("The Procurement Act KPI rating", routeName("reporting", "GET", "/contracts/{contract_id}/kpi-rating"));
  }
  let rating;
  try {
    rating = await getOrNull("reporting", `/contracts/${contract.contract_id}/kpi-rating`);
  } catch (error) {
    return problemNotice(error);
  }
  if (rating === null) return notice("info", "No rating yet", "The reporting service has not rated this contract yet.");
  const verdict = (v) => h("p", {}, h("strong", {}, `${words(v.basis)}-based: ${v.rating}`), v.score === null ? "" : ` (${pct(v.score)} ${v.measured_in === "share of KPIs" ? "of KPIs on track" : `in ${v.measured_in}`})`, `. ${v.explanation}`);
  return h(
    "div",
    {},
    h("p", { class: "rating" }, `Rating: ${rating.rating}`),
    summary([
      ["Basis for the performance notice", `${words(rating.basis)}-based`],
      ["Period assessed", rating.period_start ? `${day(rating.period_start)} to ${day(rating.period_end)}` : "Nothing assessed yet"],
      ["Performance notice", rating.notice_required ? "Required: the contract is worth over £5m" : "Not required (the contract is worth £5m or less)"],
    ]),
    verdict(rating.target_based),
    verdict(rating.value_based),
    rating.warnings?.length ? notice("info", "Points to note", h("ul", {}, rating.warnings.map((w) => h("li", {}, w)))) : null,
    table({
      caption: "The KPIs over the period assessed",
      empty: "No obligation of this contract is marked as a KPI.",
      columns: [
        { label: "KPI", value: (k) => `${k.measure}: ${k.description}` },
        { label: "Target", value: (k) => qty(k.target, k.unit), numeric: true },
        { label: "Delivered", value: (k) => qty(k.delivered, k.unit), numeric: true },
        { label: "Delivered ÷ target", value: (k) => pct(k.ratio), numeric: true },
        { label: "Rating", value: (k) => k.rating },
      ],
      rows: rating.kpis,
    }),
  );
}

function exportsSection(contract) {
  const status = h("div");
  const id = contract.contract_id;
  const items = [];
  if (offers("reporting", "GET", "/contracts/{contract_id}/kpi-rating")) {
    items.push(exportButtons("KPI rating", `/contracts/${id}/kpi-rating`, `${contract.reference}-kpi-rating`, status));
  }
  const json = (label, route, path, name) =>
    offers("reporting", "GET", route)
      ? h(
          "li",
          {},
          h("span", { class: "export-label" }, `${label} `),
          button("JSON", async () => {
            replace(status);
            try {
              await download("reporting", path, name);
            } catch (error) {
              replace(status, problemNotice(error));
            }
          }, { kind: "secondary", class: "button button--secondary button--small", "aria-label": `${label}: download as JSON` }),
        )
      : null;
  items.push(
    json("Contract performance notice data", "/contracts/{contract_id}/performance-notice", `/contracts/${id}/performance-notice`, `${contract.reference}-performance-notice.json`),
    json("OCDS release package", "/contracts/{contract_id}/ocds", `/contracts/${id}/ocds`, `${contract.reference}-ocds.json`),
  );
  if (offers("reporting", "GET", "/stories")) {
    items.push(exportButtons("Stories and case studies", `/stories?contract_id=${id}`, `${contract.reference}-stories`, status));
  }
  if (!items.filter(Boolean).length) {
    return unavailable("OCDS and spreadsheet exports", routeName("reporting", "GET", "/contracts/{contract_id}/ocds"));
  }
  return h("div", {}, h("ul", { class: "exports" }, items), status);
}
