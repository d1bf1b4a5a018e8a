// The staff page's hours (DESIGN §10): the flags that hold credits (credit or reject, with a
// reason), a volunteer's record with corrections and certificates, and the hours report by
// area, service type, team or month with a bar chart and CSV / XLSX downloads.
import { ApiError, addStrings, api, clear, download, explain, fmtHours, h, lang, newKey, t } from "./vd.js";
import { field } from "./staff-forms.js";

addStrings({
  "hours.title": ["时长核验与证明", "Hours, flags and certificates"],
  "hours.flags": ["待核验的时长", "Flags waiting for a decision"],
  "hours.flags.none": ["没有待核验的时长。", "No open flags."],
  "hours.refresh": ["刷新", "Refresh"],
  "hours.flag.kind.overlap": ["签到时间重叠", "Overlapping check-ins"],
  "hours.flag.kind.day_hours": ["单日时长过多", "Too many hours in a day"],
  "hours.flag.kind.same_pair": ["同一居民服务过于频繁", "Same resident too often"],
  "hours.flag.kind.late_checkout": ["签退过晚", "Late check-out"],
  "hours.flag.kind.no_checkout": ["未签退", "No check-out"],
  "hours.flag.kind.dispute": ["居民有异议", "Disputed by the resident"],
  "hours.flag.line": ["{volunteer} · {hours} 小时 · {kind}", "{volunteer} · {hours} h · {kind}"],
  "hours.reason": ["理由", "Reason"],
  "hours.credit": ["核准计入", "Credit"],
  "hours.reject": ["不予计入", "Reject"],
  "hours.resolved": ["已处理：{status}", "Resolved: {status}"],
  "hours.status.credited": ["已计入", "credited"],
  "hours.status.rejected": ["未计入", "rejected"],
  "hours.volunteer": ["志愿者编号", "Volunteer id"],
  "hours.open": ["查看记录", "Open the record"],
  "hours.record": ["{name} 的服务记录：共 {hours} 小时，已核验 {verified} 小时，{stars}", "{name}'s record: {hours} h, {verified} h verified, {stars}"],
  "hours.stars": ["{n} 星", "{n} star(s)"],
  "hours.nostars": ["暂无星级", "no star yet"],
  "hours.held": ["待核验", "held"],
  "hours.unverified": ["未核验", "unverified"],
  "hours.correct": ["更正", "Correct"],
  "hours.correct.hours": ["扣减时长（空：全部）", "Hours to take back (empty: all)"],
  "hours.corrected": ["已更正：{hours} 小时，{points} 积分。", "Corrected: {hours} h, {points} points."],
  "hours.certificates": ["志愿服务证明", "Certificates"],
  "hours.from": ["起", "From"],
  "hours.to": ["止", "To"],
  "hours.issue": ["出具证明", "Issue a certificate"],
  "hours.issued": ["已出具证明 {serial}。", "Issued {serial}."],
  "hours.pdf": ["下载 PDF", "Download PDF"],
  "hours.revoke": ["撤销", "Revoke"],
  "hours.revoked": ["已撤销", "Revoked"],
  "hours.certificate": ["{serial} · {hours} 小时 · {issuer}", "{serial} · {hours} h · {issuer}"],
  "hours.report": ["时长统计", "Hours report"],
  "hours.group_by": ["分组", "Group by"],
  "hours.group.area": ["区域", "Area"],
  "hours.group.service_type": ["服务类型", "Service type"],
  "hours.group.team": ["服务队", "Team"],
  "hours.group.month": ["月份", "Month"],
  "hours.run": ["统计", "Run"],
  "hours.csv": ["导出 CSV", "CSV"],
  "hours.xlsx": ["导出 Excel", "Excel"],
  "hours.col.label": ["名称", "Name"],
  "hours.col.hours": ["时长", "Hours"],
  "hours.col.verified": ["已核验", "Verified"],
  "hours.col.services": ["服务", "Services"],
  "hours.col.activities": ["活动", "Activities"],
  "hours.col.volunteers": ["活跃志愿者", "Active volunteers"],
  "hours.total": ["合计", "Total"],
  "hours.truncated": ["志愿者太多，统计不完整：请缩小区域。", "Too many volunteers: narrow the area."],
  "err.already_resolved": ["这条已被处理。", "This flag was already resolved."],
  "err.already_corrected": ["这条记录已全部更正。", "This entry has been corrected to nothing already."],
  "err.correction_exceeds_entry": ["扣减超过了这条记录剩余的时长。", "More than what is left of this entry."],
  "err.already_revoked": ["证明已撤销。", "The certificate was revoked already."],
  "err.certificate_font_missing": ["服务器缺少中文字体，暂不能生成 PDF。", "The server has no CJK font for PDFs."],
});

