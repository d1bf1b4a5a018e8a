// The resident's micro-wishes (微心愿, DESIGN §11): post a small wish in their own area, follow
// it while a volunteer takes it up, confirm it once the volunteer marks it done (that credits
// the volunteer's hours), or withdraw one no longer wanted. Refreshes by itself, like the
// requests above it; large text and one column as the rest of the page.
import { ApiError, addStrings, announce, api, clear, explain, fmtHours, fmtTime, h, newKey, t } from "./vd.js";

addStrings({
  "rw.title": ["我的微心愿", "My micro-wishes"],
  "nav.wishes": ["微心愿", "Wishes"],
  "rw.hint": ["有什么小心愿（比如修个收音机、买一副老花镜），写在这里，志愿者会来认领帮您实现。", "A small wish (a radio mended, a pair of reading glasses)? Write it here and a volunteer will take it up."],
  "rw.what": ["您的心愿", "Your wish"],
  "rw.details": ["说明（可不填）", "Details (optional)"],
  "rw.where": ["心愿登记在：{area}", "Posted in: {area}"],
  "rw.submit": ["登记心愿", "Post the wish"],
  "rw.posted": ["心愿已登记，等待志愿者认领。", "Your wish is posted; a volunteer will claim it."],
  "rw.required": ["请写下您的心愿。", "Please write your wish."],
  "rw.empty": ["您还没有登记过心愿。", "You have not posted a wish yet."],
  "rw.s.open": ["等待认领", "Waiting for a volunteer"],
  "rw.s.claimed": ["志愿者已认领", "A volunteer took it up"],
  "rw.s.done": ["志愿者说已完成，请确认", "The volunteer says it is done: please confirm"],
  "rw.s.fulfilled": ["心愿已实现", "Fulfilled"],
  "rw.s.withdrawn": ["已撤回", "Withdrawn"],
  "rw.note": ["志愿者留言：", "The volunteer's note: "],
  "rw.hours": ["服务了 {hours} 小时", "{hours} h of service"],
  "rw.confirm": ["确认已实现", "Yes, it is done"],
  "rw.confirmed": ["谢谢！心愿已实现，志愿者的服务时长已记入。", "Thank you! The wish is fulfilled and the volunteer's hours are credited."],
  "rw.withdraw": ["撤回心愿", "Withdraw the wish"],
  "rw.withdraw.ask": ["确定不再需要这个心愿了吗？", "Do you no longer need this wish?"],
  "rw.withdraw.yes": ["确定撤回", "Withdraw it"],
  "rw.withdraw.no": ["不撤回", "Keep it"],
  "rw.withdrawn": ["心愿已撤回。", "The wish is withdrawn."],
  "rw.time": ["登记于 {time}", "Posted {time}"],
  "err.not_done": ["志愿者还没有标记完成。", "The volunteer has not marked it done yet."],
  "err.not_open": ["这个心愿已实现或已撤回。", "This wish is fulfilled or withdrawn."],
});

const POLL_MS = 8000;
const LIST_LIMIT = 20;
const WITHDRAWABLE = new Set(["open", "claimed"]);
const mine = { profile: null, wishes: [], areaName: "", signature: "", polling: null };

async function act(wish, action, done, error) {
  try {
    await api("POST", `/api/v1/wishes/${encodeURIComponent(wish.wish_id)}/${action}`, {}, { key: newKey() });
    announce(t(done));
    await refresh(true);
  } catch (e) {
    error.textContent = explain(e);
  }
}

function withdrawBox(wish, error) {
  const ask = h("div", { class: "cancel-ask", hidden: true }, h("p", {}, t("rw.withdraw.ask")),
    h("div", { class: "row" },
      h("button", { type: "button", class: "primary", dataset: { action: "withdraw-yes" }, onclick: () => act(wish, "withdraw", "rw.withdrawn", error) }, t("rw.withdraw.yes")),
      h("button", { type: "button", class: "quiet", onclick: () => { ask.hidden = true; open.focus(); } }, t("rw.withdraw.no"))));
  const open = h("button", { type: "button", class: "quiet", dataset: { action: "withdraw" }, onclick: () => { ask.hidden = false; ask.querySelector("button").focus(); } }, t("rw.withdraw"));
  return h("div", { class: "cancel" }, open, ask);
}

