// The points-exchange kiosk: a volunteer enters (or scans) their id and the 8-digit code from
// their phone, sees their balance, lifetime hours and this quarter's state, picks a gift and
// confirms; the kiosk shows a receipt. Every refusal is a plain sentence. After a pause with
// no touch or key the kiosk goes back to the start screen and forgets everything.
//
// The same kiosk is a village points supermarket (积分超市) in its civic mode: a household's
// number and the code the village office printed for its head, the household's civic points,
// and the goods of this kiosk's own shelf. The mode a kiosk is in is remembered on it.

import { $, ApiError, announce, api, clear, explain, fmtNumber, fmtTime, frame, h, has, newKey, onLang, t } from "./vd.js";

const STRINGS = {
  "kiosk.title": ["积分兑换 · 志愿服务派单平台", "Points exchange · Volunteer dispatch"],
  "kiosk.heading": ["积分兑换", "Points exchange"],
  "start.title": ["志愿者积分兑换", "Exchange your volunteer points"],
  "start.hint": ["请输入志愿者编号，以及手机上显示的 8 位兑换码（也可以直接扫码）。", "Enter your volunteer number and the 8-digit code shown on your phone (or scan it)."],
  "start.volunteer": ["志愿者编号", "Volunteer number"],
  "start.code": ["兑换码（8 位数字）", "Code (8 digits)"],
  "start.next": ["查询积分", "Show my points"],
  "start.loading": ["正在查询…", "Looking up…"],
  "v.volunteer": ["请输入志愿者编号。", "Enter your volunteer number."],
  "v.code": ["兑换码是 8 位数字。", "The code has 8 digits."],
  "account.title": ["{name}（{id}）您好", "Hello, {name} ({id})"],
  "account.balance": ["可用积分", "Points available"],
  "account.hours": ["累计服务时长（小时）", "Lifetime service hours"],
  "quarter.open": ["本季度（{q}）您还可以兑换一次礼品。", "You can redeem one gift this quarter ({q})."],
  "quarter.used": ["本季度（{q}）您已经兑换过了，每季度只能兑换一次，请下个季度再来。", "You have already redeemed this quarter ({q}). One gift per quarter: please come back next quarter."],
  "catalog.title": ["请选择礼品", "Choose a gift"],
  "catalog.empty": ["现在没有可兑换的礼品。", "No gifts are available right now."],
  "gift.points": ["{n} 积分", "{n} points"],
  "gift.stock": ["库存 {n}", "{n} left"],
  "gift.none": ["已兑完", "Out of stock"],
  "gift.short": ["积分不足", "Not enough points"],
  "gift.label": ["{name}，{points} 积分，库存 {stock}", "{name}, {points} points, {stock} left"],
  "back": ["返回首页", "Back to start"],
  "confirm.title": ["确认兑换", "Confirm"],
  "confirm.text": ["用 {points} 积分兑换“{name}”？", "Spend {points} points on “{name}”?"],
  "confirm.after": ["兑换后剩余 {left} 积分；服务时长不会减少。", "You will have {left} points left; your service hours stay."],
  "confirm.yes": ["确认兑换", "Yes, redeem"],
  "confirm.back": ["返回", "Back"],
  "confirm.recode": ["重新输入兑换码", "Enter the code again"],
  "confirm.sending": ["正在兑换…", "Redeeming…"],
  "receipt.title": ["兑换成功", "Done!"],
  "receipt.hint": ["请凭此页面到柜台领取礼品。", "Show this screen at the counter to collect your gift."],
  "receipt.gift": ["礼品", "Gift"],
  "receipt.points": ["使用积分", "Points spent"],
  "receipt.balance": ["剩余积分", "Points left"],
  "receipt.hours": ["累计服务时长", "Lifetime hours"],
  "receipt.quarter": ["兑换季度", "Quarter"],
  "receipt.id": ["兑换单号", "Receipt number"],
  "receipt.time": ["时间", "Time"],
  "receipt.done": ["完成", "Finish"],
  "hours.n": ["{n} 小时", "{n} h"],
  "idle.back": ["{n} 秒后回到首页", "Back to the start in {n} s"],
  "err.volunteer_not_found": ["找不到这个志愿者编号，请核对后重新输入。", "There is no volunteer with this number. Please check it."],
  "err.code_required": ["兑换码不正确或已失效。请在手机上重新获取兑换码后再试。", "The code is not right or no longer valid. Get a new code on your phone and try again."],
  "err.invalid_code": ["兑换码不正确。请在手机上重新获取兑换码后再试。", "The code is not right. Get a new code on your phone and try again."],
  "err.code_used": ["这个兑换码已经用过了。请在手机上获取新的兑换码。", "This code has been used already. Get a new code on your phone."],
  "err.code_expired": ["兑换码已过期（有效期 10 分钟）。请在手机上获取新的兑换码。", "The code has expired. Get a new code on your phone."],
  "err.quarter_used": ["本季度已经兑换过礼品了，每季度只能兑换一次，请下个季度再来。", "You have already redeemed a gift this quarter. One per quarter: please come back next quarter."],
  "err.insufficient_points": ["积分不够兑换这个礼品，请选择积分更少的礼品。", "You do not have enough points for this gift. Choose a cheaper one."],
  "err.out_of_stock": ["这个礼品刚刚兑完了，请选择其他礼品。", "This gift has just run out. Please choose another."],
  "err.unknown_item": ["这个礼品已下架，请选择其他礼品。", "This gift is no longer offered. Please choose another."],
  "err.price_changed": ["礼品所需积分有变化，请重新选择。", "The price of this gift changed; please choose again."],
  "err.redemption_exists": ["这次兑换已经办理过了。", "This exchange was already made."],
  "err.invalid": ["输入的内容格式不对，请检查志愿者编号和兑换码。", "Please check the volunteer number and the code."],
  "err.forbidden": ["这台兑换机没有权限办理，请联系工作人员。", "This kiosk may not do that; please call the staff."],
  "mode.label": ["兑换方式", "What to exchange"],
  "mode.service": ["志愿者积分兑换", "Volunteer points"],
  "mode.civic": ["积分超市（家庭）", "Village points supermarket"],
  "civic.start.title": ["积分超市 · 家庭积分兑换", "Village points supermarket"],
  "civic.start.hint": ["请输入户号，以及村委会打印给户主的 8 位兑换码。", "Enter the household number and the 8-digit code the village office printed for the head of the household."],
  "civic.start.id": ["户号", "Household number"],
  "civic.v.id": ["请输入户号。", "Enter the household number."],
  "civic.account.title": ["{name}家（{id}）您好", "Hello, household of {name} ({id})"],
  "civic.catalog.title": ["请选择商品", "Choose a good"],
  "civic.catalog.empty": ["本超市现在没有可兑换的商品。", "This shop has no goods right now."],
  "civic.quarter.open": ["本季度（{q}）您家还可以兑换一次。", "Your household can exchange once this quarter ({q})."],
  "civic.quarter.used": ["本季度（{q}）您家已经兑换过了，每季度只能兑换一次。", "Your household has exchanged this quarter ({q}). Once a quarter."],
  "civic.confirm.after": ["兑换后您家剩余 {left} 积分。", "Your household will have {left} points left."],
  "civic.receipt.hint": ["请凭此页面到柜台领取商品。", "Show this screen at the counter to collect the good."],
  "civic.err.not_found": ["找不到这个户号，请核对后重新输入。", "There is no household with this number. Please check it."],
  "civic.err.code_required": ["兑换码不正确或已失效，请到村委会重新打印兑换码。", "The code is not right or no longer valid. Ask the village office for a new one."],
  "civic.err.code_used": ["这个兑换码已经用过了，请到村委会重新打印。", "This code has been used. Ask the village office for a new one."],
  "civic.err.code_expired": ["兑换码已过期，请到村委会重新打印。", "The code has expired. Ask the village office for a new one."],
  "civic.err.out_of_scope": ["这户不属于本超市所在的村，请到本村的积分超市兑换。", "This household belongs to another village's supermarket."],
  "civic.err.quarter_used": ["本季度您家已经兑换过了，每季度只能兑换一次。", "Your household has exchanged this quarter already."],
  "civic.err.insufficient_points": ["积分不够兑换这件商品，请选择积分更少的商品。", "Not enough points for this good. Choose a cheaper one."],
  "civic.err.unknown_item": ["这件商品不在本超市的货架上了，请选择其他商品。", "This good is no longer on this shelf."],
};

