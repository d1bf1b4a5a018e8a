// The office's live board. It reads the server-sent event stream with fetch() (EventSource
// cannot send an Authorization header), parses the events itself, and reconnects by itself
// with backoff, sending Last-Event-ID. Every message is a whole snapshot, so a reconnect needs
// nothing else. The board never asks for names, phones or addresses: the snapshot has none,
// and neither do the area tree, the service types or the candidate teams it reads. Residents'
// profiles are read only when staff open the residents panel (staff-people.js); the office
// panel (staff-admin.js) manages teams, staff, kiosks and shows the audit trail; the wishes
// panel (staff-wishes.js) steers the scope's micro-wish pool and reports on it; the cases
// panel (staff-cases.js) works the "can't get it done" window; the care panel
// (staff-care.js) runs the visit programme.

import {
  $, ApiError, announce, api, clear, currentToken, explain, fmtDuration, fmtNumber, fmtTime,
  frame, h, has, lang, onLang, priorityBadge, shortId, t,
} from "./vd.js";
import { startActivities } from "./organiser.js";
import { startAdmin } from "./staff-admin.js";
import { startCare } from "./staff-care.js";
import { startCases } from "./staff-cases.js";
import { startCivic } from "./staff-civic.js";
import { startHours } from "./staff-hours.js";
import { startPeople } from "./staff-people.js";
import { startWishes } from "./staff-wishes.js";

