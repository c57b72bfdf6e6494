// fanzha console: plain JavaScript, no framework, no external assets. Every piece of message
// text is inserted as a text node, never as HTML.
"use strict";

const SUGGESTION_ZH = { pass: "放行", review: "复核", block: "拦截" };
const KIND_ZH = {
  url: "网址", phone: "电话", qq: "QQ", wechat: "微信", bank_card: "银行卡", money: "金额",
  app_download: "下载App", screen_share: "共享屏幕/会议",
};
const RULE_KIND_ZH = {
  sender_allow: "号码白名单", sender_block: "号码黑名单", keyword: "关键词", regex: "正则",
};
const SOURCE_ZH = { file: "规则文件", database: "数据库" };
const CHUNK = 200; // messages per classify request, below the service's default limit

const state = { taxonomy: [], zh: {}, scam: {}, feedbackOffset: 0, maxMessages: CHUNK };

// --- helpers -----------------------------------------------------------------------------
const $ = (sel, root = document) => root.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function toast(message, isError = false) {
  const box = $("#toast");
  box.textContent = message;
  box.className = isError ? "err" : "";
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, isError ? 8000 : 3000);
}

function randomId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes); // works on plain http, unlike crypto.randomUUID
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function labelZh(slug) { return state.zh[slug] || slug || "–"; }
function pct(x) { return `${Math.round(x * 100)}%`; }
function when(iso) { return iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : ""; }

class ApiError extends Error {
  constructor(status, body) {
    const info = (body && body.error) || {};
    const details = (info.details || []).map((d) => `${d.field}: ${d.problem}`).join("\n");
    super(info.message ? (details ? `${info.message}\n${details}` : info.message) : `HTTP ${status}`);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  const key = sessionStorage.getItem("fanzha-key");
  if (key) headers["X-API-Key"] = key;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(options.json);
  }
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401) {
    $("#key-box").hidden = false;
    throw new ApiError(401, { error: { message: "需要 API 密钥：请在右上角填写后重试" } });
  }
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

// --- header status -----------------------------------------------------------------------
async function loadStatus() {
  try {
    const s = await api("/v1/console/status");
    if (!state.taxonomy.length) setTaxonomy(s.taxonomy);
    $("#model-version").textContent = s.model_version || "加载中";
    const db = $("#db-state");
    db.textContent = s.database.available ? `正常（${s.database.backend}）` : "不可用";
    db.className = s.database.available ? "" : "bad";
    db.title = s.database.error || s.database.url;
    const rules = $("#rules-state");
    rules.textContent = `${s.rules.rules} 条` + (s.rules.error ? "（上次加载失败）" : "");
    rules.className = s.rules.error ? "bad" : "";
  } catch (err) {
    $("#model-version").textContent = "未连接";
    if (err.status !== 401) console.warn(err);
  }
}

function setTaxonomy(taxonomy) {
  state.taxonomy = taxonomy;
  for (const t of taxonomy) { state.zh[t.slug] = t.zh; state.scam[t.slug] = t.is_scam; }
  const filter = $("#feedback-filter");
  const ruleLabel = $("#rule-form select[name=label]");
  for (const t of taxonomy) {
    filter.append(el("option", { value: t.slug }, t.zh));
    ruleLabel.append(el("option", { value: t.slug }, t.zh));
  }
}

// --- classify ----------------------------------------------------------------------------
function linesToMessages(text, sender) {
  return text.split(/\r?\n/).map((t) => t.trim()).filter(Boolean)
    .map((t, i) => ({ id: `m${i + 1}`, text: t, sender: sender || undefined }));
}

