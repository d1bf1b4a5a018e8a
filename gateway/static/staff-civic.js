// The staff page's village points supermarket (积分超市, DESIGN §11): a month's scoring sheet of
// a village (households × the village's rules), typed row by row from the keyboard; one
// household's points with its entries, corrections and a printed redeem code; registering
// households, setting the village's rules and stocking the supermarket kiosk's shelf.
import { ApiError, addStrings, api, clear, explain, fmtTime, h, newKey, serverNow, t } from "./vd.js";
import { field, posting } from "./staff-forms.js";

addStrings({
  "civic.title": ["积分超市", "Village points supermarket"],
  "civic.hint": ["每月按村规为各户打分（当月和次月可打），每季度各户凭户主的兑换码到本村积分超市兑换一次。家庭积分与志愿服务积分互不相通。", "Score each household monthly by the village's rules (during the month and the next); each quarter a household exchanges once at its village's supermarket with the head's code. Civic points never mix with volunteers' points."],
  "civic.area": ["村（社区）", "Village"],
  "civic.month": ["月份", "Month"],
  "civic.load": ["打开评分表", "Open the sheet"],
  "civic.sheet": ["{month} 评分表", "Sheet of {month}"],
  "civic.sheet.closed": ["这个月已不能再打分（只能在当月和次月打分），可以查看。", "This month can no longer be scored (only during it and the next); it is shown read-only."],
  "civic.sheet.none": ["这个区域还没有登记的家庭。", "No household is registered here yet."],
  "civic.sheet.norules": ["这个区域还没有村规积分项目，请先在下面添加。", "No civic rule applies here yet: add one below."],
  "civic.sheet.truncated": ["家庭太多，只显示了一部分：请选择更小的区域。", "Too many households: choose a smaller area."],
  "civic.sheet.keys": ["用 Tab 在格子间移动，↑↓ 换户，回车保存本户。", "Tab between cells, ↑ ↓ between households, Enter saves the row."],
  "civic.col.household": ["户号", "Household"],
  "civic.col.head": ["户主", "Head"],
  "civic.col.reason": ["理由", "Reason"],
  "civic.col.balance": ["积分", "Balance"],
  "civic.max": ["满分 {n}", "max {n}"],
  "civic.cell": ["{household} {rule}（满分 {n}）", "{household} {rule} (max {n})"],
  "civic.save": ["保存", "Save"],
  "civic.save.all": ["全部保存", "Save every row"],
  "civic.saved": ["已保存，积分 {n}", "Saved, balance {n}"],
  "civic.nothing": ["这一户没有填写分数。", "Nothing typed for this household."],
  "civic.open": ["查看", "Open"],
  "civic.points": ["{head}家（{id}）：{n} 积分", "Household of {head} ({id}): {n} points"],
  "civic.quarter.used": ["本季度已兑换", "exchanged this quarter"],
  "civic.quarter.open": ["本季度未兑换", "not exchanged this quarter"],
  "civic.entry.score": ["打分", "Score"],
  "civic.entry.correction": ["更正", "Correction"],
  "civic.entry.redemption": ["兑换", "Exchange"],
  "civic.unrecovered": ["（{n} 分已兑换，未能扣回）", "({n} already exchanged, not taken back)"],
  "civic.correct": ["更正一项打分", "Correct a scoring"],
  "civic.correct.which": ["哪一项", "Which"],
  "civic.correct.submit": ["更正", "Correct"],
  "civic.corrected": ["已更正，积分 {n}。该月该项可重新打分。", "Corrected, balance {n}. The month and rule may be scored again."],
  "civic.code": ["打印兑换码", "Print a redeem code"],
  "civic.code.slip": ["户号 {id} · 兑换码 {code} · 有效期至 {until}", "Household {id} · code {code} · valid until {until}"],
  "civic.code.note": ["兑换码只显示这一次：请打印或抄给户主。再次生成会替换旧码。", "The code is shown this once: print it or write it down for the head. A new one replaces it."],
  "civic.code.print": ["打印", "Print"],
  "civic.new": ["登记家庭", "Register a household"],
  "civic.new.id": ["户号", "Household number"],
  "civic.new.head": ["户主姓名", "Head of the household"],
  "civic.new.members": ["家庭成员（用逗号分隔）", "Members (comma-separated)"],
  "civic.new.save": ["登记", "Register"],
  "civic.new.saved": ["已登记 {id}。", "Registered {id}."],
  "civic.rule": ["村规积分项目", "Civic rules"],
  "civic.rule.id": ["项目编号", "Rule id"],
  "civic.rule.name": ["名称", "Name"],
  "civic.rule.max": ["每月满分", "Monthly maximum"],
  "civic.rule.active": ["启用", "In use"],
  "civic.rule.save": ["保存项目", "Save the rule"],
  "civic.rule.saved": ["已保存项目 {id}。", "Saved rule {id}."],
  "civic.goods": ["超市商品", "Supermarket goods"],
  "civic.goods.kiosk": ["超市兑换机编号", "Supermarket kiosk id"],
  "civic.goods.id": ["商品编号", "Good id"],
  "civic.goods.name": ["商品名称", "Name"],
  "civic.goods.points": ["所需积分", "Points"],
  "civic.goods.stock": ["入库数量", "Stock to add"],
  "civic.goods.save": ["上架/补货", "Stock it"],
  "civic.goods.line": ["{name} · {points} 分 · 库存 {stock} · {kiosk}", "{name} · {points} points · {stock} left · {kiosk}"],
  "civic.goods.none": ["还没有商品。", "No goods yet."],
  "err.already_scored": ["这个月这一项已经打过分了：如有错误请先更正。", "This month is already scored for this rule: correct it first."],
  "err.month_closed": ["只能为当月和上个月打分。", "Only this month and the last may be scored."],
  "err.points_over_max": ["分数超过了这一项的满分。", "More than the rule's maximum."],
  "err.unknown_rule": ["这个项目不适用于这一户。", "This rule does not apply to this household."],
  "err.household_exists": ["这个户号已经登记过了。", "This household number is taken."],
  "err.rule_exists": ["这个项目编号已属于另一个村。", "This rule id belongs to another village."],
  "err.not_scored": ["这一项这个月还没有打分。", "Not scored that month."],
  "err.unknown_kiosk": ["辖区内没有这台兑换机。", "No such kiosk in your scope."],
  "err.item_exists": ["这个商品编号属于另一台兑换机。", "This good id belongs to another kiosk."],
});