const MODE_KEY = "vd-kiosk-mode";
/** What differs between the volunteers' exchange and the village supermarket. */
const MODES = {
  service: {
    prefix: "",
    points: (id, code) => `/api/v1/volunteers/${encodeURIComponent(id)}/points?limit=1&code=${encodeURIComponent(code)}`,
    catalog: "/api/v1/catalog",
    redeem: "/api/v1/redemptions",
    body: (id, item, code) => ({ volunteer_id: id, item_id: item, code }),
    balance: (a) => a.available,
    used: (a) => a.redeemed_this_quarter,
    title: (a) => t("account.title", { name: a.name || "", id: a.volunteer_id }),
  },
  civic: {
    prefix: "civic.",
    points: (id, code) => `/api/v1/households/${encodeURIComponent(id)}/points?limit=1&code=${encodeURIComponent(code)}`,
    catalog: "/api/v1/catalog?kind=civic",
    redeem: "/api/v1/civic-redemptions",
    body: (id, item, code) => ({ household_id: id, item_id: item, code }),
    balance: (a) => a.balance,
    used: (a) => a.exchanged_this_quarter,
    title: (a) => t("civic.account.title", { name: a.head_name || "", id: a.household_id }),
  },
};

function mode() {
  return MODES[localStorage.getItem(MODE_KEY)] || MODES.service;
}