const STRINGS = {
  "staff.title": ["实时调度看板 · 志愿服务派单平台", "Live board · Volunteer dispatch"],
  "staff.heading": ["实时调度看板", "Live dispatch board"],
  "conn.connecting": ["正在连接…", "Connecting…"],
  "conn.live": ["实时更新中", "Live"],
  "conn.retry": ["连接中断，{n} 秒后重连", "Disconnected; retrying in {n} s"],
  "conn.retrying": ["正在重新连接…", "Reconnecting…"],
  "conn.stopped": ["已停止（请重新登录）", "Stopped (sign in again)"],
  "conn.back": ["实时连接已恢复", "Live connection restored"],
  "updated": ["更新于 {time} · 事件 {events} 条", "Updated {time} · {events} events"],
  "dead": ["有 {n} 条消息处理失败（死信），请通知技术人员。", "{n} messages failed (dead letters); tell the technical staff."],
  "stage.submitted": ["提交", "Submitted"],
  "stage.in_review": ["审核", "In review"],
  "stage.dispatched": ["派单", "Dispatched"],
  "stage.accepted": ["接单", "Accepted"],
  "stage.completed": ["完成", "Completed"],
  "stage.reviewed": ["评价", "Reviewed"],
  "stage.cancelled": ["取消", "Cancelled"],
  "stage.escalated": ["转中心", "Escalated"],
  "funnel.title": ["需求漏斗", "Request funnel"],
  "prog.title": ["文明实践项目", "Programmes"],
  "prog.wishes.collected": ["微心愿·累计征集", "Wishes collected"],
  "prog.wishes.open": ["待认领", "Open"],
  "prog.wishes.claimed": ["已认领", "Claimed"],
  "prog.wishes.fulfilled": ["已实现", "Fulfilled"],
  "prog.wishes.rate": ["实现率", "Fulfilment rate"],
  "prog.cases.open": ["办不成事·办理中", "Cases open"],
  "prog.cases.overdue": ["超期", "Overdue"],
  "prog.cases.on_time": ["按期办结率", "Closed on time"],
  "prog.visits.planned": ["关爱探访·累计", "Care visits"],
  "prog.visits.missed": ["漏访", "Missed"],
  "prog.visits.rate": ["按期探访率", "Visited in time"],
  "prog.flags.open": ["待核实时长", "Flags to check"],
  "funnel.hint": ["到达过每个阶段的需求数：今日 / 累计；“当前”为正处于该阶段的数量。", "Requests that reached each stage: today / all time; “now” is how many are in it."],
  "funnel.today": ["今日", "Today"],
  "funnel.total": ["累计", "All time"],
  "funnel.now": ["当前", "Now"],
  "funnel.side": ["旁路", "Side exits"],
  "timing.title": ["处理用时", "Time taken"],
  "timing.stage": ["环节", "Stage"],
  "timing.p50": ["中位数", "Median"],
  "timing.p90": ["90% 以内", "90th pct."],
  "timing.count": ["样本", "Samples"],
  "timing.caption": ["最近 6 小时的用时（纵轴为对数刻度）", "The last 6 hours (logarithmic axis)"],
  "timing.dispatch": ["派单用时", "To dispatch"],
  "timing.accept": ["接单用时", "To accept"],
  "timing.complete": ["完成用时", "To complete"],
  "timing.nochart": ["图表库未加载。", "The chart library did not load."],
  "overdue.title": ["超时未处理", "Overdue"],
  "escalated.title": ["转中心处理", "Escalated"],
  "list.empty": ["暂无", "None"],
  "item.due": ["已超时 {d}", "{d} overdue"],
  "item.since": ["{time} 起", "since {time}"],
  "item.team": ["服务队 {team}", "team {team}"],
  "item.urgent": ["紧急", "Urgent"],
  "review.approve": ["审核通过", "Approve"],
  "review.approved": ["已审核通过：{status}", "Approved: {status}"],
  "dispatch.open": ["人工派单", "Dispatch by hand"],
  "dispatch.close": ["收起", "Close"],
  "dispatch.loading": ["正在查找可派的服务队…", "Looking for teams…"],
  "dispatch.none": ["没有能提供这项服务、覆盖这个区域的服务队。", "No team offers this service in this area."],
  "dispatch.to": ["派给该队", "Dispatch to this team"],
  "dispatch.to.label": ["派给 {team}", "Dispatch to {team}"],
  "dispatch.done": ["已派给 {team}", "Dispatched to {team}"],
  "dispatch.full": ["已满", "Full"],
  "dispatch.refused": ["曾拒单", "Refused before"],
  "dispatch.current": ["当前服务队", "Current team"],
  "dispatch.reassign": ["改派其他服务队", "Give to another team"],
  "dispatch.candidates": ["可派服务队", "Teams that can take it"],
  "level.0": ["区县", "County"],
  "level.1": ["街道/乡镇", "Town"],
  "level.2": ["社区/村", "Village"],
  "level.3": ["小区/屋场", "Hamlet"],
  "load": ["在办 {load}/{capacity}", "load {load}/{capacity}"],
  "area.title": ["各区域当前需求", "Open and recent requests by area"],
  "area.hint": ["点击区域名称展开下一级。只列出有需求的区域。", "Open an area to see the level below. Only areas with requests are listed."],
  "area.col": ["区域", "Area"],
  "area.expand": ["展开 {name}", "Expand {name}"],
  "area.collapse": ["收起 {name}", "Collapse {name}"],
  "type.title": ["各服务类型当前需求", "By service type"],
  "type.col": ["服务类型", "Service type"],
  "col.waiting": ["待派单", "Waiting"],
  "col.dispatched": ["已派单", "Dispatched"],
  "col.accepted": ["服务中", "In service"],
  "col.escalated": ["转中心", "Escalated"],
  "col.completed": ["待评价", "Done"],
  "col.reviewed": ["已评价", "Reviewed"],
  "col.cancelled": ["已取消", "Cancelled"],
  "ticker.title": ["最新动态", "Latest events"],
  "teams.title": ["服务队排行", "Team leaderboard"],
  "teams.name": ["服务队", "Team"],
  "teams.completed": ["完成", "Done"],
  "teams.rating": ["评分", "Rating"],
  "teams.rate": ["接单率", "Accepts"],
  "teams.load": ["在办/容量", "Load"],
  "teams.more": ["显示全部 {n} 个服务队", "Show all {n} teams"],
  "teams.less": ["只显示前 {n} 名", "Show the top {n}"],
  "err.team_at_capacity": ["该服务队已满员，请选择其他服务队。", "That team is full; choose another."],
  "err.team_cannot_serve": ["该服务队不提供这项服务或不覆盖这个区域。", "That team does not serve this request."],
  "err.already_dispatched": ["已经派给了该服务队。", "It is already with that team."],
  "err.not_overdue": ["服务时限未到，暂不能改派。", "Its service window has not passed yet."],
};

// Columns of the area and type tables: which current statuses each one adds up.
const COLUMNS = [
  ["waiting", ["submitted", "in_review"]],
  ["dispatched", ["dispatched"]],
  ["accepted", ["accepted"]],
  ["escalated", ["escalated"]],
  ["completed", ["completed"]],
  ["reviewed", ["reviewed"]],
  ["cancelled", ["cancelled"]],
];
const CHAIN = ["submitted", "in_review", "dispatched", "accepted", "completed", "reviewed"];
const SIDE = ["cancelled", "escalated"];
// An accepted request is in these lists only once its service window has passed, when the
// office may give it to another team.
const DISPATCHABLE = new Set(["submitted", "in_review", "dispatched", "accepted", "escalated"]);
const STAGES = ["dispatch", "accept", "complete"];
const STAGE_COLORS = { dispatch: "#1a56db", accept: "#b45309", complete: "#1b5e20" };
const TEAMS_TOP = 10;

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15000;
const SILENCE_MAX_MS = 40000; // the server sends a heartbeat every 15 s when nothing moves
const AREAS_REFRESH_MIN_MS = 10000;

