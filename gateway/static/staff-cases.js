// The staff page's "can't get it done" window (办不成事, DESIGN §11): the cases of the scope
// (the overdue first when asked), one case's closed loop of steps (collect → prescribe → act
// → verify) with its deadline and owning office, recording a step, closing with a
// resolution, and opening a case for a resident or a matter the office found itself.
import { addStrings, api, clear, explain, fmtTime, h, t } from "./vd.js";
import { field, posting } from "./staff-forms.js";

addStrings({
  "cases.title": ["办不成事反映", "Can't-get-it-done window"],
  "cases.hint": ["每件反映都有牵头的办公室和办理期限（工作日）；超过期限会自动转到上一级。", "Every case has an owning office and a deadline in working days; a passed deadline moves it up a level by itself."],
  "cases.status": ["状态", "Status"],
  "cases.open": ["办理中", "Open"],
  "cases.closed": ["已办结", "Closed"],
  "cases.any": ["全部", "All"],
  "cases.overdue.only": ["只看超期", "Overdue only"],
  "cases.load": ["查看", "Show"],
  "cases.more": ["更多", "More"],
  "cases.none": ["没有符合条件的反映。", "No case matches."],
  "ck.stalled": ["转中心需求", "Stalled request"],
  "ck.missed_visit": ["漏访", "Missed visit"],
  "ck.dispute": ["服务异议", "Disputed service"],
  "ck.complaint": ["居民反映", "Complaint"],
  "ck.other": ["其他", "Other"],
  "cases.overdue": ["已超期", "Overdue"],
  "cases.line": ["{area} · 牵头：{owner} · 期限 {due}", "{area} · owner: {owner} · due {due}"],
  "cases.moved": ["已上转 {n} 次", "moved up {n}×"],
  "cases.resident": ["居民：{name}", "Resident: {name}"],
  "cases.request": ["相关需求 {id}", "Request {id}"],
  "cases.opened": ["{time} 由{who}登记", "Opened {time} by {who}"],
  "who.resident": ["居民", "the resident"],
  "who.staff": ["工作人员", "staff"],
  "who.system": ["平台自动", "the platform"],
  "sk.note": ["记录", "Note"],
  "sk.prescribe": ["开方（交办）", "Prescribe"],
  "sk.act": ["办理", "Act"],
  "sk.verify": ["回访核实", "Verify"],
  "cases.step": ["记录一步", "Record a step"],
  "cases.step.kind": ["环节", "Step"],
  "cases.step.note": ["内容", "What"],
  "cases.step.save": ["记录", "Record"],
  "cases.step.saved": ["已记录。", "Recorded."],
  "cases.close": ["办结", "Close"],
  "cases.close.resolution": ["办理结果", "Resolution"],
  "cases.close.satisfied": ["居民满意", "The resident is satisfied"],
  "cases.close.save": ["办结", "Close the case"],
  "cases.close.saved": ["已办结。", "Closed."],
  "cases.resolution": ["办理结果：{text}", "Resolution: {text}"],
  "cases.readonly": ["这件反映由 {owner} 牵头，您可以查看。", "Owned by {owner}: you may read it."],
  "cases.new": ["登记一件反映", "Open a case"],
  "cases.new.subject": ["事由", "Subject"],
  "cases.new.details": ["详细情况", "Details"],
  "cases.new.area": ["区域", "Area"],
  "cases.new.kind": ["类型", "Kind"],
  "cases.new.resident": ["居民编号（可不填）", "Resident id (optional)"],
  "cases.new.save": ["登记", "Open it"],
  "cases.new.saved": ["已登记，牵头：{owner}，期限 {due}。", "Opened: owner {owner}, due {due}."],
  "err.not_owner": ["这件反映不由您的办公室牵头。", "Your office does not own this case."],
  "err.case_closed": ["这件反映已经办结。", "This case is closed."],
  "err.unknown_request": ["没有这个需求。", "No such request."],
  "err.too_many_steps": ["步骤太多，请另开一件反映。", "Too many steps: open a new case."],
});

const KINDS = ["complaint", "stalled", "dispute", "missed_visit", "other"];
const STEPS = ["note", "prescribe", "act", "verify"];
const desk = { areas: [], cursor: null, open: null };

