// The staff page's office panel: the teams of the scope (capacity, whether they take new work,
// leader, deputies, areas, service types; members moved or retired), staff accounts and
// kiosks (a one-time password or device key is shown once), the audit trail of the scope, and
// the texts the outbox could not send, and the review rules (审单) of an area.
import { addStrings, api, clear, explain, fmtTime, h, lang, newKey, t } from "./vd.js";
import { field } from "./staff-forms.js";

addStrings({
  "admin.title": ["办公室管理", "Office"],
  "admin.teams": ["服务队", "Teams"],
  "admin.capacity": ["容量", "Capacity"],
  "admin.active": ["接收新任务", "Takes new work"],
  "admin.save": ["保存", "Save"],
  "admin.saved": ["已保存。", "Saved."],
  "admin.staff": ["新增工作人员", "Add a staff member"],
  "admin.staff_id": ["工作人员编号", "Staff id"],
  "admin.name": ["姓名", "Name"],
  "admin.phone": ["手机号", "Mobile"],
  "admin.scope": ["辖区（区域编码）", "Scope (area code)"],
  "admin.create": ["创建", "Create"],
  "admin.one_time": ["一次性密码：{password}（只显示这一次，首次登录须修改）", "One-time password: {password} (shown once; it must be changed at the first sign-in)"],
  "admin.kiosks": ["兑换机", "Kiosks"],
  "admin.kiosk_id": ["兑换机编号", "Kiosk id"],
  "admin.area": ["所在区域编码", "Area code"],
  "admin.register": ["登记", "Register"],
  "admin.device_key": ["设备密钥：{key}（只显示这一次，请在兑换机上输入）", "Device key: {key} (shown once: enter it on the kiosk)"],
  "admin.revoke": ["停用", "Revoke"],
  "admin.revoked": ["已停用 {id}。", "{id} is revoked."],
  "admin.edit": ["修改", "Edit"],
  "admin.leader": ["队长编号", "Leader id"],
  "admin.deputies": ["副队长编号（逗号分隔）", "Deputies' ids (comma-separated)"],
  "admin.areas": ["服务区域编码（逗号分隔，第一个为驻地）", "Area codes (comma-separated, the base first)"],
  "admin.types": ["服务类型", "Service types"],
  "admin.members": ["队员", "Members"],
  "admin.move": ["调往", "Move to"],
  "admin.retire": ["退出", "Retire"],
  "admin.retired": ["已退出", "Retired"],
  "admin.failures": ["未送达的短信", "Texts that did not go out"],
  "admin.failures.none": ["没有。", "None."],
  "admin.audit": ["操作记录", "Audit trail"],
  "admin.audit_more": ["更多", "More"],
  "admin.review": ["审单规则", "Review rules"],
  "admin.review.hint": ["选择哪些区域、哪类服务的订单须经办公室审核后再派单，以及审核时限；最具体的规则优先，没有规则时按平台设置。",
    "Choose which orders of an area and service type wait for the office's review before dispatch, and within what time; the most specific rule wins, and without one the platform's setting applies."],
  "admin.review.area": ["区域编码", "Area code"],
  "admin.review.type": ["服务类型", "Service type"],
  "admin.review.all": ["全部类型", "Every type"],
  "admin.review.required": ["需要审核", "Review required"],
  "admin.review.sla": ["审核时限（分钟，可不填）", "Time to review (minutes, optional)"],
  "admin.review.set": ["保存规则", "Save the rule"],
  "admin.review.show": ["查看该区域的规则", "Show this area's rules"],
  "admin.review.none": ["没有规则：按平台设置。", "No rule: the platform's setting applies."],
  "admin.review.need_area": ["请填写区域编码。", "Enter an area code."],
  "admin.review.yes": ["需要审核", "Reviewed"],
  "admin.review.no": ["无需审核", "Not reviewed"],
  "admin.review.minutes": ["{n} 分钟内", "within {n} min"],
  "admin.review.by": ["{who} 设于 {at}", "set by {who} at {at}"],
  "admin.audit_row": ["{at} {actor}（{role}）{action} {kind} {id}", "{at} {actor} ({role}) {action} {kind} {id}"],
});

const roster = { teams: [], types: [] };

function list(value) {
  return value.split(/[,，\s]+/).map((x) => x.trim()).filter(Boolean);
}