const state = {
  snapshot: null,
  skewMs: 0,
  areas: new Map(), // code -> {code, name, parent, level}
  children: new Map(), // code -> [codes]
  types: new Map(), // code -> {name_zh, name_en}
  expanded: new Set(),
  openDispatch: new Map(), // request id -> panel element
  allTeams: false,
  chart: null,
  lastAreasFetch: 0,
};

// -- the stream ---------------------------------------------------------------------------

const stream = {
  lastEventId: null,
  retryMs: RETRY_MIN_MS,
  delayMs: RETRY_MIN_MS,
  controller: null,
  watchdog: null,
  stopped: false,
  everLive: false,
  wasDown: false,
};

let connArgs = ["connecting", 0];
function setConn(kind, seconds) {
  connArgs = [kind, seconds];
  const box = $("#conn");
  box.dataset.state = kind;
  // While the stream is down the numbers on the page are old: say so by greying them.
  $("#app").classList.toggle("stale", kind !== "live" && state.snapshot !== null);
  const text = kind === "retry" ? t("conn.retry", { n: seconds }) : t("conn." + kind);
  $("#conn-text").textContent = text;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function armWatchdog() {
  clearTimeout(stream.watchdog);
  stream.watchdog = setTimeout(() => stream.controller && stream.controller.abort(), SILENCE_MAX_MS);
}

/** Feed one SSE block (the lines of one event) to the page. */
function dispatchBlock(block) {
  let event = "message";
  const data = [];
  let id = null;
  for (const line of block.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "id" && !value.includes("\0")) id = value;
    else if (field === "retry" && /^\d+$/.test(value)) stream.retryMs = Math.max(RETRY_MIN_MS, Number(value));
  }
  if (id !== null) stream.lastEventId = id;
  if (!data.length) return;
  if (event === "snapshot") {
    try {
      receive(JSON.parse(data.join("\n")));
    } catch (e) {
      console.error("bad snapshot", e);
    }
  }
}

async function readStream() {
  while (!stream.stopped) {
    const controller = new AbortController();
    stream.controller = controller;
    try {
      setConn(stream.everLive ? "retrying" : "connecting");
      const headers = { Accept: "text/event-stream", Authorization: "Bearer " + currentToken() };
      if (stream.lastEventId !== null) headers["Last-Event-ID"] = stream.lastEventId;
      armWatchdog();
      const response = await fetch("/api/v1/live/stream", {
        headers, signal: controller.signal, cache: "no-store", credentials: "omit",
      });
      if (response.status === 401 || response.status === 403) {
        stream.stopped = true;
        setConn("stopped");
        // Let the shared handler take the user back to the login form.
        await api("GET", "/api/v1/live").catch(() => {});
        return;
      }
      if (!response.ok || !response.body) throw new Error("stream answered " + response.status);
      if (stream.everLive) {
        refreshDirectory();
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        armWatchdog();
        // Normalise line ends; a lone CR at the end may be half of a CRLF still on its way.
        buffer = (buffer + value).replace(/\r\n|\r(?!$)/g, "\n");
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          dispatchBlock(block);
        }
      }
      throw new Error("the stream ended");
    } catch (e) {
      if (stream.stopped) return;
      clearTimeout(stream.watchdog);
      stream.wasDown = true;
      const delay = Math.round(stream.delayMs * (0.8 + Math.random() * 0.4));
      stream.delayMs = Math.min(RETRY_MAX_MS, Math.max(stream.retryMs, stream.delayMs * 2));
      let remaining = delay;
      while (remaining > 0 && !stream.stopped) {
        setConn("retry", Math.ceil(remaining / 1000));
        const step = Math.min(1000, remaining);
        await sleep(step);
        remaining -= step;
      }
    }
  }
}

