// The staff page's care plans (夕阳计划, 政策找人, DESIGN §11): who qualifies for a plan they
// lack ("policy finds the person"), giving a resident recurring visits (the platform creates
// each visit as a request when it falls due), the plans of the scope with their visits done
// and missed, ending a plan, and the visits report (planned, done, missed and the visit rate
// by area and month) with CSV / Excel exports.
import { addStrings, api, clear, download, explain, fmtTime, h, lang, t } from "./vd.js";
import { field, posting } from "./staff-forms.js";

addStrings({
  "care.title": ["关爱探访计划", "Care visits"],
  "care.hint": ["为独居、高龄、特困等居民制定定期探访计划：每期到了，平台自动生成一次上门服务并派单；一期内没有完成即为漏访，并自动登记一件反映。", "Give residents living alone, the very old or those in hardship recurring visits: each period the platform creates and dispatches the visit by itself; a visit not done in its period is missed and opens a case."],
  "care.suggest": ["政策找人：应纳入计划的居民", "Policy finds the person: residents who qualify"],
  "care.suggest.none": ["辖区内没有尚未纳入计划的符合条件居民。", "Nobody in the scope qualifies without a plan."],
  "care.suggest.use": ["制定计划", "Make a plan"],
  "care.suggest.truncated": ["居民太多，只查看了一部分：请选择更小的区域。", "Too many residents: only part was read; choose a smaller area."],
  "care.plans": ["计划", "Plans"],
  "care.status": ["状态", "Status"],
  "care.active": ["执行中", "Active"],
  "care.ended": ["已结束", "Ended"],
  "care.load": ["查看", "Show"],
  "care.none": ["还没有计划。", "No plan yet."],
  "cad.week": ["每周", "Weekly"],
  "cad.fortnight": ["每两周", "Fortnightly"],
  "cad.month": ["每月", "Monthly"],
  "cad.quarter": ["每季度", "Quarterly"],
  "care.line": ["{name} · {type} · {cadence} · 已探访 {done} / 漏访 {missed}", "{name} · {type} · {cadence} · done {done} / missed {missed}"],
  "care.due": ["本期截止 {time}", "This period ends {time}"],
  "vs.planned": ["待探访", "Due"],
  "vs.done": ["已探访", "Done"],
  "vs.missed": ["漏访", "Missed"],
  "care.visit": ["第 {n} 期 {from} – {to}", "Period {n}: {from} – {to}"],
  "care.end": ["结束计划", "End the plan"],
  "care.end.reason": ["原因", "Reason"],
  "care.end.save": ["结束", "End it"],
  "care.ended.done": ["计划已结束。", "The plan has ended."],
  "care.new": ["制定探访计划", "Make a care plan"],
  "care.new.id": ["计划编号", "Plan id"],
  "care.new.resident": ["居民编号", "Resident id"],
  "care.new.type": ["服务类型", "Service type"],
  "care.new.cadence": ["频次", "Cadence"],
  "care.new.team": ["签约服务队（可不选）", "Contracted team (optional)"],
  "care.new.noteam": ["按就近派单", "Nearest team"],
  "care.new.notes": ["备注", "Notes"],
  "care.new.save": ["制定计划", "Make the plan"],
  "care.new.saved": ["已制定，第一次探访已生成。", "Made: the first visit is created."],
  "care.report": ["探访统计", "Visits report"],
  "care.report.month": ["月份", "Month"],
  "care.report.load": ["统计", "Report"],
  "care.report.csv": ["导出 CSV", "CSV"],
  "care.report.xlsx": ["导出 Excel", "Excel"],
  "vr.label": ["区域", "Area"],
  "vr.planned": ["计划探访", "Planned"],
  "vr.done": ["已探访", "Done"],
  "vr.missed": ["漏访", "Missed"],
  "vr.open": ["进行中", "Open"],
  "vr.rate": ["探访率", "Rate"],
  "care.area": ["区域", "Area"],
  "care.every": ["辖区全部", "The whole scope"],
  "err.already_planned": ["这位居民已有同类服务的计划。", "The resident already has a plan of this service type."],
  "err.plan_exists": ["这个计划编号已被使用。", "This plan id is taken."],
  "err.plan_ended": ["这个计划已经结束。", "This plan has ended."],
  "err.unknown_team": ["县（区）内没有这个服务队。", "No such team in the county."],
});