function teamRow(team) {
  const capacity = h("input", { type: "number", min: "1", max: "10000", value: String(team.capacity), id: `cap-${team.team_id}`, "aria-label": t("admin.capacity") });
  const active = h("input", { type: "checkbox", checked: team.active, id: `act-${team.team_id}` });
  const out = h("span", { class: "small", role: "status" });
  const save = h("button", { type: "button", i18n: "admin.save" });
  save.addEventListener("click", async () => {
    out.textContent = "";
    try {
      await api("PATCH", `/api/v1/teams/${encodeURIComponent(team.team_id)}`,
        { capacity: Number(capacity.value), active: active.checked });
      out.textContent = t("admin.saved");
    } catch (e) {
      out.textContent = explain(e);
    }
  });
  const edit = h("button", { type: "button", class: "quiet", i18n: "admin.edit" });
  const row = h("tr", { dataset: { team: team.team_id } },
    h("td", {}, team.name, " ", h("span", { class: "muted small" }, team.team_id)),
    h("td", { class: "num" }, `${team.load}`), h("td", {}, capacity),
    h("td", {}, h("label", { class: "inline" }, active, " ", t("admin.active"))),
    h("td", {}, save, " ", edit, " ", out));
  const detail = h("tr", { class: "team-detail", hidden: "", dataset: { teamDetail: team.team_id } },
    h("td", { colspan: "5" }));
  edit.addEventListener("click", () => {
    detail.hidden = !detail.hidden;
    if (!detail.hidden && !detail.dataset.built) {
      detail.dataset.built = "1";
      detail.firstChild.append(teamEditor(team), membersOf(team));
    }
  });
  return [row, detail];
}

function teamEditor(team) {
  const id = (k) => `${k}-${team.team_id}`;
  const leader = h("input", { id: id("leader"), value: team.leader_id, maxlength: "64" });
  const deputies = h("input", { id: id("deputies"), value: team.deputies.join(", ") });
  const areas = h("input", { id: id("areas"), value: team.areas.join(", ") });
  const types = h("fieldset", { class: "tags" }, h("legend", { i18n: "admin.types" }),
    ...roster.types.map((s) => h("label", { class: "inline" },
      h("input", { type: "checkbox", value: s.code, checked: team.service_types.includes(s.code) }), " ", s.name_zh)));
  const out = h("p", { class: "small", role: "status" });
  const form = h("form", { class: "team-editor", novalidate: "" },
    field(id("leader"), "admin.leader", leader), field(id("deputies"), "admin.deputies", deputies),
    field(id("areas"), "admin.areas", areas), types, out,
    h("button", { type: "submit", class: "primary", i18n: "admin.save" }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    out.textContent = "";
    try {
      await api("PATCH", `/api/v1/teams/${encodeURIComponent(team.team_id)}`, {
        leader_id: leader.value.trim(), deputies: list(deputies.value), areas: list(areas.value),
        service_types: [...types.querySelectorAll("input:checked")].map((i) => i.value),
      });
      out.textContent = t("admin.saved");
    } catch (err) {
      out.textContent = explain(err);
    }
  });
  return form;
}

function membersOf(team) {
  const items = h("ul", { class: "items small", dataset: { members: team.team_id } });
  const box = h("div", {}, h("h4", { i18n: "admin.members" }), items);
  api("GET", `/api/v1/volunteers?team_id=${encodeURIComponent(team.team_id)}&limit=200`).then((found) => {
    for (const v of found.volunteers) items.append(memberRow(v));
  }).catch((e) => items.append(h("li", { class: "error-text" }, explain(e))));
  return box;
}

function memberRow(v) {
  const out = h("span", { role: "status" });
  const move = h("select", { "aria-label": t("admin.move") },
    ...roster.teams.map((x) => h("option", { value: x.team_id, selected: x.team_id === v.team_id }, x.name)));
  move.addEventListener("change", async () => {
    out.textContent = "";
    try {
      await api("PATCH", `/api/v1/volunteers/${encodeURIComponent(v.volunteer_id)}`, { team_id: move.value });
      out.textContent = t("admin.saved");
    } catch (err) {
      out.textContent = explain(err);
    }
  });
  const retire = h("button", { type: "button", class: "quiet", i18n: "admin.retire", disabled: !v.active });
  retire.addEventListener("click", async () => {
    out.textContent = "";
    try {
      await api("PATCH", `/api/v1/volunteers/${encodeURIComponent(v.volunteer_id)}`, { active: false });
      retire.disabled = true;
      out.textContent = t("admin.retired");
    } catch (err) {
      out.textContent = explain(err);
    }
  });
  return h("li", { dataset: { volunteer: v.volunteer_id } }, `${v.name} (${v.volunteer_id}) `,
    h("label", { class: "inline" }, t("admin.move"), " ", move), " ", retire, " ", out);
}

