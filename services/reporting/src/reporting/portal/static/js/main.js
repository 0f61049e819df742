// The portal's shell: loads config.json, finishes an OIDC sign-in if one is under way, learns which
// API routes the services offer, and renders the screen the URL's #fragment names.

import { configure, discover } from "./api.js";
import { oidcFinish, session, signOut } from "./auth.js";
import {
  add, h, notice, problemNotice, replace, takeFlash,
} from "./ui.js";
import * as alerts from "./screens/alerts.js";
import * as contract from "./screens/contract.js";
import * as dashboard from "./screens/dashboard.js";
import * as guidance from "./screens/guidance.js";
import * as needs from "./screens/needs.js";
import * as offersScreen from "./screens/offers.js";
import * as partners from "./screens/partners.js";
import * as pledges from "./screens/pledges.js";
import * as signin from "./screens/signin.js";
import * as supplier from "./screens/supplier.js";
import * as tenders from "./screens/tenders.js";
import * as webhooks from "./screens/webhooks.js";

const ROUTES = [
  { path: "sign-in", screen: signin.render, open: true },
  { path: "dashboard", screen: dashboard.render },
  { path: "contracts/:id", screen: contract.render },
  { path: "alerts", screen: alerts.renderInbox },
  { path: "alerts/:id", screen: alerts.renderAlert },
  { path: "tenders", screen: tenders.renderList },
  { path: "tenders/new", screen: tenders.renderNew },
  { path: "tenders/:id", screen: tenders.renderTender },
  { path: "returns", screen: supplier.renderHome },
  { path: "returns/:id", screen: supplier.renderContract },
  { path: "partners", screen: partners.render },
  { path: "offers", screen: offersScreen.render },
  { path: "local-needs", screen: needs.render },
  { path: "pledge", screen: pledges.renderMine },
  { path: "pledges", screen: pledges.renderAll },
  { path: "pledges/:organisation", screen: pledges.renderOne },
  { path: "webhooks", screen: webhooks.renderList },
  { path: "webhooks/:id", screen: webhooks.renderLog },
  { path: "guidance", screen: guidance.render, open: true },
];

const NAV = {
  buyer: [["dashboard", "Dashboard"], ["alerts", "Alerts"], ["tenders", "Tenders"], ["local-needs", "Local needs"], ["pledge", "Pledge and policy"], ["webhooks", "Webhooks"], ["guidance", "Guidance"]],
  supplier: [["returns", "Returns"], ["alerts", "Alerts"], ["partners", "VCFSE partners"], ["offers", "Offers"], ["pledge", "Pledge and policy"], ["webhooks", "Webhooks"], ["guidance", "Guidance"]],
  vcfse: [["partners", "Asks and matches"], ["offers", "Offers"], ["local-needs", "Local needs"], ["guidance", "Guidance"]],
  cvs: [["partners", "Asks and matches"], ["offers", "Offers"], ["local-needs", "Local needs"], ["guidance", "Guidance"]],
  auditor: [["dashboard", "Dashboard"], ["pledges", "Pledges"], ["guidance", "Guidance"]],
  admin: [["pledges", "Pledges"], ["guidance", "Guidance"]],
};

const HOME = { buyer: "dashboard", supplier: "returns", vcfse: "partners", cvs: "partners", auditor: "dashboard", admin: "guidance" };

let renderCount = 0;

function match(path) {
  const parts = path.split("/").filter(Boolean);
  for (const route of ROUTES) {
    const pattern = route.path.split("/");
    if (pattern.length !== parts.length) continue;
    const params = {};
    let ok = true;
    pattern.forEach((p, i) => {
      if (p.startsWith(":")) params[p.slice(1)] = decodeURIComponent(parts[i]);
      else if (p !== parts[i]) ok = false;
    });
    if (ok) return { route, params };
  }
  return null;
}

function primaryRole(found) {
  const order = ["buyer", "supplier", "vcfse", "cvs", "auditor", "admin"];
  return order.find((r) => found?.roles.includes(r)) || null;
}

function drawChrome(path) {
  const who = document.getElementById("who");
  const nav = document.getElementById("nav");
  const found = session();
  if (!found) {
    replace(nav);
    replace(who, h("a", { href: "#/sign-in", style: "color:#fff" }, "Sign in"));
    return;
  }
  const items = NAV[primaryRole(found)] || NAV.admin;
  const section = path.split("/")[0];
  replace(
    nav,
    h(
      "ul",
      {},
      items.map(([target, label]) =>
        h("li", {}, h("a", { href: `#/${target}`, "aria-current": section === target || (section === "contracts" && target === "dashboard") ? "page" : null }, label)),
      ),
    ),
  );
  replace(
    who,
    h("span", {}, "Signed in as ", h("strong", {}, found.subject), ` (${found.organisation}, ${found.roles.join(", ")})`),
    h("button", { type: "button", class: "button button--secondary button--small", onclick: () => signOut("You have signed out.") }, "Sign out"),
  );
}

async function render() {
  const main = document.getElementById("main");
  const hash = window.location.hash;
  // "#main" (the skip link) and other in-page anchors are not screens.
  if (hash && !hash.startsWith("#/") && main.querySelector(".view")) return;
  renderCount += 1;
  const mine = renderCount;
  const path = hash.startsWith("#/") ? hash.slice(2).split("?")[0] : "";
  const found = session();
  if (!path) {
    window.location.replace(`#/${found ? HOME[primaryRole(found)] || "guidance" : "sign-in"}`);
    return;
  }
  const matched = match(path);
  if (!found && !(matched && matched.route.open)) {
    window.location.replace("#/sign-in");
    return;
  }
  drawChrome(path);
  const view = h("div", { class: "view" }, h("p", { class: "muted", role: "status" }, "Loading…"));
  main.replaceChildren(view);
  if (!matched) {
    replace(view, h("h1", { tabindex: "-1" }, "Page not found"), h("p", {}, "Check the address, or use the links above."));
  } else {
    try {
      await matched.route.screen(view, matched.params, { home: HOME[primaryRole(found)] });
    } catch (error) {
      if (mine !== renderCount) return;
      if (!view.querySelector("h1")) view.replaceChildren(h("h1", { tabindex: "-1" }, "Something went wrong"));
      view.querySelector('[role="status"]')?.remove();
      add(view, error && error.problem ? problemNotice(error) : notice("error", "Something went wrong", String(error?.message || error)));
    }
  }
  if (mine !== renderCount) return;
  const title = view.querySelector("h1");
  document.title = `${title ? title.textContent : "Portal"} – Social Value Ledger`;
  const message = takeFlash();
  if (message) {
    const box = notice("success", "", message);
    box.setAttribute("tabindex", "-1");
    if (title) title.after(box);
    else view.prepend(box);
    box.focus();
  } else if (title) {
    title.focus();
  }
}

async function start() {
  const main = document.getElementById("main");
  let config;
  try {
    const response = await fetch("config.json", { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`config.json answered ${response.status}`);
    config = await response.json();
  } catch (error) {
    replace(main, h("h1", {}, "The portal could not start"), notice("error", "", `Its settings could not be read: ${error.message}.`));
    return;
  }
  configure(config);
  if (config.sign_in.oidc) {
    try {
      await oidcFinish(config.sign_in.oidc);
    } catch (error) {
      sessionStorage.setItem("svl.signin.notice", error.message);
    }
  }
  await discover();
  window.addEventListener("hashchange", render);
  await render();
}

start();