/** A string of the current mode: its own where it has one, else the volunteers'. */
function says(key, vars) {
  const own = mode().prefix + key;
  return has(own) ? t(own, vars) : t(key, vars);
}

function why(err) {
  return explain(err, mode().prefix ? "civic.err." : "err.");
}

function setMode(name) {
  localStorage.setItem(MODE_KEY, name);
  for (const [id, key] of [["start-title", "start.title"], ["start-hint", "start.hint"], ["volunteer-label", "start.volunteer"],
    ["catalog-title", "catalog.title"], ["receipt-hint", "receipt.hint"]]) {
    const civicKey = { "start.volunteer": "civic.start.id" }[key] || "civic." + key;
    const chosen = name === "civic" && has(civicKey) ? civicKey : key;
    const el = $("#" + id);
    el.dataset.i18n = chosen;
    el.textContent = t(chosen);
  }
  $("#mode-service").setAttribute("aria-pressed", String(name !== "civic"));
  $("#mode-civic").setAttribute("aria-pressed", String(name === "civic"));
  $("#hours-figure").hidden = name === "civic";
  document.body.dataset.mode = name;
}

const IDLE_S_DEFAULT = 20;
const IDLE_KEY = "vd-kiosk-idle-s"; // an operator may set another pause, in seconds
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const CODE = /^[0-9]{8}$/;
const CODE_ERRORS = new Set(["invalid_code", "code_used", "code_expired"]);
const CHOOSE_AGAIN = new Set(["out_of_stock", "unknown_item", "insufficient_points", "price_changed"]);

const state = {
  volunteerId: null, code: null, account: null, catalog: [], item: null, key: null, receipt: null, refusal: null,
};

function idleSeconds() {
  const raw = Number(localStorage.getItem(IDLE_KEY));
  return Number.isFinite(raw) && raw >= 3 && raw <= 600 ? raw : IDLE_S_DEFAULT;
}

// -- screens ------------------------------------------------------------------------------

let screen = "start";

function show(name) {
  screen = name;
  for (const el of document.querySelectorAll(".screen")) el.hidden = el.id !== "screen-" + name;
  const title = document.querySelector(`#screen-${name} h2[tabindex]`);
  if (title && name !== "start") title.focus();
  touch();
}

function home(keepVolunteer = false) {
  const keep = keepVolunteer ? state.volunteerId : null;
  Object.assign(state, {
    volunteerId: null, code: null, account: null, catalog: [], item: null, key: null, receipt: null, refusal: null,
  });
  $("#start-form").reset();
  for (const id of ["volunteer-error", "code-error"]) $("#" + id).textContent = "";
  $("#start-problem").hidden = true;
  for (const el of document.querySelectorAll("#start-form [aria-invalid]")) el.setAttribute("aria-invalid", "false");
  show("start");
  if (keep) {
    $("#volunteer-id").value = keep;
    $("#code").focus();
  } else {
    $("#volunteer-id").focus();
  }
}

// -- idle ---------------------------------------------------------------------------------

let lastTouch = Date.now();
function touch() {
  lastTouch = Date.now();
  $("#idle").textContent = "";
}

