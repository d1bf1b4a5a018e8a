// The staff page's micro-wish pool (微心愿, DESIGN §11): the wishes of the scope by area and
// status, each with what its claimer did; staff confirm a wish done, withdraw one no longer
// wanted, post a wish for a resident who cannot use a phone, and read the wishes report
// (collected, claimed, fulfilled and the fulfilment rate by area) with CSV / Excel exports.
import { ApiError, addStrings, api, clear, download, explain, fmtHours, fmtTime, h, newKey, t } from "./vd.js";
import { field } from "./staff-forms.js";

addStrings({
  "wishes.title": ["微心愿", "Micro-wishes"],
  "wishes.hint": ["居民的小心愿由志愿者自行认领；认领人完成后，由居民或工作人员确认，服务时长随之记入。", "Volunteers claim residents' small wishes themselves; once the claimer marks one done, the resident or staff confirm it and its hours are credited."],
  "wishes.area": ["区域", "Area"],
  "wishes.every": ["辖区全部", "The whole scope"],
  "wishes.status": ["状态", "Status"],
  "wishes.any": ["全部状态", "Every status"],
  "wishes.load": ["查看", "Show"],
  "wishes.more": ["更多", "More"],
  "wishes.none": ["没有符合条件的心愿。", "No wish matches."],
  "ws.open": ["待认领", "Open"],
  "ws.claimed": ["已认领", "Claimed"],
  "ws.done": ["待确认", "Awaiting confirmation"],
  "ws.fulfilled": ["已实现", "Fulfilled"],
  "ws.withdrawn": ["已撤回", "Withdrawn"],
  "wishes.line": ["{resident} · {area} · {time}", "{resident} · {area} · {time}"],
  "wishes.claimer": ["认领人 {id}", "Claimed by {id}"],
  "wishes.lapses": ["认领期限 {time}", "Claim lapses {time}"],
  "wishes.hours": ["服务 {hours} 小时", "{hours} h of service"],
  "wishes.confirm": ["确认已实现", "Confirm fulfilled"],
  "wishes.withdraw": ["撤回", "Withdraw"],
  "wishes.confirmed": ["已确认，服务时长已记入认领人的记录。", "Confirmed: the claimer's hours are credited."],
  "wishes.withdrawn": ["已撤回这个心愿。", "The wish is withdrawn."],
  "wishes.post": ["代居民登记心愿", "Post a wish for a resident"],
  "wishes.post.resident": ["居民编号", "Resident id"],
  "wishes.post.title": ["心愿（简短）", "The wish (short)"],
  "wishes.post.details": ["说明", "Details"],
  "wishes.post.save": ["登记心愿", "Post the wish"],
  "wishes.posted": ["已登记，心愿进入待认领列表。", "Posted: the wish is open to volunteers."],
  "wishes.report": ["微心愿统计", "Wishes report"],
  "wishes.report.from": ["登记日期从", "Posted from"],
  "wishes.report.to": ["到", "to"],
  "wishes.report.load": ["统计", "Report"],
  "wishes.report.csv": ["导出 CSV", "CSV"],
  "wishes.report.xlsx": ["导出 Excel", "Excel"],
  "wr.label": ["区域", "Area"],
  "wr.collected": ["征集", "Collected"],
  "wr.open": ["待认领", "Open"],
  "wr.claimed": ["已认领", "Claimed"],
  "wr.fulfilled": ["已实现", "Fulfilled"],
  "wr.withdrawn": ["已撤回", "Withdrawn"],
  "wr.rate": ["实现率", "Rate"],
  "wr.truncated": ["心愿太多，只统计了最新的一部分：请缩小区域或日期。", "Too many wishes: only the newest were counted; narrow the area or the period."],
  "err.not_done": ["认领人还没有标记完成。", "The claimer has not marked it done yet."],
  "err.area_outside_county": ["心愿要登记在居民所在的县（区）。", "A wish is posted in the resident's county."],
});

const STATUSES = ["open", "claimed", "done", "fulfilled", "withdrawn"];
const pool = { areas: [], cursor: null };

function areaSelect(id, every) {
  return h("select", { id },
    every ? h("option", { value: "", i18n: "wishes.every" }) : null,
    ...pool.areas.map((a) => h("option", { value: a.code }, `${a.name}（${a.code}）`)));
}

