// A resident orders a service (点单) and follows it: the area comes from cascading selects of
// the registered area tree (never a typed code), the status and its history refresh by
// themselves (polling), a completed service is reviewed with stars, an open one can be
// cancelled. Below, the resident's micro-wishes (resident-wishes.js) and the cases they
// raised (resident-cases.js). Large text and one column: many residents are elderly.

import {
  $, connectionNotice, ApiError, announce, api, clear, explain, fmtHours, fmtTime, frame, h, has, lang, newKey, onLang, shortId, subject, t,
} from "./vd.js";
import { startCases } from "./resident-cases.js";
import { startWishes } from "./resident-wishes.js";

const STRINGS = {
  "profile.none": ["工作人员为您登记居民信息后，才能在这里登记心愿和反映问题。", "Staff must register your resident profile before you can post wishes or report matters here."],
  "resident.title": ["我要点单 · 志愿服务派单平台", "Order a service · Volunteer dispatch"],
  "resident.heading": ["志愿服务点单", "Volunteer services"],
  "nav.label": ["本页", "On this page"],
  "nav.order": ["我要点单", "Order a service"],
  "nav.mine": ["我的需求", "My requests"],
  "order.title": ["我要点单", "Order a service"],
  "order.hint": ["按顺序填写下面三步，带 * 的必须填写。", "Fill in the three steps below; * means required."],
  "order.type": ["需要什么服务？", "What do you need?"],
  "order.where": ["在哪里服务？", "Where?"],
  "order.address": ["详细地址（楼栋、单元、门牌号）", "Street address (building, unit, door)"],
  "order.more": ["说说具体情况", "Tell us more"],
  "order.details": ["需求说明（可不填）", "Details (optional)"],
  "order.urgency": ["紧急程度", "How urgent?"],
  "order.normal": ["普通", "Normal"],
  "order.urgent": ["紧急（今天就需要）", "Urgent (needed today)"],
  "order.contact": ["联系人姓名（可不填）", "Contact name (optional)"],
  "order.phone": ["联系电话（可不填）", "Contact phone (optional)"],
  "order.submit": ["提交需求", "Send my request"],
  "order.sending": ["正在提交…", "Sending…"],
  "order.done": ["已提交！您的需求编号是 {id}。下面可以看到办理进度。", "Sent! Your request number is {id}. Follow it below."],
  "area.county": ["区县", "County"],
  "area.town": ["街道 / 乡镇", "Subdistrict / town"],
  "area.village": ["社区 / 村", "Community / village"],
  "area.hamlet": ["小区 / 屋场（可不选）", "Estate / hamlet (optional)"],
  "area.pick": ["请选择", "Choose"],
  "area.skip": ["不选", "Skip"],
  "area.none": ["还没有登记服务区域，请联系社区。", "No service area is registered yet; contact your community."],
  "v.type": ["请选择一项服务。", "Choose a service."],
  "v.area": ["请选择街道/乡镇和社区/村。", "Choose your town and community or village."],
  "v.address": ["请填写详细地址。", "Enter your street address."],
  "v.phone": ["电话号码只能有数字，5 到 20 位。", "A phone number has 5 to 20 digits."],
  "v.fix": ["请按红字提示修改后再提交。", "Please fix the fields marked in red."],
  "mine.title": ["我的需求", "My requests"],
  "mine.empty": ["您还没有提交过需求。", "You have not sent any request yet."],
  "mine.open": ["{n}", "{n}"],
  "step.submitted": ["提交", "Sent"],
  "step.dispatched": ["派单", "Dispatched"],
  "step.accepted": ["接单", "Accepted"],
  "step.completed": ["完成", "Done"],
  "step.reviewed": ["评价", "Reviewed"],
  "say.submitted": ["正在为您寻找志愿服务队…", "Looking for a volunteer team…"],
  "say.in_review": ["中心正在审核您的需求。", "The office is reviewing your request."],
  "say.dispatched": ["已派给志愿服务队，等待队长接单。", "Sent to a volunteer team; waiting for the leader to accept."],
  "say.accepted": ["服务队已接单，志愿者会尽快与您联系。", "A team accepted it; volunteers will be in touch soon."],
  "say.completed": ["服务已完成，请为这次服务打分。", "The service is done. Please rate it."],
  "say.reviewed": ["感谢您的评价！", "Thank you for your review!"],
  "say.cancelled": ["这个需求已取消。", "This request was cancelled."],
  "proactive": ["定期探访", "Care visit"],
  "say.escalated": ["暂时没有服务队能接单，中心工作人员会为您人工安排。", "No team could take it yet; the office will arrange it by hand."],
  "f.area": ["地点", "Where"],
  "f.address": ["地址", "Address"],
  "f.time": ["提交时间", "Sent at"],
  "f.details": ["说明", "Details"],
  "history": ["查看办理记录", "See the history"],
  "cancel": ["取消这个需求", "Cancel this request"],
  "cancel.ask": ["确定要取消吗？", "Cancel this request?"],
  "cancel.yes": ["确定取消", "Yes, cancel it"],
  "cancel.no": ["不取消", "No, keep it"],
  "cancel.done": ["已取消。", "Cancelled."],
  "review.legend": ["给这次服务打分", "Rate this service"],
  "review.star": ["{n} 星", "{n} star(s)"],
  "review.comment": ["想说的话（可不填）", "Comment (optional)"],
  "review.submit": ["提交评价", "Send review"],
  "review.need": ["请先选择星级。", "Choose how many stars first."],
  "review.done": ["谢谢您的评价！", "Thank you for your review!"],
  "review.given": ["您的评价：", "Your review:"],
  "code.title": ["服务码", "Service code"],
  "code.say": ["志愿者上门时请把这六位数字告诉队长，用来签到和签退。", "Tell the team leader these six digits when the volunteers arrive and when they leave: they check in and out with it."],
  "hours.title": ["志愿者的服务时长", "The volunteers' hours"],
  "hours.line": ["{id}：{hours} 小时{checked}", "{id}: {hours} h{checked}"],
  "hours.checked": ["（已签到签退）", " (checked in and out)"],
  "hours.unchecked": ["（未签到）", " (not checked in)"],
  "dispute.box": ["时长与实际不符", "These hours are not right"],
  "dispute.reason": ["请说明实际情况", "Say what really happened"],
  "dispute.need": ["请说明时长哪里不对。", "Say what is wrong with the hours."],
  "dispute.given": ["您对时长提出了异议：", "You disputed the hours:"],
  "err.unknown_area": ["这个地点还没有登记，请重新选择。", "That place is not registered; choose again."],
  "err.illegal_transition": ["这个需求的状态已经变了，页面已刷新。", "This request has moved on; the page has been refreshed."],
};