function receive(snapshot) {
  state.snapshot = snapshot;
  state.skewMs = new Date(snapshot.generated_at).getTime() - Date.now();
  stream.delayMs = stream.retryMs;
  if (!stream.everLive || stream.wasDown) {
    if (stream.wasDown) announce(t("conn.back"));
    stream.everLive = true;
    stream.wasDown = false;
  }
  setConn("live");
  const unknown = Object.keys(snapshot.by_area).some((code) => !state.areas.has(code));
  if (unknown) refreshDirectory();
  scheduleRender();
}

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  setTimeout(() => {
    renderQueued = false;
    render();
  }, 0);
}

// -- names: areas and service types --------------------------------------------------------

async function refreshDirectory(force = false) {
  const now = Date.now();
  if (!force && now - state.lastAreasFetch < AREAS_REFRESH_MIN_MS) return;
  state.lastAreasFetch = now;
  try {
    const [areas, types] = await Promise.all([
      api("GET", "/api/v1/areas"),
      state.types.size ? null : api("GET", "/api/v1/service-types"),
    ]);
    state.areas.clear();
    state.children.clear();
    for (const area of areas.areas) {
      state.areas.set(area.code, area);
      if (area.parent) {
        if (!state.children.has(area.parent)) state.children.set(area.parent, []);
        state.children.get(area.parent).push(area.code);
      }
    }
    if (types) for (const type of types.service_types) state.types.set(type.code, type);
    scheduleRender();
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) console.warn("directory", e);
  }
}

function typeName(code) {
  const type = state.types.get(code);
  if (!type) return code || "";
  return lang() === "en" ? type.name_en : type.name_zh;
}

function areaName(code) {
  const area = state.areas.get(code);
  return area ? area.name : code || "";
}

// -- rendering ----------------------------------------------------------------------------

/** Re-render a part of the page without losing the keyboard focus inside it. */
function keepFocus(container, fn) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.key : null;
  fn();
  if (key) {
    const again = container.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (again) again.focus();
  }
}

function render() {
  const s = state.snapshot;
  if (!s) return;
  $("#updated").textContent = t("updated", { time: fmtTime(s.generated_at), events: fmtNumber(s.events) });
  const dead = $("#dead");
  dead.hidden = !s.dead_letters;
  dead.textContent = s.dead_letters ? t("dead", { n: s.dead_letters }) : "";
  renderFunnel(s);
  renderTimings(s);
  renderList("overdue", s.overdue);
  renderList("escalated", s.escalated);
  renderAreas(s);
  renderTypes(s);
  renderTicker(s);
  renderTeams(s);
  renderProgrammes(s);
}

/** The micro-wishes, cases and flags of the scope: what stands open now, the wishes'
 * fulfilment rate and the share of cases closed before their deadline. */
function renderProgrammes(s) {
  const p = s.programmes || {};
  const wishes = p.wishes || {};
  const cases = p.cases || {};
  const flags = p.flags || {};
  const visits = p.visits || {};
  const ended = (visits.done || 0) + (visits.missed || 0);
  const visitRate = ended ? Math.round((100 * (visits.done || 0)) / ended) : null;
  const onTime = cases.closed ? Math.round((100 * (cases.closed_on_time || 0)) / cases.closed) : null;
  const rate = wishes.collected ? Math.round((100 * (wishes.fulfilled || 0)) / wishes.collected) : null;
  const figure = (key, n, bad) => h("div", { class: bad && n ? "bad" : "", dataset: { figure: key } },
    h("dt", {}, t("prog." + key)), h("dd", {}, n === null ? "—" : fmtNumber(n)));
  clear($("#programmes")).append(
    figure("wishes.collected", wishes.collected || 0),
    figure("wishes.open", wishes.open || 0),
    figure("wishes.claimed", wishes.claimed || 0),
    figure("wishes.fulfilled", wishes.fulfilled || 0),
    h("div", { dataset: { figure: "wishes.rate" } }, h("dt", {}, t("prog.wishes.rate")),
      h("dd", {}, rate === null ? "—" : `${rate}%`)),
    figure("cases.open", cases.open || 0),
    figure("cases.overdue", cases.overdue || 0, true),
    h("div", { dataset: { figure: "cases.on_time" } }, h("dt", {}, t("prog.cases.on_time")),
      h("dd", {}, onTime === null ? "—" : `${onTime}%`)),
    figure("visits.planned", visits.planned || 0),
    figure("visits.missed", visits.missed || 0, true),
    h("div", { dataset: { figure: "visits.rate" } }, h("dt", {}, t("prog.visits.rate")),
      h("dd", {}, visitRate === null ? "—" : `${visitRate}%`)),
    figure("flags.open", flags.open || 0, true));
}

