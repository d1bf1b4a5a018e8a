// A volunteer's phone page: their hours, the activities they signed up for, and the open
// activities of their county. They sign up or cancel, and at the venue check in and out by
// typing the six digits the organiser shows. The organiser's QR code opens this page with the
// activity and the code in the address (#activity=…&code=…): the check-in is then one tap.
// Below, the county's micro-wishes (微心愿): the volunteer claims one, gives it back, or marks
// it done with a note and the hours it took; the resident or the office confirms it.

import { $, announce, api, clear, connectionNotice, download, explain, fmtHours, fmtNumber, fmtTime, frame, h, newKey, onLang, subject, t } from "./vd.js";

const STRINGS = {
  "volunteer.title": ["志愿活动 · 志愿服务派单平台", "Activities · Volunteer dispatch"],
  "volunteer.heading": ["志愿活动", "Volunteer activities"],
  "points.title": ["我的志愿时长", "My service hours"],
  "points.hours": ["累计服务时长（小时）", "Lifetime service hours"],
  "points.balance": ["积分", "Points"],
  "points.verified": ["其中已核验（小时）", "Of which verified (hours)"],
  "points.stars": ["星级", "Star level"],
  "stars.none": ["暂无（已核验满 100 小时为一星）", "None yet (100 verified hours for one star)"],
  "stars.n": ["{n} 星志愿者", "{n}-star volunteer"],
  "record.title": ["我的服务记录与证明", "My service record and certificates"],
  "record.empty": ["还没有服务记录。", "No service recorded yet."],
  "record.held": ["待核验", "held for a check"],
  "record.unverified": ["未签到核验", "not checked in"],
  "record.correction": ["更正", "correction"],
  "certs.title": ["志愿服务证明", "Certificates"],
  "certs.empty": ["还没有出具证明。需要时请向所在的文明实践中心（所、站）申请。", "No certificate yet: ask your civilization-practice office for one."],
  "certs.line": ["{serial} · {hours} 小时 · {issuer}", "{serial} · {hours} h · {issuer}"],
  "certs.pdf": ["下载 PDF", "Download PDF"],
  "certs.revoked": ["已撤销", "revoked"],
  "points.redeem": ["兑换礼品：生成兑换码", "Redeem a gift: make a redeem code"],
  "mine.title": ["我报名的活动", "My activities"],
  "mine.empty": ["您还没有报名活动。在下面选一个报名吧。", "You have not signed up for an activity yet. Pick one below."],
  "near.title": ["本县可报名的活动", "Open activities in your county"],
  "near.empty": ["现在没有可报名的活动。", "No activity is open for sign-up now."],
  "a.when": ["时间", "When"],
  "a.where": ["地点", "Where"],
  "a.organiser": ["组织方", "Organiser"],
  "a.places": ["名额", "Places"],
  "a.places.n": ["已确认 {c}/{s}，候补 {w}", "{c} of {s} confirmed, {w} waiting"],
  "a.checked": ["签到", "Checked"],
  "a.checked.in": ["{in} 签到", "in at {in}"],
  "a.checked.both": ["{in} 签到，{out} 签退", "in at {in}, out at {out}"],
  "a.closed": ["活动已结束", "The activity is closed"],
  "s.confirmed": ["已确认", "Confirmed"],
  "s.waiting": ["候补中", "On the waiting list"],
  "s.pending": ["待组织方审核", "Awaiting approval"],
  "s.in": ["已签到", "Checked in"],
  "s.out": ["已签退", "Checked out"],
  "do.sign_up": ["报名", "Sign up"],
  "do.cancel": ["取消报名", "Cancel my sign-up"],
  "do.check_in": ["签到", "Check in"],
  "do.check_out": ["签退", "Check out"],
  "code.label": ["现场签到码（6 位数字）", "The code shown at the venue (6 digits)"],
  "code.bad_format": ["签到码是 6 位数字。", "The code has 6 digits."],
  "code.submit_in": ["确认签到", "Confirm check-in"],
  "code.submit_out": ["确认签退", "Confirm check-out"],
  "done.signed_up.confirmed": ["报名成功，已确认。", "Signed up: you are confirmed."],
  "done.signed_up.waiting": ["名额已满，您在候补名单上，有人取消时会自动补上。", "The places are taken: you are on the waiting list and move up when someone cancels."],
  "done.signed_up.pending": ["已报名，等待组织方审核。", "Signed up; the organiser will approve it."],
  "done.cancelled": ["已取消报名。", "Your sign-up is cancelled."],
  "done.checked_in": ["签到成功，{time}。", "Checked in at {time}."],
  "done.checked_out": ["签退成功，{time}。活动结束后时长自动记入。", "Checked out at {time}. Your hours are credited when the activity closes."],
  "err.bad_code": ["签到码不对或已过期，请看现场最新的签到码再输入。", "That code is wrong or expired; type the one shown now."],
  "err.not_signed_up": ["只有已确认报名的志愿者才能签到。", "Only confirmed sign-ups can check in."],
  "err.not_checked_in": ["请先签到。", "Check in first."],
  "err.check_in_closed": ["现在不在签到时间（开始前 30 分钟到结束）。", "Check-in is open from 30 minutes before the start until the end."],
  "err.full": ["名额和候补名单都满了。", "The places and the waiting list are full."],
  "err.already_signed_up": ["您已经报名了。", "You are already signed up."],
  "err.signup_closed": ["活动已结束，不能报名了。", "The activity is over; sign-up is closed."],
  "err.closed": ["活动已结束。", "The activity is closed."],
  "err.checked_in": ["已签到，不能取消报名，请签退。", "You are checked in; check out instead of cancelling."],
  "wishes.title": ["微心愿", "Micro-wishes"],
  "wishes.hint": ["居民的小心愿：认领一个，在期限前完成；居民或工作人员确认后，服务时长记入您的记录。", "Residents' small wishes: claim one and fulfil it before its deadline; once the resident or the office confirms it, your hours enter your record."],
  "wishes.empty": ["现在没有待认领的微心愿。", "No wish is waiting to be claimed now."],
  "w.resident": ["居民", "Resident"],
  "w.details": ["心愿", "The wish"],
  "w.lapses": ["完成期限", "Fulfil by"],
  "w.note": ["完成情况", "What was done"],
  "w.awaiting": ["已标记完成，等待居民或工作人员确认。", "Marked done: waiting for the resident or the office to confirm."],
  "w.s.claimed": ["我已认领", "Claimed by me"],
  "w.s.done": ["待确认", "Awaiting confirmation"],
  "w.s.fulfilled": ["已实现", "Fulfilled"],
  "do.claim": ["认领", "Claim"],
  "do.release": ["放弃认领", "Give it back"],
  "do.fulfil": ["完成心愿", "Mark it done"],
  "fulfil.note": ["做了什么（居民和工作人员会看到）", "What you did (the resident and the office see it)"],
  "fulfil.hours": ["服务时长（小时，可不填）", "Hours of service (optional)"],
  "fulfil.submit": ["确认完成", "Confirm it is done"],
  "fulfil.need_note": ["请写一句完成情况。", "Write a line about what you did."],
  "fulfil.bad_hours": ["时长是 0.5 到 24 之间的数字。", "Hours are a number from 0.5 to 24."],
  "done.claimed": ["认领成功，请在 {time} 前完成。", "Claimed: fulfil it by {time}."],
  "done.released": ["已放弃认领，心愿回到了待认领列表。", "Given back: the wish is open to others again."],
  "done.fulfilled": ["已标记完成，等待居民或工作人员确认。", "Marked done: waiting for the resident or the office to confirm."],
  "err.claim_limit": ["您已有 3 个未完成的认领，请先完成或放弃一个。", "You hold the most open claims allowed: fulfil or give one back first."],
  "err.already_claimed": ["这个心愿已经有人认领了。", "Someone has already claimed this wish."],
  "err.not_open": ["这个心愿已实现或已撤回。", "This wish is fulfilled or withdrawn."],
  "err.not_claimed": ["这个心愿现在不在认领中。", "This wish is not claimed now."],
  "err.not_claimer": ["只有认领人才能这样做。", "Only the volunteer who claimed it may do this."],
  "err.volunteer_not_found": ["找不到您的志愿者登记，请联系所在服务队。", "Your volunteer registration was not found; ask your team."],
};

