// Webhooks: a buyer or supplier subscribes a URL of its own systems to alert and return events
// on its contracts, sees its subscriptions, unsubscribes, and reads each one's delivery log.
// The signing secret is shown once, when the subscription is made.

import { call, get, offers, routeName } from "../api.js";
import {
  actionButton, add, button, day, disclosure, field, flash, form, group, h, heading, link, notice, reload, replace, summary, table, tag, unavailable, words,
} from "../ui.js";

/** The events a subscription may ask for, in the order the measurement service lists them. */
const EVENTS = [
  ["AlertRaised", "An alert is raised"],
  ["AlertAcknowledged", "An alert is acknowledged"],
  ["AlertEscalated", "An alert is escalated"],
  ["AlertResolved", "An alert is resolved"],
  ["ReturnSubmitted", "A return is submitted"],
  ["ReturnAmended", "A return is amended"],
  ["ReturnCorrected", "An accepted return is corrected"],
  ["ReturnAccepted", "A return is accepted"],
  ["ReturnQueried", "A return is queried"],
  ["ReturnOverdue", "A return becomes overdue"],
];
const DELIVERY_TONES = { delivered: "green", pending: "blue", retrying: "amber", failed: "red", dropped: "grey" };

const time = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short" });

function when(value) {
  if (!value) return "–";
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : time.format(d);
}

function eventsOf(subscription) {
  return subscription.event_types.length ? subscription.event_types.join(", ") : "Every alert and return event";
}

export async function renderList(view) {
  replace(view, heading("Webhooks", "Integrations"));
  add(
    view,
    h(
      "p",
      { class: "lede" },
      "Have alert and return events on your organisation's contracts posted to your own systems as they happen. " +
        "Each post is signed: check its X-SVL-Signature header (HMAC-SHA256 of the body) with the subscription's secret.",
    ),
  );
  if (!offers("measurement", "GET", "/webhooks")) {
    add(view, unavailable("Webhooks", routeName("measurement", "GET", "/webhooks")));
    return;
  }
  const subscriptions = await get("measurement", "/webhooks");
  add(
    view,
    h("h2", { id: "subscriptions" }, "Your subscriptions"),
    table({
      caption: "Your webhook subscriptions",
      captionHidden: true,
      empty: "Your organisation has no webhook subscription.",
      columns: [
        { label: "URL", value: (s) => h("span", { class: "break" }, s.url) },
        { label: "Events", value: eventsOf },
        { label: "Since", value: (s) => day(s.created_at) },
        {
          label: "Delivery log",
          value: (s) => (offers("measurement", "GET", "/webhooks/{subscription_id}/deliveries")
            ? link(`#/webhooks/${s.subscription_id}`, "Delivery log", { "aria-label": `Delivery log of ${s.url}` })
            : "–"),
        },
      ],
      rows: subscriptions,
    }),
    subscriptions.length && offers("measurement", "DELETE", "/webhooks/{subscription_id}") ? subscriptions.map(unsubscribeBlock) : null,
    h("h2", { id: "subscribe" }, "Subscribe a URL"),
    offers("measurement", "POST", "/webhooks")
      ? subscribeSection()
      : unavailable("Subscribing", routeName("measurement", "POST", "/webhooks")),
  );
}

function unsubscribeBlock(subscription) {
  return disclosure(
    `Unsubscribe ${subscription.url}`,
    h("p", {}, "Events stop being posted to this URL at once; deliveries not yet attempted are dropped. Its delivery log stays readable."),
    actionButton(
      "Unsubscribe",
      () => call("measurement", "DELETE", `/webhooks/${subscription.subscription_id}`),
      `${subscription.url} was unsubscribed: no more events are posted to it.`,
      { kind: "warning", small: false, "aria-label": `Unsubscribe ${subscription.url}` },
    ),
  );
}

function subscribeSection() {
  const holder = h("div", {});
  const el = form({
    label: "Subscribe a URL to events",
    fields: [
      field({ name: "url", label: "URL to post events to", type: "url", required: true, hint: "A public https address of your own system, for example https://hooks.example.org/svl", autocomplete: "url" }),
      group(
        { name: "event_types", legend: "Which events (optional)", hint: "Leave every box empty to receive every alert and return event" },
        h("div", { class: "checkboxes" }, EVENTS.map(([type, label]) => field({ name: `event.${type}`, label: `${label} (${type})`, type: "checkbox" }))),
      ),
    ],
    submitLabel: "Subscribe",
    onSubmit: async (v) => {
      const eventTypes = EVENTS.map(([type]) => type).filter((type) => v[`event.${type}`]);
      const { data } = await call("measurement", "POST", "/webhooks", { body: { url: v.url, event_types: eventTypes }, idempotent: true });
      showSecret(el, data);
    },
  });
  add(holder, el);
  return holder;
}