async function loadTeams(body) {
  clear(body);
  const [found, types] = await Promise.all([api("GET", "/api/v1/teams"), api("GET", "/api/v1/service-types")]);
  roster.teams = found.teams;
  roster.types = types.service_types;
  for (const team of found.teams) body.append(...teamRow(team));
}

function staffForm() {
  const inputs = {
    staff_id: h("input", { id: "admin-staff-id", maxlength: "64" }),
    name: h("input", { id: "admin-staff-name", maxlength: "100" }),
    phone: h("input", { id: "admin-staff-phone", type: "tel", maxlength: "11" }),
    scope: h("input", { id: "admin-staff-scope", inputmode: "numeric", maxlength: "15" }),
  };
  const out = h("p", { class: "small", role: "status", id: "admin-staff-out" });
  const form = h("form", { id: "admin-staff", novalidate: "" }, h("h3", { i18n: "admin.staff" }),
    field("admin-staff-id", "admin.staff_id", inputs.staff_id), field("admin-staff-name", "admin.name", inputs.name),
    field("admin-staff-phone", "admin.phone", inputs.phone), field("admin-staff-scope", "admin.scope", inputs.scope),
    out, h("button", { type: "submit", class: "primary", i18n: "admin.create" }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    out.textContent = "";
    const body = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.value.trim()]));
    try {
      const made = await api("POST", "/api/v1/staff", body, { key: newKey() });
      out.textContent = t("admin.one_time", { password: made.one_time_password });
    } catch (err) {
      out.textContent = explain(err);
    }
  });
  return form;
}

function kioskForm() {
  const id = h("input", { id: "admin-kiosk-id", maxlength: "64" });
  const name = h("input", { id: "admin-kiosk-name", maxlength: "100" });
  const area = h("input", { id: "admin-kiosk-area", inputmode: "numeric", maxlength: "15" });
  const out = h("p", { class: "small", role: "status", id: "admin-kiosk-out" });
  const revoke = h("button", { type: "button", id: "admin-kiosk-revoke", i18n: "admin.revoke" });
  const form = h("form", { id: "admin-kiosk", novalidate: "" }, h("h3", { i18n: "admin.kiosks" }),
    field("admin-kiosk-id", "admin.kiosk_id", id), field("admin-kiosk-name", "admin.name", name),
    field("admin-kiosk-area", "admin.area", area), out,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", i18n: "admin.register" }), revoke));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    out.textContent = "";
    try {
      const made = await api("POST", "/api/v1/kiosks",
        { kiosk_id: id.value.trim(), name: name.value.trim(), area: area.value.trim() }, { key: newKey() });
      out.textContent = t("admin.device_key", { key: made.device_key });
    } catch (err) {
      out.textContent = explain(err);
    }
  });
  revoke.addEventListener("click", async () => {
    out.textContent = "";
    try {
      await api("POST", `/api/v1/kiosks/${encodeURIComponent(id.value.trim())}/revoke`, {});
      out.textContent = t("admin.revoked", { id: id.value.trim() });
    } catch (err) {
      out.textContent = explain(err);
    }
  });
  return form;
}