function renderFunnel(s) {
  const by = Object.fromEntries(s.funnel.map((f) => [f.status, f]));
  const max = Math.max(1, ...s.funnel.map((f) => f.total));
  const list = clear($("#funnel"));
  const row = (status) => {
    const f = by[status] || { today: 0, total: 0, current: 0 };
    const bar = h("span", { class: "bar s-" + status });
    bar.style.width = `${Math.max(f.total ? 2 : 0, (100 * f.total) / max)}%`;
    return h("li", { class: "stage", dataset: { status, today: f.today, total: f.total, current: f.current } },
      h("span", { class: "stage-name" }, t("stage." + status)),
      h("span", { class: "bar-track", "aria-hidden": "true" }, bar),
      h("span", { class: "stage-nums" },
        h("span", { class: "n-today", title: t("funnel.today") }, h("span", { class: "sr-only" }, t("funnel.today") + " "), fmtNumber(f.today)),
        " / ",
        h("span", { class: "n-total", title: t("funnel.total") }, h("span", { class: "sr-only" }, t("funnel.total") + " "), fmtNumber(f.total)),
        h("span", { class: "n-now" }, " · " + t("funnel.now") + " " + fmtNumber(f.current))));
  };
  for (const status of CHAIN) {
    if (status === "in_review" && !(by.in_review && by.in_review.total)) continue;
    list.append(row(status));
  }
  list.append(h("li", { class: "stage-sep", "aria-hidden": "true" }, t("funnel.side")));
  for (const status of SIDE) list.append(row(status));
}

function renderTimings(s) {
  const body = clear($("#timing-body"));
  const by = { dispatch: s.time_to_dispatch, accept: s.time_to_accept, complete: s.time_to_complete };
  for (const stage of STAGES) {
    const p = by[stage];
    body.append(h("tr", { dataset: { stage } },
      h("th", { scope: "row" }, h("span", { class: "swatch sw-" + stage, "aria-hidden": "true" }), t("timing." + stage)),
      h("td", { class: "num" }, fmtDuration(p.p50_s)),
      h("td", { class: "num" }, fmtDuration(p.p90_s)),
      h("td", { class: "num" }, fmtNumber(p.count))));
  }
  drawChart(s.timings || {});
}

// The chart shows the samples of the last hours; the table above covers every recent sample.
const CHART_WINDOW_S = 6 * 3600;

function chartData(timings) {
  // One x axis (seconds since the epoch) for the three stages' samples.
  const xs = new Set();
  const since = now() / 1000 - CHART_WINDOW_S;
  const maps = STAGES.map((stage) => {
    const m = new Map();
    for (const point of timings[stage] || []) {
      const x = Math.round(new Date(point.at).getTime()) / 1000;
      if (x < since) continue;
      xs.add(x);
      m.set(x, point.seconds);
    }
    return m;
  });
  const sorted = Array.from(xs).sort((a, b) => a - b);
  return [sorted, ...maps.map((m) => sorted.map((x) => (m.has(x) ? m.get(x) : null)))];
}

// Ticks of the logarithmic time axis, in seconds: 1 ms … 1 day.
const Y_TICKS = [0, 0.001, 0.01, 0.1, 1, 10, 60, 600, 3600, 36000, 86400];

function clock(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString(lang() === "en" ? "en-GB" : "zh-CN", {
    timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });
}

function tick(seconds) {
  if (seconds === 0) return "0";
  const en = lang() === "en";
  const fmt = (n, unit) => `${Number(n.toPrecision(2))}${unit}`;
  if (seconds < 1) return fmt(seconds * 1000, en ? "ms" : "毫秒");
  if (seconds < 60) return fmt(seconds, en ? "s" : "秒");
  if (seconds < 3600) return fmt(seconds / 60, en ? "min" : "分");
  return fmt(seconds / 3600, en ? "h" : "时");
}