const POLL_MS = 4000;
const LIST_LIMIT = 20;
const PHONE = /^\+?[0-9 -]{5,20}$/;
const CANCELLABLE = new Set(["submitted", "in_review", "dispatched", "accepted", "escalated"]);
const STEPS = ["submitted", "dispatched", "accepted", "completed", "reviewed"];
const LEVEL_KEYS = ["area.county", "area.town", "area.village", "area.hamlet"];

const state = {
  types: [],
  areas: new Map(),
  children: new Map(),
  roots: [],
  picked: [], // chosen code per level
  requests: [],
  cards: new Map(), // request id -> {el, sig}
  orderKey: null,
};

// -- the order form -----------------------------------------------------------------------

function typeName(code) {
  const type = state.types.find((x) => x.code === code);
  if (!type) return code;
  return lang() === "en" ? type.name_en : type.name_zh;
}

function renderTypes() {
  const box = $("#types");
  const checked = (document.querySelector("input[name=service_type]:checked") || {}).value;
  clear(box);
  for (const type of state.types) {
    box.append(h("label", { class: "tile" },
      h("input", { type: "radio", name: "service_type", value: type.code, checked: type.code === checked }),
      h("span", {}, lang() === "en" ? type.name_en : type.name_zh)));
  }
  describeType();
}

function describeType() {
  const checked = document.querySelector("input[name=service_type]:checked");
  const type = checked && state.types.find((x) => x.code === checked.value);
  $("#type-desc").textContent = type ? (lang() === "en" ? type.description_en : type.description_zh) : "";
}

