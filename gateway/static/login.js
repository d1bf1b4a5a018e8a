// /login: sign in once and go to the page of the role signed in as; a volunteer (who has
// no page of their own) sees their points here and can make a redeem code for a kiosk; their
// activities are on /volunteer.
import { api, explain, fmtNumber, frame, subject, t } from "./vd.js";

const PAGES = { resident: "/resident", leader: "/leader", staff: "/staff" };
const STRINGS = {
  "signin.page_title": ["登录 · 志愿服务派单平台", "Sign in · Volunteer dispatch platform"],
  "signin.heading": ["登录", "Sign in"],
  "signin.choose_hint": ["登录后进入您的页面：居民点单、队长接单、工作人员看板，或志愿者的积分。", "After signing in you go to your page: ordering, the leader's inbox, the staff board, or a volunteer's points."],
  "signin.role": ["身份", "Role"],
  "signin.role.any": ["账号的第一个身份", "The account's first role"],
  "vol.title": ["我的志愿积分", "My volunteer points"],
  "vol.balance": ["积分", "Points"],
  "vol.hours": ["累计服务时长", "Lifetime hours"],
  "vol.code": ["生成兑换码", "Make a redeem code"],
  "vol.activities": ["志愿活动：报名、签到和签退", "Activities: sign up, check in and out"],
  "vol.code_out": ["兑换码 {code}（{time} 前有效，只能用一次）", "Code {code} (good until {time}, once)"],
};

const roleSelect = document.getElementById("signin-role");
const params = new URLSearchParams(location.search);
if (params.get("role")) roleSelect.value = params.get("role");

/** Where a signed-in role goes: its page, or (a volunteer) the points below. */
function arrive(role) {
  if (!PAGES[role]) return false;
  location.assign(PAGES[role]);
  return true;
}

async function showPoints() {
  const me = subject();
  const points = await api("GET", `/api/v1/volunteers/${encodeURIComponent(me)}/points?limit=1`);
  document.getElementById("vol-balance").textContent = fmtNumber(points.balance);
  document.getElementById("vol-hours").textContent = fmtNumber(points.lifetime_hours, 1);
}

document.getElementById("vol-code").addEventListener("click", async () => {
  const out = document.getElementById("vol-code-out");
  const error = document.getElementById("vol-error");
  error.textContent = "";
  try {
    const code = await api("POST", `/api/v1/volunteers/${encodeURIComponent(subject())}/redeem-code`);
    out.textContent = t("vol.code_out", { code: code.code, time: new Date(code.expires_at).toLocaleTimeString() });
  } catch (e) {
    error.textContent = explain(e);
  }
});

frame("volunteer", STRINGS, () => {
  showPoints().catch((e) => { document.getElementById("vol-error").textContent = explain(e); });
}, { role: () => roleSelect.value || null, arrive });
