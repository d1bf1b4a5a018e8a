// Shared by the four pages: language, the bearer token, calls to the JSON API, and a small
// DOM builder. Untrusted strings only ever reach the page as text (textContent or text
// nodes): nothing here, and nothing in the pages, assigns HTML.

const LANG_KEY = "vd-lang";
const LANGS = ["zh", "en"];
const dict = Object.create(null);
const langListeners = [];

// Strings every page uses: [zh-CN, English].
const COMMON = {
  "lang.switch": ["English", "中文"],
  "lang.switch.label": ["Switch to English", "切换到中文"],
  "skip": ["跳到主要内容", "Skip to main content"],
  "logout": ["退出", "Sign out"],
  "conn.lost": ["暂时连不上平台，正在重试…", "Cannot reach the platform; retrying…"],
  "login.title": ["请登录", "Please sign in"],
  "login.hint": [
    "用手机号和密码（或短信验证码）登录；也可以使用工作人员给您的登录链接，或粘贴访问令牌。",
    "Sign in with your phone number and password (or a text-message code), open the sign-in link you were given, or paste an access token.",
  ],
  "signin.phone": ["手机号", "Phone number"],
  "signin.password": ["密码", "Password"],
  "signin.code": ["验证码", "Code"],
  "signin.send_code": ["发送验证码", "Send a code"],
  "signin.code_sent": ["验证码已发送到 {to}，{m} 分钟内有效。", "A code was sent to {to}; it is good for {m} minutes."],
  "signin.submit": ["登录", "Sign in"],
  "signin.token": ["使用访问令牌登录", "Sign in with an access token"],
  "signin.need": ["请填写密码或验证码。", "Enter your password or a code."],
  "signin.new_password": ["新密码（至少 8 位）", "New password (at least 8 characters)"],
  "signin.change_title": ["请先设置新密码", "Set a new password first"],
  "signin.change_hint": ["您用一次性密码登录，设置自己的密码后才能继续。", "You signed in with a one-time password; set your own to go on."],
  "signin.change_submit": ["保存新密码", "Save the new password"],
  "signup.toggle": ["还没有账号？用手机号注册", "No account yet? Sign up with your phone"],
  "signup.title": ["注册", "Sign up"],
  "signup.name": ["姓名", "Name"],
  "signup.area": ["所在社区/村", "Your community or village"],
  "signup.address": ["住址", "Address"],
  "signup.password": ["密码（可不填，以后用验证码登录）", "Password (optional: you can sign in with a code)"],
  "signup.submit": ["注册并登录", "Sign up and sign in"],
  "device.id": ["兑换机编号", "Kiosk id"],
  "device.key": ["设备密钥", "Device key"],
  "device.submit": ["启用这台兑换机", "Start this kiosk"],
  "err.bad_credentials": ["手机号、密码或验证码不正确。", "The phone number, password or code is not right."],
  "err.role_not_held": ["这个账号不能使用本页面。", "This account has no role for this page."],
  "err.too_many_requests": ["尝试次数过多，请稍后再试。", "Too many tries; please wait a little."],
  "login.label": ["访问令牌", "Access token"],
  "login.submit": ["登录", "Sign in"],
  "login.wrong_role": ["这个令牌不能用于本页面（它属于“{role}”）。", "This token is not for this page (it belongs to “{role}”)."],
  "login.expired": ["登录已过期，请重新登录。", "Your sign-in has expired; please sign in again."],
  "login.bad": ["令牌无效，请检查后重试。", "That token is not valid; please check it."],
  "who": ["{role} {subject}", "{role} {subject}"],
  "role.staff": ["工作人员", "Staff"],
  "role.leader": ["队长", "Team leader"],
  "role.resident": ["居民", "Resident"],
  "role.kiosk": ["兑换机", "Kiosk"],
  "role.volunteer": ["志愿者", "Volunteer"],
  "status.submitted": ["待派单", "Waiting for a team"],
  "status.in_review": ["待审核", "In review"],
  "status.dispatched": ["已派单", "Dispatched"],
  "status.accepted": ["已接单", "Accepted"],
  "status.completed": ["已完成", "Completed"],
  "status.reviewed": ["已评价", "Reviewed"],
  "status.cancelled": ["已取消", "Cancelled"],
  "status.escalated": ["转中心处理", "Escalated"],
  "urgency.normal": ["普通", "Normal"],
  "urgency.urgent": ["紧急", "Urgent"],
  "priority.1": ["优先一级", "Priority 1"],
  "priority.2": ["优先二级", "Priority 2"],
  "priority.hint": ["按老人年龄和困难情况优先服务", "Served first by age and hardship"],
  "event.RequestSubmitted": ["新需求", "New request"],
  "event.RequestHeldForReview": ["待审核", "Held for review"],
  "event.RequestApproved": ["审核通过", "Approved"],
  "event.RequestDispatched": ["派单", "Dispatched"],
  "event.RequestQueued": ["排队等待服务队", "Waiting for a free team"],
  "event.RequestAccepted": ["接单", "Accepted"],
  "event.VolunteersCheckedIn": ["志愿者签到", "Volunteers checked in"],
  "event.VolunteersCheckedOut": ["志愿者签退", "Volunteers checked out"],
  "event.RequestDeclined": ["拒单", "Declined"],
  "event.AcceptReminderDue": ["接单提醒", "Reminded to accept"],
  "event.AcceptDeadlinePassed": ["接单超时", "Accept deadline passed"],
  "event.RequestEscalated": ["上报中心", "Escalated"],
  "event.RequestCancelled": ["取消", "Cancelled"],
  "event.RequestCompleted": ["完成服务", "Completed"],
  "event.RequestReviewed": ["评价", "Reviewed"],
  "event.ServiceConfirmed": ["服务确认", "Service confirmed"],
  "reason.no_eligible_team": ["没有能提供这项服务的服务队", "No team offers this service here"],
  "reason.too_many_refusals": ["多次被拒或超时", "Refused or timed out too often"],
  "reason.all_teams_busy": ["服务队都已满员", "Every team is busy"],
  "reason.review_sla": ["审核超时", "Review overdue"],
  "err.network": ["网络连接失败，请稍后再试。", "Cannot reach the platform; please try again."],
  "err.timeout": ["等待时间过长，请稍后再试。", "This took too long; please try again."],
  "err.unavailable": ["系统繁忙，请稍后再试。", "The platform is busy; please try again shortly."],
  "err.unauthorized": ["登录已过期，请重新登录。", "Your sign-in has expired; please sign in again."],
  "err.forbidden": ["您没有权限做这件事。", "You are not allowed to do this."],
  "err.illegal_transition": ["这个需求的状态已经变了，页面已刷新。", "This request has moved on; the page has been refreshed."],
  "err.invalid": ["有些内容填写得不对，请检查。", "Some fields are not valid; please check them."],
  "err.generic": ["操作没有成功（{code}）。", "That did not work ({code})."],
  "dur.ms": ["{n} 毫秒", "{n} ms"],
  "dur.s": ["{n} 秒", "{n} s"],
  "dur.m": ["{m} 分 {s} 秒", "{m} min {s} s"],
  "dur.h": ["{h} 小时 {m} 分", "{h} h {m} min"],
  "dur.d": ["{d} 天 {h} 小时", "{d} d {h} h"],
  "none": ["—", "—"],
};

