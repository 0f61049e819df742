// Who is signed in. Locally: a development token from /ui/dev-token for a chosen organisation and
// role. In production: OIDC authorization code flow with PKCE against the deployment's issuer.
// The token lives in sessionStorage, so it goes when the tab closes.

const SESSION = "svl.session";
const PENDING = "svl.oidc.pending";
const NOTICE = "svl.signin.notice";

/** The signed-in session: {token, organisation, roles, subject, expiresAt, via}, or null. */
export function session() {
  const raw = sessionStorage.getItem(SESSION);
  if (!raw) return null;
  try {
    const found = JSON.parse(raw);
    if (found.expiresAt && Date.now() > found.expiresAt) {
      sessionStorage.removeItem(SESSION);
      sessionStorage.setItem(NOTICE, "Your session has ended: please sign in again.");
      return null;
    }
    return found;
  } catch {
    sessionStorage.removeItem(SESSION);
    return null;
  }
}

export function currentToken() {
  return session()?.token || null;
}

export function hasRole(...roles) {
  const found = session();
  return Boolean(found && found.roles.some((r) => roles.includes(r)));
}

/** Forget the session and go to the sign-in page, saying why. */
export function signOut(reason) {
  sessionStorage.removeItem(SESSION);
  if (reason) sessionStorage.setItem(NOTICE, reason);
  if (!window.location.hash.startsWith("#/sign-in")) window.location.hash = "#/sign-in";
}

/** A message left for the sign-in page (an expired session, say), read once. */
export function takeNotice() {
  const text = sessionStorage.getItem(NOTICE);
  sessionStorage.removeItem(NOTICE);
  return text;
}

function remember(token, via) {
  const claims = decodeClaims(token);
  const roles = Array.isArray(claims.roles) ? claims.roles : claims.roles ? [claims.roles] : [];
  const found = {
    token,
    via,
    organisation: claims.org || "",
    roles,
    subject: claims.sub || "",
    expiresAt: claims.exp ? claims.exp * 1000 : null,
  };
  sessionStorage.setItem(SESSION, JSON.stringify(found));
  return found;
}

/** A JWT's claims, for display only: the services verify the signature, not the browser. */
export function decodeClaims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const padded = part + "=".repeat((4 - (part.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return {};
  }
}

/** Development sign-in: POST /ui/dev-token; throws the API's problem on refusal. */
export async function devSignIn({ organisation, role, subject }) {
  const response = await fetch("dev-token", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ organisation, role, subject }),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const { ApiError } = await import("./api.js");
    throw new ApiError({ ...data, status: data.status || response.status });
  }
  return remember(data.token, "development");
}

// ---- OIDC: authorization code with PKCE (RFC 7636), run entirely by the browser ------------------

function base64url(bytes) {
  let text = "";
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomText(size = 32) {
  return base64url(crypto.getRandomValues(new Uint8Array(size)));
}

async function discoverIssuer(issuer) {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`the sign-in service at ${issuer} did not describe itself (${response.status})`);
  return response.json();
}

function redirectUri() {
  return `${window.location.origin}${window.location.pathname}`;
}

/** Send the browser to the issuer to sign in; it comes back with ?code=...&state=... */
export async function oidcStart(oidc, returnTo) {
  if (!crypto.subtle) throw new Error("sign-in needs a secure (https) connection");
  const meta = await discoverIssuer(oidc.issuer);
  const verifier = randomText(48);
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const state = randomText(16);
  const nonce = randomText(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, nonce, returnTo, tokenEndpoint: meta.token_endpoint }));
  const url = new URL(meta.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: oidc.client_id,
    redirect_uri: redirectUri(),
    scope: oidc.scope || "openid",
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...(oidc.audience ? { audience: oidc.audience } : {}),
  }).toString();
  window.location.assign(url.toString());
}

/** Finish the flow when the issuer sent the browser back; true when a session was made. */
export async function oidcFinish(oidc) {
  const params = new URLSearchParams(window.location.search);
  if (!params.has("code") && !params.has("error")) return false;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
  sessionStorage.removeItem(PENDING);
  const clean = () => window.history.replaceState(null, "", redirectUri() + (pending?.returnTo || "#/"));
  if (params.has("error")) {
    clean();
    throw new Error(`sign-in was refused: ${params.get("error_description") || params.get("error")}`);
  }
  if (!pending || params.get("state") !== pending.state) {
    clean();
    throw new Error("the sign-in response did not match the request made: please try again");
  }
  const response = await fetch(pending.tokenEndpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: params.get("code"),
      redirect_uri: redirectUri(),
      client_id: oidc.client_id,
      code_verifier: pending.verifier,
    }),
  });
  const tokens = await response.json().catch(() => ({}));
  clean();
  if (!response.ok || !tokens.access_token) {
    throw new Error(`the sign-in service did not issue a token: ${tokens.error_description || tokens.error || response.status}`);
  }
  const idClaims = tokens.id_token ? decodeClaims(tokens.id_token) : {};
  if (idClaims.nonce && idClaims.nonce !== pending.nonce) {
    throw new Error("the sign-in response was not for this browser: please try again");
  }
  remember(tokens.access_token, "oidc");
  return true;
}
