// The organiser's part of the leader's and the staff pages: publish an activity, show its
// rotating check-in code at the venue (the digits and a QR code, fetched again each minute),
// see who signed up and who checked in, approve sign-ups, and close it into hours.
// The QR image comes from GET …/code.svg with the bearer token, shown as a data: URL (the
// pages' policy allows images from this origin and data: only).
import { addStrings, api, clear, currentToken, explain, fmtNumber, fmtTime, h, lang, newKey, onLang, t } from "./vd.js";

addStrings({
  "org.title": ["活动组织", "Activities I organise"],
  "org.hint": ["发布志愿活动；活动现场打开签到码，志愿者用手机扫码或输入数字签到、签退；结束活动后时长自动记入。", "Publish an activity; at the venue show its check-in code, which volunteers scan or type to check in and out; closing it credits their hours."],
  "org.empty": ["没有进行中的活动。", "No open activity."],
  "org.new": ["发布新活动", "Publish an activity"],
  "org.f.id": ["活动编号", "Activity id"],
  "org.f.title": ["活动名称", "Title"],
  "org.f.type": ["服务类型", "Service type"],
  "org.f.area": ["地点（区划代码）", "Place (area code)"],
  "org.f.starts": ["开始时间", "Starts"],
  "org.f.ends": ["结束时间", "Ends"],
  "org.f.slots": ["名额", "Places"],
  "org.f.approval": ["报名需要审核", "Sign-ups need my approval"],
  "org.publish": ["发布", "Publish"],
  "org.published": ["已发布：{title}。", "Published: {title}."],
  "org.when": ["{from} – {to}", "{from} – {to}"],
  "org.places": ["已确认 {c}/{s}，候补 {w}，待审核 {p}，已签到 {i}", "{c} of {s} confirmed, {w} waiting, {p} to approve, {i} checked in"],
  "org.code": ["签到码", "Check-in code"],
  "org.code.hide": ["收起签到码", "Hide the code"],
  "org.code.qr": ["签到二维码", "Check-in QR code"],
  "org.code.until": ["{time} 更新", "changes at {time}"],
  "org.people": ["报名与签到", "Sign-ups and check-ins"],
  "org.s.confirmed": ["已确认", "confirmed"],
  "org.s.waiting": ["候补", "waiting"],
  "org.s.pending": ["待审核", "to approve"],
  "org.in": ["{in} 签到", "in {in}"],
  "org.out": ["{out} 签退", "out {out}"],
  "org.approve": ["通过", "Approve"],
  "org.close": ["结束活动并记录时长", "Close and credit the hours"],
  "org.closed": ["已结束：记入 {c} 人，待核查 {f} 人，时长不足 {u} 人。", "Closed: {c} credited, {f} held for review, {u} below the minimum."],
  "org.credit": ["{id}：{hours} 小时", "{id}: {hours} h"],
  "org.flag.no_checkout": ["未签退", "no check-out"],
  "org.flag.late_checkout": ["签退过晚", "late check-out"],
  "err.not_started": ["活动还没开始，不能结束。", "The activity has not started yet."],
  "err.already_closed": ["活动已经结束了。", "The activity is already closed."],
  "err.not_organiser": ["您不是这个活动的组织者。", "You do not organise this activity."],
  "err.activity_exists": ["这个活动编号已经用过了。", "This activity id is taken."],
  "err.not_your_team": ["队长只能为本队发布活动。", "A leader publishes for their own team."],
  "err.ends_in_past": ["结束时间已经过了。", "The end is already past."],
});

const REFRESH_MS = 20000;

function localInput(id) {
  return h("input", { id, type: "datetime-local", required: "" });
}

function iso(value) {
  return value ? new Date(value).toISOString() : "";
}