function drawChart(timings) {
  const box = $("#chart");
  if (!window.uPlot) {
    if (!box.textContent) box.textContent = t("timing.nochart");
    return;
  }
  const data = chartData(timings);
  const width = Math.max(240, box.clientWidth || 320);
  if (state.chart && state.chart.lang !== lang()) {
    state.chart.plot.destroy();
    state.chart = null;
  }
  if (!state.chart) {
    clear(box);
    const options = {
      width, height: 220,
      legend: { show: true, live: false },
      cursor: { show: true, drag: { x: false, y: false } },
      scales: {
        // One sample (or several at one instant) still gets a readable minute of axis.
        x: { time: true, range: (u, min, max) => (max - min < 60 ? [min - 30, max + 30] : [min, max]) },
        y: { distr: 4, log: 10, asinh: 0.001, range: (u, min, max) => [0, Math.max(0.01, max * 1.5)] },
      },
      axes: [
        { stroke: "#4d4d4d", grid: { stroke: "#e2e2e2" }, space: 70, values: (u, splits) => splits.map(clock) },
        {
          stroke: "#4d4d4d", grid: { stroke: "#e2e2e2" }, size: 64,
          splits: (u, i, min, max) => Y_TICKS.filter((v) => v >= min && v <= max),
          values: (u, splits) => splits.map(tick),
        },
      ],
      series: [
        { value: (u, v) => (v === null ? "" : clock(v)) },
        ...STAGES.map((stage) => ({
          label: t("timing." + stage), stroke: STAGE_COLORS[stage], width: 1.5, spanGaps: true,
          points: { show: true, size: 4 }, value: (u, v) => (v === null ? "" : fmtDuration(v)),
        })),
      ],
    };
    state.chart = { plot: new window.uPlot(options, data, box), lang: lang(), width };
    box.setAttribute("role", "img");
    box.setAttribute("aria-label", t("timing.caption"));
  } else {
    if (Math.abs(state.chart.width - width) > 4) {
      state.chart.plot.setSize({ width, height: 220 });
      state.chart.width = width;
    }
    state.chart.plot.setData(data);
  }
}

function now() {
  return Date.now() + state.skewMs;
}

function renderList(which, items) {
  const list = $("#" + which);
  $("#" + which + "-count").textContent = items.length ? `(${items.length})` : "";
  keepFocus(list, () => {
    clear(list);
    if (!items.length) {
      list.append(h("li", { class: "empty muted" }, t("list.empty")));
      return;
    }
    for (const item of items) {
      const id = item.request_id;
      const detail = which === "overdue" && item.due
        ? t("item.due", { d: fmtDuration((now() - new Date(item.due).getTime()) / 1000) })
        : t("item.since", { time: fmtTime(item.since, true) });
      const reason = item.reason ? (has("reason." + item.reason) ? t("reason." + item.reason) : item.reason) : null;
      const li = h("li", { class: "item", dataset: { request: id } },
        h("div", { class: "spread" },
          h("strong", {}, typeName(item.service_type), " · ", item.area_name || areaName(item.area)),
          h("span", { class: "row" },
            priorityBadge(item.priority),
            item.urgency === "urgent" ? h("span", { class: "badge urgent" }, t("item.urgent")) : null,
            h("span", { class: "badge s-" + item.status }, t("status." + item.status)))),
        h("p", { class: "muted small" }, shortId(id), " · ", detail,
          item.team_id ? " · " + t("item.team", { team: item.team_id }) : "",
          reason ? " · " + reason : ""));
      if (item.status === "in_review") {
        li.append(h("button", {
          type: "button", class: "primary", dataset: { key: which + ":approve:" + id, action: "approve" },
          onclick: (e) => approve(item, e.currentTarget),
        }, t("review.approve")), " ");
      }
      if (DISPATCHABLE.has(item.status)) {
        const open = state.openDispatch.has(id);
        li.append(h("button", {
          type: "button", class: open ? "quiet" : "", "aria-expanded": open ? "true" : "false",
          dataset: { key: which + ":dispatch:" + id },
          onclick: () => toggleDispatch(item),
        }, t(open ? "dispatch.close" : item.status === "accepted" ? "dispatch.reassign" : "dispatch.open")));
        if (open) li.append(state.openDispatch.get(id));
      }
      list.append(li);
    }
  });
}

function toggleDispatch(item) {
  const id = item.request_id;
  if (state.openDispatch.has(id)) {
    state.openDispatch.delete(id);
  } else {
    const panel = h("div", { class: "dispatch-panel", role: "group", "aria-label": t("dispatch.candidates") });
    state.openDispatch.set(id, panel);
    loadCandidates(item, panel);
  }
  scheduleRender();
}

