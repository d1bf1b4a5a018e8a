// The resident's "can't get it done" window (办不成事, DESIGN §11): tell the office about a
// matter that got stuck, and follow each case: which office handles it, by when, and every
// step it records, to its resolution. Refreshes by itself; large text and one column as the
// rest of the page.
import { ApiError, addStrings, announce, api, clear, explain, fmtTime, h, newKey, t } from "./vd.js";

addStrings({
  "rc.title": ["办不成事反映", "Can't get it done?"],
  "nav.cases": ["反映问题", "Report"],
  "rc.hint": ["事情办不成、推来推去？写下来，会有办公室牵头在期限内给您答复，每一步都看得到。", "Something got stuck or passed around? Write it here: an office takes it on with a deadline, and you see every step."],
  "rc.subject": ["什么事办不成", "What could not get done"],
  "rc.details": ["具体情况（可不填）", "Details (optional)"],
  "rc.submit": ["提交反映", "Send it"],
  "rc.sent": ["已收到您的反映，{owner} 牵头，{due} 前答复。", "Received: {owner} handles it and answers by {due}."],
  "rc.required": ["请写下是什么事。", "Please say what it is about."],
  "rc.empty": ["您还没有反映过问题。", "You have not reported anything yet."],
  "rc.open": ["办理中", "Being handled"],
  "rc.closed": ["已办结", "Closed"],
  "rc.owner": ["牵头：{owner} · {due} 前答复", "Handled by {owner} · answer by {due}"],
  "rc.late": ["已超过期限，已转上级督办", "Past its deadline: moved up for supervision"],
  "rc.result": ["办理结果：", "Outcome: "],
  "rc.time": ["提交于 {time}", "Sent {time}"],
  "rs.note": ["记录", "Note"],
  "rs.prescribe": ["已交办", "Assigned"],
  "rs.act": ["正在办理", "In hand"],
  "rs.verify": ["回访核实", "Checked back"],
});

const POLL_MS = 10000;
const LIST_LIMIT = 20;
const mine = { profile: null, cases: [], signature: "", polling: null };

function caseCard(item) {
  const late = item.overdue && item.status === "open";
  return h("li", { class: "card case", dataset: { case: item.case_id, status: item.status } },
    h("div", { class: "spread" }, h("h3", {}, item.subject),
      h("span", { class: "badge big-badge c-" + item.status }, t(item.status === "open" ? "rc.open" : "rc.closed"))),
    item.details ? h("p", {}, item.details) : null,
    h("p", { class: "muted small" }, t("rc.time", { time: fmtTime(item.opened_at, true) })),
    item.status === "open" ? h("p", {}, t("rc.owner", { owner: item.owner_name || item.owner_scope, due: fmtTime(item.due_at, true) })) : null,
    late ? h("p", { class: "notice warn" }, t("rc.late")) : null,
    item.steps.length ? h("ol", { class: "history" }, ...item.steps.map((s) => h("li", {},
      h("strong", {}, t("rs." + s.kind)), " ", s.note, h("span", { class: "muted small" }, " · " + fmtTime(s.at, true))))) : null,
    item.resolution ? h("p", { class: "given" }, t("rc.result"), item.resolution) : null);
}

function render(force) {
  const signature = JSON.stringify(mine.cases.map((c) => [c.case_id, c.status, c.steps.length, c.owner_scope, c.overdue]));
  if (!force && signature === mine.signature) return;
  mine.signature = signature;
  const list = clear(document.getElementById("cases"));
  for (const item of mine.cases) list.append(caseCard(item));
  document.getElementById("cases-empty").hidden = mine.cases.length > 0;
}

async function refresh(force = false) {
  if (mine.polling) return mine.polling;
  mine.polling = (async () => {
    try {
      mine.cases = (await api("GET", `/api/v1/cases?limit=${LIST_LIMIT}`)).cases;
      render(force);
    } catch {
      // the requests' poll above shows the connection's state; the next round tries again
    } finally {
      mine.polling = null;
    }
  })();
  return mine.polling;
}

function sendForm() {
  const form = document.getElementById("case-form");
  const subject = document.getElementById("case-subject");
  const details = document.getElementById("case-details");
  const error = document.getElementById("case-error");
  const done = document.getElementById("case-done");
  let key = newKey();
  form.addEventListener("input", () => { key = newKey(); });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    done.hidden = true;
    if (!subject.value.trim()) {
      error.textContent = t("rc.required");
      subject.setAttribute("aria-invalid", "true");
      subject.focus();
      return;
    }
    subject.setAttribute("aria-invalid", "false");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const made = await api("POST", "/api/v1/cases", { subject: subject.value.trim(), details: details.value.trim(), area: mine.profile.area }, { key });
      key = newKey();
      form.reset();
      done.textContent = t("rc.sent", { owner: made.owner_name || made.owner_scope, due: fmtTime(made.due_at, true) });
      done.hidden = false;
      announce(done.textContent);
      await refresh(true);
    } catch (err) {
      error.textContent = explain(err);
      if (err instanceof ApiError && err.status < 500) key = newKey();
    } finally {
      button.disabled = false;
    }
  });
}

/** Send cases from the profile's area (none without a profile: `problem` says why), then
 * follow them; answers the function that relabels the section in a new language. */
export async function startCases(profile, problem) {
  sendForm();
  mine.profile = profile;
  if (!profile) {
    document.getElementById("case-form").hidden = true;
    const none = document.getElementById("case-none");
    none.textContent = problem;
    none.hidden = false;
  }
  await refresh(true);
  setInterval(refresh, POLL_MS);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
  return () => render(true);
}