const REFRESH_MS = 15000;
const CODE = /^[0-9]{6}$/;
const HELD = new Set(["claimed", "done"]);
const state = { mine: [], near: [], open: null, arrived: readArrival(), wishes: [], fulfilling: null };

/** What the organiser's QR code carried: #activity=…&code=…, read once and taken out of
 * the address (a token beside them is left for the sign-in to take). */
function readArrival() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const activity = params.get("activity");
  const code = params.get("code");
  if (!activity) return null;
  params.delete("activity");
  params.delete("code");
  const rest = params.toString();
  history.replaceState(history.state, "", location.pathname + location.search + (rest ? "#" + rest : ""));
  return { activity, code: code && CODE.test(code) ? code : "" };
}

function path(activity, action = "") {
  return `/api/v1/activities/${encodeURIComponent(activity.activity_id)}${action}`;
}

function notice(text) {
  const box = $("#done-notice");
  box.textContent = text;
  box.hidden = !text;
  if (text) announce(text);
}

async function act(activity, method, action, body, done) {
  try {
    const out = await api(method, path(activity, action), body, { key: newKey() });
    state.open = null;
    notice(done(out));
  } catch (e) {
    notice("");
    const problem = $(`li[data-activity="${CSS.escape(activity.activity_id)}"] .error-text`);
    if (problem) problem.textContent = explain(e);
    return;
  }
  await refresh();
}

