// The tender flow: draft and publish a tender, close it, read the bids, score them (with the 60:40
// rule beside the form) and award the contract.

import { call, get, offers, pool, routeName } from "../api.js";
import { session } from "../auth.js";
import { evaluationGuidance } from "../guidance.js";
import {
  add, button, day, disclosure, field, flash, form, go, h, heading, link, money, notice, num, pct, problemNotice, qty, reload, replace, summary, table, tag, unavailable, words,
} from "../ui.js";

function split(text) {
  return (text || "").split(",").map((x) => x.trim()).filter(Boolean);
}

export async function renderList(view) {
  replace(view, heading("Tenders", "Contract management"));
  if (!offers("commitments", "GET", "/tenders")) {
    add(view, unavailable("Tenders", routeName("commitments", "GET", "/tenders")));
    return;
  }
  const mine = session()?.organisation;
  const tenders = await get("commitments", "/tenders", { buyer: mine, limit: 500 });
  add(view, 
    h("p", { class: "lede" }, "Draft a tender with its social value requirements, publish it, read and score the bids once it closes, and award the contract: the winning bid's commitments become the contract's obligations."),
    offers("commitments", "POST", "/tenders") ? h("p", {}, link("#/tenders/new", "Draft a new tender", { class: "button" })) : unavailable("Drafting tenders", routeName("commitments", "POST", "/tenders")),
    table({
      caption: "Your tenders",
      captionHidden: true,
      empty: "You have no tenders yet.",
      columns: [
        { label: "Tender", value: (t) => link(`#/tenders/${t.tender_id}`, t.title) },
        { label: "Status", value: (t) => tag(t.status, words(t.status)) },
        { label: "Estimated value", value: (t) => money(t.estimated_value_gbp), numeric: true },
        { label: "Bids close", value: (t) => day(t.closes_on) },
        { label: "Relevant to VCFSE bidders", value: (t) => (t.vcfse_relevant ? "Yes" : "No") },
      ],
      rows: tenders,
    }),
  );
}

export async function renderNew(view) {
  replace(view, h("p", { class: "breadcrumbs" }, link("#/tenders", "Tenders")), heading("Draft a tender", "Contract management"));
  if (!offers("commitments", "POST", "/tenders")) {
    add(view, unavailable("Drafting tenders", routeName("commitments", "POST", "/tenders")));
    return;
  }
  const draft = form({
    label: "Draft a tender",
    fields: [
      field({ name: "title", label: "Title", required: true }),
      field({ name: "description", label: "What is being bought", type: "textarea" }),
      field({ name: "estimated_value_gbp", label: "Estimated value (£)", type: "number", min: 0, step: "any", required: true }),
      h(
        "div",
        { class: "inline-fields" },
        field({ name: "contract_starts_on", label: "Contract starts on", type: "date", required: true }),
        field({ name: "contract_ends_on", label: "Contract ends on", type: "date", required: true }),
        field({ name: "closes_on", label: "Bids close on", type: "date", required: true, hint: "At least six weeks away if VCFSE organisations may bid" }),
      ),
      h(
        "fieldset",
        { class: "group" },
        h("legend", {}, "How social value is scored"),
        field({ name: "social_value_weighting", label: "Social value's share of the total award score (%)", type: "number", min: 0, max: 100, step: "any", value: "10", hint: "At least 10%" }),
        h(
          "div",
          { class: "inline-fields" },
          field({ name: "qualitative_weight", label: "Qualitative share of the social value score (%)", type: "number", min: 0, max: 100, step: "any", value: "60" }),
          field({ name: "quantitative_weight", label: "Quantitative share (%)", type: "number", min: 0, max: 100, step: "any", value: "40" }),
        ),
      ),
      field({ name: "relevant_measures", label: "Relevant measures (optional)", hint: "TOMs codes separated by commas, for example NT1, NT10, NT14; leave empty only if your organisation has recorded a social value policy with priority measures" }),
      field({ name: "places", label: "Places served (optional)", hint: "Separated by commas; empty for the nine Cheshire and Merseyside boroughs" }),
      field({ name: "vcfse_relevant", label: "VCFSE organisations may bid or partner", type: "checkbox" }),
    ],
    submitLabel: "Save the draft",
    onSubmit: async (v) => {
      const body = {
        title: v.title,
        description: v.description,
        estimated_value_gbp: v.estimated_value_gbp || null,
        contract_starts_on: v.contract_starts_on || null,
        contract_ends_on: v.contract_ends_on || null,
        closes_on: v.closes_on || null,
        social_value_weighting: v.social_value_weighting || null,
        qualitative_weight: v.qualitative_weight || null,
        quantitative_weight: v.quantitative_weight || null,
        vcfse_relevant: v.vcfse_relevant,
      };
      if (split(v.relevant_measures).length) body.relevant_measures = split(v.relevant_measures);
      if (split(v.places).length) body.places = split(v.places);
      const { data } = await call("commitments", "POST", "/tenders", { body, idempotent: true });
      flash("The tender was saved as a draft: only your organisation sees it until you publish it.");
      go(`#/tenders/${data.tender_id}`);
    },
  });
  add(view, h("div", { class: "columns" }, draft, evaluationGuidance()));
}