export function addStrings(strings) {
  for (const [key, pair] of Object.entries(strings)) dict[key] = pair;
}
addStrings(COMMON);

export function lang() {
  const saved = localStorage.getItem(LANG_KEY);
  return LANGS.includes(saved) ? saved : "zh";
}

export function t(key, vars) {
  const pair = dict[key];
  let text = pair ? pair[lang() === "en" ? 1 : 0] : key;
  if (vars) {
    for (const [name, value] of Object.entries(vars)) text = text.split(`{${name}}`).join(String(value));
  }
  return text;
}

/** Whether a translation exists (for codes that come from the server). */
export function has(key) {
  return key in dict;
}

export function onLang(listener) {
  langListeners.push(listener);
}

export function setLang(next) {
  localStorage.setItem(LANG_KEY, next);
  applyLang();
  for (const listener of langListeners) listener(next);
}

/** Fill every element that names a string: data-i18n (text), -ph (placeholder),
 * -label (aria-label), -title (title). */
export function applyLang(root = document) {
  const current = lang();
  document.documentElement.lang = current === "en" ? "en" : "zh-CN";
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-ph]")) el.placeholder = t(el.dataset.i18nPh);
  for (const el of root.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  const button = document.getElementById("lang");
  if (button) {
    button.textContent = t("lang.switch");
    button.lang = current === "en" ? "zh-CN" : "en";
    button.setAttribute("aria-label", t("lang.switch.label"));
  }
  const titled = document.querySelector("[data-title]");
  if (titled) document.title = t(titled.dataset.title);
}