async function classify(messages) {
  const results = $("#results");
  results.replaceChildren();
  $("#summary").textContent = "";
  if (!messages.length) { toast("请先输入或上传短信", true); return; }
  const button = $("#classify-btn");
  button.disabled = true;
  $("#classify-msg").textContent = `研判中… 共 ${messages.length} 条`;
  const counts = { block: 0, review: 0, pass: 0 };
  const started = performance.now();
  try {
    for (let i = 0; i < messages.length; i += CHUNK) {
      const chunk = messages.slice(i, i + CHUNK);
      const body = await api("/v1/classify", { method: "POST", json: { messages: chunk } });
      body.results.forEach((result, j) => {
        counts[result.suggestion] += 1;
        if (results.childElementCount < 500) results.append(resultCard(chunk[j], result));
      });
    }
    const ms = Math.round(performance.now() - started);
    $("#summary").textContent = `共 ${messages.length} 条：拦截 ${counts.block}，复核 ${counts.review}，` +
      `放行 ${counts.pass}（${ms} 毫秒）` + (messages.length > 500 ? "；仅显示前 500 条" : "");
    $("#classify-msg").textContent = "";
  } catch (err) {
    $("#classify-msg").textContent = "";
    toast(`研判失败：${err.message}`, true);
  } finally {
    button.disabled = false;
  }
}

// Marks over the text: indicators and rule matches. Offsets are code points (as the service
// counts them), so the text is split with Array.from, not indexed as UTF-16.
function highlighted(text, result) {
  const chars = Array.from(text);
  const marks = chars.map(() => []);
  const add = (start, end, cls, title) => {
    for (let i = Math.max(0, start); i < Math.min(end, chars.length); i++) marks[i].push([cls, title]);
  };
  for (const ind of result.indicators || []) {
    add(ind.start, ind.end, `k-${ind.kind}`, `${KIND_ZH[ind.kind] || ind.kind}：${ind.value}`);
  }
  for (const hit of result.rules || []) {
    for (const span of hit.spans || []) add(span.start, span.end, "k-rule", `规则 ${hit.id}`);
  }
  const p = el("p", { class: "text" });
  let i = 0;
  while (i < chars.length) {
    const key = marks[i].map((m) => m[0]).join(" ");
    let j = i + 1;
    while (j < chars.length && marks[j].map((m) => m[0]).join(" ") === key) j++;
    const piece = chars.slice(i, j).join("");
    if (key) {
      const title = [...new Set(marks[i].map((m) => m[1]))].join("；");
      p.append(el("mark", { class: key, title }, piece));
    } else {
      p.append(piece);
    }
    i = j;
  }
  return p;
}

function ruleText(hit) {
  const parts = [];
  for (const [field, change] of Object.entries(hit.changes || {})) {
    const show = field === "label" ? labelZh : (s) => SUGGESTION_ZH[s] || s;
    parts.push(`${field === "label" ? "标签" : "建议"} ${show(change.from)} → ${show(change.to)}`);
  }
  const what = parts.length ? parts.join("，") : "与模型一致";
  return `规则 ${hit.id}（${RULE_KIND_ZH[hit.kind] || hit.kind}，${SOURCE_ZH[hit.source] || hit.source}）：` +
    `${hit.reason}；${what}`;
}

function resultCard(message, result) {
  const scam = state.scam[result.label];
  const card = el("article", { class: `result sug-${result.suggestion}`, "data-label": result.label });
  const bar = el("span", { class: "bar" }, el("i", { style: `width:${pct(result.risk)}` }));
  card.append(el("div", { class: "head" },
    el("span", { class: `badge label${scam ? " scam" : ""}` }, result.label_zh),
    el("span", { class: `badge sug-${result.suggestion}` }, SUGGESTION_ZH[result.suggestion]),
    el("span", { class: "risk" }, "风险", bar, pct(result.risk)),
    (result.rules || []).some((h) => Object.keys(h.changes).length)
      ? el("span", { class: "badge ruled" }, "规则改判") : null,
    result.truncated ? el("span", { class: "badge" }, "已截断") : null,
    el("span", { class: "msgid" }, message.sender ? `${message.id} · ${message.sender}` : message.id),
  ));
  card.append(highlighted(message.text, result));
  if (result.indicators && result.indicators.length) {
    card.append(el("div", { class: "evidence" },
      result.indicators.map((ind) => el("span", {}, `${KIND_ZH[ind.kind] || ind.kind}：${ind.value}`))));
  }
  for (const hit of result.rules || []) card.append(el("div", { class: "rulehits" }, ruleText(hit)));
  card.append(el("div", { class: "scores muted" }, "候选：" +
    result.scores.map((s) => `${labelZh(s.label)} ${s.score.toFixed(3)}`).join(" · ")));
  card.append(correctionBar(message, result));
  return card;
}