export async function renderTender(view, { id }) {
  const { data: tender, etag } = await call("commitments", "GET", `/tenders/${id}`);
  replace(
    view,
    h("p", { class: "breadcrumbs" }, link("#/tenders", "Tenders")),
    heading(tender.title, "Tender"),
    summary([
      ["Status", tag(tender.status, words(tender.status))],
      ["Estimated value", money(tender.estimated_value_gbp)],
      ["Contract runs", `${day(tender.contract_starts_on)} to ${day(tender.contract_ends_on)}`],
      ["Bids close", day(tender.closes_on)],
      ["Social value weighting", `${num(tender.social_value_weighting)}% of the award; ${num(tender.qualitative_weight)}% qualitative to ${num(tender.quantitative_weight)}% quantitative`],
      ["Relevant measures", tender.relevant_measures.join(", ") || "–"],
      ["Places", tender.places.join(", ") || "–"],
      ["Relevant to VCFSE bidders", tender.vcfse_relevant ? "Yes" : "No"],
      tender.published_on ? ["Published", day(tender.published_on)] : null,
      tender.closed_on ? ["Closed", day(tender.closed_on)] : null,
    ]),
    tender.description ? h("p", { class: "quote" }, tender.description) : null,
    tender.warnings?.length ? notice("info", "Rules of good practice this tender bends", h("ul", {}, tender.warnings.map((w) => h("li", {}, w.message)))) : null,
  );
  if (tender.award) {
    add(view, notice("success", "Awarded", h("p", {}, `To ${tender.award.supplier} on ${day(tender.award.awarded_on)}. `, link(`#/contracts/${tender.award.contract_id}`, "Go to the contract"))));
    return;
  }
  if (tender.cancellation) {
    add(view, notice("info", "Cancelled", `${day(tender.cancellation.cancelled_on)}: ${tender.cancellation.reason}`));
    return;
  }
  add(view, lifecycle(tender, etag));
  if (tender.status === "closed") await bidsSection(view, tender, etag);
}

