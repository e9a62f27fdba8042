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

  /** Runs `script` and returns the element it returns (a reference), or null. */
  async executeElement(script, args = []) {
    const value = await this.execute(script, args);
    return value && value[ELEMENT] ? value[ELEMENT] : null;
  }

  /** The first visible element matching `css` whose rendered text is `text` (or contains it, with `partial`). */
  byText(css, text, { partial = false } = {}) {
    return this.executeElement(
      `const [css, text, partial] = arguments;
       return Array.from(document.querySelectorAll(css)).find((e) => {
         const shown = e.innerText.trim();
         return e.offsetParent !== null && (partial ? shown.includes(text) : shown === text);
       }) ?? null;`,
      [css, text, partial],
    );
  }

  /** The form control a label names (the label's first line of text), as a screen reader finds it. */
  field(label) {
    return this.executeElement(
      `const [label] = arguments;
       const found = Array.from(document.querySelectorAll("label")).find(
         (l) => l.offsetParent !== null && l.innerText.trim().split("\\n")[0].trim() === label);
       if (found) return found.control ?? found.querySelector("input, select, textarea");
       return document.querySelector(\`[aria-label="\${label}"]\`);`,
      [label],
    );
  }

  /** Clicks the visible button named `name`; waits for it to appear and be enabled. */
  async press(name, { timeoutMs = 15_000 } = {}) {
    const button = await waitFor(`a button "${name}"`, async () => {
      const b = await this.byText("button", name);
      return b && (await this.execute("return !arguments[0].disabled;", [{ [ELEMENT]: b }])) ? b : null;
    }, { timeoutMs });
    await this.click(button);
  }

  /** Types `text` into the field labelled `label`, replacing what it held. */
  async fill(label, text) {
    const input = await waitFor(`a field "${label}"`, () => this.field(label));
    await this.clear(input);
    await this.type(input, text);
  }

  /** Chooses the option with value `value` in the select labelled `label`. */
  async choose(label, value) {
    const select = await waitFor(`a select "${label}"`, () => this.field(label));
    const option = await this.executeElement(
      `return Array.from(arguments[0].options).find((o) => o.value === arguments[1]) ?? null;`,
      [{ [ELEMENT]: select }, value],
    );
    if (!option) throw new WebDriverError(`the select "${label}" has no option ${value}`);
    await this.click(option);
  }

  /** The rendered text of the whole main area. */
  async mainText() {
    return this.text(await this.find("main"));
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

/** Waits until the main area's text contains `text`; returns that text. */
export async function waitForText(session, text, options) {
  let shown = "";
  try {
    return await waitFor(`"${text}" on screen`, async () => {
      shown = await session.mainText();
      return shown.includes(text) ? shown : null;
    }, options);
  } catch (err) {
    throw new Error(`${err.message}\n--- the window showed:\n${shown}`);
  }
}