async function loadCandidates(item, panel) {
  const id = item.request_id;
  clear(panel).append(h("p", { class: "muted" }, t("dispatch.loading")));
  const message = h("p", { class: "notice", role: "status" });
  try {
    const found = await api("GET", `/api/v1/requests/${encodeURIComponent(id)}/candidates`);
    clear(panel);
    if (!found.candidates.length) {
      panel.append(h("p", { class: "notice warn" }, t("dispatch.none")));
      return;
    }
    const list = h("ul", { class: "candidates" });
    for (const c of found.candidates) {
      const current = c.team_id === item.team_id;
      list.append(h("li", { class: "candidate" },
        h("div", {},
          h("strong", {}, c.name), " ",
          h("span", { class: "muted small" }, c.team_id, " · ", t("level." + c.level), " · ",
            t("load", { load: c.load, capacity: c.capacity }),
            c.rating !== null ? ` · ★${c.rating}` : ""),
          c.full ? h("span", { class: "badge s-escalated" }, t("dispatch.full")) : null,
          c.refused ? h("span", { class: "badge s-accepted" }, t("dispatch.refused")) : null,
          current ? h("span", { class: "badge s-dispatched" }, t("dispatch.current")) : null),
        h("button", {
          type: "button", class: "primary", disabled: c.full || current,
          "aria-label": t("dispatch.to.label", { team: c.name }),
          dataset: { key: "pick:" + id + ":" + c.team_id, team: c.team_id },
          onclick: (e) => dispatchTo(item, c, e.currentTarget, message),
        }, t("dispatch.to"))));
    }
    panel.append(list, message);
  } catch (e) {
    clear(panel).append(h("p", { class: "notice bad", role: "alert" }, explain(e)));
  }
}

// A held order (审单) is approved from the board: the dispatcher then routes it as any other.
async function approve(item, button) {
  button.disabled = true;
  try {
    const done = await api("POST", `/api/v1/requests/${encodeURIComponent(item.request_id)}/approve`, {});
    announce(t("review.approved", { status: t("status." + done.status) }));
  } catch (e) {
    button.disabled = false;
    announce(explain(e));
  }
}

async function dispatchTo(item, team, button, message) {
  button.disabled = true;
  message.className = "notice info";
  message.textContent = "…";
  try {
    await api("POST", `/api/v1/requests/${encodeURIComponent(item.request_id)}/dispatch`, { team_id: team.team_id });
    message.className = "notice ok";
    message.textContent = t("dispatch.done", { team: team.name });
    announce(message.textContent);
    setTimeout(() => {
      state.openDispatch.delete(item.request_id);
      scheduleRender();
    }, 2500);
  } catch (e) {
    button.disabled = false;
    message.className = "notice bad";
    message.textContent = explain(e);
  }
}

function sumCols(counts) {
  return COLUMNS.map(([, statuses]) => statuses.reduce((n, s) => n + ((counts && counts[s]) || 0), 0));
}

function countsHead(firstKey) {
  return h("thead", {}, h("tr", {},
    h("th", { scope: "col" }, t(firstKey)),
    COLUMNS.map(([key]) => h("th", { scope: "col", class: "num" }, t("col." + key)))));
}

function renderAreas(s) {
  const table = $("#area-table");
  const counted = (code) => code in s.by_area;
  const kids = (code) => (state.children.get(code) || []).filter(counted);
  // Roots: counted areas whose parent is unknown or not counted (normally the counties).
  const roots = Object.keys(s.by_area).filter((code) => {
    const area = state.areas.get(code);
    return !area || !area.parent || !counted(area.parent);
  }).sort();
  for (const root of roots) if (!state.expanded.has("seen:" + root)) {
    state.expanded.add("seen:" + root);
    state.expanded.add(root);
  }
  keepFocus(table, () => {
    clear(table);
    table.append(countsHead("area.col"));
    const body = h("tbody");
    const walk = (code, depth) => {
      const area = state.areas.get(code);
      const name = area ? area.name : code;
      const children = kids(code).sort();
      const open = state.expanded.has(code);
      const label = children.length
        ? h("button", {
          type: "button", class: "tree-toggle", "aria-expanded": open ? "true" : "false",
          "aria-label": t(open ? "area.collapse" : "area.expand", { name }),
          dataset: { key: "area:" + code, code },
          onclick: () => {
            if (state.expanded.has(code)) state.expanded.delete(code);
            else state.expanded.add(code);
            scheduleRender();
          },
        }, h("span", { class: "caret", "aria-hidden": "true" }, open ? "▾" : "▸"), name)
        : h("span", { class: "tree-leaf" }, name);
      body.append(h("tr", { class: "depth-" + Math.min(depth, 4), dataset: { area: code } },
        h("th", { scope: "row" }, label),
        sumCols(s.by_area[code]).map((n) => h("td", { class: "num" + (n ? "" : " zero") }, n ? fmtNumber(n) : "·"))));
      if (open) for (const child of children) walk(child, depth + 1);
    };
    for (const root of roots) walk(root, 0);
    if (!roots.length) body.append(h("tr", {}, h("td", { colspan: COLUMNS.length + 1, class: "muted" }, t("list.empty"))));
    table.append(body);
  });
}