/** The subscription's secret, once: it is never shown again. */
function showSecret(formEl, subscription) {
  const secretId = "webhook-secret";
  const copied = h("span", { role: "status", class: "action-status" });
  const box = h(
    "div",
    { class: "notice notice--success secret", tabindex: "-1" },
    h("h2", {}, "Subscribed: copy the signing secret now"),
    h("p", {}, `Events on your contracts will be posted to ${subscription.url}.`),
    h("p", {}, h("strong", {}, "This secret is shown only once. "), "Copy it now and keep it in your system's secret store: the portal cannot show it again. If you lose it, unsubscribe and subscribe again."),
    subscription.secret
      ? h(
          "div",
          { class: "field" },
          h("label", { for: secretId }, "Signing secret"),
          h("input", { id: secretId, type: "text", readonly: true, value: subscription.secret, class: "secret__value", spellcheck: "false", autocomplete: "off" }),
        )
      : h("p", {}, "The service did not return a secret for this subscription."),
    h(
      "div",
      { class: "button-row" },
      subscription.secret
        ? button("Copy the secret", async () => {
            const input = box.querySelector(`#${secretId}`);
            try {
              await navigator.clipboard.writeText(subscription.secret);
              copied.textContent = "Copied to the clipboard.";
            } catch {
              input.focus();
              input.select();
              copied.textContent = "Selected: press Ctrl+C (or ⌘+C) to copy it.";
            }
          }, { kind: "secondary" })
        : null,
      button("I have copied it: show my subscriptions", () => {
        flash(`${subscription.url} is subscribed.`);
        reload();
      }),
      copied,
    ),
  );
  formEl.replaceWith(box);
  box.focus();
}

// ---- one subscription's delivery log -------------------------------------------------------------

export async function renderLog(view, { id }) {
  const subscriptions = offers("measurement", "GET", "/webhooks") ? await get("measurement", "/webhooks") : [];
  const subscription = subscriptions.find((s) => s.subscription_id === id);
  replace(
    view,
    h("p", { class: "breadcrumbs" }, link("#/webhooks", "Webhooks")),
    heading("Delivery log", subscription ? subscription.url : "Webhook subscription"),
  );
  if (!offers("measurement", "GET", "/webhooks/{subscription_id}/deliveries")) {
    add(view, unavailable("The delivery log", routeName("measurement", "GET", "/webhooks/{subscription_id}/deliveries")));
    return;
  }
  const deliveries = await get("measurement", `/webhooks/${id}/deliveries`, { limit: 200 });
  add(
    view,
    subscription
      ? summary([["URL", h("span", { class: "break" }, subscription.url)], ["Events", eventsOf(subscription)], ["Since", day(subscription.created_at)]])
      : notice("info", "", "This subscription was unsubscribed: its log stays readable."),
    h("p", {}, "Newest first. A delivery that fails is tried again with growing pauses until it succeeds or the tries run out."),
    table({
      caption: `${deliveries.length} deliver${deliveries.length === 1 ? "y" : "ies"}, newest first`,
      empty: "No event has been posted to this URL yet.",
      columns: [
        { label: "Event", value: (d) => h("span", {}, d.event_type, h("span", { class: "cell-note" }, `raised ${when(d.created_at)}`)) },
        { label: "Status", value: (d) => tag(DELIVERY_TONES[d.status] || d.status, words(d.status)) },
        { label: "Tries", value: (d) => String(d.attempts), numeric: true },
        { label: "Last answer", value: (d) => lastAnswer(d) },
        { label: "Delivered", value: (d) => when(d.delivered_at) },
        { label: "Next try", value: (d) => (d.next_attempt_at && d.status !== "delivered" ? when(d.next_attempt_at) : "–") },
      ],
      rows: deliveries,
    }),
    deliveries.filter((d) => d.log?.length).map(attempts),
  );
}

function lastAnswer(delivery) {
  if (delivery.last_status_code) return `HTTP ${delivery.last_status_code}${delivery.last_error ? `: ${delivery.last_error}` : ""}`;
  return delivery.last_error || "–";
}

function attempts(delivery) {
  return disclosure(
    `Every try at ${delivery.event_type} of ${when(delivery.created_at)}`,
    table({
      caption: `Tries at delivering ${delivery.event_type}`,
      captionHidden: true,
      columns: [
        { label: "Try", value: (a) => String(a.attempt), numeric: true },
        { label: "When", value: (a) => when(a.attempted_at) },
        { label: "Answer", value: (a) => (a.status_code ? `HTTP ${a.status_code}` : "No answer") },
        { label: "Error", value: (a) => a.error || "–" },
        { label: "Took", value: (a) => `${a.duration_ms} ms`, numeric: true },
      ],
      rows: delivery.log,
    }),
  );
}