// -- the DOM ------------------------------------------------------------------------------

/** h("p", {class: "x", onclick: fn}, "text", child): an element; strings become text. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "i18n") {
      el.dataset.i18n = value;
      el.textContent = t(value);
    } else if (name === "class") {
      el.className = value;
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else if (name === "value" || name === "checked" || name === "disabled" || name === "selected") {
      el[name] = value;
    } else if (name === "style" || name === "innerHTML" || name === "outerHTML") {
      throw new Error(`h(): ${name} is not allowed`);
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// The badge of a resident's priority tier (DESIGN §11): only tiers 1 and 2 stand out, tier
// 3 (everyone else) shows nothing.
export function priorityBadge(priority) {
  if (priority !== 1 && priority !== 2) return null;
  return h("span", { class: "badge tier" + priority, title: t("priority.hint"), dataset: { priority: String(priority) } },
    t("priority." + priority));
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

/** Say something to screen-reader users through the page's live region. */
export function announce(text) {
  const region = document.getElementById("announce");
  if (!region) return;
  region.textContent = "";
  setTimeout(() => { region.textContent = text; }, 50);
}

// -- time and numbers ---------------------------------------------------------------------

const ZONE = "Asia/Shanghai";

export function fmtTime(iso, withDate = false) {
  if (!iso) return t("none");
  const options = { timeZone: ZONE, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false };
  if (withDate) Object.assign(options, { month: "2-digit", day: "2-digit" });
  return new Date(iso).toLocaleString(lang() === "en" ? "en-GB" : "zh-CN", options);
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return t("none");
  const s = Math.max(0, seconds);
  if (s < 1) return t("dur.ms", { n: Math.round(s * 1000) });
  if (s < 60) return t("dur.s", { n: s < 10 ? s.toFixed(1) : Math.round(s) });
  if (s < 3600) return t("dur.m", { m: Math.floor(s / 60), s: Math.floor(s % 60) });
  if (s < 86400) return t("dur.h", { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
  return t("dur.d", { d: Math.floor(s / 86400), h: Math.floor((s % 86400) / 3600) });
}

export function fmtNumber(n, digits = 0) {
  if (n === null || n === undefined) return t("none");
  return Number(n).toLocaleString(lang() === "en" ? "en-GB" : "zh-CN", {
    minimumFractionDigits: digits, maximumFractionDigits: digits,
  });
}

/** Hours as people write them: 3, 1.5. */
export function fmtHours(n) {
  return fmtNumber(n, Number.isInteger(n) ? 0 : 1);
}

/** The short form of a request id shown to people: the last 6 hex digits. */
export function shortId(requestId) {
  return requestId ? "#" + requestId.slice(-6) : "";
}

// -- the token ----------------------------------------------------------------------------

let token = null;
let role = null;
let unauthorizedHandler = null;

function claims(raw) {
  try {
    const part = raw.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(Array.from(atob(part), (c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join(""));
    const body = JSON.parse(json);
    return body && typeof body === "object" ? body : null;
  } catch {
    return null;
  }
}

/** Why a token cannot be used on this page, or null if it can. The server still checks it. */
export function tokenProblem(raw) {
  const c = claims(raw);
  if (!c) return t("login.bad");
  if (c.role !== role) return t("login.wrong_role", { role: has("role." + c.role) ? t("role." + c.role) : c.role });
  if (typeof c.exp === "number" && c.exp * 1000 < Date.now()) return t("login.expired");
  return null;
}

/**
 * The page's token: taken from the URL fragment (#token=…, which browsers never send to the
 * server) and then removed from the address bar, or from this tab's sessionStorage. Each page
 * keeps its own, so a kiosk tab and a staff tab never mix their roles.
 */
export function takeToken(pageRole) {
  role = pageRole;
  const key = "vd-token:" + pageRole;
  const hash = location.hash.replace(/^#/, "");
  const params = new URLSearchParams(hash);
  if (params.has("token")) {
    const fromUrl = params.get("token").trim();
    params.delete("token");
    const rest = params.toString();
    history.replaceState(history.state, "", location.pathname + location.search + (rest ? "#" + rest : ""));
    if (fromUrl) sessionStorage.setItem(key, fromUrl);
  }
  token = sessionStorage.getItem(key);
  return token;
}

export function setToken(raw) {
  token = raw;
  sessionStorage.setItem("vd-token:" + role, raw);
}

export function dropToken() {
  token = null;
  sessionStorage.removeItem("vd-token:" + role);
  sessionStorage.removeItem("vd-session:" + role);
  clearTimeout(refreshTimer);
}

// -- a signed-in session: the access token is refreshed before it expires ------------------

const REFRESH_EARLY_MS = 60000;
const REFRESH_MIN_WAIT_MS = 5000;
let refreshTimer = null;

function session() {
  try {
    return JSON.parse(sessionStorage.getItem("vd-session:" + role) || "null");
  } catch {
    return null;
  }
}

/** Keep a pair of tokens from sign-in or refresh; the next refresh is scheduled. */
export function keepSession(tokens) {
  setToken(tokens.access_token);
  sessionStorage.setItem("vd-session:" + role, JSON.stringify({
    refresh: tokens.refresh_token, until: Date.now() + tokens.expires_in_s * 1000,
  }));
  scheduleRefresh();
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  const s = session();
  if (!s) return;
  const wait = Math.max(REFRESH_MIN_WAIT_MS, s.until - Date.now() - REFRESH_EARLY_MS);
  refreshTimer = setTimeout(() => { refreshSession(); }, wait);
}

async function post(path, body, bearer) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  if (bearer) headers.Authorization = "Bearer " + bearer;
  const response = await fetch(path, {
    method: "POST", headers, body: JSON.stringify(body), cache: "no-store", credentials: "omit",
  });
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) {
    const err = data && data.error ? data.error : {};
    throw new ApiError(response.status, err.code || "http_" + response.status, err.message, err.details);
  }
  return data;
}

/** Trade the refresh token for a new pair; false when the session is over. */
export async function refreshSession() {
  const s = session();
  if (!s) return false;
  try {
    keepSession(await post("/api/v1/auth/refresh", { refresh_token: s.refresh }));
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      dropToken();
      return false;
    }
    refreshTimer = setTimeout(() => { refreshSession(); }, REFRESH_MIN_WAIT_MS);
    return true;
  }
}

async function endSession() {
  const s = session();
  if (s) {
    try { await post("/api/v1/auth/sign-out", { refresh_token: s.refresh }); } catch { /* signed out here either way */ }
  }
  dropToken();
}

export function currentToken() {
  return token;
}

export function subject() {
  const c = token ? claims(token) : null;
  return c ? c.sub : null;
}

export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

// -- the API ------------------------------------------------------------------------------

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

function randomKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A fresh Idempotency-Key: keep it while retrying one user action, so it happens once. */
export function newKey() {
  return "web-" + randomKey();
}

// Deadlines count down against the server's clock (its Date header), not a kiosk's or a
// phone's drifting one; a difference under CLOCK_SKEW_MIN_MS is noise of the header's
// one-second resolution.
const CLOCK_SKEW_MIN_MS = 2000;
let skewMs = 0;

function noteServerClock(response) {
  const server = Date.parse(response.headers.get("Date") || "");
  if (Number.isNaN(server)) return;
  const skew = server + 500 - Date.now();
  skewMs = Math.abs(skew) > CLOCK_SKEW_MIN_MS ? skew : 0;
}

export function serverNow() {
  return Date.now() + skewMs;
}

const CALL_TIMEOUT_MS = 15000;
const PENDING_POLL_MS = 500;
const PENDING_WAIT_MS = 20000;

async function call(method, path, body, key, signal) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["Idempotency-Key"] = key;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), CALL_TIMEOUT_MS);
  if (signal) signal.addEventListener("abort", () => controller.abort(), { once: true });
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal, cache: "no-store", credentials: "omit",
    });
  } catch (e) {
    throw new ApiError(0, controller.signal.aborted ? "timeout" : "network", String(e));
  } finally {
    clearTimeout(timer);
  }
  noteServerClock(response);
  let data = null;
  const text = await response.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!response.ok) {
    const err = data && data.error ? data.error : {};
    const failure = new ApiError(response.status, err.code || "http_" + response.status, err.message, err.details);
    if (response.status === 401 && unauthorizedHandler) unauthorizedHandler(failure);
    throw failure;
  }
  return { status: response.status, data };
}