function lifecycle(tender, etag) {
  const status = h("div");
  const act = (label, path, message, kind = "") =>
    button(label, async (event) => {
      event.target.disabled = true;
      try {
        await call("commitments", "POST", `/tenders/${tender.tender_id}/${path}`, { etag });
        flash(message);
        reload();
      } catch (error) {
        event.target.disabled = false;
        replace(status, problemNotice(error));
      }
    }, { kind });
  const buttons = [];
  if (tender.status === "draft" && offers("commitments", "POST", "/tenders/{tender_id}/publish")) {
    buttons.push(act("Publish the tender", "publish", "Published: suppliers can bid until the closing date."));
  }
  if (tender.status === "published" && offers("commitments", "POST", "/tenders/{tender_id}/close")) {
    buttons.push(act("Close for bids", "close", "Closed: the bids are open to you and their quantitative scores are set."));
  }
  const cancel = offers("commitments", "POST", "/tenders/{tender_id}/cancel") && ["draft", "published", "closed"].includes(tender.status)
    ? disclosure(
        "Cancel this tender",
        form({
          label: "Cancel the tender",
          fields: [field({ name: "reason", label: "Why it is cancelled", type: "textarea", required: true })],
          submitLabel: "Cancel the tender",
          kind: "warning",
          onSubmit: async (v) => {
            await call("commitments", "POST", `/tenders/${tender.tender_id}/cancel`, { body: { reason: v.reason }, etag });
            flash("The tender was cancelled.");
            reload();
          },
        }),
      )
    : null;
  return h(
    "section",
    { "aria-labelledby": "tender-actions" },
    h("h2", { id: "tender-actions" }, "Next step"),
    tender.status === "published" ? h("p", {}, `Bids can be read once the tender closes, on or after ${day(tender.closes_on)}.`) : null,
    status,
    h("div", { class: "button-row" }, buttons),
    cancel,
  );
}

async function bidsSection(view, tender, etag) {
  add(view, h("h2", {}, "Bids"));
  if (!offers("commitments", "GET", "/tenders/{tender_id}/bids")) {
    add(view, unavailable("Reading bids", routeName("commitments", "GET", "/tenders/{tender_id}/bids")));
    return;
  }
  const [listed, evaluations] = await Promise.all([
    get("commitments", `/tenders/${tender.tender_id}/bids`),
    offers("commitments", "GET", "/tenders/{tender_id}/evaluations") ? get("commitments", `/tenders/${tender.tender_id}/evaluations`) : null,
  ]);
  const bids = await pool(listed.filter((b) => b.status !== "withdrawn"), 4, (b) => get("commitments", `/bids/${b.bid_id}`));
  const records = await pool(bids, 4, (b) => trackRecordOf(tender, b));
  const scored = new Map((evaluations?.evaluations || []).map((e) => [e.bid_id, e]));
  if (!bids.length) {
    add(view, h("p", {}, "No bids were made."));
    return;
  }
  add(view, 
    table({
      caption: "Bids and their scores",
      columns: [
        { label: "Supplier", value: (b) => b.supplier },
        { label: "Commitments", value: (b) => String(b.commitments.length), numeric: true },
        { label: "Proxy value", value: (b) => money(b.total_proxy_value_gbp), numeric: true },
        { label: "Quantitative score", value: (b) => num(evaluations?.quantitative_scores?.[b.bid_id]), numeric: true },
        { label: "Qualitative score", value: (b) => num(scored.get(b.bid_id)?.qualitative_score), numeric: true },
        { label: "Weighted social value score", value: (b) => num(scored.get(b.bid_id)?.weighted_score), numeric: true },
      ],
      rows: bids,
    }),
  );
  const layout = h("div", { class: "columns" });
  const column = h("div", {});
  add(layout, column, evaluationGuidance());
  add(view, layout);
  bids.forEach((bid, i) => add(column, bidCard(tender, bid, scored.get(bid.bid_id), etag, records[i])));
  add(column, awardForm(tender, bids, etag));
}

const BID_TRACK_RECORD = ["GET", "/tenders/{tender_id}/bids/{bid_id}/track-record"];

/** The bid beside its supplier's track record: {data} or {error}, or null when not offered. */
async function trackRecordOf(tender, bid) {
  if (!offers("commitments", ...BID_TRACK_RECORD)) return null;
  try {
    return { data: await get("commitments", `/tenders/${tender.tender_id}/bids/${bid.bid_id}/track-record`) };
  } catch (error) {
    if (!error.problem) throw error;
    return { error };
  }
}