function correctionBar(message, result) {
  const stateBox = el("span", { class: "fb-state" });
  const note = el("input", { class: "note", placeholder: "备注（可选）", maxlength: "1000" });
  const select = el("select", { class: "correct-label", title: "选择正确标签即提交" },
    el("option", { value: "" }, "更正为…"),
    state.taxonomy.filter((t) => t.slug !== result.label)
      .map((t) => el("option", { value: t.slug }, t.zh)));
  const submit = async (label) => {
    select.disabled = true;
    try {
      const body = await api("/v1/feedback", {
        method: "POST",
        json: {
          text: message.text, id: message.id, sender: message.sender || undefined, label,
          note: note.value.trim() || undefined, analyst: analystName(), submission_id: randomId(),
        },
      });
      const fb = body.feedback;
      stateBox.className = "fb-state";
      stateBox.textContent = `已记录：${fb.label_zh}` + (fb.submissions > 1 ? `（第 ${fb.submissions} 次）` : "");
      if (!$("#tab-feedback").hidden) loadFeedback(true);
    } catch (err) {
      stateBox.className = "fb-state err";
      stateBox.textContent = `提交失败：${err.message}`;
    } finally {
      select.disabled = false;
      select.value = "";
    }
  };
  select.addEventListener("change", () => { if (select.value) submit(select.value); });
  const confirm = el("button", { class: "secondary confirm", type: "button",
    onclick: () => submit(result.label) }, "判定正确");
  return el("div", { class: "correct" }, confirm, select, note, stateBox);
}

function analystName() {
  const value = $("#analyst").value.trim();
  localStorage.setItem("fanzha-analyst", value);
  return value || undefined;
}

// Uploads are parsed here, in the browser: .txt (a message per line), .jsonl / .json
// (objects with text, and optionally id and sender) and .csv (a "text" column, else the first).
function parseCsv(text) {
  const rows = [];
  let row = [], field = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(field); field = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field); rows.push(row); row = []; field = "";
    } else field += c;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  return rows.filter((r) => r.some((v) => v.trim()));
}

function parseUpload(name, content, sender) {
  const lower = name.toLowerCase();
  let items = [];
  if (lower.endsWith(".jsonl")) {
    items = content.split(/\r?\n/).filter((l) => l.trim()).map((l) => JSON.parse(l));
  } else if (lower.endsWith(".json")) {
    const data = JSON.parse(content);
    items = Array.isArray(data) ? data : data.messages || [];
  } else if (lower.endsWith(".csv")) {
    const [header, ...rows] = parseCsv(content);
    const col = (n) => header.indexOf(n);
    const t = col("text") >= 0 ? col("text") : 0;
    items = rows.map((r) => ({ text: r[t], id: col("id") >= 0 ? r[col("id")] : undefined,
      sender: col("sender") >= 0 ? r[col("sender")] : undefined }));
  } else {
    return linesToMessages(content, sender);
  }
  return items.map((it, i) => (typeof it === "string" ? { text: it } : it))
    .filter((it) => it && typeof it.text === "string" && it.text.trim())
    .map((it, i) => ({ id: String(it.id ?? `f${i + 1}`), text: it.text,
      sender: it.sender ? String(it.sender) : sender || undefined }));
}

// --- feedback list -----------------------------------------------------------------------
async function loadFeedback(reset = false) {
  if (reset) state.feedbackOffset = 0;
  const label = $("#feedback-filter").value;
  const query = new URLSearchParams({ limit: "50", offset: String(state.feedbackOffset) });
  if (label) query.set("label", label);
  const body = document.querySelector("#feedback-table tbody");
  try {
    const data = await api(`/v1/feedback?${query}`);
    if (reset) body.replaceChildren();
    for (const fb of data.items) body.append(feedbackRow(fb));
    state.feedbackOffset += data.items.length;
    $("#feedback-total").textContent = `共 ${data.total} 条` +
      Object.entries(data.label_counts).map(([k, v]) => `，${labelZh(k)} ${v}`).join("");
    $("#feedback-more").hidden = state.feedbackOffset >= data.total;
  } catch (err) {
    toast(`读取反馈失败：${err.message}`, true);
  }
}