/** The cascading selects: one per level below the (single) county, each filled from the
 * previous choice. With several counties a county select comes first. A change rebuilds only
 * the levels below it, so the focus stays where the user is (arrow keys keep working). */
function renderAreaSelects(changed = null) {
  const box = $("#area-selects");
  if (changed === null) clear(box);
  else for (const field of Array.from(box.children)) if (Number(field.dataset.level) > changed) field.remove();
  if (!state.roots.length) {
    box.append(h("p", { class: "notice warn" }, t("area.none")));
    return;
  }
  const startLevel = state.roots.length > 1 ? 0 : 1;
  if (startLevel === 1) state.picked[0] = state.roots[0];
  for (let level = changed === null ? startLevel : changed + 1; level <= 3; level++) {
    const parent = level === 0 ? null : state.picked[level - 1];
    const options = level === 0 ? state.roots : (parent ? state.children.get(parent) || [] : []);
    if (level > startLevel && (!parent || !options.length)) break;
    const id = "area-" + level;
    const optional = level === 3;
    const select = h("select", {
      id, name: id, dataset: { level: String(level) }, required: !optional,
      "aria-describedby": "area-error",
    },
    h("option", { value: "" }, t(optional ? "area.skip" : "area.pick")),
    options.map((code) => h("option", { value: code, selected: state.picked[level] === code }, state.areas.get(code).name)));
    select.addEventListener("change", () => {
      state.picked[level] = select.value || undefined;
      state.picked.length = level + 1;
      $("#area-error").textContent = "";
      select.setAttribute("aria-invalid", "false");
      renderAreaSelects(level);
    });
    box.append(h("div", { class: "field", dataset: { level: String(level) } },
      h("label", { for: id }, t(LEVEL_KEYS[level]), optional ? "" : " *"), select));
  }
}

/** The area chosen: the deepest level picked, if it is at least a village (or a town with
 * no villages). */
function chosenArea() {
  for (let level = 3; level >= 1; level--) {
    const code = state.picked[level];
    if (!code) continue;
    if (level === 1 && (state.children.get(code) || []).length) return null;
    return code;
  }
  return null;
}

function fieldError(inputId, errorId, message) {
  const input = document.getElementById(inputId);
  const error = document.getElementById(errorId);
  error.textContent = message || "";
  if (input) input.setAttribute("aria-invalid", message ? "true" : "false");
  return !message;
}

function validate() {
  const checked = document.querySelector("input[name=service_type]:checked");
  const results = [];
  $("#type-error").textContent = checked ? "" : t("v.type");
  results.push([!!checked, document.querySelector("input[name=service_type]")]);
  const area = chosenArea();
  $("#area-error").textContent = area ? "" : t("v.area");
  for (const select of document.querySelectorAll("#area-selects select")) {
    select.setAttribute("aria-invalid", !area && select.required && !select.value ? "true" : "false");
  }
  const firstEmpty = Array.from(document.querySelectorAll("#area-selects select")).find((s) => s.required && !s.value);
  results.push([!!area, firstEmpty || document.querySelector("#area-selects select")]);
  const address = $("#address").value.trim();
  results.push([fieldError("address", "address-error", address ? "" : t("v.address")), $("#address")]);
  const phone = $("#contact-phone").value.trim();
  results.push([fieldError("contact-phone", "phone-error", !phone || PHONE.test(phone) ? "" : t("v.phone")), $("#contact-phone")]);
  const bad = results.find(([ok]) => !ok);
  if (bad) {
    if (bad[1]) bad[1].focus();
    return null;
  }
  const body = {
    service_type: checked.value, area, address,
    details: $("#details").value.trim(),
    urgency: document.querySelector("input[name=urgency]:checked").value,
    contact_name: $("#contact-name").value.trim(),
  };
  if (phone) body.contact_phone = phone;
  return body;
}

function showServerErrors(error) {
  // 422 names each invalid field; put its sentence next to the field.
  const fields = { address: ["address", "address-error"], contact_phone: ["contact-phone", "phone-error"], details: ["details", "details-error"] };
  let shown = false;
  if (Array.isArray(error.details)) {
    for (const item of error.details) {
      const f = fields[item.field];
      if (f) {
        fieldError(f[0], f[1], t("err.invalid"));
        shown = true;
      }
      if (item.field === "area") {
        $("#area-error").textContent = t("err.unknown_area");
        shown = true;
      }
    }
  }
  return shown;
}