function codeForm(activity, mode, prefill) {
  const id = `code-${activity.activity_id}`;
  const input = h("input", { id, inputmode: "numeric", autocomplete: "one-time-code", maxlength: "6", value: prefill || "" });
  input.addEventListener("input", () => { if (state.open) state.open.code = input.value; });
  const error = h("p", { class: "error-text", role: "alert" });
  const form = h("form", { class: "code-form", novalidate: "" },
    h("div", { class: "field" }, h("label", { for: id }, t("code.label")), input), error,
    h("button", { class: "primary", type: "submit" }, t(mode === "in" ? "code.submit_in" : "code.submit_out")));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const code = input.value.trim();
    if (!CODE.test(code)) {
      error.textContent = t("code.bad_format");
      input.focus();
      return;
    }
    act(activity, "POST", mode === "in" ? "/check-in" : "/check-out", { code },
      (out) => t(mode === "in" ? "done.checked_in" : "done.checked_out",
        { time: fmtTime(mode === "in" ? out.checked_in_at : out.checked_out_at) }));
  });
  setTimeout(() => (prefill ? form.querySelector("button") : input).focus(), 0);
  return form;
}

function card(activity) {
  const mine = activity.mine;
  const inAt = mine && mine.checked_in_at;
  const outAt = mine && mine.checked_out_at;
  const closed = activity.status === "closed";
  const badge = !mine ? null : h("span", { class: "badge " + (inAt ? "in" : mine.status) },
    t(outAt ? "s.out" : inAt ? "s.in" : "s." + mine.status));
  const actions = h("div", { class: "actions" });
  const button = (key, onclick, primary = false) =>
    actions.append(h("button", { type: "button", class: primary ? "primary" : null, dataset: { action: key }, onclick }, t("do." + key)));
  const toggle = (mode) => () => {
    state.open = state.open && state.open.id === activity.activity_id && state.open.mode === mode ? null
      : { id: activity.activity_id, mode, code: "" };
    render();
  };
  if (!closed) {
    if (!mine) {
      button("sign_up", () => act(activity, "POST", "/signups", undefined,
        (out) => t("done.signed_up." + out.status)), true);
    } else if (!inAt) {
      if (mine.status === "confirmed") button("check_in", toggle("in"), true);
      button("cancel", () => act(activity, "DELETE", "/signups", undefined, () => t("done.cancelled")));
    } else if (!outAt) {
      button("check_out", toggle("out"), true);
    }
  }
  const open = state.open && state.open.id === activity.activity_id ? state.open : null;
  const checked = inAt ? t(outAt ? "a.checked.both" : "a.checked.in", { in: fmtTime(inAt), out: fmtTime(outAt) }) : null;
  return h("li", { class: "card activity" + (open ? " focus" : ""), dataset: { activity: activity.activity_id } },
    h("h3", {}, activity.title, " ", badge),
    h("dl", { class: "facts" },
      h("dt", {}, t("a.when")), h("dd", {}, fmtTime(activity.starts_at, true), " – ", fmtTime(activity.ends_at)),
      h("dt", {}, t("a.where")), h("dd", {}, activity.area_name || activity.area),
      h("dt", {}, t("a.organiser")), h("dd", {}, activity.organiser),
      h("dt", {}, t("a.places")), h("dd", {}, t("a.places.n", { c: activity.confirmed, s: activity.slots, w: activity.waiting })),
      checked ? [h("dt", {}, t("a.checked")), h("dd", {}, checked)] : null),
    closed ? h("p", { class: "muted" }, t("a.closed")) : null,
    actions,
    open ? codeForm(activity, open.mode, open.code) : null,
    h("p", { class: "error-text", role: "alert" }));
}

