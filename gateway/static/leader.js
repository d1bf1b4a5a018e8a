// A team leader's inbox: tasks dispatched to the team (accept, or decline with a reason,
// before the deadline) and tasks in service (complete, naming volunteers and hours).
// It polls GET /api/v1/tasks; cards are kept by request id, so a poll never wipes a form the
// leader is filling in.

import {
  $, clear, connectionNotice, announce, api, explain, fmtNumber, fmtTime, frame, h, lang, newKey, onLang, priorityBadge,
  serverNow, shortId, t,
} from "./vd.js";
import { startActivities } from "./organiser.js";

const STRINGS = {
  "leader.title": ["任务收件箱 · 志愿服务派单平台", "Task inbox · Volunteer dispatch"],
  "leader.heading": ["任务收件箱", "Task inbox"],
  "team.facts": ["在办 {load}/{capacity} · 已完成 {completed} · 评分 {rating}", "Load {load}/{capacity} · {completed} done · rating {rating}"],
  "waiting.title": ["待接单", "Waiting for you"],
  "waiting.empty": ["没有待接的任务。新任务会自动出现在这里。", "No task is waiting. New tasks appear here by themselves."],
  "serving.title": ["服务中", "In service"],
  "serving.empty": ["没有正在服务的任务。", "No task is in service."],
  "new.tasks": ["有 {n} 个新任务，请及时接单。", "{n} new task(s): please accept or decline."],
  "f.area": ["区域", "Area"],
  "f.address": ["地址", "Address"],
  "f.contact": ["联系人", "Contact"],
  "f.phone": ["电话", "Phone"],
  "f.details": ["需求说明", "Details"],
  "f.submitted": ["提交时间", "Submitted"],
  "accept.by": ["接单剩余时间", "Time left to accept"],
  "complete.by": ["完成期限", "Complete by"],
  "late": ["已超时", "Overdue"],
  "accept": ["接单", "Accept"],
  "decline": ["拒单", "Decline"],
  "decline.reason": ["拒单原因", "Reason for declining"],
  "decline.pick": ["请选择", "Choose one"],
  "decline.r.busy": ["人手不足", "Not enough people"],
  "decline.r.far": ["不在服务范围", "Outside our area"],
  "decline.r.time": ["时间安排不开", "Cannot make the time"],
  "decline.r.skill": ["缺少相关技能", "We lack the skills"],
  "decline.r.other": ["其他", "Other"],
  "decline.note": ["补充说明（可选）", "More detail (optional)"],
  "decline.confirm": ["确认拒单", "Decline the task"],
  "decline.cancel": ["返回", "Back"],
  "decline.need": ["请选择拒单原因。", "Choose a reason."],
  "declined": ["已拒单，平台会派给其他服务队。", "Declined; the platform will offer it to another team."],
  "accepted": ["已接单，请安排志愿者上门服务。", "Accepted: please send volunteers."],
  "complete.legend": ["参加服务的志愿者和时长（小时）", "Volunteers who served, and their hours"],
  "complete.hours": ["{name} 的服务时长（小时）", "Hours served by {name}"],
  "complete.submit": ["确认完成", "Mark as completed"],
  "complete.need": ["请至少选择一位志愿者。", "Choose at least one volunteer."],
  "complete.bad_hours": ["每位志愿者的时长须在 0.5 到 24 小时之间。", "Each volunteer's hours must be between 0.5 and 24."],
  "completed": ["已完成服务，感谢！积分将在居民评价后发放给志愿者。", "Completed, thank you! Points go to the volunteers once the resident reviews."],
  "check.legend": ["签到与签退：请居民报出六位服务码，勾选到场的志愿者", "Check in and out: ask the resident for the six-digit service code, tick who is there"],
  "check.code": ["居民的服务码", "The resident's service code"],
  "check.in": ["签到", "Check in"],
  "check.out": ["签退", "Check out"],
  "check.need_code": ["请输入居民报出的六位服务码。", "Enter the resident's six-digit code."],
  "check.need_crew": ["请勾选要签到或签退的志愿者。", "Tick the volunteers to check in or out."],
  "check.done": ["已记录。", "Recorded."],
  "check.line.in": ["{name} {at} 签到", "{name} in at {at}"],
  "check.line.out": ["{name} {at} 签到，{until} 签退", "{name} in at {at}, out at {until}"],
  "check.none": ["还没有志愿者签到（未签到的时长须居民或中心确认）。", "Nobody checked in yet (unchecked hours need the resident's or the office's confirmation)."],
  "err.bad_code": ["服务码不对，请向居民核实。", "That is not the resident's code."],
  "err.already_checked_in": ["有志愿者已经签到。", "Someone is already checked in."],
  "err.not_checked_in": ["有志愿者还没签到。", "Someone has not checked in."],
  "err.already_checked_out": ["有志愿者已经签退。", "Someone has already checked out."],
  "err.hours_exceed_elapsed": ["填写的时长超过了签到签退的时间。", "More hours than the checked-in time."],
  "err.hours_over_cap": ["填写的时长超过了这类服务的上限。", "More hours than this service type allows."],
  "no.volunteers": ["本队还没有登记志愿者，请联系中心。", "Your team has no registered volunteers; contact the office."],
  "err.no_team": ["您还没有负责的服务队，请联系中心。", "You lead no registered team; contact the office."],
  "err.illegal_transition": ["这个任务的状态已经变了（可能已超时或被改派）。", "This task has moved on (it may have timed out or been reassigned)."],
  "err.not_assigned_leader": ["这个任务已不属于您的服务队。", "This task is no longer your team's."],
  "err.volunteer_not_in_team": ["有志愿者不属于本队。", "A volunteer is not in your team."],
};

