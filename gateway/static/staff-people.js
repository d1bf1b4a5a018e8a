// The staff page's residents: find the people the office knows (within the staff member's
// scope), register one (a phone is optional), read a profile whole (each read is audited),
// and order a service on a resident's behalf (代点单: by phone, at the counter, on a visit).
import { ApiError, addStrings, api, clear, explain, h, lang, newKey, onLang, t } from "./vd.js";
import { field } from "./staff-forms.js";

addStrings({
  "people.title": ["居民与代点单", "Residents and orders on their behalf"],
  "people.hint": ["查找本辖区的居民，登记新居民，或替没有手机的居民点单。查看完整联系方式会留下审计记录。", "Find the residents of your scope, register one, or order for a resident who has no phone. Reading full contact details is audited."],
  "people.q": ["姓名或编号", "Name or id"],
  "people.tag": ["标签", "Tag"],
  "people.tag.any": ["全部", "Any"],
  "people.find": ["查找", "Find"],
  "people.none": ["没有找到居民。", "No resident found."],
  "people.more": ["更多", "More"],
  "people.open": ["查看", "Open"],
  "people.order": ["代点单", "Order for them"],
  "people.new": ["登记新居民", "Register a resident"],
  "people.name": ["姓名", "Name"],
  "people.phone": ["手机号（可不填）", "Mobile (optional)"],
  "people.area": ["所在区域", "Area"],
  "people.address": ["住址", "Address"],
  "people.birth_year": ["出生年份", "Birth year"],
  "people.tags": ["情况", "Circumstances"],
  "people.save": ["登记", "Register"],
  "people.saved": ["已登记，居民编号 {id}。", "Registered as {id}."],
  "people.profile": ["{name}（{id}）", "{name} ({id})"],
  "people.registered_by": ["登记人：{by}", "Registered by: {by}"],
  "order.title": ["替 {name} 点单", "Order for {name}"],
  "order.type": ["服务类型", "Service"],
  "order.details": ["需求说明", "Details"],
  "order.urgent": ["紧急", "Urgent"],
  "order.channel": ["渠道", "Channel"],
  "order.channel.phone": ["电话", "By phone"],
  "order.channel.counter": ["窗口", "At the counter"],
  "order.channel.visit": ["走访", "On a visit"],
  "order.submit": ["提交", "Submit"],
  "order.done": ["已提交：{id}，{status}。", "Submitted: {id}, {status}."],
  "tag.living_alone": ["独居", "Living alone"],
  "tag.empty_nest": ["空巢", "Empty nest"],
  "tag.care_dependent": ["失能/半失能", "Care-dependent"],
  "tag.disability": ["残疾", "Disability"],
  "tag.low_income": ["低保", "Low income"],
  "tag.extreme_hardship": ["特困", "Extreme hardship"],
  "tag.left_behind_child": ["留守儿童", "Left-behind child"],
  "err.resident_exists": ["这个手机号已属于另一位居民。", "This phone already belongs to another resident."],
  "err.unknown_resident": ["没有这位居民。", "No such resident."],
  "err.out_of_scope": ["这个区域不在您的辖区内。", "This area is outside your scope."],
});

const TAGS = ["living_alone", "empty_nest", "care_dependent", "disability", "low_income", "extreme_hardship", "left_behind_child"];
const people = { areas: [], types: [], cursor: null, query: "" };

function tagName(tag) {
  return t("tag." + tag);
}

function typeLabel(type) {
  return lang() === "en" ? type.name_en : type.name_zh;
}

async function find(more = false) {
  const list = document.getElementById("people-list");
  const error = document.getElementById("people-error");
  error.textContent = "";
  const params = new URLSearchParams({ limit: "20" });
  const q = document.getElementById("people-q").value.trim();
  const tag = document.getElementById("people-tag").value;
  if (q) params.set("q", q);
  if (tag) params.set("tag", tag);
  if (more && people.cursor) params.set("cursor", people.cursor);
  try {
    const found = await api("GET", "/api/v1/residents?" + params.toString());
    if (!more) clear(list);
    for (const r of found.residents) list.append(row(r));
    if (!list.children.length) list.append(h("li", { class: "muted", i18n: "people.none" }));
    people.cursor = found.next_cursor;
    document.getElementById("people-more").hidden = !found.next_cursor;
  } catch (e) {
    error.textContent = explain(e);
  }
}

function row(r) {
  const detail = h("div", { class: "person-detail" });
  const place = r.area_name || r.area;
  return h("li", { class: "person", dataset: { resident: r.resident_id } },
    h("div", { class: "spread" },
      h("span", {}, h("strong", {}, r.name), " ", h("span", { class: "muted small" }, r.resident_id)),
      h("span", { class: "small" }, place, r.phone ? " · " + r.phone : "")),
    h("p", { class: "small" }, ...r.tags.map((tag) => h("span", { class: "tag" }, tagName(tag)))),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "quiet", i18n: "people.open", onclick: () => open(r, detail) }),
      h("button", { type: "button", class: "primary", i18n: "people.order", onclick: () => orderFor(r, detail) })),
    detail);
}

async function profileOf(r) {
  return api("GET", `/api/v1/residents/${encodeURIComponent(r.resident_id)}`);
}

async function open(r, detail) {
  clear(detail);
  try {
    const p = await profileOf(r);
    detail.append(h("dl", { class: "facts small" },
      h("dt", { i18n: "people.phone" }), h("dd", {}, p.phone || t("none")),
      h("dt", { i18n: "people.address" }), h("dd", {}, p.address),
      h("dt", { i18n: "people.birth_year" }), h("dd", {}, p.birth_year ? String(p.birth_year) : t("none"))),
      h("p", { class: "muted small" }, t("people.registered_by", { by: p.registered_by })));
  } catch (e) {
    detail.append(h("p", { class: "error-text", role: "alert" }, explain(e)));
  }
}