function feedbackRow(fb) {
  const remove = el("button", { class: "secondary", type: "button", onclick: async () => {
    if (!window.confirm("删除这条反馈？")) return;
    try { await api(`/v1/feedback/${fb.id}`, { method: "DELETE" }); loadFeedback(true); }
    catch (err) { toast(`删除失败：${err.message}`, true); }
  } }, "删除");
  return el("tr", { "data-id": fb.id },
    el("td", {}, when(fb.updated_at)),
    el("td", { class: "msg" }, fb.text),
    el("td", {}, fb.label_zh, fb.disputed ? el("div", { class: "disputed" }, "有分歧") : null),
    el("td", {}, fb.served_label ? `${labelZh(fb.served_label)} / ${SUGGESTION_ZH[fb.served_suggestion] || ""}` : "–"),
    el("td", {}, fb.analyst || "–"),
    el("td", {}, fb.submissions),
    el("td", {}, fb.note || ""),
    el("td", {}, remove));
}

// --- rules -------------------------------------------------------------------------------
function ruleCondition(r) {
  const parts = [];
  if (r.senders) parts.push(`号码 ${r.senders.join("、")}`);
  if (r.keywords) parts.push(`${r.match === "all" ? "全部" : "任一"}关键词 ${r.keywords.join("、")}`);
  if (r.pattern) parts.push(`正则 ${r.pattern}`);
  return parts.join("；");
}

function ruleAction(r) {
  if (r.kind === "sender_allow") return "放行（诈骗标签改为正常）";
  const parts = [];
  if (r.label) parts.push(`标签 ${labelZh(r.label)}`);
  const suggestion = r.kind === "sender_block" ? "block" : r.suggestion;
  if (suggestion) parts.push(`建议 ${SUGGESTION_ZH[suggestion]}`);
  return parts.join("，");
}

async function loadRules() {
  try {
    renderRules(await api("/v1/rules"));
  } catch (err) {
    toast(`读取规则失败：${err.message}`, true);
  }
}

function renderRules(view) {
  const s = view.status;
  $("#rules-status").textContent = `共 ${s.rules} 条（文件 ${s.file_rules}，数据库 ${s.database_rules}）` +
    (s.file ? `；规则文件 ${s.file}` : "；未配置规则文件") +
    (s.loaded_at ? `；加载于 ${new Date(s.loaded_at * 1000).toLocaleTimeString("zh-CN", { hour12: false })}` : "");
  const box = $("#rules-error");
  box.hidden = !s.error;
  box.textContent = s.error ? `上次加载失败，仍使用之前的规则：\n${s.error}` : "";
  const body = document.querySelector("#rules-table tbody");
  body.replaceChildren(...view.rules.map((r) => el("tr", { class: r.enabled === false ? "muted" : "" },
    el("td", {}, r.id, r.enabled === false ? "（停用）" : ""),
    el("td", {}, SOURCE_ZH[r.source] || r.source),
    el("td", {}, RULE_KIND_ZH[r.kind] || r.kind),
    el("td", { class: "msg" }, ruleCondition(r)),
    el("td", {}, ruleAction(r)),
    el("td", {}, r.priority ?? 0),
    el("td", {}, r.reason),
    el("td", {}, r.source === "database" ? el("button", { class: "secondary", type: "button",
      onclick: () => deleteRule(r.id) }, "删除") : ""))));
}

async function deleteRule(id) {
  if (!window.confirm(`删除规则 ${id}？`)) return;
  try { await api(`/v1/rules/${encodeURIComponent(id)}`, { method: "DELETE" }); loadRules(); loadStatus(); }
  catch (err) { toast(`删除失败：${err.message}`, true); }
}

function splitList(value) {
  return value.split(/[\n,，、]+/).map((v) => v.trim()).filter(Boolean);
}