function query() {
  const params = new URLSearchParams({ limit: "30" });
  const status = document.getElementById("cases-status").value;
  if (status) params.set("status", status);
  if (document.getElementById("cases-overdue").checked) params.set("overdue", "true");
  return params;
}

function caseLine(item) {
  return h("li", { class: "case" + (item.overdue && item.status === "open" ? " late" : ""), dataset: { case: item.case_id, status: item.status } },
    h("button", { type: "button", class: "quiet link", onclick: () => openCase(item.case_id) }, item.subject),
    " ", h("span", { class: "badge " + item.status }, t(item.status === "open" ? "cases.open" : "cases.closed")),
    " ", h("span", { class: "badge" }, t("ck." + item.kind)),
    item.overdue && item.status === "open" ? [" ", h("span", { class: "badge late" }, t("cases.overdue"))] : null,
    h("div", { class: "muted small" }, t("cases.line", { area: item.area_name || item.area, owner: item.owner_name || item.owner_scope, due: fmtTime(item.due_at, true) }),
      item.escalations ? " · " + t("cases.moved", { n: item.escalations }) : ""));
}

async function loadCases(more) {
  const list = document.getElementById("cases-list");
  const button = document.getElementById("cases-more");
  const error = document.getElementById("cases-error");
  error.textContent = "";
  const params = query();
  if (more && desk.cursor) params.set("cursor", desk.cursor);
  try {
    const found = await api("GET", "/api/v1/cases?" + params.toString());
    if (!more) clear(list);
    for (const item of found.cases) list.append(caseLine(item));
    if (!list.children.length) list.append(h("li", { class: "muted", i18n: "cases.none" }));
    desk.cursor = found.next_cursor || null;
    button.hidden = !desk.cursor;
  } catch (e) {
    error.textContent = explain(e);
  }
}

function stepForm(item) {
  const kind = h("select", { id: "case-step-kind" }, ...STEPS.map((s) => h("option", { value: s, i18n: "sk." + s })));
  const note = h("textarea", { id: "case-step-note", maxlength: "2000", rows: "2", required: "" });
  const out = h("span", { class: "small", role: "status" });
  const form = h("form", { class: "row", novalidate: "" }, field(kind.id, "cases.step.kind", kind), field(note.id, "cases.step.note", note),
    h("button", { type: "submit", class: "primary", i18n: "cases.step.save" }), out);
  posting(form, out, async (key) => {
    if (!note.value.trim()) { note.focus(); return t("cases.step.note"); }
    await api("POST", `/api/v1/cases/${encodeURIComponent(item.case_id)}/steps`, { kind: kind.value, note: note.value.trim() }, { key });
    openCase(item.case_id);
    return t("cases.step.saved");
  });
  return form;
}

function closeForm(item) {
  const resolution = h("textarea", { id: "case-resolution", maxlength: "2000", rows: "2", required: "" });
  const satisfied = h("input", { id: "case-satisfied", type: "checkbox" });
  const out = h("span", { class: "small", role: "status" });
  const form = h("form", { class: "row", novalidate: "" }, field(resolution.id, "cases.close.resolution", resolution),
    field(satisfied.id, "cases.close.satisfied", satisfied), h("button", { type: "submit", i18n: "cases.close.save" }), out);
  posting(form, out, async (key) => {
    if (!resolution.value.trim()) { resolution.focus(); return t("cases.close.resolution"); }
    await api("POST", `/api/v1/cases/${encodeURIComponent(item.case_id)}/close`, { resolution: resolution.value.trim(), resident_satisfied: satisfied.checked }, { key });
    openCase(item.case_id);
    loadCases(false);
    return t("cases.close.saved");
  });
  return form;
}