async function orderFor(r, detail) {
  clear(detail);
  let address = "";
  try { address = (await profileOf(r)).address; } catch { /* staff type it */ }
  const type = h("select", { id: "order-type" }, ...people.types.map((s) => h("option", { value: s.code }, typeLabel(s))));
  const where = h("input", { id: "order-address", value: address, maxlength: "200", required: "" });
  const details = h("textarea", { id: "order-details", maxlength: "2000", rows: "2" });
  const urgent = h("input", { id: "order-urgent", type: "checkbox" });
  const channel = h("select", { id: "order-channel" }, ...["phone", "counter", "visit"].map((c) => h("option", { value: c }, t("order.channel." + c))));
  const out = h("p", { class: "small", role: "status" });
  const key = newKey();
  const form = h("form", { class: "order-form", novalidate: "" },
    h("h3", {}, t("order.title", { name: r.name })),
    field("order-type", "order.type", type), field("order-address", "people.address", where),
    field("order-details", "order.details", details),
    h("div", { class: "field inline" }, urgent, h("label", { for: "order-urgent", i18n: "order.urgent" })),
    field("order-channel", "order.channel", channel), out,
    h("button", { class: "primary", type: "submit", i18n: "order.submit" }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    out.textContent = "";
    try {
      const made = await api("POST", "/api/v1/requests", {
        service_type: type.value, area: r.area, address: where.value.trim(), details: details.value.trim(),
        urgency: urgent.checked ? "urgent" : "normal", resident_id: r.resident_id, channel: channel.value,
      }, { key });
      out.textContent = t("order.done", { id: made.request_id, status: t("status." + made.status) });
    } catch (err) {
      out.textContent = explain(err);
    }
  });
  detail.append(form);
  type.focus();
}

function registerForm() {
  const name = h("input", { id: "new-name", maxlength: "100", required: "" });
  const phone = h("input", { id: "new-phone", type: "tel", inputmode: "numeric", maxlength: "11" });
  const area = h("select", { id: "new-area" });
  const address = h("input", { id: "new-address", maxlength: "200", required: "" });
  const birth = h("input", { id: "new-birth-year", type: "number", min: "1900", max: "2100" });
  const tags = h("fieldset", { class: "tags" }, h("legend", { i18n: "people.tags" }),
    ...TAGS.map((tag) => h("label", { class: "inline" }, h("input", { type: "checkbox", value: tag }), " ", tagName(tag))));
  const out = h("p", { class: "small", role: "status", id: "new-out" });
  let key = newKey();
  const form = h("form", { id: "new-resident", novalidate: "" },
    h("h3", { i18n: "people.new" }),
    field("new-name", "people.name", name), field("new-phone", "people.phone", phone),
    field("new-area", "people.area", area), field("new-address", "people.address", address),
    field("new-birth-year", "people.birth_year", birth), tags, out,
    h("button", { class: "primary", type: "submit", i18n: "people.save" }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    out.textContent = "";
    const body = { name: name.value.trim(), area: area.value, address: address.value.trim(),
      tags: [...tags.querySelectorAll("input:checked")].map((i) => i.value) };
    if (phone.value.trim()) body.phone = phone.value.trim();
    if (birth.value) body.birth_year = Number(birth.value);
    try {
      const made = await api("POST", "/api/v1/residents", body, { key });
      out.textContent = t("people.saved", { id: made.resident_id });
      form.reset();
      key = newKey();
      find();
    } catch (err) {
      out.textContent = explain(err);
      if (!(err instanceof ApiError) || err.status >= 500) return;
      key = newKey();
    }
  });
  return form;
}

function fillAreas() {
  const select = document.getElementById("new-area");
  if (!select) return;
  clear(select);
  for (const a of people.areas) select.append(h("option", { value: a.code }, "\u00a0".repeat(2 * (a.code.length / 3 - 2)) + a.name));
}

/** Build the section and load what its forms need. */
export async function startPeople(section) {
  const q = h("input", { id: "people-q", maxlength: "50" });
  const tag = h("select", { id: "people-tag" }, h("option", { value: "", i18n: "people.tag.any" }),
    ...TAGS.map((x) => h("option", { value: x }, tagName(x))));
  const search = h("form", { id: "people-search", class: "row", novalidate: "" },
    field("people-q", "people.q", q), field("people-tag", "people.tag", tag),
    h("button", { type: "submit", i18n: "people.find" }));
  search.addEventListener("submit", (e) => { e.preventDefault(); find(); });
  const more = h("button", { id: "people-more", type: "button", class: "quiet", i18n: "people.more", hidden: "" });
  more.addEventListener("click", () => find(true));
  section.append(
    h("h2", { id: "people-title", class: "sr-only", i18n: "people.title" }),
    h("p", { class: "muted small", i18n: "people.hint" }),
    search, h("p", { id: "people-error", class: "error-text", role: "alert" }),
    h("ul", { id: "people-list", class: "items" }), more, registerForm());
  onLang(fillAreas);
  try {
    const [areas, types] = await Promise.all([api("GET", "/api/v1/areas"), api("GET", "/api/v1/service-types")]);
    people.areas = areas.areas;
    people.types = types.service_types;
    fillAreas();
    find();
  } catch (e) {
    document.getElementById("people-error").textContent = explain(e);
  }
}