/**
 * Call the API. POSTs carry an Idempotency-Key (the caller's, to retry one action safely, or
 * a new one). A 202 (the owner has not answered yet) is followed to its status URL, so the
 * caller sees the outcome or its refusal either way.
 */
export async function api(method, path, body, options = {}) {
  const key = method === "GET" ? null : options.key || newKey();
  const { status, data } = await call(method, path, method === "GET" ? undefined : (body ?? {}), key, options.signal);
  if (status !== 202 || !data || !data.status_url) return data;
  const until = Date.now() + PENDING_WAIT_MS;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, PENDING_POLL_MS));
    const { data: state } = await call("GET", data.status_url, undefined, null, options.signal);
    if (state.status === "done") return state.result || {};
    if (state.status === "rejected") {
      const e = state.error || {};
      throw new ApiError(409, e.code || "rejected", e.message, e.details);
    }
  }
  throw new ApiError(0, "timeout", "no outcome yet");
}

/**
 * Fetch a file the API serves only with a token (a PDF, a spreadsheet) and hand it to the
 * browser as a download: a plain link could not carry the Authorization header.
 */
export async function download(path, filename) {
  const headers = {};
  if (token) headers.Authorization = "Bearer " + token;
  let response;
  try {
    response = await fetch(path, { headers, cache: "no-store", credentials: "omit" });
  } catch (e) {
    throw new ApiError(0, "network", String(e));
  }
  if (!response.ok) {
    let err = {};
    try { err = (await response.json()).error || {}; } catch { err = {}; }
    throw new ApiError(response.status, err.code || "http_" + response.status, err.message, err.details);
  }
  const url = URL.createObjectURL(await response.blob());
  const link = h("a", { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/** A sentence for an API failure, in the current language. */
export function explain(error, prefix = "err.") {
  if (!(error instanceof ApiError)) return t("err.generic", { code: String(error && error.message || error) });
  if (has(prefix + error.code)) return t(prefix + error.code);
  if (has("err." + error.code)) return t("err." + error.code);
  if (error.status === 401) return t("err.unauthorized");
  if (error.status === 403) return t("err.forbidden");
  if (error.status === 503) return t("err.unavailable");
  if (error.status === 422) return t("err.invalid");
  return t("err.generic", { code: error.code });
}

/** Show why the last refresh failed in the page's #conn-notice, or hide it (no error). */
export function connectionNotice(error) {
  const box = $("#conn-notice");
  if (!box) return;
  box.hidden = !error;
  if (error) {
    box.textContent = error.code === "network" || error.code === "timeout" ? t("conn.lost") : explain(error);
  }
}

// -- page frame ---------------------------------------------------------------------------

/**
 * Wire the parts every page has: the language button, the sign-out button, who is signed in,
 * and the login form. `start(token)` runs once a usable token is known.
 */
export function frame(pageRole, strings, start, options = {}) {
  addStrings(strings);
  const langButton = document.getElementById("lang");
  langButton.addEventListener("click", () => setLang(lang() === "en" ? "zh" : "en"));
  applyLang();
  const login = document.getElementById("login");
  const app = document.getElementById("app");
  const who = document.getElementById("who");
  const logout = document.getElementById("logout");
  const form = document.getElementById("login-form");
  const input = document.getElementById("token-input");
  const problem = document.getElementById("login-error");
  let started = false;

  function showWho() {
    const sub = subject();
    who.textContent = sub ? t("who", { role: t("role." + pageRole), subject: sub }) : "";
  }
  onLang(showWho);

  function showLogin(message) {
    app.hidden = true;
    login.hidden = false;
    logout.hidden = true;
    who.textContent = "";
    problem.textContent = message || "";
    input.value = "";
    (document.getElementById("signin-phone") || document.getElementById("device-id") || input).focus();
  }

  function enter() {
    login.hidden = true;
    app.hidden = false;
    logout.hidden = false;
    problem.textContent = "";
    showWho();
    if (!started) {
      started = true;
      start();
    }
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const raw = input.value.trim();
    const why = tokenProblem(raw);
    if (why) {
      problem.textContent = why;
      input.focus();
      return;
    }
    setToken(raw);
    enter();
  });
  if (pageRole === "kiosk") deviceForm(form, enter);
  else {
    const signIn = signInForm(pageRole, form, enter, showLogin, options);
    if (pageRole === "resident") signUpForm(signIn, enter);
  }
  logout.addEventListener("click", async () => {
    await endSession();
    location.reload();
  });
  onUnauthorized(async () => {
    if (session() && await refreshSession()) return;
    dropToken();
    if (started) {
      // A page that is running stops cleanly: reload into the login form.
      sessionStorage.setItem("vd-login-message", t("login.expired"));
      location.reload();
    } else {
      showLogin(t("login.expired"));
    }
  });

  const raw = takeToken(pageRole);
  if (raw && session()) scheduleRefresh();
  const carried = sessionStorage.getItem("vd-login-message");
  sessionStorage.removeItem("vd-login-message");
  const why = raw ? tokenProblem(raw) : null;
  if (raw && !why) enter();
  else {
    if (raw) dropToken();
    showLogin(why || carried || "");
  }
}

/** A labelled field of the sign-in forms. */
function field(id, key, input, ...more) {
  return h("div", { class: "field" }, h("label", { for: id, "data-i18n": key }, t(key)), input, ...more);
}

/** The token form, folded under a disclosure: the phone or device form comes first. */
function foldAway(tokenForm) {
  const folded = h("details", { id: "token-login" },
    h("summary", { "data-i18n": "signin.token" }, t("signin.token")));
  tokenForm.replaceWith(folded);
  folded.append(tokenForm);
  return folded;
}

/** Ask for a one-time code for the phone typed in, and say where it went. */
async function sendCodeTo(phone, code, sent, error) {
  error.textContent = "";
  try {
    const out = await post("/api/v1/auth/codes", { phone: phone.value.trim() });
    sent.textContent = t("signin.code_sent", { to: out.sent_to, m: Math.round(out.expires_in_s / 60) });
    code.focus();
  } catch (e) {
    error.textContent = explain(e);
  }
}

/**
 * The phone sign-in form, placed before the token form (which folds away under a
 * disclosure): phone + password, or phone + a code sent by text message. A session opened
 * with a one-time password asks for a new password before the page starts.
 */
function signInForm(pageRole, tokenForm, enter, showLogin, options) {
  const askedRole = options.role || (() => pageRole);
  // Where a signed-in person goes: by default this page; /login sends each role to its own.
  const proceed = (signedRole) => { if (!(options.arrive && options.arrive(signedRole))) enter(); };
  let signedRole = pageRole;
  const error = h("p", { class: "error-text", role: "alert", id: "signin-error" });
  const sent = h("p", { class: "muted small", role: "status", id: "signin-sent" });
  const phone = h("input", { id: "signin-phone", name: "phone", type: "tel", inputmode: "numeric", autocomplete: "tel", maxlength: "11", required: "" });
  const password = h("input", { id: "signin-password", name: "password", type: "password", autocomplete: "current-password" });
  const code = h("input", { id: "signin-code", name: "code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "6" });
  const sendCode = h("button", { type: "button", id: "signin-send-code", "data-i18n": "signin.send_code" }, t("signin.send_code"));
  const form = h("form", { id: "signin-form", novalidate: "" },
    field("signin-phone", "signin.phone", phone),
    field("signin-password", "signin.password", password),
    field("signin-code", "signin.code", code, sendCode, sent),
    error,
    h("button", { class: "primary", type: "submit", "data-i18n": "signin.submit" }, t("signin.submit")));
  const fresh = h("input", { id: "signin-new-password", type: "password", autocomplete: "new-password", minlength: "8", required: "" });
  const changeError = h("p", { class: "error-text", role: "alert" });
  const change = h("form", { id: "change-form", hidden: "" },
    h("h3", { "data-i18n": "signin.change_title" }, t("signin.change_title")),
    h("p", { class: "muted", "data-i18n": "signin.change_hint" }, t("signin.change_hint")),
    field("signin-new-password", "signin.new_password", fresh), changeError,
    h("button", { class: "primary", type: "submit", "data-i18n": "signin.change_submit" }, t("signin.change_submit")));
  const folded = foldAway(tokenForm);
  folded.before(form, change);

  sendCode.addEventListener("click", () => sendCodeTo(phone, code, sent, error));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    const body = { phone: phone.value.trim() };
    if (askedRole()) body.role = askedRole();
    if (code.value.trim()) body.code = code.value.trim();
    else if (password.value) body.password = password.value;
    else {
      error.textContent = t("signin.need");
      return;
    }
    try {
      const tokens = await post("/api/v1/auth/sign-in", body);
      signedRole = tokens.role;
      if (signedRole !== pageRole) takeToken(signedRole);
      keepSession(tokens);
      password.value = "";
      code.value = "";
      if (tokens.password_change_required) {
        form.hidden = true;
        folded.hidden = true;
        change.hidden = false;
        fresh.focus();
        return;
      }
      proceed(signedRole);
    } catch (err) {
      error.textContent = explain(err);
      (body.code ? code : password).focus();
    }
  });
  change.addEventListener("submit", async (e) => {
    e.preventDefault();
    changeError.textContent = "";
    try {
      await post("/api/v1/auth/password", { new_password: fresh.value }, currentToken());
      fresh.value = "";
      if (!(await refreshSession())) {
        showLogin(t("login.expired"));
        return;
      }
      change.hidden = true;
      form.hidden = false;
      folded.hidden = false;
      proceed(signedRole);
    } catch (err) {
      changeError.textContent = explain(err);
    }
  });
  return form;
}

/** A kiosk signs in with its id and the device key staff were shown when they registered it. */
function deviceForm(tokenForm, enter) {
  const error = h("p", { class: "error-text", role: "alert", id: "device-error" });
  const id = h("input", { id: "device-id", autocomplete: "username", spellcheck: "false", required: "" });
  const key = h("input", { id: "device-key", type: "password", autocomplete: "current-password", spellcheck: "false", required: "" });
  const form = h("form", { id: "device-form", novalidate: "" },
    field("device-id", "device.id", id), field("device-key", "device.key", key), error,
    h("button", { class: "primary", type: "submit", "data-i18n": "device.submit" }, t("device.submit")));
  foldAway(tokenForm).before(form);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    try {
      keepSession(await post("/api/v1/auth/device", { kiosk_id: id.value.trim(), device_key: key.value.trim() }));
      key.value = "";
      enter();
    } catch (err) {
      error.textContent = explain(err);
      key.focus();
    }
  });
}