async function submitOrder(e) {
  e.preventDefault();
  const problem = $("#order-error");
  problem.hidden = true;
  const body = validate();
  if (!body) {
    announce(t("v.fix"));
    return;
  }
  const button = $("#order-submit");
  button.disabled = true;
  button.textContent = t("order.sending");
  state.orderKey = state.orderKey || newKey();
  try {
    const made = await api("POST", "/api/v1/requests", body, { key: state.orderKey });
    state.orderKey = null;
    resetForm();
    const done = $("#order-done");
    done.textContent = t("order.done", { id: shortId(made.request_id) });
    done.hidden = false;
    await poll();
    $("#mine-title").focus();
    announce(done.textContent);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 422 || !showServerErrors(err)) {
      problem.textContent = explain(err);
      problem.hidden = false;
    }
    if (err instanceof ApiError && err.status >= 400 && err.status < 500) state.orderKey = null;
  } finally {
    button.disabled = false;
    button.textContent = t("order.submit");
  }
}

function resetForm() {
  const form = $("#order-form");
  form.reset();
  state.picked.length = 1;
  renderAreaSelects();
  describeType();
  for (const el of form.querySelectorAll("[aria-invalid]")) el.setAttribute("aria-invalid", "false");
}

// -- my requests --------------------------------------------------------------------------

function progress(request) {
  const reached = new Set(request.history.map((x) => x.status));
  reached.add(request.status);
  const current = request.status;
  return h("ol", { class: "progress" }, STEPS.map((step) => {
    const done = reached.has(step);
    return h("li", {
      class: (done ? "done" : "") + (step === current ? " current" : ""),
      "aria-current": step === current ? "step" : null,
    }, h("span", { class: "dot", "aria-hidden": "true" }, done ? "✓" : ""), t("step." + step));
  }));
}

function historyList(request) {
  return h("details", { class: "history" },
    h("summary", {}, t("history")),
    h("ol", {}, request.history.map((item) => h("li", {},
      h("time", { datetime: item.at }, fmtTime(item.at, true)), " ",
      has("event." + item.event) ? t("event." + item.event) : item.event,
      item.event === "RequestEscalated" && item.note ? " · " + t("reason." + item.note) : ""))));
}

function stars(request) {
  const name = "stars-" + request.request_id;
  const error = h("p", { class: "error-text", role: "alert" });
  const comment = h("textarea", { id: "comment-" + request.request_id, rows: 2, maxlength: 1000 });
  const group = h("div", { class: "stars" });
  for (let n = 1; n <= 5; n++) {
    const id = `${name}-${n}`;
    group.append(
      h("input", { type: "radio", name, id, value: String(n), class: "star-input" }),
      h("label", { for: id, class: "star", title: t("review.star", { n }) },
        h("span", { "aria-hidden": "true" }, "★"), h("span", { class: "sr-only" }, t("review.star", { n }))));
  }
  const paint = () => {
    const picked = group.querySelector("input:checked");
    const value = picked ? Number(picked.value) : 0;
    group.querySelectorAll("label.star").forEach((label, i) => label.classList.toggle("on", i < value));
  };
  group.addEventListener("change", paint);
  let key = newKey();
  const disputeId = "dispute-" + request.request_id;
  const dispute = h("input", { type: "checkbox", id: disputeId, class: "dispute-box" });
  const reason = h("textarea", { id: "dispute-reason-" + request.request_id, rows: 2, maxlength: 500, hidden: true,
    "aria-label": t("dispute.reason"), placeholder: t("dispute.reason") });
  dispute.addEventListener("change", () => { reason.hidden = !dispute.checked; if (dispute.checked) reason.focus(); });
  const form = h("form", { class: "review-form", novalidate: true },
    hoursShown(request),
    h("div", { class: "field inline" }, dispute, " ", h("label", { for: disputeId }, t("dispute.box"))), reason,
    h("fieldset", {}, h("legend", {}, t("review.legend")), group),
    h("div", { class: "field" }, h("label", { for: comment.id }, t("review.comment")), comment),
    error,
    h("button", { type: "submit", class: "primary big" }, t("review.submit")));
  form.addEventListener("input", () => { key = newKey(); });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const picked = group.querySelector("input:checked");
    if (!picked) {
      error.textContent = t("review.need");
      group.querySelector("input").focus();
      return;
    }
    if (dispute.checked && !reason.value.trim()) {
      error.textContent = t("dispute.need");
      reason.focus();
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const body = { rating: Number(picked.value), comment: comment.value.trim() };
    if (dispute.checked) Object.assign(body, { dispute: true, dispute_reason: reason.value.trim() });
    try {
      await api("POST", `/api/v1/requests/${encodeURIComponent(request.request_id)}/review`, body, { key });
      announce(t("review.done"));
      await poll();
      const again = state.cards.get(request.request_id);
      if (again) again.el.querySelector("h3").focus();
    } catch (err) {
      key = newKey();
      error.textContent = explain(err);
      button.disabled = false;
      poll();
    }
  });
  return form;
}