const civic = { sheet: null, areas: [] };

function monthNow() {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit" })
    .formatToParts(new Date(serverNow()));
  const get = (type) => parts.find((p) => p.type === type).value;
  return `${get("year")}-${get("month")}`;
}

function status(el, text) {
  el.textContent = text;
}

// -- the sheet -----------------------------------------------------------------------------

function moveRow(input, step) {
  const cells = [...input.closest("tr").querySelectorAll("input")];
  const column = cells.indexOf(input);
  let row = input.closest("tr");
  do { row = step > 0 ? row.nextElementSibling : row.previousElementSibling; } while (row && !row.querySelector("input"));
  if (row) {
    const there = row.querySelectorAll("input");
    (there[column] || there[0]).focus();
  }
}

function sheetRow(sheet, household) {
  const open = sheet.open;
  const out = h("span", { class: "small", role: "status" });
  const inputs = [];
  const cells = sheet.rules.map((rule) => {
    const scored = household.scores[rule.rule_id];
    if (scored !== undefined || !open) {
      return h("td", { class: "num", dataset: { rule: rule.rule_id } }, scored === undefined ? "—" : String(scored));
    }
    const input = h("input", {
      type: "number", min: "0", max: String(rule.points_max), step: "1", inputmode: "numeric",
      "aria-label": t("civic.cell", { household: household.head_name || household.household_id, rule: rule.name, n: rule.points_max }),
      dataset: { rule: rule.rule_id },
    });
    inputs.push(input);
    return h("td", { class: "num" }, input);
  });
  const reason = open ? h("input", { maxlength: "200", class: "reason", "aria-label": t("civic.col.reason") + " " + household.household_id }) : null;
  const balance = h("td", { class: "num", dataset: { balance: "" } }, String(household.balance));
  let key = newKey();
  const save = async () => {
    const items = inputs.filter((i) => i.value !== "" && !i.disabled)
      .map((i) => ({ rule_id: i.dataset.rule, points: Number(i.value), reason: reason.value.trim() }));
    if (!items.length) { status(out, t("civic.nothing")); return false; }
    try {
      const done = await api("POST", `/api/v1/households/${encodeURIComponent(household.household_id)}/scores`,
        { month: sheet.month, items }, { key });
      key = newKey();
      for (const input of inputs) {
        if (input.value !== "") input.closest("td").replaceChildren(String(Number(input.value)));
      }
      balance.textContent = String(done.balance);
      status(out, t("civic.saved", { n: done.balance }));
      return true;
    } catch (err) {
      status(out, explain(err));
      if (err instanceof ApiError && err.status < 500) key = newKey();
      return false;
    }
  };
  const row = h("tr", { dataset: { household: household.household_id } },
    h("th", { scope: "row" }, h("button", { type: "button", class: "quiet", onclick: () => openHousehold(household.household_id) }, household.household_id)),
    h("td", {}, household.head_name),
    ...cells,
    h("td", {}, reason),
    balance,
    h("td", {}, inputs.length ? h("button", { type: "button", class: "quiet", i18n: "civic.save", onclick: save }) : null, out));
  row.save = inputs.length ? save : null;
  for (const input of [...inputs, reason].filter(Boolean)) {
    input.addEventListener("keydown", async (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        if (await save()) moveRow(input, 1);
      } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        moveRow(input, e.key === "ArrowDown" ? 1 : -1);
      }
    });
  }
  return row;
}

