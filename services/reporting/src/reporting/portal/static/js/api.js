// Calling the services' own JSON APIs with the signed-in person's bearer token, and learning from
// each service's OpenAPI document which routes it offers today.

import { currentToken, signOut } from "./auth.js";

const SERVICE_NAMES = {
  commitments: "commitments service",
  measurement: "measurement service",
  brokerage: "brokerage service",
  reporting: "reporting service",
};

let config = null;
const offered = new Map(); // service -> Set("GET /path/{param}") | null when unreachable
let discovery = null;

/** An API call that failed: `problem` is the RFC 9457 problem document (or one made up). */
export class ApiError extends Error {
  constructor(problem) {
    super(problem.detail || problem.title || "request failed");
    this.problem = problem;
    this.status = problem.status;
  }
}

export function configure(loaded) {
  config = loaded;
}

export function settings() {
  return config;
}

export function baseUrl(service) {
  return config.services[service];
}

/**
 * Call a service. Returns {data, etag, status}. Sends JSON for `body`, multipart for `form`;
 * `etag` becomes If-Match. Errors throw ApiError carrying the problem document.
 */
export async function call(service, method, path, { body, form, etag, query, idempotent } = {}) {
  const url = new URL(baseUrl(service) + path, window.location.href);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  const headers = { Accept: "application/json, application/problem+json" };
  const token = currentToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (etag) headers["If-Match"] = etag;
  if (idempotent) headers["Idempotency-Key"] = crypto.randomUUID();
  let payload;
  if (form) payload = form;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, { method, headers, body: payload, credentials: "omit" });
  } catch (cause) {
    throw new ApiError({
      status: 0,
      title: "The service could not be reached",
      detail: `The ${SERVICE_NAMES[service] || service} at ${baseUrl(service)} did not answer. ` +
        "Check your connection, or ask whoever runs the system whether it is up.",
    });
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    const problem = data && typeof data === "object" ? data : { title: response.statusText, detail: String(data || "") };
    problem.status = problem.status || response.status;
    if (response.status === 401) {
      signOut("Your session has ended: please sign in again.");
    }
    throw new ApiError(problem);
  }
  return { data, etag: response.headers.get("ETag"), status: response.status };
}

export async function get(service, path, query) {
  return (await call(service, "GET", path, { query })).data;
}

/** GET that answers null for 404 (something not known to this service yet, or not yours). */
export async function getOrNull(service, path, query) {
  try {
    return await get(service, path, query);
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

/** GET with its ETag, as {data, etag}; null for 404 (nothing recorded yet, or not yours). */
export async function readOrNull(service, path, query) {
  try {
    return await call(service, "GET", path, { query });
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

/** Fetch a file with the bearer token and hand it to the browser as a download. */
export async function download(service, path, filename) {
  const headers = {};
  const token = currentToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(baseUrl(service) + path, { headers, credentials: "omit" });
  if (!response.ok) {
    let problem;
    try {
      problem = await response.json();
    } catch {
      problem = { title: response.statusText };
    }
    problem.status = problem.status || response.status;
    throw new ApiError(problem);
  }
  const blob = await response.blob();
  const href = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = href;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}

// ---- what each service offers ----------------------------------------------------------------

/** Read every service's /openapi.json once; a service that does not answer offers nothing. */
export function discover() {
  if (!discovery) {
    discovery = Promise.all(
      Object.keys(config.services).map(async (service) => {
        try {
          const response = await fetch(`${baseUrl(service)}/openapi.json`, { credentials: "omit" });
          if (!response.ok) throw new Error(String(response.status));
          const doc = await response.json();
          const routes = new Set();
          for (const [path, item] of Object.entries(doc.paths || {})) {
            for (const method of Object.keys(item)) routes.add(`${method.toUpperCase()} ${path}`);
          }
          offered.set(service, routes);
        } catch {
          offered.set(service, null);
        }
      }),
    );
  }
  return discovery;
}

/** Normalise path parameter names: /alerts/{alert_id} and /alerts/{id} are the same route. */
function shape(route) {
  return route.replace(/\{[^}]+\}/g, "{}");
}

/** Whether `service` offers `method path` (path written with any {param} names). */
export function offers(service, method, path) {
  const routes = offered.get(service);
  if (!routes) return false;
  const wanted = shape(`${method.toUpperCase()} ${path}`);
  for (const route of routes) if (shape(route) === wanted) return true;
  return false;
}

/** The routes of `service` for `method` whose path matches `pattern` (for routes still settling). */
export function find(service, method, pattern) {
  const routes = offered.get(service);
  if (!routes) return [];
  return [...routes]
    .filter((r) => r.startsWith(`${method.toUpperCase()} `))
    .map((r) => r.slice(method.length + 1))
    .filter((p) => pattern.test(p))
    .sort();
}

/** "GET /board on the brokerage service": how to name a missing route to a person. */
export function routeName(service, method, path) {
  const name = `${method.toUpperCase()} ${path} on the ${SERVICE_NAMES[service] || service}`;
  return offered.get(service) ? name : `${name} (which did not answer: it may be down)`;
}

/** Run `work` over `items` with at most `limit` requests in flight. */
export async function pool(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  async function runner() {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index], index);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runner));
  return results;
}