function idleTick() {
  const dirty = screen !== "start" || $("#volunteer-id").value || $("#code").value;
  if (!dirty) {
    $("#idle").textContent = "";
    return;
  }
  const left = Math.ceil(idleSeconds() - (Date.now() - lastTouch) / 1000);
  if (left <= 0) {
    home();
    return;
  }
  // Say so in the last ten seconds (and always on the receipt).
  $("#idle").textContent = left <= 10 || screen === "receipt" ? t("idle.back", { n: left }) : "";
}

// -- start: who and which code ---------------------------------------------------------------

/** A scanner types like a keyboard: "V0085 12345678", "V0085:12345678" or "V0085,12345678"
 * in the first field are split into the two fields. */
function splitScan() {
  const field = $("#volunteer-id");
  const m = /^\s*([A-Za-z0-9][A-Za-z0-9_.-]{0,63})[\s:,;|/]+([0-9]{8})\s*$/.exec(field.value);
  if (m) {
    field.value = m[1];
    $("#code").value = m[2];
    return true;
  }
  return false;
}

function setError(inputId, errorId, message) {
  $("#" + errorId).textContent = message || "";
  $("#" + inputId).setAttribute("aria-invalid", message ? "true" : "false");
  return !message;
}

async function start(e) {
  e.preventDefault();
  splitScan();
  const volunteerId = $("#volunteer-id").value.trim();
  const code = $("#code").value.replace(/\s/g, "");
  const okId = setError("volunteer-id", "volunteer-error", IDENTIFIER.test(volunteerId) ? "" : says(mode().prefix ? "v.id" : "v.volunteer"));
  const okCode = setError("code", "code-error", CODE.test(code) ? "" : t("v.code"));
  if (!okId || !okCode) {
    (okId ? $("#code") : $("#volunteer-id")).focus();
    return;
  }
  const problem = $("#start-problem");
  problem.hidden = true;
  const button = $("#start-form button[type=submit]");
  button.disabled = true;
  button.textContent = t("start.loading");
  try {
    const [account, catalog] = await Promise.all([
      api("GET", mode().points(volunteerId, code)),
      api("GET", mode().catalog),
    ]);
    Object.assign(state, { volunteerId, code, account, catalog: catalog.items });
    renderAccount();
    show("account");
  } catch (err) {
    problem.textContent = why(err);
    problem.hidden = false;
    $("#volunteer-id").focus();
  } finally {
    button.disabled = false;
    button.textContent = t("start.next");
  }
}

// -- account and catalog -----------------------------------------------------------------

function renderAccount() {
  const a = state.account;
  if (!a) return;
  const m = mode();
  const balance = m.balance(a);
  const used = m.used(a);
  $("#account-title").textContent = m.title(a);
  $("#balance").textContent = fmtNumber(balance);
  $("#hours").textContent = a.lifetime_hours === undefined ? "" : fmtNumber(a.lifetime_hours, a.lifetime_hours % 1 ? 1 : 0);
  const quarter = $("#quarter");
  quarter.textContent = says(used ? "quarter.used" : "quarter.open", { q: a.quarter });
  quarter.className = "notice " + (used ? "warn" : "ok");
  const list = clear($("#catalog"));
  const items = [...state.catalog].sort((x, y) => x.points - y.points || x.name.localeCompare(y.name));
  for (const item of items) {
    const none = item.stock < 1;
    const short = item.points > balance;
    const why = none ? t("gift.none") : short ? t("gift.short") : null;
    list.append(h("li", {},
      h("button", {
        type: "button", class: "gift", disabled: none || short || used,
        "aria-label": t("gift.label", { name: item.name, points: item.points, stock: item.stock }) + (why ? "，" + why : ""),
        dataset: { item: item.item_id },
        onclick: () => choose(item),
      },
      h("span", { class: "gift-name" }, item.name),
      h("span", { class: "gift-points" }, t("gift.points", { n: fmtNumber(item.points) })),
      h("span", { class: "gift-stock" }, why || t("gift.stock", { n: fmtNumber(item.stock) })))));
  }
  if (!items.length) list.append(h("li", { class: "muted" }, says("catalog.empty")));
}

function choose(item) {
  state.item = item;
  state.key = newKey(); // one key per confirmation: a retried tap redeems once
  renderConfirm();
  $("#refusal").hidden = true;
  $("#confirm-yes").hidden = false;
  $("#confirm-recode").hidden = true;
  show("confirm");
}