const GROUPS = ["area", "service_type", "team", "month"];
const typeNames = {};

function stars(n) {
  return n > 0 ? t("hours.stars", { n }) : t("hours.nostars");
}

// -- flags ----------------------------------------------------------------------------------

function flagItem(flag) {
  const reason = h("input", { maxlength: "500", "aria-label": t("hours.reason"), placeholder: t("hours.reason") });
  const out = h("span", { class: "small", role: "status" });
  const key = { credit: newKey(), reject: newKey() };
  const decide = (decision) => async () => {
    out.textContent = "";
    if (!reason.value.trim()) { reason.focus(); out.textContent = t("hours.reason"); return; }
    try {
      const done = await api("POST", `/api/v1/flags/${encodeURIComponent(flag.flag_id)}/resolve`,
        { decision, reason: reason.value.trim() }, { key: key[decision] });
      out.textContent = t("hours.resolved", { status: t("hours.status." + done.flag.status) });
      item.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    } catch (e) {
      out.textContent = explain(e);
      if (e instanceof ApiError && e.status < 500) key[decision] = newKey();
    }
  };
  const credit = h("button", { type: "button", i18n: "hours.credit" });
  const reject = h("button", { type: "button", class: "quiet", i18n: "hours.reject" });
  credit.addEventListener("click", decide("credit"));
  reject.addEventListener("click", decide("reject"));
  const item = h("li", { class: "flag", "data-flag": flag.flag_id },
    h("div", {}, t("hours.flag.line", { volunteer: flag.volunteer_id, hours: fmtHours(flag.hours), kind: t("hours.flag.kind." + flag.kind) })),
    flag.detail ? h("div", { class: "muted small" }, flag.detail) : null,
    h("div", { class: "row" }, reason, credit, reject, out));
  return item;
}

async function loadFlags() {
  const list = document.getElementById("flags-list");
  const error = document.getElementById("flags-error");
  error.textContent = "";
  try {
    const found = await api("GET", "/api/v1/flags?status=open&limit=50");
    clear(list);
    for (const flag of found.flags) list.append(flagItem(flag));
    if (!found.flags.length) list.append(h("li", { class: "muted", i18n: "hours.flags.none" }));
  } catch (e) {
    error.textContent = explain(e);
  }
}

// -- a volunteer's record, corrections and certificates ------------------------------------

function correctForm(volunteerId, entry, reload) {
  const reason = h("input", { maxlength: "500", "aria-label": t("hours.reason"), placeholder: t("hours.reason") });
  const hours = h("input", { type: "number", min: "0.5", max: String(entry.hours), step: "0.5", "aria-label": t("hours.correct.hours"), placeholder: t("hours.correct.hours") });
  const out = h("span", { class: "small", role: "status" });
  const button = h("button", { type: "submit", class: "quiet", i18n: "hours.correct" });
  const form = h("form", { class: "row correct", novalidate: "" }, reason, hours, button, out);
  const fold = h("details", { class: "correct-fold" }, h("summary", { i18n: "hours.correct" }), form);
  let key = newKey();
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    out.textContent = "";
    if (!reason.value.trim()) { reason.focus(); out.textContent = t("hours.reason"); return; }
    const body = { entry_id: entry.entry_id, reason: reason.value.trim() };
    if (hours.value) body.hours = Number(hours.value);
    try {
      const done = await api("POST", `/api/v1/volunteers/${encodeURIComponent(volunteerId)}/corrections`, body, { key });
      out.textContent = t("hours.corrected", { hours: done.hours, points: done.points });
      key = newKey();
      setTimeout(reload, 800);
    } catch (err) {
      out.textContent = explain(err);
      if (err instanceof ApiError && err.status < 500) key = newKey();
    }
  });
  return fold;
}

