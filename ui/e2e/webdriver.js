// A small W3C WebDriver client over fetch: just what the desktop journeys use.
// tauri-driver speaks this protocol and forwards it to WebKitWebDriver.

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

export class WebDriverError extends Error {}

async function request(method, url, body, timeoutMs) {
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: { "content-type": "application/json; charset=utf-8" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new WebDriverError(`${method} ${url} failed: ${err.message}`);
  }
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new WebDriverError(`${method} ${url}: HTTP ${response.status}, not JSON: ${text.slice(0, 300)}`);
  }
  if (!response.ok || (json.value && json.value.error)) {
    const v = json.value ?? {};
    throw new WebDriverError(`${method} ${url}: ${v.error ?? response.status}: ${v.message ?? text.slice(0, 300)}`);
  }
  return json.value;
}

export class Session {
  /** Starts a session: for tauri-driver this launches the app. */
  static async start(serverUrl, capabilities, { timeoutMs = 60_000 } = {}) {
    const value = await request("POST", `${serverUrl}/session`, { capabilities: { alwaysMatch: capabilities } }, timeoutMs);
    return new Session(serverUrl, value.sessionId);
  }

  constructor(serverUrl, id) {
    this.url = `${serverUrl}/session/${id}`;
    this.id = id;
  }

  #call(method, path, body, timeoutMs = 30_000) {
    return request(method, `${this.url}${path}`, body, timeoutMs);
  }

  async find(css) {
    const value = await this.#call("POST", "/element", { using: "css selector", value: css });
    return value[ELEMENT];
  }

  async findAll(css) {
    const value = await this.#call("POST", "/elements", { using: "css selector", value: css });
    return value.map((e) => e[ELEMENT]);
  }

  /** The element's text as rendered (what a user reads). */
  text(element) {
    return this.#call("GET", `/element/${element}/text`);
  }

  /** Types into the element with real key events. */
  type(element, text) {
    return this.#call("POST", `/element/${element}/value`, { text });
  }

  clear(element) {
    return this.#call("POST", `/element/${element}/clear`, {});
  }

  click(element) {
    return this.#call("POST", `/element/${element}/click`, {});
  }

  /** Runs `script` (a function body) in the page and returns its result. */
  execute(script, args = []) {
    return this.#call("POST", "/execute/sync", { script, args });
  }

  /** A PNG of the window's content. */
  async screenshot() {
    return Buffer.from(await this.#call("GET", "/screenshot"), "base64");
  }

  async end() {
    await this.#call("DELETE", "", undefined, 15_000);
  }
}

/** Polls `probe` until it returns a truthy value, or fails saying what it waited for. */
export async function waitFor(what, probe, { timeoutMs = 15_000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${detail})`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