function wishPath(wish, action) {
  return `/api/v1/wishes/${encodeURIComponent(wish.wish_id)}/${action}`;
}

async function wishAct(wish, action, body, done) {
  try {
    const out = await api("POST", wishPath(wish, action), body, { key: newKey() });
    state.fulfilling = null;
    notice(done(out));
  } catch (e) {
    notice("");
    const problem = $(`li[data-wish="${CSS.escape(wish.wish_id)}"] .error-text`);
    if (problem) problem.textContent = explain(e);
    return;
  }
  await refresh();
}

/** The note and the hours of a wish done; what is typed survives the page's refresh. */
function fulfilForm(wish) {
  const typed = state.fulfilling;
  const noteId = `note-${wish.wish_id}`;
  const hoursId = `hours-${wish.wish_id}`;
  const note = h("textarea", { id: noteId, maxlength: "500", required: true }, typed.note);
  const hours = h("input", { id: hoursId, type: "number", inputmode: "decimal", min: "0.5", max: "24", step: "0.5", value: typed.hours });
  note.addEventListener("input", () => { typed.note = note.value; });
  hours.addEventListener("input", () => { typed.hours = hours.value; });
  const error = h("p", { class: "error-text", role: "alert" });
  const form = h("form", { class: "wish-form", novalidate: "" },
    h("div", { class: "field" }, h("label", { for: noteId }, t("fulfil.note")), note),
    h("div", { class: "field" }, h("label", { for: hoursId }, t("fulfil.hours")), hours), error,
    h("button", { class: "primary", type: "submit" }, t("fulfil.submit")));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = note.value.trim();
    const raw = hours.value.trim();
    const n = raw === "" ? null : Number(raw);
    if (!text) {
      error.textContent = t("fulfil.need_note");
      note.focus();
      return;
    }
    if (n !== null && !(n >= 0.5 && n <= 24)) {
      error.textContent = t("fulfil.bad_hours");
      hours.focus();
      return;
    }
    wishAct(wish, "fulfil", n === null ? { note: text } : { note: text, hours: n }, () => t("done.fulfilled"));
  });
  setTimeout(() => note.focus(), 0);
  return form;
}

function wishCard(wish) {
  const held = wish.mine && HELD.has(wish.status);
  const actions = h("div", { class: "actions" });
  const button = (key, onclick, primary = false) =>
    actions.append(h("button", { type: "button", class: primary ? "primary" : null, dataset: { action: key }, onclick }, t("do." + key)));
  if (wish.status === "open") {
    button("claim", () => wishAct(wish, "claim", undefined, (out) => t("done.claimed", { time: fmtTime(out.lapses_at, true) })), true);
  } else if (held && wish.status === "claimed") {
    button("fulfil", () => {
      state.fulfilling = state.fulfilling && state.fulfilling.id === wish.wish_id ? null : { id: wish.wish_id, note: "", hours: "" };
      render();
    }, true);
    button("release", () => wishAct(wish, "release", undefined, () => t("done.released")));
  }
  const open = state.fulfilling && state.fulfilling.id === wish.wish_id;
  return h("li", { class: "card activity" + (open ? " focus" : ""), dataset: { wish: wish.wish_id } },
    h("h3", {}, wish.title, " ", wish.mine ? h("span", { class: "badge " + wish.status }, t("w.s." + wish.status)) : null),
    h("dl", { class: "facts" },
      h("dt", {}, t("w.resident")), h("dd", {}, wish.resident_name || t("none")),
      h("dt", {}, t("a.where")), h("dd", {}, wish.area_name || wish.area),
      wish.details ? [h("dt", {}, t("w.details")), h("dd", {}, wish.details)] : null,
      wish.lapses_at ? [h("dt", {}, t("w.lapses")), h("dd", {}, fmtTime(wish.lapses_at, true))] : null,
      wish.note ? [h("dt", {}, t("w.note")), h("dd", {}, wish.note)] : null),
    held && wish.status === "done" ? h("p", { class: "muted" }, t("w.awaiting")) : null,
    actions,
    open ? fulfilForm(wish) : null,
    h("p", { class: "error-text", role: "alert" }));
}

function fill(listId, activities) {
  const list = clear($("#" + listId));
  for (const activity of activities) list.append(card(activity));
  $(`#${listId}-empty`).hidden = activities.length > 0;
  $(`#${listId}-count`).textContent = activities.length ? `(${activities.length})` : "";
}