function reviewRules() {
  const area = h("input", { id: "admin-review-area", inputmode: "numeric", maxlength: "15" });
  const type = h("select", { id: "admin-review-type" }, h("option", { value: "", i18n: "admin.review.all" }));
  const required = h("input", { id: "admin-review-required", type: "checkbox", checked: true });
  const sla = h("input", { id: "admin-review-sla", type: "number", min: "1", max: "43200", inputmode: "numeric" });
  const out = h("p", { class: "small", role: "status", id: "admin-review-out" });
  const rules = h("ul", { id: "admin-review-rules", class: "items small" });
  const show = h("button", { type: "button", class: "quiet", i18n: "admin.review.show" });
  const form = h("form", { id: "admin-review", novalidate: "" }, h("h3", { i18n: "admin.review" }),
    h("p", { class: "muted small", i18n: "admin.review.hint" }),
    field("admin-review-area", "admin.review.area", area), field("admin-review-type", "admin.review.type", type),
    h("div", { class: "field" }, h("label", { class: "inline" }, required, " ", h("span", { i18n: "admin.review.required" }))),
    field("admin-review-sla", "admin.review.sla", sla), out,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", i18n: "admin.review.set" }), show),
    rules);
  const typeName = (code) => {
    const found = roster.types.find((s) => s.code === code);
    return found ? (lang() === "en" ? found.name_en : found.name_zh) : code;
  };
  async function load() {
    const code = area.value.trim();
    const found = await api("GET", "/api/v1/review-rules" + (code ? "?area=" + encodeURIComponent(code) : ""));
    clear(rules);
    for (const r of found.rules) {
      rules.append(h("li", { dataset: { area: r.area, type: r.service_type || "" } },
        h("strong", {}, r.area), " · ", r.service_type ? typeName(r.service_type) : t("admin.review.all"), " · ",
        h("span", { class: r.required ? "badge s-in_review" : "badge" }, t(r.required ? "admin.review.yes" : "admin.review.no")),
        r.sla_s ? " " + t("admin.review.minutes", { n: Math.round(r.sla_s / 60) }) : "",
        " ", h("span", { class: "muted" }, t("admin.review.by", { who: r.set_by, at: fmtTime(r.set_at, true) }))));
    }
    if (!found.rules.length) rules.append(h("li", { class: "muted", i18n: "admin.review.none" }));
  }
  async function shown() {
    out.textContent = "";
    try {
      await load();
    } catch (err) {
      out.textContent = err.code === "bad_area" ? t("admin.review.need_area") : explain(err);
    }
  }
  show.addEventListener("click", shown);
  required.addEventListener("change", () => { sla.disabled = !required.checked; });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    out.textContent = "";
    const code = area.value.trim();
    if (!code) { out.textContent = t("admin.review.need_area"); area.focus(); return; }
    const body = { area: code, required: required.checked };
    if (type.value) body.service_type = type.value;
    if (required.checked && sla.value.trim()) body.sla_s = Math.round(Number(sla.value) * 60);
    try {
      await api("POST", "/api/v1/review-rules", body, { key: newKey() });
      out.textContent = t("admin.saved");
      await load();
    } catch (err) {
      out.textContent = explain(err);
    }
  });
  function fill() {
    for (const s of roster.types) type.append(h("option", { value: s.code }, lang() === "en" ? s.name_en : s.name_zh));
  }
  return { section: form, fill, load: shown };
}

function auditList() {
  const list = h("ol", { id: "admin-audit", class: "items small" });
  const more = h("button", { type: "button", class: "quiet", hidden: "", i18n: "admin.audit_more" });
  let cursor = null;
  async function load(next) {
    const params = new URLSearchParams({ limit: "20" });
    if (next && cursor) params.set("cursor", cursor);
    const found = await api("GET", "/api/v1/audit?" + params.toString());
    if (!next) clear(list);
    for (const r of found.records) {
      list.append(h("li", {}, t("admin.audit_row", {
        at: fmtTime(r.at, true), actor: r.actor_id, role: t("role." + r.actor_role),
        action: r.action, kind: r.object_kind, id: r.object_id,
      })));
    }
    cursor = found.next_cursor;
    more.hidden = !cursor;
  }
  more.addEventListener("click", () => load(true).catch(() => {}));
  return { section: h("div", {}, h("h3", { i18n: "admin.audit" }), list, more), load };
}

function failedSends() {
  const list = h("ul", { id: "admin-failures", class: "items small" });
  async function load() {
    const found = await api("GET", "/api/v1/outbox/failures");
    clear(list);
    for (const n of found.notifications) {
      list.append(h("li", {}, fmtTime(n.at, true), " ", lang() === "en" ? n.text_en : n.text_zh));
    }
    if (!found.notifications.length) list.append(h("li", { class: "muted", i18n: "admin.failures.none" }));
  }
  return { section: h("div", {}, h("h3", { i18n: "admin.failures" }), list), load };
}

/** Build the panel when staff first open it. */
export async function startAdmin(section) {
  const body = h("tbody", { id: "admin-teams" });
  const error = h("p", { class: "error-text", role: "alert" });
  const audit = auditList();
  const failures = failedSends();
  const review = reviewRules();
  section.append(
    h("h2", { class: "sr-only", i18n: "admin.title" }),
    h("h3", { i18n: "admin.teams" }),
    h("div", { class: "scroll" }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col", i18n: "teams.name" }), h("th", { scope: "col", class: "num", i18n: "teams.load" }),
        h("th", { scope: "col", i18n: "admin.capacity" }), h("th", { scope: "col", i18n: "admin.active" }), h("th", { scope: "col" }))),
      body)),
    error, review.section, staffForm(), kioskForm(), audit.section, failures.section);
  try {
    await Promise.all([loadTeams(body), audit.load(false), failures.load()]);
    review.fill();
    await review.load();
  } catch (e) {
    error.textContent = explain(e);
  }
}