function query() {
  const params = new URLSearchParams({ limit: "30" });
  const area = document.getElementById("wishes-area").value;
  const status = document.getElementById("wishes-status").value;
  if (area) params.set("area", area);
  if (status) params.set("status", status);
  return params;
}

/** One action on a wish; a retry after a timeout is the same command. */
async function act(wish, action, out, done) {
  try {
    await api("POST", `/api/v1/wishes/${encodeURIComponent(wish.wish_id)}/${action}`, {}, { key: newKey() });
    out.textContent = t(done);
    setTimeout(() => loadWishes(false), 400);
  } catch (e) {
    out.textContent = explain(e);
  }
}

function wishItem(wish) {
  const out = h("span", { class: "small", role: "status" });
  const actions = [];
  if (wish.status === "done") {
    actions.push(h("button", { type: "button", class: "primary", i18n: "wishes.confirm", onclick: () => act(wish, "confirm", out, "wishes.confirmed") }));
  }
  if (wish.status === "open" || wish.status === "claimed") {
    actions.push(h("button", { type: "button", class: "quiet", i18n: "wishes.withdraw", onclick: () => act(wish, "withdraw", out, "wishes.withdrawn") }));
  }
  const facts = [
    wish.claimer ? t("wishes.claimer", { id: wish.claimer }) : null,
    wish.lapses_at ? t("wishes.lapses", { time: fmtTime(wish.lapses_at, true) }) : null,
    wish.hours ? t("wishes.hours", { hours: fmtHours(wish.hours) }) : null,
  ].filter(Boolean);
  return h("li", { class: "wish", dataset: { wish: wish.wish_id, status: wish.status } },
    h("div", {}, h("strong", {}, wish.title), " ", h("span", { class: "badge " + wish.status }, t("ws." + wish.status))),
    h("div", { class: "muted small" }, t("wishes.line", { resident: wish.resident_name || "—", area: wish.area_name || wish.area, time: fmtTime(wish.created_at, true) })),
    wish.details ? h("div", { class: "small" }, wish.details) : null,
    facts.length ? h("div", { class: "small" }, facts.join(" · ")) : null,
    wish.note ? h("div", { class: "small" }, "“", wish.note, "”") : null,
    actions.length ? h("div", { class: "row" }, ...actions, out) : out);
}

async function loadWishes(more) {
  const list = document.getElementById("wishes-list");
  const button = document.getElementById("wishes-more");
  const error = document.getElementById("wishes-error");
  error.textContent = "";
  const params = query();
  if (more && pool.cursor) params.set("cursor", pool.cursor);
  try {
    const found = await api("GET", "/api/v1/wishes?" + params.toString());
    if (!more) clear(list);
    for (const wish of found.wishes) list.append(wishItem(wish));
    if (!list.children.length) list.append(h("li", { class: "muted", i18n: "wishes.none" }));
    pool.cursor = found.next_cursor || null;
    button.hidden = !pool.cursor;
  } catch (e) {
    error.textContent = explain(e);
  }
}

function postForm() {
  const resident = h("input", { id: "wishes-post-resident", maxlength: "64", required: "", autocomplete: "off" });
  const area = areaSelect("wishes-post-area", false);
  const title = h("input", { id: "wishes-post-title", maxlength: "100", required: "" });
  const details = h("textarea", { id: "wishes-post-details", maxlength: "1000", rows: "2" });
  const out = h("p", { class: "small", role: "status" });
  const form = h("form", { class: "row", novalidate: "" }, field(resident.id, "wishes.post.resident", resident),
    field(area.id, "wishes.area", area), field(title.id, "wishes.post.title", title), field(details.id, "wishes.post.details", details),
    h("button", { type: "submit", class: "primary", i18n: "wishes.post.save" }));
  let key = newKey();
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    out.textContent = "";
    if (!resident.value.trim()) { resident.focus(); return; }
    if (!title.value.trim()) { title.focus(); return; }
    try {
      await api("POST", "/api/v1/wishes", { resident_id: resident.value.trim(), area: area.value, title: title.value.trim(), details: details.value.trim() }, { key });
      key = newKey();
      form.reset();
      out.textContent = t("wishes.posted");
      loadWishes(false);
    } catch (err) {
      out.textContent = explain(err);
      if (err instanceof ApiError && err.status < 500) key = newKey();
    }
  });
  return [form, out];
}