function render() {
  fill("mine", state.mine);
  const mineIds = new Set(state.mine.map((a) => a.activity_id));
  fill("near", state.near.filter((a) => !mineIds.has(a.activity_id)));
  const wishes = clear($("#wishes"));
  for (const wish of state.wishes) wishes.append(wishCard(wish));
  $("#wishes-empty").hidden = state.wishes.length > 0;
  $("#wishes-count").textContent = state.wishes.length ? `(${state.wishes.length})` : "";
}

/** The QR code's activity, once: open its check-in (or check-out) with the code filled in. */
function arrive() {
  const arrival = state.arrived;
  if (!arrival) return;
  state.arrived = null;
  const activity = [...state.mine, ...state.near].find((a) => a.activity_id === arrival.activity);
  if (!activity || !activity.mine) return;
  const mode = activity.mine.checked_in_at ? "out" : "in";
  if (mode === "out" && activity.mine.checked_out_at) return;
  state.open = { id: activity.activity_id, mode, code: arrival.code };
}

async function refresh() {
  try {
    const [mine, near, points, claims, wishes] = await Promise.all([
      api("GET", "/api/v1/activities?mine=true&limit=50"),
      api("GET", "/api/v1/activities?status=open&limit=50"),
      api("GET", `/api/v1/volunteers/${encodeURIComponent(subject())}/points?limit=1`),
      api("GET", "/api/v1/wishes?mine=true&limit=20"),
      api("GET", "/api/v1/wishes?status=open&limit=50"),
    ]);
    state.mine = mine.activities;
    state.near = near.activities;
    state.wishes = [...claims.wishes.filter((w) => HELD.has(w.status)), ...wishes.wishes];
    $("#points-hours").textContent = fmtNumber(points.lifetime_hours, 1);
    $("#points-verified").textContent = fmtNumber(points.verified_hours, 1);
    $("#points-stars").textContent = points.star_level ? t("stars.n", { n: points.star_level }) : t("stars.none");
    $("#points-balance").textContent = fmtNumber(points.balance);
    connectionNotice(null);
  } catch (e) {
    connectionNotice(e);
    return;
  }
  arrive();
  if (!document.querySelector(".code-form input:focus, .wish-form textarea:focus, .wish-form input:focus")) render();
}

/** The record (each service and activity, held and unverified ones marked) and the
 * certificates, read when the volunteer opens them. */
async function loadRecord() {
  const me = encodeURIComponent(subject());
  $("#record-error").textContent = "";
  try {
    const [record, certs] = await Promise.all([
      api("GET", `/api/v1/volunteers/${me}/record`), api("GET", `/api/v1/volunteers/${me}/certificates`)]);
    const list = clear($("#record"));
    for (const e of [...record.entries].reverse()) {
      const marks = [e.status === "held" ? t("record.held") : "", e.verified ? "" : t("record.unverified"),
        e.kind === "correction" ? t("record.correction") + (e.reason ? "：" + e.reason : "") : ""].filter(Boolean);
      list.append(h("li", { class: "record-line" },
        h("strong", {}, (e.hours > 0 ? "+" : "") + fmtHours(e.hours) + " h"), " ",
        [e.day, e.title || "", e.place || "", e.organiser || ""].filter(Boolean).join(" · "),
        marks.length ? h("div", { class: "muted small" }, marks.join(" · ")) : null));
    }
    if (!record.entries.length) list.append(h("li", { class: "muted", i18n: "record.empty" }));
    const certList = clear($("#certs"));
    $("#certs-empty").hidden = certs.certificates.length > 0;
    for (const c of certs.certificates) {
      const button = h("button", { type: "button", class: "quiet", i18n: "certs.pdf" });
      button.addEventListener("click", async () => {
        try { await download(c.pdf_url, c.serial + ".pdf"); } catch (err) { $("#record-error").textContent = explain(err); }
      });
      certList.append(h("li", { class: "row" },
        t("certs.line", { serial: c.serial, hours: fmtHours(c.hours), issuer: c.issuer }),
        c.revoked_at ? h("span", { class: "badge" }, t("certs.revoked")) : null, button));
    }
  } catch (e) {
    $("#record-error").textContent = explain(e);
  }
}

frame("volunteer", STRINGS, () => {
  onLang(render);
  $("#record-panel").addEventListener("toggle", () => { if ($("#record-panel").open) loadRecord(); });
  refresh();
  setInterval(refresh, REFRESH_MS);
});