const CADENCES = ["week", "fortnight", "month", "quarter"];
const care = { areas: [], types: [], teams: [] };

function typeName(code) {
  const type = care.types.find((x) => x.code === code);
  if (!type) return code;
  return lang() === "en" ? type.name_en : type.name_zh;
}

function areaSelect(id) {
  return h("select", { id }, h("option", { value: "", i18n: "care.every" }),
    ...care.areas.map((a) => h("option", { value: a.code }, `${a.name}（${a.code}）`)));
}

async function loadSuggestions() {
  const list = document.getElementById("care-suggestions");
  const area = document.getElementById("care-suggest-area").value;
  try {
    const found = await api("GET", "/api/v1/care-plans/suggestions" + (area ? `?area=${encodeURIComponent(area)}` : ""));
    clear(list);
    if (found.truncated) list.append(h("li", { class: "error-text", i18n: "care.suggest.truncated" }));
    for (const s of found.suggestions) {
      list.append(h("li", { class: "suggestion", dataset: { resident: s.resident_id } },
        h("strong", {}, s.resident_name || s.resident_id), " · ", s.reason, " · ", t("cad." + s.cadence), " ",
        h("button", { type: "button", class: "quiet", i18n: "care.suggest.use", onclick: () => fillPlan(s) })));
    }
    if (!found.suggestions.length) list.append(h("li", { class: "muted", i18n: "care.suggest.none" }));
  } catch (e) {
    clear(list).append(h("li", { class: "error-text" }, explain(e)));
  }
}

function fillPlan(s) {
  const panel = document.getElementById("care-new");
  panel.open = true;
  document.getElementById("care-new-resident").value = s.resident_id;
  document.getElementById("care-new-type").value = s.service_type;
  document.getElementById("care-new-cadence").value = s.cadence;
  document.getElementById("care-new-id").value = `P-${s.resident_id}-${s.service_type}`;
  document.getElementById("care-new-id").focus();
}

function planLine(plan) {
  return h("li", { class: "plan", dataset: { plan: plan.plan_id, status: plan.status } },
    h("button", { type: "button", class: "quiet link", onclick: () => openPlan(plan.plan_id) }, plan.plan_id),
    " ", h("span", { class: "badge " + (plan.status === "active" ? "open" : "withdrawn") }, t("care." + plan.status)),
    h("div", { class: "muted small" }, t("care.line", {
      name: plan.resident_name || plan.resident_id, type: typeName(plan.service_type), cadence: t("cad." + plan.cadence),
      done: plan.done, missed: plan.missed })));
}

async function loadPlans() {
  const list = document.getElementById("care-plans");
  const status = document.getElementById("care-status").value;
  try {
    const found = await api("GET", "/api/v1/care-plans?limit=50" + (status ? `&status=${status}` : ""));
    clear(list);
    for (const plan of found.plans) list.append(planLine(plan));
    if (!found.plans.length) list.append(h("li", { class: "muted", i18n: "care.none" }));
  } catch (e) {
    clear(list).append(h("li", { class: "error-text" }, explain(e)));
  }
}