/** A resident signs up on their page with a code sent to their phone. */
function signUpForm(signIn, enter) {
  const toggle = h("button", { type: "button", class: "quiet", id: "signup-toggle", "data-i18n": "signup.toggle" }, t("signup.toggle"));
  const error = h("p", { class: "error-text", role: "alert", id: "signup-error" });
  const sent = h("p", { class: "muted small", role: "status" });
  const input = (id, attrs = {}) => h("input", { id, ...attrs });
  const phone = input("signup-phone", { type: "tel", inputmode: "numeric", autocomplete: "tel", maxlength: "11" });
  const code = input("signup-code", { inputmode: "numeric", autocomplete: "one-time-code", maxlength: "6" });
  const name = input("signup-name", { autocomplete: "name", maxlength: "100" });
  const area = h("select", { id: "signup-area" });
  const address = input("signup-address", { autocomplete: "street-address", maxlength: "200" });
  const password = input("signup-password", { type: "password", autocomplete: "new-password", minlength: "8" });
  const sendCode = h("button", { type: "button", "data-i18n": "signin.send_code" }, t("signin.send_code"));
  const form = h("form", { id: "signup-form", novalidate: "", hidden: "" },
    h("h3", { "data-i18n": "signup.title" }, t("signup.title")),
    field("signup-phone", "signin.phone", phone),
    field("signup-code", "signin.code", code, sendCode, sent),
    field("signup-name", "signup.name", name), field("signup-area", "signup.area", area),
    field("signup-address", "signup.address", address),
    field("signup-password", "signup.password", password), error,
    h("button", { class: "primary", type: "submit", "data-i18n": "signup.submit" }, t("signup.submit")));
  signIn.after(toggle, form);
  toggle.addEventListener("click", async () => {
    form.hidden = !form.hidden;
    if (form.hidden || area.options.length) return;
    try {
      const { data } = await call("GET", "/api/v1/areas");
      for (const a of data.areas) {
        area.append(h("option", { value: a.code, disabled: a.level < 2 }, "\u00a0".repeat(2 * a.level) + a.name));
      }
      const first = [...area.options].find((o) => !o.disabled);
      if (first) area.value = first.value;
    } catch (e) {
      error.textContent = explain(e);
    }
    phone.focus();
  });
  sendCode.addEventListener("click", () => sendCodeTo(phone, code, sent, error));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    const body = { phone: phone.value.trim(), code: code.value.trim(), name: name.value.trim(),
      area: area.value, address: address.value.trim() };
    if (password.value) body.password = password.value;
    try {
      keepSession(await post("/api/v1/auth/sign-up", body));
      password.value = "";
      enter();
    } catch (err) {
      error.textContent = explain(err);
    }
  });
}