async function saveRule(event) {
  event.preventDefault();
  const form = event.target;
  const f = Object.fromEntries(new FormData(form).entries());
  const rule = { kind: f.kind, reason: f.reason.trim(), priority: Number(f.priority || 0) };
  const senders = splitList(f.senders);
  if (senders.length) rule.senders = senders;
  if (f.kind === "keyword") rule.keywords = splitList(f.keywords);
  if (f.kind === "regex") rule.pattern = f.pattern;
  if (f.label) rule.label = f.label;
  if (f.suggestion && f.kind !== "sender_allow" && f.kind !== "sender_block") rule.suggestion = f.suggestion;
  const msg = $("#rule-form-msg");
  const author = analystName();
  const query = author ? `?author=${encodeURIComponent(author)}` : "";
  try {
    const body = await api(`/v1/rules/${encodeURIComponent(f.id.trim())}${query}`,
      { method: "PUT", json: rule });
    msg.className = "muted";
    msg.textContent = body.outcome === "created" ? "已新增，立即生效" : "已修改，立即生效";
    loadRules(); loadStatus();
  } catch (err) {
    msg.className = "error";
    msg.textContent = `未保存：${err.message}`;
  }
}

// --- model -------------------------------------------------------------------------------
async function loadModel() {
  const box = $("#model-card");
  try {
    const [info, card] = await Promise.all([api("/v1/model"), api("/v1/model/card")]);
    const rows = [];
    for (const [name, result] of Object.entries(card.evaluation || {})) {
      const m = result.model || result;
      const detect = Object.entries(m.scam_detection || {})
        .map(([rule, v]) => `${rule}: 召回 ${v.scam_recall.toFixed(3)} / 误报 ${v.false_positive_rate.toFixed(3)}`);
      rows.push(el("tr", {}, el("td", {}, name), el("td", {}, m.n), el("td", {}, m.accuracy.toFixed(4)),
        el("td", {}, m.macro_f1.toFixed(4)), el("td", {}, m.ece.toFixed(4)), el("td", {}, detect.join("；"))));
    }
    box.replaceChildren(
      el("p", {}, "版本 ", el("b", {}, info.version), `；创建于 ${card.created || "–"}；阈值 复核 ≥ ${info.thresholds.review}，拦截 ≥ ${info.thresholds.block}；最长 ${info.max_length} 字`),
      el("p", {}, "标签：", info.labels.map((l) => l.zh).join("、")),
      el("table", {}, el("thead", {}, el("tr", {}, ["数据集", "条数", "准确率", "宏 F1", "ECE", "诈骗识别（召回/误报率）"].map((h) => el("th", {}, h)))),
        el("tbody", {}, rows)));
  } catch (err) {
    box.textContent = `读取模型信息失败：${err.message}`;
  }
  try {
    $("#report").srcdoc = await api("/v1/model/report");
  } catch (err) {
    $("#report").srcdoc = `<p style="font-family:sans-serif">没有评估报告（${err.message.replace(/[<&]/g, "")}）</p>`;
  }
}