/** The organiser's section in `root`. */
export function startActivities(root) {
  const state = { activities: [], showing: null, details: {}, timer: null, results: {} };
  const list = h("ul", { class: "org-list" });
  const empty = h("p", { class: "muted", "data-i18n": "org.empty" }, t("org.empty"));
  const notice = h("p", { class: "notice ok", role: "status", hidden: "" });
  const error = h("p", { class: "error-text", role: "alert" });
  root.append(
    h("h2", { "data-i18n": "org.title" }, t("org.title")),
    h("p", { class: "muted small", "data-i18n": "org.hint" }, t("org.hint")),
    publishForm(), notice, error, empty, list);

  function say(text) {
    notice.textContent = text;
    notice.hidden = !text;
  }

  function publishForm() {
    const field = (id, key, input) => h("div", { class: "field" }, h("label", { for: id, "data-i18n": key }, t(key)), input);
    const id = h("input", { id: "org-id", required: "", maxlength: "64" });
    const title = h("input", { id: "org-title", required: "", maxlength: "100" });
    const type = h("select", { id: "org-type" });
    api("GET", "/api/v1/service-types").then((found) => {
      for (const s of found.service_types) {
        type.append(h("option", { value: s.code }, lang() === "en" ? s.name_en : s.name_zh));
      }
    }).catch((err) => { error.textContent = explain(err); });
    const area = h("input", { id: "org-area", inputmode: "numeric", required: "", maxlength: "15" });
    const starts = localInput("org-starts");
    const ends = localInput("org-ends");
    const slots = h("input", { id: "org-slots", type: "number", min: "1", max: "200", value: "10" });
    const approval = h("input", { id: "org-approval", type: "checkbox" });
    const problem = h("p", { class: "error-text", role: "alert" });
    const form = h("form", { class: "org-new", novalidate: "" },
      field("org-id", "org.f.id", id), field("org-title", "org.f.title", title),
      field("org-type", "org.f.type", type), field("org-area", "org.f.area", area),
      field("org-starts", "org.f.starts", starts), field("org-ends", "org.f.ends", ends),
      field("org-slots", "org.f.slots", slots),
      h("div", { class: "field check" }, approval, h("label", { for: "org-approval", "data-i18n": "org.f.approval" }, t("org.f.approval"))),
      problem, h("button", { class: "primary", type: "submit", "data-i18n": "org.publish" }, t("org.publish")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      problem.textContent = "";
      const body = {
        activity_id: id.value.trim(), title: title.value.trim(), service_type: type.value, area: area.value.trim(),
        starts_at: iso(starts.value), ends_at: iso(ends.value), slots: Number(slots.value), approval: approval.checked,
      };
      try {
        const made = await api("POST", "/api/v1/activities", body, { key: newKey() });
        say(t("org.published", { title: made.title }));
        form.reset();
        await refresh();
      } catch (err) {
        problem.textContent = explain(err);
      }
    });
    return h("details", { class: "org-publish" }, h("summary", { "data-i18n": "org.new" }, t("org.new")), form);
  }

  const path = (a, action = "") => `/api/v1/activities/${encodeURIComponent(a.activity_id)}${action}`;

  async function showCode(activity, box) {
    clearTimeout(state.timer);
    if (state.showing !== activity.activity_id) return;
    try {
      const code = await api("GET", path(activity, "/code"));
      const response = await fetch(path(activity, "/code.svg"), {
        headers: { Authorization: "Bearer " + currentToken() }, cache: "no-store", credentials: "omit" });
      const svg = response.ok ? await response.text() : "";
      clear(box).append(
        h("p", { class: "org-digits", "aria-label": t("org.code") }, code.code),
        svg ? h("img", { class: "org-qr", alt: t("org.code.qr"), src: "data:image/svg+xml;base64," + btoa(svg) }) : null,
        h("p", { class: "muted small" }, t("org.code.until", { time: fmtTime(code.rotates_at) })));
      state.timer = setTimeout(() => showCode(activity, box), Math.max(1000, Date.parse(code.rotates_at) - Date.now() + 500));
    } catch (err) {
      clear(box).append(h("p", { class: "error-text", role: "alert" }, explain(err)));
      state.timer = setTimeout(() => showCode(activity, box), 5000);
    }
  }

  function people(activity) {
    const detail = state.details[activity.activity_id];
    if (!detail || !detail.signups || !detail.signups.length) return null;
    return h("details", { class: "org-people", open: "" },
      h("summary", {}, t("org.people")),
      h("ul", {}, detail.signups.map((s) => h("li", { dataset: { volunteer: s.volunteer_id } },
        s.volunteer_id, " · ", t("org.s." + s.status),
        s.checked_in_at ? [" · ", t("org.in", { in: fmtTime(s.checked_in_at) })] : null,
        s.checked_out_at ? [" · ", t("org.out", { out: fmtTime(s.checked_out_at) })] : null,
        s.status === "pending" ? h("button", { type: "button", class: "quiet", onclick: () => approve(activity, s.volunteer_id) }, t("org.approve")) : null))));
  }

  async function approve(activity, volunteerId) {
    try {
      await api("POST", path(activity, `/signups/${encodeURIComponent(volunteerId)}/approve`), {}, { key: newKey() });
      await refresh();
    } catch (err) {
      error.textContent = explain(err);
    }
  }

  async function close(activity) {
    error.textContent = "";
    try {
      const out = await api("POST", path(activity, "/close"), {}, { key: newKey() });
      state.results[activity.activity_id] = out;
      if (state.showing === activity.activity_id) state.showing = null;
      say(t("org.closed", { c: out.credited.length, f: out.flagged.length, u: out.uncredited.length }));
      await refresh();
    } catch (err) {
      error.textContent = explain(err);
    }
  }

  function result(activity) {
    const out = state.results[activity.activity_id];
    if (!out) return null;
    return h("ul", { class: "org-result" },
      out.credited.map((c) => h("li", {}, t("org.credit", { id: c.volunteer_id, hours: fmtNumber(c.hours, 1) }))),
      out.flagged.map((f) => h("li", { class: "flagged" }, t("org.credit", { id: f.volunteer_id, hours: fmtNumber(f.hours, 1) }), " · ", t("org.flag." + f.kind))));
  }

  function card(activity) {
    const showing = state.showing === activity.activity_id;
    const codeBox = h("div", { class: "org-code" });
    const toggle = h("button", { type: "button", class: showing ? null : "primary", dataset: { action: "code" } },
      t(showing ? "org.code.hide" : "org.code"));
    toggle.addEventListener("click", () => {
      state.showing = showing ? null : activity.activity_id;
      render();
    });
    const closing = h("button", { type: "button", dataset: { action: "close" } }, t("org.close"));
    closing.addEventListener("click", () => close(activity));
    const item = h("li", { class: "card org-activity", dataset: { activity: activity.activity_id } },
      h("h3", {}, activity.title),
      h("p", { class: "muted" }, t("org.when", { from: fmtTime(activity.starts_at, true), to: fmtTime(activity.ends_at) }),
        " · ", activity.area_name || activity.area),
      h("p", {}, t("org.places", { c: activity.confirmed, s: activity.slots, w: activity.waiting, p: activity.pending, i: activity.checked_in })),
      activity.status === "open" ? h("div", { class: "actions" }, toggle, closing) : null,
      showing ? codeBox : null, people(activity), result(activity));
    if (showing) showCode(activity, codeBox);
    return item;
  }

  function render() {
    clearTimeout(state.timer);
    const shown = state.activities.filter((a) => a.status === "open" || state.results[a.activity_id]);
    clear(list).append(...shown.map(card));
    empty.hidden = shown.length > 0;
  }

  async function refresh() {
    try {
      const found = await api("GET", "/api/v1/activities?limit=50");
      state.activities = found.activities.filter((a) => a.organising);
      const details = await Promise.all(state.activities.filter((a) => a.status === "open")
        .map((a) => api("GET", path(a))));
      state.details = Object.fromEntries(details.map((d) => [d.activity_id, d]));
      error.textContent = "";
    } catch (err) {
      error.textContent = explain(err);
      return;
    }
    if (!root.querySelector(".org-new :focus")) render();
  }

  onLang(render);
  refresh();
  setInterval(refresh, REFRESH_MS);
}