/** Each volunteer's hours as the leader reported them, and whether they were checked. */
function hoursShown(request) {
  const checked = new Set((request.checks || []).filter((c) => c.checked_out_at).map((c) => c.volunteer_id));
  return h("div", { class: "hours-shown" }, h("h4", {}, t("hours.title")),
    h("ul", {}, ...(request.volunteers || []).map((v) => h("li", {}, t("hours.line", {
      id: v.volunteer_id, hours: fmtHours(v.hours),
      checked: checked.has(v.volunteer_id) ? t("hours.checked") : t("hours.unchecked") })))));
}

function codeBox(request) {
  return h("div", { class: "service-code" }, h("h4", {}, t("code.title")),
    h("p", { class: "code", "aria-label": t("code.title") }, request.service_code),
    h("p", { class: "muted small" }, t("code.say")));
}

function cancelBox(request) {
  const error = h("p", { class: "error-text", role: "alert" });
  const ask = h("div", { class: "cancel-ask", hidden: true },
    h("p", {}, t("cancel.ask")),
    h("div", { class: "row" },
      h("button", { type: "button", class: "primary", dataset: { action: "cancel-yes" } }, t("cancel.yes")),
      h("button", { type: "button", class: "quiet", dataset: { action: "cancel-no" } }, t("cancel.no"))));
  const open = h("button", { type: "button", class: "quiet", "aria-expanded": "false", dataset: { action: "cancel" } }, t("cancel"));
  open.addEventListener("click", () => {
    ask.hidden = false;
    open.setAttribute("aria-expanded", "true");
    ask.querySelector("[data-action=cancel-no]").focus();
  });
  ask.querySelector("[data-action=cancel-no]").addEventListener("click", () => {
    ask.hidden = true;
    open.setAttribute("aria-expanded", "false");
    open.focus();
  });
  const yes = ask.querySelector("[data-action=cancel-yes]");
  const key = newKey();
  yes.addEventListener("click", async () => {
    yes.disabled = true;
    try {
      await api("POST", `/api/v1/requests/${encodeURIComponent(request.request_id)}/cancel`, { reason: "" }, { key });
      announce(t("cancel.done"));
      await poll();
    } catch (err) {
      error.textContent = explain(err);
      yes.disabled = false;
      poll();
    }
  });
  return h("div", { class: "cancel" }, open, ask, error);
}