async function loadSheet() {
  const box = document.getElementById("civic-sheet");
  const error = document.getElementById("civic-error");
  error.textContent = "";
  const area = document.getElementById("civic-area").value;
  const month = document.getElementById("civic-month").value || monthNow();
  try {
    const sheet = await api("GET", `/api/v1/civic-sheet?area=${encodeURIComponent(area)}&month=${encodeURIComponent(month)}`);
    civic.sheet = sheet;
    clear(box);
    box.append(h("h4", {}, t("civic.sheet", { month: sheet.month })));
    if (!sheet.open) box.append(h("p", { class: "notice warn", i18n: "civic.sheet.closed" }));
    if (!sheet.rules.length) box.append(h("p", { class: "muted", i18n: "civic.sheet.norules" }));
    if (!sheet.households.length) { box.append(h("p", { class: "muted", i18n: "civic.sheet.none" })); return; }
    if (sheet.truncated) box.append(h("p", { class: "error-text", i18n: "civic.sheet.truncated" }));
    const rows = sheet.households.map((x) => sheetRow(sheet, x));
    const all = h("button", { type: "button", class: "primary", i18n: "civic.save.all" });
    all.addEventListener("click", async () => {
      for (const row of rows) {
        if (row.save && row.querySelector("input[type=number]") && [...row.querySelectorAll("input[type=number]")].some((i) => i.value !== "")) await row.save();
      }
    });
    box.append(
      sheet.open ? h("p", { class: "muted small", i18n: "civic.sheet.keys" }) : null,
      h("div", { class: "scroll" }, h("table", { id: "civic-table", class: "sheet" },
        h("thead", {}, h("tr", {},
          h("th", { scope: "col", i18n: "civic.col.household" }), h("th", { scope: "col", i18n: "civic.col.head" }),
          ...sheet.rules.map((r) => h("th", { scope: "col", class: "num" }, r.name, h("br"), h("span", { class: "muted small" }, t("civic.max", { n: r.points_max })))),
          h("th", { scope: "col", i18n: "civic.col.reason" }), h("th", { scope: "col", class: "num", i18n: "civic.col.balance" }), h("th", { scope: "col" }))),
        h("tbody", {}, ...rows))),
      sheet.open && sheet.rules.length ? all : null);
  } catch (e) {
    error.textContent = explain(e);
  }
}

// -- one household -------------------------------------------------------------------------

/** Print the code's slip alone (the page's print style shows only it while printing). */
function printSlip() {
  document.body.classList.add("print-slip");
  window.print();
  document.body.classList.remove("print-slip");
}

function entryLine(entry) {
  const what = entry.kind === "redemption" ? entry.item_id : [entry.month, entry.rule_id].filter(Boolean).join(" · ");
  return h("li", { class: "entry " + entry.kind },
    h("div", {}, h("strong", {}, (entry.points > 0 ? "+" : "") + entry.points), " ", t("civic.entry." + entry.kind), " · ", what || "",
      entry.unrecovered ? " " + t("civic.unrecovered", { n: entry.unrecovered }) : ""),
    h("div", { class: "muted small" }, [fmtTime(entry.at, true), entry.reason].filter(Boolean).join(" · ")));
}