function renderConfirm() {
  const item = state.item;
  if (!item || !state.account) return;
  $("#confirm-text").textContent = t("confirm.text", { points: fmtNumber(item.points), name: item.name });
  $("#confirm-after").textContent = says("confirm.after", { left: fmtNumber(mode().balance(state.account) - item.points) });
}

async function redeem() {
  const yes = $("#confirm-yes");
  yes.disabled = true;
  yes.textContent = t("confirm.sending");
  const refusal = $("#refusal");
  refusal.hidden = true;
  try {
    const out = await api("POST", mode().redeem, mode().body(state.volunteerId, state.item.item_id, state.code),
      { key: state.key });
    state.receipt = { ...out, name: state.item.name, at: new Date().toISOString() };
    state.code = null; // used: never keep it
    renderReceipt();
    show("receipt");
    announce(t("receipt.title"));
  } catch (err) {
    const code = err instanceof ApiError ? err.code : "";
    state.refusal = err;
    refusal.textContent = why(err);
    refusal.hidden = false;
    refusal.dataset.code = code;
    if (err instanceof ApiError && err.status > 0) state.key = newKey();
    // A refused code cannot be used again; a gift that ran out needs another choice.
    yes.hidden = CODE_ERRORS.has(code) || CHOOSE_AGAIN.has(code) || code === "quarter_used";
    $("#confirm-recode").hidden = !CODE_ERRORS.has(code);
    (yes.hidden ? ($("#confirm-recode").hidden ? $("#confirm-back") : $("#confirm-recode")) : yes).focus();
  } finally {
    yes.disabled = false;
    yes.textContent = t("confirm.yes");
  }
}

async function back() {
  const code = $("#refusal").dataset.code || "";
  if (CHOOSE_AGAIN.has(code)) {
    // Fresh stock and balance before the next choice.
    try {
      const [account, catalog] = await Promise.all([
        api("GET", mode().points(state.volunteerId, state.code || "")),
        api("GET", mode().catalog),
      ]);
      Object.assign(state, { account, catalog: catalog.items });
    } catch {
      // Keep what we have: the server refuses again if it is still wrong.
    }
  }
  $("#refusal").dataset.code = "";
  state.refusal = null;
  renderAccount();
  show("account");
}

function renderReceipt() {
  const r = state.receipt;
  if (!r) return;
  const rows = [
    ["receipt.gift", r.name],
    ["receipt.points", fmtNumber(r.points)],
    ["receipt.balance", fmtNumber(r.balance)],
    r.lifetime_hours === undefined ? null : ["receipt.hours", t("hours.n", { n: fmtNumber(r.lifetime_hours, r.lifetime_hours % 1 ? 1 : 0) })],
    ["receipt.quarter", r.quarter],
    ["receipt.id", r.redemption_id],
    ["receipt.time", fmtTime(r.at, true)],
  ];
  const list = clear($("#receipt"));
  for (const [key, value] of rows.filter(Boolean)) list.append(h("dt", {}, t(key)), h("dd", { dataset: { field: key.split(".")[1] } }, value));
}

frame("kiosk", STRINGS, () => {
  $("#start-form").addEventListener("submit", start);
  $("#volunteer-id").addEventListener("input", () => { if (splitScan()) $("#start-form button[type=submit]").focus(); });
  $("#code").addEventListener("input", (e) => { e.target.value = e.target.value.replace(/[^0-9]/g, "").slice(0, 8); });
  for (const button of document.querySelectorAll("[data-action=home]")) button.addEventListener("click", () => home());
  $("#confirm-yes").addEventListener("click", redeem);
  $("#confirm-back").addEventListener("click", back);
  $("#confirm-recode").addEventListener("click", () => home(true));
  for (const kind of ["pointerdown", "keydown", "input", "wheel", "touchstart"]) {
    document.addEventListener(kind, touch, { passive: true, capture: true });
  }
  setInterval(idleTick, 1000);
  onLang(() => {
    renderAccount();
    renderConfirm();
    renderReceipt();
    if (state.refusal) $("#refusal").textContent = why(state.refusal);
  });
  const wanted = new URLSearchParams(location.search).get("mode");
  setMode(wanted in MODES ? wanted : localStorage.getItem(MODE_KEY) in MODES ? localStorage.getItem(MODE_KEY) : "service");
  for (const name of Object.keys(MODES)) {
    $("#mode-" + name).addEventListener("click", () => { setMode(name); home(); });
  }
  home();
});