// --- live metrics from /metrics ----------------------------------------------------------
function parseMetrics(text) {
  const samples = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+([^\s]+)/);
    if (!m) continue;
    const labels = {};
    for (const pair of (m[2] || "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

const live = { points: [], last: null };

async function pollMetrics() {
  try {
    const response = await fetch("/metrics");
    const samples = parseMetrics(await response.text());
    const total = samples.filter((s) => s.name === "fanzha_messages_total").reduce((a, s) => a + s.value, 0);
    const now = performance.now();
    if (live.last) {
      const rate = Math.max(0, (total - live.last.total) / ((now - live.last.at) / 1000));
      live.points.push(rate);
      if (live.points.length > 90) live.points.shift();
      $("#rate-now").textContent = rate.toFixed(1);
    }
    live.last = { total, at: now };
    $("#total-messages").textContent = String(total);
    const byLabel = {}, bySuggestion = {}, byRule = {};
    for (const s of samples) {
      if (s.name === "fanzha_predictions_total") {
        byLabel[s.labels.label] = (byLabel[s.labels.label] || 0) + s.value;
        bySuggestion[s.labels.suggestion] = (bySuggestion[s.labels.suggestion] || 0) + s.value;
      } else if (s.name === "fanzha_rule_hits_total") {
        byRule[s.labels.rule] = (byRule[s.labels.rule] || 0) + s.value;
      }
    }
    drawRate();
    drawDist($("#label-dist"), byLabel, labelZh, (k) => state.scam[k]);
    drawDist($("#suggestion-dist"), bySuggestion, (k) => SUGGESTION_ZH[k] || k, (k) => k === "block");
    drawDist($("#rule-hits"), byRule, (k) => k, () => false);
  } catch (err) {
    $("#rate-now").textContent = "–";
  }
}

function drawDist(box, counts, name, isScam) {
  const entries = Object.entries(counts).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
  const total = entries.reduce((a, [, v]) => a + v, 0);
  if (!entries.length) { box.replaceChildren(el("p", { class: "muted" }, "暂无数据")); return; }
  box.replaceChildren(...entries.map(([k, v]) => el("div", { class: `dist-row${isScam(k) ? " scam" : ""}` },
    el("span", {}, name(k)),
    el("span", { class: "bar" }, el("i", { style: `width:${(100 * v) / total}%` })),
    el("span", {}, `${v}（${pct(v / total)}）`))));
}

function drawRate() {
  const canvas = $("#rate-chart");
  if (canvas.clientWidth && canvas.width !== canvas.clientWidth) canvas.width = canvas.clientWidth;
  const ctx = canvas.getContext("2d");
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  ctx.strokeStyle = "#d9dee3";
  ctx.strokeRect(0.5, 0.5, width - 1, height - 1);
  const points = live.points;
  if (points.length < 2) return;
  const top = Math.max(1, ...points);
  ctx.strokeStyle = "#1f5fa8";
  ctx.lineWidth = 2;
  ctx.beginPath();
  points.forEach((p, i) => {
    const x = (i / 89) * (width - 10) + 5;
    const y = height - 8 - (p / top) * (height - 24);
    if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
  });
  ctx.stroke();
  ctx.fillStyle = "#66717c";
  ctx.font = "12px sans-serif";
  ctx.fillText(`峰值 ${top.toFixed(1)} 条/秒`, 8, 14);
}

// --- wiring ------------------------------------------------------------------------------
function showTab(name) {
  for (const button of document.querySelectorAll("#tabs button")) {
    button.classList.toggle("active", button.dataset.tab === name);
  }
  for (const section of document.querySelectorAll("main > section")) {
    section.hidden = section.id !== `tab-${name}`;
  }
  if (name === "feedback") loadFeedback(true);
  if (name === "rules") loadRules();
  if (name === "model") loadModel();
}

function init() {
  $("#analyst").value = localStorage.getItem("fanzha-analyst") || "";
  $("#api-key").value = sessionStorage.getItem("fanzha-key") || "";
  if ($("#api-key").value) $("#key-box").hidden = false;
  $("#api-key").addEventListener("change", (e) => {
    sessionStorage.setItem("fanzha-key", e.target.value.trim());
    loadStatus();
  });
  for (const button of document.querySelectorAll("#tabs button")) {
    button.addEventListener("click", () => showTab(button.dataset.tab));
  }
  $("#classify-form").addEventListener("submit", (e) => {
    e.preventDefault();
    classify(linesToMessages($("#messages").value, $("#sender").value.trim()));
  });
  $("#upload").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    try {
      const messages = parseUpload(file.name, await file.text(), $("#sender").value.trim());
      $("#messages").value = messages.slice(0, 50).map((m) => m.text.replace(/\s*\n\s*/g, " ")).join("\n");
      await classify(messages);
    } catch (err) {
      toast(`无法读取文件：${err.message}`, true);
    } finally {
      e.target.value = "";
    }
  });
  $("#feedback-filter").addEventListener("change", () => loadFeedback(true));
  $("#feedback-refresh").addEventListener("click", () => loadFeedback(true));
  $("#feedback-more").addEventListener("click", () => loadFeedback(false));
  $("#rules-reload").addEventListener("click", async () => {
    try { renderRules(await api("/v1/rules/reload", { method: "POST" })); toast("规则已重新加载"); }
    catch (err) { toast(`重新加载失败，仍使用之前的规则：${err.message}`, true); loadRules(); }
    loadStatus();
  });
  $("#rule-form").addEventListener("submit", saveRule);
  loadStatus();
  pollMetrics();
  setInterval(loadStatus, 10000);
  setInterval(() => { if (!document.hidden) pollMetrics(); }, 2000);
}

document.addEventListener("DOMContentLoaded", init);