function requestCard(request) {
  const el = h("li", { class: "card request", dataset: { request: request.request_id, status: request.status } },
    h("div", { class: "spread" },
      h("h3", { tabindex: "-1" }, typeName(request.service_type), " ", h("span", { class: "muted small" }, shortId(request.request_id)),
        request.proactive ? [" ", h("span", { class: "badge proactive" }, t("proactive"))] : null),
      h("span", { class: "badge big-badge s-" + request.status }, t("status." + request.status))),
    h("p", { class: "say" }, t("say." + request.status)),
    request.status !== "cancelled" && request.status !== "escalated" ? progress(request) : null,
    h("dl", { class: "facts" },
      h("dt", {}, t("f.area")), h("dd", {}, request.area_name || request.area),
      h("dt", {}, t("f.address")), h("dd", {}, request.address),
      request.details ? [h("dt", {}, t("f.details")), h("dd", {}, request.details)] : null,
      h("dt", {}, t("f.time")), h("dd", {}, fmtTime(request.submitted_at, true))),
    historyList(request));
  if (request.status === "accepted" && request.service_code) el.append(codeBox(request));
  if (request.status === "completed") el.append(stars(request));
  if (request.dispute_reason) el.append(h("p", { class: "given" }, t("dispute.given"), " ", request.dispute_reason));
  if (request.status === "reviewed" && request.rating) {
    el.append(h("p", { class: "given" }, t("review.given"), " ",
      h("span", { class: "stars-given", "aria-label": t("review.star", { n: request.rating }) },
        "★".repeat(request.rating) + "☆".repeat(5 - request.rating)),
      request.comment ? " " + request.comment : ""));
  }
  if (CANCELLABLE.has(request.status)) el.append(cancelBox(request));
  return el;
}

function renderRequests() {
  const list = $("#mine");
  const live = new Set();
  let previous = null;
  for (const request of state.requests) {
    live.add(request.request_id);
    const sig = [request.status, request.history.length, request.rating, lang()].join("|");
    let card = state.cards.get(request.request_id);
    if (!card || card.sig !== sig) {
      const el = requestCard(request);
      if (card) card.el.replaceWith(el);
      card = { el, sig };
      state.cards.set(request.request_id, card);
    }
    // Keep the server's order (newest first) without moving cards that are in place.
    const want = previous ? previous.nextSibling : list.firstChild;
    if (want !== card.el) list.insertBefore(card.el, want);
    previous = card.el;
  }
  for (const [id, card] of state.cards) {
    if (!live.has(id)) {
      card.el.remove();
      state.cards.delete(id);
    }
  }
  $("#mine-empty").hidden = state.requests.length > 0;
  const open = state.requests.filter((r) => CANCELLABLE.has(r.status) || r.status === "completed").length;
  $("#mine-open").textContent = open ? t("mine.open", { n: open }) : "";
}

let polling = null;
async function poll() {
  if (polling) return polling;
  polling = (async () => {
    try {
      const data = await api("GET", `/api/v1/requests?limit=${LIST_LIMIT}`);
      connectionNotice(null);
      state.requests = data.requests;
      renderRequests();
    } catch (e) {
      connectionNotice(e);
    } finally {
      polling = null;
    }
  })();
  return polling;
}

async function loadDirectory() {
  const [types, areas] = await Promise.all([api("GET", "/api/v1/service-types"), api("GET", "/api/v1/areas")]);
  state.types = types.service_types;
  for (const area of areas.areas) {
    state.areas.set(area.code, area);
    if (area.parent) {
      if (!state.children.has(area.parent)) state.children.set(area.parent, []);
      state.children.get(area.parent).push(area.code);
    } else {
      state.roots.push(area.code);
    }
  }
}

/** The resident's own profile (its area is where wishes and cases are posted), or why
 * there is none. */
async function loadProfile() {
  try {
    return [await api("GET", `/api/v1/residents/${encodeURIComponent(subject())}`), ""];
  } catch (e) {
    return [null, e instanceof ApiError && e.status === 404 ? t("profile.none") : explain(e)];
  }
}

frame("resident", STRINGS, async () => {
  const form = $("#order-form");
  form.addEventListener("submit", submitOrder);
  form.addEventListener("input", () => { state.orderKey = null; });
  form.addEventListener("change", (e) => {
    state.orderKey = null;
    if (e.target.name === "service_type") {
      describeType();
      $("#type-error").textContent = "";
    }
  });
  try {
    await loadDirectory();
  } catch (e) {
    const problem = $("#order-error");
    problem.textContent = explain(e);
    problem.hidden = false;
  }
  renderTypes();
  renderAreaSelects();
  const [profile, problem] = await loadProfile();
  const relabelWishes = await startWishes(profile, problem, (code) => (state.areas.get(code) || {}).name || code);
  const relabelCases = await startCases(profile, problem);
  onLang(() => {
    renderTypes();
    renderAreaSelects();
    renderRequests();
    relabelWishes();
    relabelCases();
  });
  await poll();
  setInterval(poll, POLL_MS);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(); });
});