function entryRow(volunteerId, entry, reload) {
  const what = [entry.day, entry.place || entry.area || "", entry.title || typeNames[entry.service_type] || entry.service_type || "", entry.organiser || ""].filter(Boolean).join(" · ");
  const marks = [entry.status === "held" ? t("hours.held") : "", entry.verified ? "" : t("hours.unverified"), entry.reason || ""].filter(Boolean).join(" · ");
  return h("li", { class: "entry " + entry.kind },
    h("div", {}, h("strong", {}, (entry.hours > 0 ? "+" : "") + fmtHours(entry.hours) + " h"), " ", what),
    marks ? h("div", { class: "muted small" }, marks) : null,
    entry.kind === "credit" && entry.status === "posted" ? correctForm(volunteerId, entry, reload) : null);
}

function certificateItem(c, reload) {
  const pdf = h("button", { type: "button", class: "quiet", i18n: "hours.pdf" });
  const out = h("span", { class: "small", role: "status" });
  pdf.addEventListener("click", async () => {
    try { await download(c.pdf_url, c.serial + ".pdf"); } catch (e) { out.textContent = explain(e); }
  });
  const parts = [h("span", {}, t("hours.certificate", { serial: c.serial, hours: fmtHours(c.hours), issuer: c.issuer })), pdf];
  if (c.revoked_at) {
    parts.push(h("span", { class: "badge" }, t("hours.revoked")));
  } else {
    const reason = h("input", { maxlength: "500", "aria-label": t("hours.reason"), placeholder: t("hours.reason") });
    const revoke = h("button", { type: "button", class: "quiet", i18n: "hours.revoke" });
    revoke.addEventListener("click", async () => {
      if (!reason.value.trim()) { reason.focus(); return; }
      try {
        await api("POST", `/api/v1/certificates/${encodeURIComponent(c.serial)}/revoke`, { reason: reason.value.trim() });
        reload();
      } catch (e) { out.textContent = explain(e); }
    });
    parts.push(reason, revoke);
  }
  parts.push(out);
  return h("li", { class: "row certificate" }, ...parts);
}

async function openRecord(volunteerId) {
  const box = document.getElementById("record");
  const error = document.getElementById("record-error");
  error.textContent = "";
  const reload = () => openRecord(volunteerId);
  try {
    const path = `/api/v1/volunteers/${encodeURIComponent(volunteerId)}`;
    const [record, certificates] = await Promise.all([api("GET", path + "/record"), api("GET", path + "/certificates")]);
    clear(box);
    const from = h("input", { id: "cert-from", type: "date" });
    const to = h("input", { id: "cert-to", type: "date" });
    const out = h("p", { class: "small", role: "status" });
    const issue = h("form", { class: "row", novalidate: "" }, field("cert-from", "hours.from", from), field("cert-to", "hours.to", to),
      h("button", { type: "submit", class: "primary", i18n: "hours.issue" }));
    issue.addEventListener("submit", async (e) => {
      e.preventDefault();
      const body = {};
      if (from.value) body.from = from.value;
      if (to.value) body.to = to.value;
      try {
        const made = await api("POST", path + "/certificates", body);
        out.textContent = t("hours.issued", { serial: made.serial });
        setTimeout(reload, 800);
      } catch (err) { out.textContent = explain(err); }
    });
    box.append(
      h("h4", {}, t("hours.record", { name: record.name || volunteerId, hours: fmtHours(record.totals.hours), verified: fmtHours(record.totals.verified_hours), stars: stars(record.star_level) })),
      h("ul", { class: "items", id: "record-entries" }, ...record.entries.map((e) => entryRow(volunteerId, e, reload))),
      h("h4", { i18n: "hours.certificates" }), issue, out,
      h("ul", { class: "items", id: "certificates-list" }, ...certificates.certificates.map((c) => certificateItem(c, reload))));
  } catch (e) {
    error.textContent = explain(e);
  }
}

// -- the report ------------------------------------------------------------------------------

function reportQuery() {
  const params = new URLSearchParams({ group_by: document.getElementById("report-group").value });
  for (const name of ["from", "to"]) {
    const value = document.getElementById("report-" + name).value;
    if (value) params.set(name, value);
  }
  return params;
}