const POLL_MS = 4000;
const DEFAULT_HOURS = 2;
const DECLINE_REASONS = ["busy", "far", "time", "skill", "other"];

const state = {
  data: null,
  cards: new Map(), // request id -> {el, status}
  seen: null, // request ids seen so far (null before the first load)
  fresh: new Set(),
};

function countdown(iso) {
  const left = Math.floor((new Date(iso).getTime() - serverNow()) / 1000);
  if (left <= 0) return { text: t("late"), late: true, left };
  const hh = Math.floor(left / 3600);
  const mm = String(Math.floor((left % 3600) / 60)).padStart(2, "0");
  const ss = String(left % 60).padStart(2, "0");
  return { text: hh ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`, late: false, left };
}

function tickClocks() {
  for (const el of document.querySelectorAll("[data-deadline]")) {
    const c = countdown(el.dataset.deadline);
    el.textContent = c.text;
    el.classList.toggle("late", c.late);
    el.classList.toggle("soon", !c.late && c.left < 300);
  }
}

function typeName(code) {
  const types = state.types || {};
  const type = types[code];
  if (!type) return code;
  return lang() === "en" ? type.name_en : type.name_zh;
}

function facts(task) {
  const rows = [
    ["f.area", task.area_name || task.area],
    ["f.address", task.address],
    ["f.details", task.details],
    ["f.contact", task.contact_name],
    ["f.phone", task.contact_phone],
    ["f.submitted", fmtTime(task.submitted_at, true)],
  ];
  return h("dl", { class: "facts" }, rows.filter(([, v]) => v).map(([key, value]) => [
    h("dt", { i18n: key }),
    h("dd", {}, key === "f.phone" ? h("a", { href: "tel:" + value.replace(/[^0-9+]/g, "") }, value) : value),
  ]));
}

function cardHead(task) {
  return h("div", { class: "spread task-head" },
    h("h3", {}, typeName(task.service_type), " ", h("span", { class: "muted small" }, shortId(task.request_id))),
    h("span", { class: "row" },
      priorityBadge(task.priority),
      task.urgency === "urgent" ? h("span", { class: "badge urgent" }, t("urgency.urgent")) : null,
      h("span", { class: "badge s-" + task.status }, t("status." + task.status))));
}

function say(id, text) {
  for (const other of ["done-notice", "new-notice"]) if (other !== id) $("#" + other).hidden = true;
  const box = $("#" + id);
  box.textContent = text;
  box.hidden = !text;
  if (text) announce(text);
}

function waitingCard(task) {
  const id = task.request_id;
  const error = h("p", { class: "error-text", role: "alert" });
  const acceptButton = h("button", { type: "button", class: "primary big", dataset: { action: "accept" } }, t("accept"));
  const declineButton = h("button", { type: "button", class: "quiet big", "aria-expanded": "false", dataset: { action: "decline" } }, t("decline"));
  const reasonId = "reason-" + id;
  const noteId = "note-" + id;
  const reason = h("select", { id: reasonId, required: true },
    h("option", { value: "" }, t("decline.pick")),
    DECLINE_REASONS.map((r) => h("option", { value: r }, t("decline.r." + r))));
  const note = h("textarea", { id: noteId, rows: 2, maxlength: 400 });
  const declineForm = h("form", { class: "decline-form", hidden: true, novalidate: true },
    h("div", { class: "field" }, h("label", { for: reasonId }, t("decline.reason")), reason),
    h("div", { class: "field" }, h("label", { for: noteId }, t("decline.note")), note),
    h("div", { class: "row" },
      h("button", { type: "submit", class: "primary" }, t("decline.confirm")),
      h("button", { type: "button", class: "quiet", onclick: () => showDecline(false) }, t("decline.cancel"))));
  function showDecline(open) {
    declineForm.hidden = !open;
    declineButton.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) reason.focus();
    else declineButton.focus();
  }
  declineButton.addEventListener("click", () => showDecline(declineForm.hidden));
  let acceptKey = newKey();
  acceptButton.addEventListener("click", async () => {
    acceptButton.disabled = true;
    error.textContent = "";
    try {
      await api("POST", `/api/v1/requests/${encodeURIComponent(id)}/accept`, {}, { key: acceptKey });
      say("done-notice", t("accepted"));
      await poll();
      const moved = state.cards.get(id);
      const target = moved && moved.el.querySelector("input[type=checkbox]");
      if (target) target.focus();
    } catch (e) {
      acceptKey = newKey();
      error.textContent = explain(e);
      acceptButton.disabled = false;
      poll();
    }
  });
  let declineKey = newKey();
  declineForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!reason.value) {
      error.textContent = t("decline.need");
      reason.setAttribute("aria-invalid", "true");
      reason.focus();
      return;
    }
    reason.removeAttribute("aria-invalid");
    const text = [t("decline.r." + reason.value), note.value.trim()].filter(Boolean).join("：").slice(0, 500);
    const submit = declineForm.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      await api("POST", `/api/v1/requests/${encodeURIComponent(id)}/decline`, { reason: text }, { key: declineKey });
      say("done-notice", t("declined"));
      await poll();
    } catch (err) {
      declineKey = newKey();
      error.textContent = explain(err);
      submit.disabled = false;
      poll();
    }
  });
  const clock = h("strong", { class: "clock", role: "timer", dataset: { deadline: task.accept_by || "" } });
  return h("li", { class: "card task" + (state.fresh.has(id) ? " fresh" : ""), dataset: { request: id, status: task.status } },
    cardHead(task),
    task.accept_by ? h("p", { class: "deadline" }, h("span", { i18n: "accept.by" }), " ", clock) : null,
    facts(task),
    h("div", { class: "row actions" }, acceptButton, declineButton),
    declineForm, error);
}

function servingCard(task, volunteers) {
  const id = task.request_id;
  const error = h("p", { class: "error-text", role: "alert" });
  const rows = volunteers.map((v) => {
    const boxId = `vol-${id}-${v.volunteer_id}`;
    const hoursId = `hours-${id}-${v.volunteer_id}`;
    const box = h("input", { type: "checkbox", id: boxId, dataset: { volunteer: v.volunteer_id } });
    const hours = h("input", {
      type: "number", id: hoursId, min: "0.5", max: "24", step: "0.5", value: String(DEFAULT_HOURS),
      inputmode: "decimal", disabled: true, "aria-label": t("complete.hours", { name: v.name }),
      dataset: { hours: v.volunteer_id },
    });
    box.addEventListener("change", () => { hours.disabled = !box.checked; });
    return h("li", { class: "crew-row" },
      box, h("label", { for: boxId }, v.name, " ", h("span", { class: "muted small" }, v.volunteer_id)),
      hours);
  });
  const submit = h("button", { type: "submit", class: "primary big" }, t("complete.submit"));
  let key = newKey();
  const form = h("form", { class: "complete-form", novalidate: true },
    h("fieldset", {}, h("legend", {}, t("complete.legend")),
      volunteers.length ? h("ul", { class: "crew" }, rows) : h("p", { class: "notice warn" }, t("no.volunteers"))),
    submit);
  form.addEventListener("input", () => { key = newKey(); });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    const crew = [];
    let bad = null;
    for (const box of form.querySelectorAll("input[type=checkbox]")) {
      if (!box.checked) continue;
      const input = form.querySelector(`input[data-hours="${CSS.escape(box.dataset.volunteer)}"]`);
      const value = Number(input.value);
      const ok = Number.isFinite(value) && value > 0 && value <= 24;
      input.setAttribute("aria-invalid", ok ? "false" : "true");
      if (!ok) bad = bad || input;
      crew.push({ volunteer_id: box.dataset.volunteer, hours: value });
    }
    if (!crew.length) {
      error.textContent = t("complete.need");
      const first = form.querySelector("input[type=checkbox]");
      if (first) first.focus();
      return;
    }
    if (bad) {
      error.textContent = t("complete.bad_hours");
      bad.focus();
      return;
    }
    submit.disabled = true;
    try {
      await api("POST", `/api/v1/requests/${encodeURIComponent(id)}/complete`, { volunteers: crew }, { key });
      say("done-notice", t("completed"));
      await poll();
    } catch (err) {
      key = newKey();
      error.textContent = explain(err);
      submit.disabled = false;
      poll();
    }
  });
  const clock = h("strong", { class: "clock", role: "timer", dataset: { deadline: task.complete_by || "" } });
  return h("li", { class: "card task", dataset: { request: id, status: task.status } },
    cardHead(task),
    task.complete_by ? h("p", { class: "deadline" }, h("span", { i18n: "complete.by" }), " ",
      fmtTime(task.complete_by, true), " · ", clock) : null,
    facts(task), checkBlock(task, volunteers, form), form, error);
}

function showChecks(box, checks, volunteers) {
  const names = Object.fromEntries(volunteers.map((v) => [v.volunteer_id, v.name]));
  clear(box);
  if (!checks.length) { box.append(t("check.none")); return; }
  for (const c of checks) {
    const name = names[c.volunteer_id] || c.volunteer_id;
    box.append(h("span", { class: "check" }, c.checked_out_at
      ? t("check.line.out", { name, at: fmtTime(c.checked_in_at), until: fmtTime(c.checked_out_at) })
      : t("check.line.in", { name, at: fmtTime(c.checked_in_at) })), " ");
  }
}

/** Check the ticked volunteers in or out with the code the resident reads out. */
function checkBlock(task, volunteers, crewForm) {
  const id = task.request_id;
  const codeId = `code-${id}`;
  const code = h("input", { id: codeId, class: "code-input", inputmode: "numeric", maxlength: "6", autocomplete: "off", pattern: "[0-9]{6}" });
  const status = h("p", { class: "small checks", role: "status" });
  const note = h("p", { class: "error-text", role: "alert" });
  showChecks(status, task.checks || [], volunteers);
  const act = (kind) => async () => {
    note.textContent = "";
    const ids = [...crewForm.querySelectorAll("input[type=checkbox]:checked")].map((b) => b.dataset.volunteer);
    if (!/^[0-9]{6}$/.test(code.value.trim())) { note.textContent = t("check.need_code"); code.focus(); return; }
    if (!ids.length) { note.textContent = t("check.need_crew"); return; }
    try {
      await api("POST", `/api/v1/requests/${encodeURIComponent(id)}/${kind}`, { code: code.value.trim(), volunteer_ids: ids });
      note.textContent = t("check.done");
      const fresh = await api("GET", `/api/v1/requests/${encodeURIComponent(id)}`);
      showChecks(status, fresh.checks || [], volunteers);
    } catch (err) {
      note.textContent = explain(err);
    }
  };
  const checkIn = h("button", { type: "button", class: "check-in" }, t("check.in"));
  const checkOut = h("button", { type: "button", class: "check-out" }, t("check.out"));
  checkIn.addEventListener("click", act("check-in"));
  checkOut.addEventListener("click", act("check-out"));
  return h("fieldset", { class: "check-block" }, h("legend", {}, t("check.legend")),
    h("label", { for: codeId }, t("check.code")), " ", code, " ", checkIn, " ", checkOut, status, note);
}

function render() {
  const data = state.data;
  if (!data) return;
  const team = data.team;
  $("#team-name").textContent = team.name;
  $("#team-facts").textContent = t("team.facts", {
    load: team.load, capacity: team.capacity, completed: team.completed,
    rating: team.rating === null ? t("none") : "★ " + fmtNumber(team.rating, 1),
  });
  const live = new Set();
  const lists = { dispatched: $("#waiting"), accepted: $("#serving") };
  const counts = { dispatched: 0, accepted: 0 };
  for (const task of data.tasks) {
    const list = lists[task.status];
    if (!list) continue;
    counts[task.status] += 1;
    live.add(task.request_id);
    const known = state.cards.get(task.request_id);
    if (known && known.status === task.status) {
      if (known.el.parentNode !== list) list.append(known.el);
      continue;
    }
    const el = task.status === "dispatched" ? waitingCard(task) : servingCard(task, data.volunteers);
    if (known) known.el.replaceWith(el);
    list.append(el);
    state.cards.set(task.request_id, { el, status: task.status });
  }
  for (const [id, card] of state.cards) {
    if (!live.has(id)) {
      card.el.remove();
      state.cards.delete(id);
    }
  }
  $("#waiting-count").textContent = counts.dispatched ? `(${counts.dispatched})` : "";
  $("#serving-count").textContent = counts.accepted ? `(${counts.accepted})` : "";
  $("#waiting-empty").hidden = counts.dispatched > 0;
  $("#serving-empty").hidden = counts.accepted > 0;
  tickClocks();
}

let polling = null;
async function poll() {
  if (polling) return polling;
  polling = (async () => {
    try {
      const data = await api("GET", "/api/v1/tasks");
      connectionNotice(null);
      const ids = data.tasks.filter((task) => task.status === "dispatched").map((task) => task.request_id);
      if (state.seen !== null) {
        const fresh = ids.filter((id) => !state.seen.has(id));
        for (const id of fresh) state.fresh.add(id);
        if (fresh.length) say("new-notice", t("new.tasks", { n: fresh.length }));
      }
      state.seen = new Set([...(state.seen || []), ...ids]);
      state.data = data;
      render();
    } catch (e) {
      connectionNotice(e);
    } finally {
      polling = null;
    }
  })();
  return polling;
}

frame("leader", STRINGS, async () => {
  try {
    const types = await api("GET", "/api/v1/service-types");
    state.types = Object.fromEntries(types.service_types.map((x) => [x.code, x]));
  } catch {
    state.types = {};
  }
  onLang(() => {
    // Rebuild the cards in the new language (forms being filled in are rare at that moment).
    for (const card of state.cards.values()) card.el.remove();
    state.cards.clear();
    render();
  });
  startActivities($("#activities"));
  await poll();
  setInterval(poll, POLL_MS);
  setInterval(tickClocks, 1000);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(); });
});