function reportQuery() {
  const params = new URLSearchParams();
  const area = document.getElementById("wishes-report-area").value;
  const from = document.getElementById("wishes-report-from").value;
  const to = document.getElementById("wishes-report-to").value;
  if (area) params.set("area", area);
  if (from) params.set("from", from);
  if (to) params.set("to", to);
  return params;
}

function rate(value) {
  return value === null || value === undefined ? "—" : `${Math.round(value * 1000) / 10}%`;
}

async function loadReport() {
  const box = document.getElementById("wishes-report-table");
  const error = document.getElementById("wishes-report-error");
  error.textContent = "";
  try {
    const report = await api("GET", "/api/v1/reports/wishes?" + reportQuery().toString());
    const columns = ["collected", "open", "claimed", "fulfilled", "withdrawn"];
    const line = (row, total) => h("tr", { class: total ? "total" : "", dataset: { key: row.key } },
      h(total ? "th" : "td", total ? { scope: "row" } : {}, row.label),
      ...columns.map((c) => h("td", { class: "num" }, String(row[c]))),
      h("td", { class: "num" }, rate(row.rate)));
    clear(box);
    if (report.truncated) box.append(h("p", { class: "error-text", i18n: "wr.truncated" }));
    box.append(
      h("div", { class: "scroll" }, h("table", { id: "wishes-report", class: "counts" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col", i18n: "wr.label" }),
          ...columns.map((c) => h("th", { scope: "col", class: "num", i18n: "wr." + c })),
          h("th", { scope: "col", class: "num", i18n: "wr.rate" }))),
        h("tbody", {}, ...report.rows.map((r) => line(r, false)), line(report.totals, true)))));
  } catch (e) {
    error.textContent = explain(e);
  }
}

function reportForm() {
  const area = areaSelect("wishes-report-area", true);
  const from = h("input", { id: "wishes-report-from", type: "date" });
  const to = h("input", { id: "wishes-report-to", type: "date" });
  const form = h("form", { class: "row", novalidate: "" }, field(area.id, "wishes.area", area),
    field(from.id, "wishes.report.from", from), field(to.id, "wishes.report.to", to),
    h("button", { type: "submit", class: "primary", i18n: "wishes.report.load" }));
  form.addEventListener("submit", (e) => { e.preventDefault(); loadReport(); });
  const exports = ["csv", "xlsx"].map((format) => h("button", {
    type: "button", class: "quiet", i18n: "wishes.report." + format,
    onclick: async () => {
      const params = reportQuery();
      params.set("format", format);
      try { await download("/api/v1/reports/wishes?" + params.toString(), `wishes.${format}`); } catch (e) { document.getElementById("wishes-report-error").textContent = explain(e); }
    },
  }));
  return [form, h("div", { class: "row" }, ...exports)];
}

/** Build the section: the pool first (the daily work), then posting for a resident, then the report. */
export async function startWishes(section) {
  section.append(h("p", { class: "muted small", i18n: "wishes.hint" }), h("p", { id: "wishes-error", class: "error-text", role: "alert" }));
  try {
    const found = await api("GET", "/api/v1/areas");
    pool.areas = found.areas;
  } catch (e) {
    document.getElementById("wishes-error").textContent = explain(e);
  }
  const status = h("select", { id: "wishes-status" }, h("option", { value: "", i18n: "wishes.any" }),
    ...STATUSES.map((s) => h("option", { value: s, i18n: "ws." + s })));
  const pick = h("form", { class: "row", novalidate: "" }, field("wishes-area", "wishes.area", areaSelect("wishes-area", true)),
    field("wishes-status", "wishes.status", status), h("button", { type: "submit", class: "primary", i18n: "wishes.load" }));
  pick.addEventListener("submit", (e) => { e.preventDefault(); loadWishes(false); });
  const more = h("button", { id: "wishes-more", type: "button", class: "quiet", i18n: "wishes.more", hidden: true, onclick: () => loadWishes(true) });
  const [post, postOut] = postForm();
  const [report, exports] = reportForm();
  section.append(pick, h("ul", { id: "wishes-list", class: "items" }), more,
    h("details", {}, h("summary", { i18n: "wishes.post" }), post, postOut),
    h("details", { id: "wishes-report-panel" }, h("summary", { i18n: "wishes.report" }), report, exports,
      h("p", { id: "wishes-report-error", class: "error-text", role: "alert" }), h("div", { id: "wishes-report-table" })));
  loadWishes(false);
}