async function openPlan(planId) {
  const box = clear(document.getElementById("care-plan"));
  try {
    const plan = await api("GET", `/api/v1/care-plans/${encodeURIComponent(planId)}`);
    const reason = h("input", { id: "care-end-reason", maxlength: "500", required: "" });
    const out = h("span", { class: "small", role: "status" });
    const end = h("form", { class: "row", novalidate: "" }, field(reason.id, "care.end.reason", reason),
      h("button", { type: "submit", i18n: "care.end.save" }), out);
    posting(end, out, async (key) => {
      if (!reason.value.trim()) { reason.focus(); return t("care.end.reason"); }
      await api("POST", `/api/v1/care-plans/${encodeURIComponent(planId)}/end`, { reason: reason.value.trim() }, { key });
      loadPlans();
      openPlan(planId);
      return t("care.ended.done");
    });
    box.append(
      h("h4", {}, plan.plan_id, " ", h("span", { class: "badge " + (plan.status === "active" ? "open" : "withdrawn") }, t("care." + plan.status))),
      h("p", { class: "small" }, t("care.line", {
        name: plan.resident_name || plan.resident_id, type: typeName(plan.service_type), cadence: t("cad." + plan.cadence),
        done: plan.done, missed: plan.missed }), plan.status === "active" ? " · " + t("care.due", { time: fmtTime(plan.period_ends_at, true) }) : ""),
      plan.notes ? h("p", { class: "muted small" }, plan.notes) : "",
      h("ul", { class: "items", id: "care-visits" }, ...plan.visits.map((v) => h("li", { class: "visit", dataset: { period: v.period, status: v.status } },
        t("care.visit", { n: v.period + 1, from: fmtTime(v.starts_at, true), to: fmtTime(v.ends_at, true) }), " ",
        h("span", { class: "badge " + (v.status === "done" ? "fulfilled" : v.status === "missed" ? "late" : "claimed") }, t("vs." + v.status))))),
      plan.status === "active" ? h("details", {}, h("summary", { i18n: "care.end" }), end) : "");
  } catch (e) {
    box.append(h("p", { class: "error-text", role: "alert" }, explain(e)));
  }
}

function newForm() {
  const id = h("input", { id: "care-new-id", maxlength: "64", required: "" });
  const resident = h("input", { id: "care-new-resident", maxlength: "64", required: "", autocomplete: "off" });
  const type = h("select", { id: "care-new-type" }, ...care.types.map((x) => h("option", { value: x.code, selected: x.code === "health_check" }, typeName(x.code))));
  const cadence = h("select", { id: "care-new-cadence" }, ...CADENCES.map((c) => h("option", { value: c, i18n: "cad." + c })));
  const team = h("select", { id: "care-new-team" }, h("option", { value: "", i18n: "care.new.noteam" }),
    ...care.teams.map((x) => h("option", { value: x.team_id }, `${x.name}（${x.team_id}）`)));
  const notes = h("textarea", { id: "care-new-notes", maxlength: "1000", rows: "2" });
  const out = h("p", { class: "small", role: "status" });
  const form = h("form", { class: "row", novalidate: "" }, field(id.id, "care.new.id", id), field(resident.id, "care.new.resident", resident),
    field(type.id, "care.new.type", type), field(cadence.id, "care.new.cadence", cadence), field(team.id, "care.new.team", team),
    field(notes.id, "care.new.notes", notes), h("button", { type: "submit", class: "primary", i18n: "care.new.save" }));
  posting(form, out, async (key) => {
    if (!id.value.trim()) { id.focus(); return t("care.new.id"); }
    if (!resident.value.trim()) { resident.focus(); return t("care.new.resident"); }
    const body = { plan_id: id.value.trim(), resident_id: resident.value.trim(), service_type: type.value, cadence: cadence.value, notes: notes.value.trim() };
    if (team.value) body.team_id = team.value;
    const made = await api("POST", "/api/v1/care-plans", body, { key });
    form.reset();
    loadPlans();
    loadSuggestions();
    openPlan(made.plan_id);
    return t("care.new.saved");
  });
  return [form, out];
}

function reportQuery() {
  const params = new URLSearchParams();
  const area = document.getElementById("care-report-area").value;
  const month = document.getElementById("care-report-month").value;
  if (area) params.set("area", area);
  if (month) params.set("month", month);
  return params;
}

