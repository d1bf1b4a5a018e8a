// The index of the pages: only the language switch runs here.
import { addStrings, applyLang, lang, setLang } from "./vd.js";

addStrings({
  "index.title": ["志愿服务派单平台", "Volunteer dispatch platform"],
  "index.heading": ["志愿服务派单平台", "Volunteer dispatch platform"],
  "index.lead": ["百姓点单、平台派单、志愿者接单、群众评单。请选择您要使用的页面：", "Residents order, the platform dispatches, volunteers serve, residents review. Choose a page:"],
  "index.resident": ["居民点单", "Residents: order a service"],
  "index.resident.d": ["点一项志愿服务，查看办理进度，完成后评价。", "Order a volunteer service, follow it, and review it when done."],
  "index.leader": ["队长接单", "Team leaders: task inbox"],
  "index.leader.d": ["接收派给本队的任务，接单、拒单，完成后登记志愿者时长。", "Accept or decline your team's tasks; record volunteers and hours when done."],
  "index.staff": ["实时调度看板", "Office staff: live board"],
  "index.staff.d": ["中心工作人员查看实时流转，处理超时和转中心的需求。", "Watch the live flow; handle overdue and escalated requests."],
  "index.volunteer": ["志愿活动", "Volunteers: activities"],
  "index.volunteer.d": ["志愿者报名活动，在现场用签到码签到、签退。", "Sign up for activities; check in and out at the venue with its code."],
  "index.kiosk": ["积分兑换机", "Points-exchange kiosk"],
  "index.kiosk.d": ["志愿者凭兑换码用积分兑换礼品。", "Volunteers redeem points for gifts with their code."],
  "index.login": ["用手机号登录", "Sign in with your phone"],
  "index.note": ["每个页面都需要登录：用手机号和密码或验证码，或使用工作人员提供的链接（#token=…）。", "Each page needs a sign-in: your phone and password or a code, or the link you were given (#token=…)."],
});
document.getElementById("lang").addEventListener("click", () => setLang(lang() === "en" ? "zh" : "en"));
applyLang();