function wishCard(wish) {
  const error = h("p", { class: "error-text", role: "alert" });
  return h("li", { class: "card wish", dataset: { wish: wish.wish_id, status: wish.status } },
    h("div", { class: "spread" }, h("h3", {}, wish.title),
      h("span", { class: "badge big-badge w-" + wish.status }, t("rw.s." + wish.status))),
    wish.details ? h("p", {}, wish.details) : null,
    h("p", { class: "muted small" }, t("rw.time", { time: fmtTime(wish.created_at, true) })),
    wish.note ? h("p", { class: "given" }, t("rw.note"), wish.note) : null,
    wish.hours ? h("p", { class: "muted" }, t("rw.hours", { hours: fmtHours(wish.hours) })) : null,
    wish.status === "done" ? h("button", { type: "button", class: "primary big wide", dataset: { action: "confirm" }, onclick: () => act(wish, "confirm", "rw.confirmed", error) }, t("rw.confirm")) : null,
    WITHDRAWABLE.has(wish.status) ? withdrawBox(wish, error) : null,
    error);
}

function render(force) {
  const signature = JSON.stringify(mine.wishes.map((w) => [w.wish_id, w.status, w.note, w.hours]));
  if (!force && signature === mine.signature) return;
  mine.signature = signature;
  const list = clear(document.getElementById("wishes"));
  for (const wish of mine.wishes) list.append(wishCard(wish));
  document.getElementById("wishes-empty").hidden = mine.wishes.length > 0;
  const waiting = mine.wishes.filter((w) => w.status === "done").length;
  document.getElementById("wishes-waiting").textContent = waiting ? String(waiting) : "";
}

async function refresh(force = false) {
  if (mine.polling) return mine.polling;
  mine.polling = (async () => {
    try {
      const found = await api("GET", `/api/v1/wishes?limit=${LIST_LIMIT}`);
      mine.wishes = found.wishes;
      render(force);
    } catch {
      // the requests' poll above shows the connection's state; the next round tries again
    } finally {
      mine.polling = null;
    }
  })();
  return mine.polling;
}

function postForm() {
  const form = document.getElementById("wish-form");
  const title = document.getElementById("wish-title");
  const details = document.getElementById("wish-details");
  const error = document.getElementById("wish-error");
  const done = document.getElementById("wish-done");
  let key = newKey();
  form.addEventListener("input", () => { key = newKey(); });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    done.hidden = true;
    if (!title.value.trim()) {
      error.textContent = t("rw.required");
      title.setAttribute("aria-invalid", "true");
      title.focus();
      return;
    }
    title.setAttribute("aria-invalid", "false");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await api("POST", "/api/v1/wishes", { title: title.value.trim(), details: details.value.trim(), area: mine.profile.area }, { key });
      key = newKey();
      form.reset();
      done.textContent = t("rw.posted");
      done.hidden = false;
      announce(t("rw.posted"));
      await refresh(true);
    } catch (err) {
      error.textContent = explain(err);
      if (err instanceof ApiError && err.status < 500) key = newKey();
    } finally {
      button.disabled = false;
    }
  });
}

function showWhere() {
  const where = document.getElementById("wish-where");
  where.textContent = mine.profile ? t("rw.where", { area: mine.areaName || mine.profile.area }) : "";
}

/** Post wishes in the profile's area (none without a profile: `problem` says why), then
 * follow them; answers the function that relabels the section in a new language. */
export async function startWishes(profile, problem, areaName) {
  postForm();
  mine.profile = profile;
  if (profile) {
    mine.areaName = areaName(profile.area);
  } else {
    document.getElementById("wish-form").hidden = true;
    const none = document.getElementById("wish-none");
    none.textContent = problem;
    none.hidden = false;
  }
  showWhere();
  await refresh(true);
  setInterval(refresh, POLL_MS);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
  return () => { showWhere(); render(true); };
}
