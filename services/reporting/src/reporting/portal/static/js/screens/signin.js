// Sign-in: a development sign-in (choose organisation and role) when the service runs in
// development or test; otherwise the deployment's OIDC provider, with PKCE.

import { settings } from "../api.js";
import { devSignIn, oidcStart, session, takeNotice } from "../auth.js";
import {
  add, button, field, form, h, notice, replace,
} from "../ui.js";

const ROLE_LABELS = {
  buyer: "Contract manager (buyer: council, NHS trust, ICB)",
  supplier: "Supplier",
  vcfse: "VCFSE organisation",
  cvs: "CVS (council for voluntary service)",
  auditor: "Auditor or board member",
  admin: "Administrator",
};

const EXAMPLES = ["council-a", "acme-ltd", "sefton-cvs", "bootle-food-bank"];

export async function render(view, _params, { home }) {
  const config = settings();
  const current = session();
  const message = takeNotice();
  replace(view, h("h1", { tabindex: "-1" }, "Sign in"));
  if (message) add(view, notice("info", "", message));
  if (current) {
    add(view, 
      h("p", {}, `You are signed in as ${current.subject} for ${current.organisation}.`),
      h("p", {}, h("a", { href: `#/${home || "guidance"}`, class: "button" }, "Continue")),
    );
  }
  if (config.sign_in.development) {
    add(view, developmentSignIn(config));
  }
  add(view, oidcSignIn(config));
}

function developmentSignIn(config) {
  const roles = config.sign_in.roles.map((r) => [r, ROLE_LABELS[r] || r]);
  return h(
    "section",
    { "aria-labelledby": "dev-sign-in" },
    h("h2", { id: "dev-sign-in" }, "Development sign-in"),
    h(
      "p",
      {},
      `This system runs in ${config.environment}: choose who to be. The portal obtains a development ` +
        "token for that organisation and role. This is never offered in production.",
    ),
    h("datalist", { id: "organisation-examples" }, EXAMPLES.map((e) => h("option", { value: e }))),
    form({
      label: "Development sign-in",
      fields: [
        field({ name: "organisation", label: "Organisation", hint: "Its identifier, for example council-a or acme-ltd", list: "organisation-examples", required: true, autocomplete: "organization" }),
        field({ name: "role", label: "Role", type: "select", options: roles, value: "buyer" }),
        field({ name: "subject", label: "Your user id (optional)", hint: "For example cm@council-a; it is recorded against everything you change" }),
      ],
      submitLabel: "Sign in",
      onSubmit: async (values) => {
        await devSignIn(values);
        // The shell sends each role to its own first screen.
        window.location.hash = "#/";
      },
    }),
  );
}

function oidcSignIn(config) {
  const oidc = config.sign_in.oidc;
  const section = h("section", { "aria-labelledby": "oidc-sign-in" }, h("h2", { id: "oidc-sign-in" }, "Sign in with your organisation's account"));
  if (!oidc) {
    add(section, 
      h(
        "p",
        {},
        "In production, people sign in with their organisation's identity provider (OpenID Connect, " +
          "authorization code with PKCE). The deployment configures it: SVL_PORTAL_OIDC_ISSUER and " +
          "SVL_PORTAL_OIDC_CLIENT_ID for the portal, and SVL_JWKS_URL, SVL_JWT_ISSUER and " +
          "SVL_JWT_AUDIENCE for the services, with tokens carrying org and roles claims.",
      ),
      h("p", { class: "muted" }, "No identity provider is configured for this deployment."),
    );
    return section;
  }
  const status = h("div");
  add(section, 
    h("p", {}, `You will be sent to ${oidc.issuer} to sign in, and brought back here.`),
    button("Sign in with your organisation's account", async () => {
      try {
        await oidcStart(oidc, "#/");
      } catch (error) {
        replace(status, notice("error", "Sign-in could not start", error.message));
      }
    }),
    status,
  );
  return section;
}