async function openHousehold(householdId) {
  const box = document.getElementById("civic-household");
  const path = `/api/v1/households/${encodeURIComponent(householdId)}`;
  clear(box);
  try {
    const points = await api("GET", path + "/points?limit=50");
    const scored = points.entries.filter((e) => e.kind === "score");
    const corrected = new Set(points.entries.filter((e) => e.kind === "correction").map((e) => `${e.month}|${e.rule_id}`));
    const which = h("select", { id: "civic-correct-which" }, ...scored
      .filter((e, n) => !corrected.has(`${e.month}|${e.rule_id}`) && scored.findIndex((x) => x.month === e.month && x.rule_id === e.rule_id) === n)
      .map((e) => h("option", { value: `${e.month}|${e.rule_id}` }, `${e.month} · ${e.rule_id} · ${e.points}`)));
    const reason = h("input", { id: "civic-correct-reason", maxlength: "200", required: "" });
    const out = h("span", { class: "small", role: "status" });
    const correct = h("form", { class: "row", novalidate: "" }, field("civic-correct-which", "civic.correct.which", which),
      field("civic-correct-reason", "civic.col.reason", reason), h("button", { type: "submit", class: "quiet", i18n: "civic.correct.submit" }), out);
    posting(correct, out, async (key) => {
      if (!which.value) return "";
      if (!reason.value.trim()) { reason.focus(); return t("civic.col.reason"); }
      const [month, ruleId] = which.value.split("|");
      const done = await api("POST", path + "/corrections", { month, rule_id: ruleId, reason: reason.value.trim() }, { key });
      setTimeout(() => { openHousehold(householdId); if (civic.sheet) loadSheet(); }, 600);
      return t("civic.corrected", { n: done.balance });
    });
    const slip = h("div", { id: "civic-slip", class: "slip", hidden: true });
    const code = h("button", { type: "button", i18n: "civic.code" });
    code.addEventListener("click", async () => {
      try {
        const made = await api("POST", path + "/redeem-code");
        clear(slip);
        slip.append(h("p", { class: "slip-code" }, t("civic.code.slip", { id: householdId, code: made.code, until: fmtTime(made.expires_at, true) })),
          h("p", { class: "muted small", i18n: "civic.code.note" }),
          h("button", { type: "button", class: "quiet", i18n: "civic.code.print", onclick: printSlip }));
        slip.hidden = false;
      } catch (e) { status(out, explain(e)); }
    });
    box.append(
      h("h4", {}, t("civic.points", { head: points.head_name, id: householdId, n: points.balance }), " ",
        h("span", { class: "badge" }, t(points.exchanged_this_quarter ? "civic.quarter.used" : "civic.quarter.open"))),
      points.members.length ? h("p", { class: "muted small" }, points.members.join("、")) : null,
      h("div", { class: "row" }, code), slip,
      h("ul", { class: "items", id: "civic-entries" }, ...points.entries.map(entryLine)),
      which.options.length ? h("details", {}, h("summary", { i18n: "civic.correct" }), correct) : null);
  } catch (e) {
    box.append(h("p", { class: "error-text", role: "alert" }, explain(e)));
  }
}

// -- registering households, rules and goods -----------------------------------------------

function areaSelect(id) {
  return h("select", { id }, ...civic.areas.map((a) => h("option", { value: a.code }, `${a.name}（${a.code}）`)));
}

function householdForm() {
  const id = h("input", { id: "civic-new-id", maxlength: "64", required: "" });
  const head = h("input", { id: "civic-new-head", maxlength: "50", required: "" });
  const members = h("input", { id: "civic-new-members", maxlength: "500" });
  const area = areaSelect("civic-new-area");
  const out = h("p", { class: "small", role: "status" });
  const form = h("form", { class: "row", novalidate: "" }, field("civic-new-id", "civic.new.id", id), field("civic-new-area", "civic.area", area),
    field("civic-new-head", "civic.new.head", head), field("civic-new-members", "civic.new.members", members),
    h("button", { type: "submit", class: "primary", i18n: "civic.new.save" }));
  posting(form, out, async (key) => {
    const names = members.value.split(/[,，、]/).map((m) => m.trim()).filter(Boolean);
    await api("POST", "/api/v1/households", { household_id: id.value.trim(), area: area.value, head_name: head.value.trim(), members: names }, { key });
    const saved = t("civic.new.saved", { id: id.value.trim() });
    form.reset();
    if (civic.sheet) loadSheet();
    return saved;
  });
  return [form, out];
}