async function openCase(caseId) {
  const box = document.getElementById("case-detail");
  clear(box);
  try {
    const item = await api("GET", `/api/v1/cases/${encodeURIComponent(caseId)}`);
    desk.open = caseId;
    box.append(
      h("h4", {}, item.subject, " ", h("span", { class: "badge " + item.status }, t(item.status === "open" ? "cases.open" : "cases.closed")),
        item.overdue && item.status === "open" ? [" ", h("span", { class: "badge late" }, t("cases.overdue"))] : null),
      h("p", { class: "muted small" }, t("cases.line", { area: item.area_name || item.area, owner: item.owner_name || item.owner_scope, due: fmtTime(item.due_at, true) }),
        item.escalations ? " · " + t("cases.moved", { n: item.escalations }) : ""),
      h("p", { class: "small" }, t("cases.opened", { time: fmtTime(item.opened_at, true), who: t("who." + item.opened_by_role) }),
        item.resident_name ? " · " + t("cases.resident", { name: item.resident_name }) : "",
        item.request_id ? " · " + t("cases.request", { id: item.request_id }) : ""),
      item.details ? h("p", {}, item.details) : "",
      h("ol", { class: "steps", id: "case-steps" }, ...item.steps.map((s) => h("li", { dataset: { kind: s.kind } },
        h("strong", {}, t("sk." + s.kind)), " ", s.note, h("span", { class: "muted small" }, " · " + fmtTime(s.at, true) + (s.by ? " · " + s.by : ""))))),
      item.resolution ? h("p", { class: "notice ok" }, t("cases.resolution", { text: item.resolution })) : "",
      item.can_act ? h("div", { class: "case-work" }, stepForm(item), h("details", {}, h("summary", { i18n: "cases.close" }), closeForm(item)))
        : item.status === "open" ? h("p", { class: "muted small" }, t("cases.readonly", { owner: item.owner_name || item.owner_scope })) : "");
  } catch (e) {
    box.append(h("p", { class: "error-text", role: "alert" }, explain(e)));
  }
}

function newForm() {
  const subject = h("input", { id: "case-new-subject", maxlength: "200", required: "" });
  const details = h("textarea", { id: "case-new-details", maxlength: "4000", rows: "2" });
  const area = h("select", { id: "case-new-area" }, ...desk.areas.map((a) => h("option", { value: a.code }, `${a.name}（${a.code}）`)));
  const kind = h("select", { id: "case-new-kind" }, ...KINDS.map((k) => h("option", { value: k, i18n: "ck." + k })));
  const resident = h("input", { id: "case-new-resident", maxlength: "64", autocomplete: "off" });
  const out = h("p", { class: "small", role: "status" });
  const form = h("form", { class: "row", novalidate: "" }, field(subject.id, "cases.new.subject", subject), field(area.id, "cases.new.area", area),
    field(kind.id, "cases.new.kind", kind), field(resident.id, "cases.new.resident", resident), field(details.id, "cases.new.details", details),
    h("button", { type: "submit", class: "primary", i18n: "cases.new.save" }));
  posting(form, out, async (key) => {
    if (!subject.value.trim()) { subject.focus(); return t("cases.new.subject"); }
    const body = { subject: subject.value.trim(), details: details.value.trim(), area: area.value, kind: kind.value };
    if (resident.value.trim()) body.resident_id = resident.value.trim();
    const made = await api("POST", "/api/v1/cases", body, { key });
    form.reset();
    loadCases(false);
    openCase(made.case_id);
    return t("cases.new.saved", { owner: made.owner_name || made.owner_scope, due: fmtTime(made.due_at, true) });
  });
  return [form, out];
}

/** Build the section: the list (the daily work), one case, then opening a new one. */
export async function startCases(section) {
  section.append(h("p", { class: "muted small", i18n: "cases.hint" }), h("p", { id: "cases-error", class: "error-text", role: "alert" }));
  try {
    desk.areas = (await api("GET", "/api/v1/areas")).areas;
  } catch (e) {
    document.getElementById("cases-error").textContent = explain(e);
  }
  const status = h("select", { id: "cases-status" }, h("option", { value: "open", i18n: "cases.open" }),
    h("option", { value: "closed", i18n: "cases.closed" }), h("option", { value: "", i18n: "cases.any" }));
  const overdue = h("input", { id: "cases-overdue", type: "checkbox" });
  const pick = h("form", { class: "row", novalidate: "" }, field(status.id, "cases.status", status), field(overdue.id, "cases.overdue.only", overdue),
    h("button", { type: "submit", class: "primary", i18n: "cases.load" }));
  pick.addEventListener("submit", (e) => { e.preventDefault(); loadCases(false); });
  const more = h("button", { id: "cases-more", type: "button", class: "quiet", i18n: "cases.more", hidden: true, onclick: () => loadCases(true) });
  const [form, out] = newForm();
  section.append(pick, h("ul", { id: "cases-list", class: "items" }), more, h("div", { id: "case-detail" }),
    h("details", {}, h("summary", { i18n: "cases.new" }), form, out));
  loadCases(false);
}