/** A message the API words for the supplier ("your best delivered rate"), for the buyer. */
function forBuyer(message) {
  const text = String(message || "").replace(/\byour\b/g, "the supplier's");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function trackRecordSection(bid, found) {
  const headingId = `record-${bid.bid_id}`;
  const parts = [h("h4", { id: headingId }, `${bid.supplier}'s track record beside this bid`)];
  if (found === null) {
    parts.push(unavailable("The track record", routeName("commitments", ...BID_TRACK_RECORD)));
  } else if (found.error) {
    parts.push(problemNotice(found.error));
  } else if (found.data.new_supplier) {
    parts.push(
      notice(
        "info",
        "New supplier, no record yet",
        `${bid.supplier} has no contract on record here, so there is nothing to compare its commitments with. ` +
          "This is not a penalty: judge the bid on its method, its plan and its partners.",
      ),
    );
  } else {
    const record = found.data.track_record;
    const multiple = num(found.data.overpromise_multiple);
    parts.push(
      summary([
        ["Contracts on record", String(record.contracts)],
        ["Delivered ÷ committed to date", `${pct(record.overall_delivery_ratio)} (the mean over measures, each capped at 100%)`],
        ["Returns on time", record.returns.due ? `${record.returns.on_time} of ${record.returns.due} (${record.returns.late} late, ${record.returns.missing} missing)` : "None due yet"],
        ["Alerts", `${record.alerts.open} open, ${record.alerts.resolved} resolved`],
      ]),
      table({
        caption: `Each commitment beside ${bid.supplier}'s best delivered rate`,
        columns: [
          { label: "Measure", value: (c) => c.measure },
          { label: "Committed per quarter (busiest)", value: (c) => qty(c.committed_per_quarter, c.unit), numeric: true },
          { label: "Best delivered in a quarter", value: (c) => (c.best_quarter ? `${qty(c.best_delivered_per_quarter, c.unit)} (${c.best_quarter.reference}, ${c.best_quarter.period})` : "No delivery on record"), numeric: true },
          { label: "Ratio", value: (c) => (c.ratio === null ? "–" : `${num(c.ratio)} ×`), numeric: true },
          { label: `More than ${multiple} × the best?`, value: (c) => (c.overpromise ? tag("red", "Over-promise") : "No") },
          { label: "What it means", value: (c) => forBuyer(c.message) },
        ],
        rows: found.data.commitments,
      }),
    );
  }
  return h("div", { class: "track-record", role: "group", "aria-labelledby": headingId }, parts);
}

function bidCard(tender, bid, evaluation, etag, record = null) {
  const canScore = offers("commitments", "PUT", "/tenders/{tender_id}/evaluations/{bid_id}");
  return h(
    "section",
    { class: "card", style: "margin-bottom:1.5rem", "aria-labelledby": `bid-${bid.bid_id}` },
    h("h3", { id: `bid-${bid.bid_id}` }, `Bid from ${bid.supplier}`),
    summary([
      ["Additional to the core contract", bid.additionality_declared ? "Declared additional" : "Not declared additional"],
      ["Proxy value", `${money(bid.total_proxy_value_gbp)}${bid.proxy_value_share ? ` (${Math.round(Number(bid.proxy_value_share) * 100)}% of the contract value)` : ""}`],
    ]),
    bid.warnings?.length ? notice("info", "Rules this bid bends", h("ul", {}, bid.warnings.map((w) => h("li", {}, w.message)))) : null,
    table({
      caption: `Commitments offered by ${bid.supplier}`,
      columns: [
        { label: "Measure", value: (c) => `${c.measure} (${c.theme})` },
        { label: "Over the contract", value: (c) => qty(c.quantity, c.unit), numeric: true },
        { label: "Where, with whom", value: (c) => [c.place, c.vcfse_partner ? ` with ${c.vcfse_partner}` : ""].join("") },
        { label: "How", value: (c) => c.narrative },
      ],
      rows: bid.commitments,
    }),
    trackRecordSection(bid, record),
    disclosure("Method statement", h("p", { class: "quote" }, bid.method_statement)),
    evaluation ? notice("info", `Scored ${num(evaluation.qualitative_score)} of 100 on quality`, evaluation.rationale) : null,
    canScore
      ? disclosure(
          evaluation ? "Score this bid again" : "Score this bid on quality",
          form({
            label: `Score the bid from ${bid.supplier}`,
            fields: [
              field({ name: "qualitative_score", label: "Qualitative score, 0 to 100", type: "number", min: 0, max: 100, step: "any", required: true, value: evaluation?.qualitative_score ?? "" }),
              field({ name: "rationale", label: "Why this score", type: "textarea", required: true, hint: "Method, plan, track record, community links, additionality", value: evaluation?.rationale ?? "" }),
            ],
            submitLabel: "Record the score",
            onSubmit: async (v) => {
              await call("commitments", "PUT", `/tenders/${tender.tender_id}/evaluations/${bid.bid_id}`, {
                body: { qualitative_score: v.qualitative_score || null, rationale: v.rationale },
                etag,
              });
              flash(`Your score for ${bid.supplier}'s bid was recorded.`);
              reload();
            },
          }),
        )
      : unavailable("Scoring bids", routeName("commitments", "PUT", "/tenders/{tender_id}/evaluations/{bid_id}")),
  );
}

function awardForm(tender, bids, etag) {
  if (!offers("commitments", "POST", "/tenders/{tender_id}/award")) {
    return unavailable("Awarding", routeName("commitments", "POST", "/tenders/{tender_id}/award"));
  }
  const kpis = h("div");
  const pick = field({ name: "bid_id", label: "Winning bid", type: "select", options: bids.map((b) => [b.bid_id, b.supplier]) });
  const drawKpis = () => {
    const bid = bids.find((b) => b.bid_id === pick.querySelector("select").value) || bids[0];
    replace(
      kpis,
      h(
        "fieldset",
        { class: "group" },
        h("legend", {}, "Commitments to report as Procurement Act KPIs"),
        h("p", { class: "muted" }, "Contracts over £5m need at least three KPIs, assessed at least every 12 months."),
        bid.commitments.map((c) => field({ name: `kpi.${c.commitment_id}`, label: `${c.measure}: ${qty(c.quantity, c.unit)} (${c.theme})`, type: "checkbox" })),
      ),
    );
  };
  pick.querySelector("select").addEventListener("change", drawKpis);
  drawKpis();
  return h(
    "section",
    { "aria-labelledby": "award-heading" },
    h("h2", { id: "award-heading" }, "Award the contract"),
    form({
      label: "Award the contract",
      fields: [
        pick,
        field({ name: "reference", label: "Contract reference", required: true }),
        field({ name: "value_gbp", label: "Contract value (£, optional)", type: "number", min: 0, step: "any", hint: "The tender's estimate if left empty" }),
        field({ name: "return_due_days", label: "Returns due this many days after each quarter", type: "number", min: 0, max: 365, value: "30" }),
        kpis,
      ],
      submitLabel: "Award",
      onSubmit: async (v) => {
        const body = {
          bid_id: v.bid_id,
          reference: v.reference,
          return_due_days: v.return_due_days || 30,
          kpis: Object.entries(v).filter(([k, on]) => k.startsWith("kpi.") && on).map(([k]) => k.slice(4)),
        };
        if (v.value_gbp) body.value_gbp = v.value_gbp;
        const { data } = await call("commitments", "POST", `/tenders/${tender.tender_id}/award`, { body, etag });
        flash("Awarded: the winning bid's commitments are now the contract's obligations.");
        go(`#/contracts/${data.contract_id}`);
      },
    }),
  );
}