function chart(rows) {
  const most = Math.max(1, ...rows.map((r) => r.hours));
  return h("div", { class: "bars", role: "img", "aria-label": t("hours.report") },
    ...rows.map((r) => {
      const bar = h("span", { class: "bar" });
      bar.style.width = `${Math.max(0, (100 * r.hours) / most).toFixed(1)}%`;
      return h("div", { class: "bar-row" }, h("span", { class: "bar-label" }, r.label), bar,
        h("span", { class: "num" }, fmtHours(r.hours)));
    }));
}

async function runReport() {
  const box = document.getElementById("report-out");
  const error = document.getElementById("report-error");
  error.textContent = "";
  try {
    const report = await api("GET", "/api/v1/reports/hours?" + reportQuery().toString());
    clear(box);
    const cells = (r) => [r.label, fmtHours(r.hours), fmtHours(r.verified_hours), r.services, r.activities, r.volunteers];
    if (report.truncated) box.append(h("p", { class: "error-text", i18n: "hours.truncated" }));
    box.append(
      chart(report.rows),
      h("table", { id: "report-table" },
        h("thead", {}, h("tr", {}, ...["label", "hours", "verified", "services", "activities", "volunteers"].map((c) => h("th", { scope: "col", i18n: "hours.col." + c })))),
        h("tbody", {}, ...report.rows.map((r) => h("tr", {}, ...cells(r).map((v) => h("td", {}, String(v))))),
          h("tr", { class: "total" }, ...cells({ ...report.totals, label: t("hours.total") }).map((v) => h("td", {}, String(v)))))));
  } catch (e) {
    error.textContent = explain(e);
  }
}

/** Build the section: flags first (they hold people's points), then records, then reports. */
export function startHours(section) {
  const refresh = h("button", { type: "button", class: "quiet", i18n: "hours.refresh" });
  refresh.addEventListener("click", loadFlags);
  const volunteer = h("input", { id: "record-volunteer", maxlength: "64" });
  const open = h("form", { class: "row", novalidate: "" }, field("record-volunteer", "hours.volunteer", volunteer),
    h("button", { type: "submit", i18n: "hours.open" }));
  open.addEventListener("submit", (e) => { e.preventDefault(); if (volunteer.value.trim()) openRecord(volunteer.value.trim()); });
  const group = h("select", { id: "report-group" }, ...GROUPS.map((g) => h("option", { value: g, i18n: "hours.group." + g })));
  const report = h("form", { class: "row", novalidate: "" }, field("report-group", "hours.group_by", group),
    field("report-from", "hours.from", h("input", { id: "report-from", type: "date" })),
    field("report-to", "hours.to", h("input", { id: "report-to", type: "date" })),
    h("button", { type: "submit", class: "primary", i18n: "hours.run" }));
  report.addEventListener("submit", (e) => { e.preventDefault(); runReport(); });
  const csv = h("button", { type: "button", class: "quiet", i18n: "hours.csv" });
  const xlsx = h("button", { type: "button", class: "quiet", i18n: "hours.xlsx" });
  for (const [button, format] of [[csv, "csv"], [xlsx, "xlsx"]]) {
    button.addEventListener("click", async () => {
      const params = reportQuery();
      params.set("format", format);
      try { await download("/api/v1/reports/hours?" + params.toString(), `hours.${format}`); } catch (e) { document.getElementById("report-error").textContent = explain(e); }
    });
  }
  section.append(
    h("h3", { i18n: "hours.flags" }), refresh, h("p", { id: "flags-error", class: "error-text", role: "alert" }),
    h("ul", { id: "flags-list", class: "items" }),
    h("h3", { i18n: "hours.certificates" }), open, h("p", { id: "record-error", class: "error-text", role: "alert" }),
    h("div", { id: "record" }),
    h("h3", { i18n: "hours.report" }), report, h("div", { class: "row" }, csv, xlsx),
    h("p", { id: "report-error", class: "error-text", role: "alert" }), h("div", { id: "report-out" }));
  loadFlags();
  runReport();
  api("GET", "/api/v1/service-types").then((found) => {
    for (const type of found.service_types) typeNames[type.code] = lang() === "en" ? type.name_en : type.name_zh;
  }).catch(() => {});
}