async function loadReport() {
  const box = clear(document.getElementById("care-report-table"));
  try {
    const report = await api("GET", "/api/v1/reports/visits?" + reportQuery().toString());
    const columns = ["planned", "done", "missed", "open"];
    const rate = (v) => (v === null || v === undefined ? "—" : `${Math.round(v * 1000) / 10}%`);
    const line = (row, total) => h("tr", { class: total ? "total" : "", dataset: { key: row.area } },
      h(total ? "th" : "td", total ? { scope: "row" } : {}, row.label), ...columns.map((c) => h("td", { class: "num" }, String(row[c]))),
      h("td", { class: "num" }, rate(row.rate)));
    box.append(h("div", { class: "scroll" }, h("table", { id: "care-report", class: "counts" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col", i18n: "vr.label" }), ...columns.map((c) => h("th", { scope: "col", class: "num", i18n: "vr." + c })),
        h("th", { scope: "col", class: "num", i18n: "vr.rate" }))),
      h("tbody", {}, ...report.rows.map((r) => line(r, false)), line(report.totals, true)))));
  } catch (e) {
    box.append(h("p", { class: "error-text", role: "alert" }, explain(e)));
  }
}

function reportForm() {
  const area = areaSelect("care-report-area");
  const month = h("input", { id: "care-report-month", type: "month" });
  const form = h("form", { class: "row", novalidate: "" }, field(area.id, "care.area", area), field(month.id, "care.report.month", month),
    h("button", { type: "submit", class: "primary", i18n: "care.report.load" }));
  form.addEventListener("submit", (e) => { e.preventDefault(); loadReport(); });
  const exports = ["csv", "xlsx"].map((format) => h("button", {
    type: "button", class: "quiet", i18n: "care.report." + format,
    onclick: async () => {
      const params = reportQuery();
      params.set("format", format);
      try { await download("/api/v1/reports/visits?" + params.toString(), `visits.${format}`); } catch (e) { document.getElementById("care-report-table").textContent = explain(e); }
    },
  }));
  return h("details", { id: "care-report-panel" }, h("summary", { i18n: "care.report" }), form, h("div", { class: "row" }, ...exports),
    h("div", { id: "care-report-table" }));
}

/** Build the section: who qualifies first (the office's outreach), the plans, a new plan, the report. */
export async function startCare(section) {
  const error = h("p", { id: "care-error", class: "error-text", role: "alert" });
  section.append(h("p", { class: "muted small", i18n: "care.hint" }), error);
  try {
    const [areas, types, teams] = await Promise.all([api("GET", "/api/v1/areas"), api("GET", "/api/v1/service-types"), api("GET", "/api/v1/teams")]);
    care.areas = areas.areas;
    care.types = types.service_types;
    care.teams = teams.teams;
  } catch (e) {
    error.textContent = explain(e);
  }
  const suggestArea = areaSelect("care-suggest-area");
  const suggest = h("form", { class: "row", novalidate: "" }, field(suggestArea.id, "care.area", suggestArea),
    h("button", { type: "submit", class: "primary", i18n: "care.load" }));
  suggest.addEventListener("submit", (e) => { e.preventDefault(); loadSuggestions(); });
  const status = h("select", { id: "care-status" }, h("option", { value: "active", i18n: "care.active" }),
    h("option", { value: "ended", i18n: "care.ended" }));
  const pick = h("form", { class: "row", novalidate: "" }, field(status.id, "care.status", status),
    h("button", { type: "submit", i18n: "care.load" }));
  pick.addEventListener("submit", (e) => { e.preventDefault(); loadPlans(); });
  const [form, out] = newForm();
  section.append(
    h("h3", { i18n: "care.suggest" }), suggest, h("ul", { id: "care-suggestions", class: "items" }),
    h("h3", { i18n: "care.plans" }), pick, h("ul", { id: "care-plans", class: "items" }), h("div", { id: "care-plan" }),
    h("details", { id: "care-new" }, h("summary", { i18n: "care.new" }), form, out),
    reportForm());
  loadSuggestions();
  loadPlans();
}