function ruleForm() {
  const id = h("input", { id: "civic-rule-id", maxlength: "64", required: "" });
  const name = h("input", { id: "civic-rule-name", maxlength: "100", required: "" });
  const max = h("input", { id: "civic-rule-max", type: "number", min: "0", max: "1000", step: "1", required: "" });
  const active = h("input", { id: "civic-rule-active", type: "checkbox", checked: true });
  const area = areaSelect("civic-rule-area");
  const out = h("p", { class: "small", role: "status" });
  const form = h("form", { class: "row", novalidate: "" }, field("civic-rule-id", "civic.rule.id", id), field("civic-rule-area", "civic.area", area),
    field("civic-rule-name", "civic.rule.name", name), field("civic-rule-max", "civic.rule.max", max),
    field("civic-rule-active", "civic.rule.active", active), h("button", { type: "submit", i18n: "civic.rule.save" }));
  posting(form, out, async (key) => {
    await api("POST", "/api/v1/civic-rules", { rule_id: id.value.trim(), area: area.value, name: name.value.trim(), points_max: Number(max.value), active: active.checked }, { key });
    if (civic.sheet) loadSheet();
    return t("civic.rule.saved", { id: id.value.trim() });
  });
  return [form, out];
}

async function loadGoods() {
  const list = document.getElementById("civic-goods");
  try {
    const found = await api("GET", "/api/v1/catalog?kind=civic");
    clear(list);
    for (const item of found.items) list.append(h("li", { dataset: { item: item.item_id } }, t("civic.goods.line", { name: item.name, points: item.points, stock: item.stock, kiosk: item.kiosk_id })));
    if (!found.items.length) list.append(h("li", { class: "muted", i18n: "civic.goods.none" }));
  } catch (e) {
    clear(list).append(h("li", { class: "error-text" }, explain(e)));
  }
}

function goodsForm() {
  const inputs = {
    kiosk: h("input", { id: "civic-goods-kiosk", maxlength: "64", required: "" }),
    id: h("input", { id: "civic-goods-id", maxlength: "64", required: "" }),
    name: h("input", { id: "civic-goods-name", maxlength: "100", required: "" }),
    points: h("input", { id: "civic-goods-points", type: "number", min: "1", step: "1", required: "" }),
    stock: h("input", { id: "civic-goods-stock", type: "number", min: "0", step: "1", required: "" }),
  };
  const out = h("p", { class: "small", role: "status" });
  const form = h("form", { class: "row", novalidate: "" }, ...Object.entries(inputs).map(([k, input]) => field(input.id, "civic.goods." + k, input)),
    h("button", { type: "submit", i18n: "civic.goods.save" }));
  posting(form, out, async (key) => {
    const done = await api("POST", "/api/v1/catalog", {
      kind: "civic", kiosk_id: inputs.kiosk.value.trim(), item_id: inputs.id.value.trim(), name: inputs.name.value.trim(),
      points: Number(inputs.points.value), stock: Number(inputs.stock.value),
    }, { key });
    loadGoods();
    return t("civic.goods.line", { name: done.name, points: done.points, stock: done.stock, kiosk: done.kiosk_id });
  });
  return [form, out];
}

/** Build the section: the sheet first (the monthly work), then a household, then the setup. */
export async function startCivic(section) {
  section.append(h("p", { class: "muted small", i18n: "civic.hint" }), h("p", { id: "civic-error", class: "error-text", role: "alert" }));
  try {
    const found = await api("GET", "/api/v1/areas");
    civic.areas = found.areas.filter((a) => a.code.length >= 12);
  } catch (e) {
    document.getElementById("civic-error").textContent = explain(e);
  }
  const month = h("input", { id: "civic-month", type: "month", value: monthNow() });
  const pick = h("form", { class: "row", novalidate: "" }, field("civic-area", "civic.area", areaSelect("civic-area")),
    field("civic-month", "civic.month", month), h("button", { type: "submit", class: "primary", i18n: "civic.load" }));
  pick.addEventListener("submit", (e) => { e.preventDefault(); loadSheet(); });
  const [households, householdsOut] = householdForm();
  const [rules, rulesOut] = ruleForm();
  const [goods, goodsOut] = goodsForm();
  section.append(pick, h("div", { id: "civic-sheet" }), h("div", { id: "civic-household" }),
    h("details", {}, h("summary", { i18n: "civic.new" }), households, householdsOut),
    h("details", {}, h("summary", { i18n: "civic.rule" }), rules, rulesOut),
    h("details", {}, h("summary", { i18n: "civic.goods" }), goods, goodsOut, h("ul", { id: "civic-goods", class: "items" })));
  loadGoods();
  if (civic.areas.length) loadSheet();
}