function renderTypes(s) {
  const table = clear($("#type-table"));
  table.append(countsHead("type.col"));
  const body = h("tbody");
  const rows = Object.entries(s.by_service_type).map(([code, counts]) => [code, sumCols(counts)]);
  rows.sort((a, b) => (b[1][0] + b[1][1] + b[1][2] + b[1][3]) - (a[1][0] + a[1][1] + a[1][2] + a[1][3]) || a[0].localeCompare(b[0]));
  for (const [code, cols] of rows) {
    body.append(h("tr", { dataset: { type: code } }, h("th", { scope: "row" }, typeName(code)),
      cols.map((n) => h("td", { class: "num" + (n ? "" : " zero") }, n ? fmtNumber(n) : "·"))));
  }
  if (!rows.length) body.append(h("tr", {}, h("td", { colspan: COLUMNS.length + 1, class: "muted" }, t("list.empty"))));
  table.append(body);
}

function renderTicker(s) {
  const list = clear($("#ticker"));
  for (const e of s.recent) {
    list.append(h("li", { dataset: { request: e.request_id || "", type: e.type } },
      h("time", { datetime: e.at }, fmtTime(e.at)),
      h("span", { class: "ev ev-" + (e.status || "") }, has("event." + e.type) ? t("event." + e.type) : e.type),
      h("span", {}, [typeName(e.service_type), e.area ? areaName(e.area) : null, e.team_id].filter(Boolean).join(" · ")),
      h("span", { class: "muted" }, shortId(e.request_id))));
  }
  if (!s.recent.length) list.append(h("li", { class: "muted" }, t("list.empty")));
}

function renderTeams(s) {
  const body = clear($("#teams-body"));
  const shown = state.allTeams ? s.teams : s.teams.slice(0, TEAMS_TOP);
  shown.forEach((team, i) => {
    body.append(h("tr", { dataset: { team: team.team_id } },
      h("td", { class: "num" }, String(i + 1)),
      h("th", { scope: "row" }, team.name, h("span", { class: "muted small team-id" }, " " + team.team_id)),
      h("td", { class: "num" }, fmtNumber(team.completed)),
      h("td", { class: "num" }, team.rating === null ? t("none") : "★ " + fmtNumber(team.rating, 1)),
      h("td", { class: "num" }, team.acceptance_rate === null ? t("none") : fmtNumber(team.acceptance_rate * 100) + "%"),
      h("td", { class: "num" }, `${team.load}/${team.capacity}`)));
  });
  const more = $("#teams-more");
  more.hidden = s.teams.length <= TEAMS_TOP;
  more.textContent = state.allTeams ? t("teams.less", { n: TEAMS_TOP }) : t("teams.more", { n: s.teams.length });
  more.setAttribute("aria-expanded", state.allTeams ? "true" : "false");
}

// -- start --------------------------------------------------------------------------------

frame("staff", STRINGS, () => {
  $("#conn").hidden = false;
  $("#teams-more").addEventListener("click", () => {
    state.allTeams = !state.allTeams;
    scheduleRender();
  });
  onLang(() => {
    setConn(...connArgs);
    scheduleRender();
  });
  window.addEventListener("resize", scheduleRender);
  // Overdue times move on even when the flow does not.
  setInterval(() => state.snapshot && state.snapshot.overdue.length && scheduleRender(), 5000);
  refreshDirectory(true);
  readStream();
  const panels = [["#hours-panel", "#hours", startHours], ["#people-panel", "#people", startPeople],
    ["#admin-panel", "#admin", startAdmin], ["#activities-panel", "#activities", startActivities],
    ["#civic-panel", "#civic", startCivic], ["#wishes-panel", "#wishes", startWishes],
    ["#cases-panel", "#cases", startCases], ["#care-panel", "#care", startCare]];
  for (const [panelId, sectionId, start] of panels) {
    const panel = $(panelId);
    panel.addEventListener("toggle", () => {
      if (panel.open && !panel.dataset.started) {
        panel.dataset.started = "1";
        start($(sectionId));
      }
    });
  }
});
