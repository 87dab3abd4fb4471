// agentassist hint panel: talks DESIGN.md's live protocol to /v1/live.
// Every text from the server or a transcript goes into the page with textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const CHAT_PACE_MS = 1500;   // default pace per turn when a transcript has no times (chat, e-mail)
const MAX_GAP_MS = 10000;    // long silences are cut short in the demo
const SHOWN_CONFIDENCE = 0.5;

const panel = {
  socket: null,
  timers: [],
  pending: new Map(),   // client id -> turn element awaiting its analysis
  hints: 0,
  demoTurns: 0,
  demoAnalysed: 0,
  manualCount: 0,
  ending: false,
};

function setStatus(text, kind) {
  const status = $("status");
  status.textContent = text;
  status.className = "status " + (kind || "idle");
}

function words(name) { return String(name).replace(/_/g, " "); }

function liveUrl() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/v1/live`;
}

function connect(start) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(liveUrl());
    panel.socket = socket;
    panel.ending = false;
    socket.onopen = () => {
      setStatus("live", "open");
      if (start) socket.send(JSON.stringify(start));
      $("stop").disabled = false;
      resolve(socket);
    };
    socket.onerror = () => { setStatus("connection failed", "error"); reject(new Error("ws")); };
    socket.onclose = (event) => {
      if (panel.socket === socket) panel.socket = null;
      const why = event.code === 1000 ? "session ended" : `closed (${event.code})`;
      setStatus(why, event.code === 1000 ? "idle" : "error");
      $("stop").disabled = true;
      $("play").disabled = false;
    };
    socket.onmessage = (event) => receive(JSON.parse(event.data));
  });
}

function receive(message) {
  if (message.type === "analysis") return showAnalysis(message);
  if (message.type === "scorecard") return showScorecard(message);
  if (message.type === "error") return setStatus("error: " + message.detail, "error");
}

function addTurn(id, speaker, text) {
  const node = $("turn-template").content.firstElementChild.cloneNode(true);
  node.classList.add(speaker, "pending");
  node.querySelector(".speaker").textContent = speaker;
  node.querySelector(".text").textContent = text;
  node.dataset.id = String(id);
  $("turns").appendChild(node);
  node.scrollIntoView({ block: "end" });
  panel.pending.set(String(id), node);
  return node;
}

function showAnalysis(message) {
  const node = panel.pending.get(String(message.id));
  panel.pending.delete(String(message.id));
  if (node) {
    node.classList.remove("pending");
    node.querySelector(".index").textContent = `turn ${message.turn}`;
    const chips = node.querySelector(".chips");
    for (const [name, confidence] of Object.entries(message.behaviours)) {
      if (name === "question" || confidence < SHOWN_CONFIDENCE) continue;
      const chip = document.createElement("span");
      chip.className = "chip";
      chip.textContent = `${words(name)} ${confidence.toFixed(2)}`;
      chips.appendChild(chip);
    }
    if (message.hints.length) node.classList.add("flagged");
  }
  for (const hint of message.hints) showHint(hint, message.turn);
  if (panel.demoTurns && ++panel.demoAnalysed === panel.demoTurns) endSession();
}

function showHint(hint, turn) {
  const node = $("hint-template").content.firstElementChild.cloneNode(true);
  node.classList.add("p" + hint.priority, "kind-" + hint.kind);
  node.dataset.criterion = hint.criterion;
  node.querySelector(".criterion").textContent = words(hint.criterion);
  node.querySelector(".where").textContent = `after turn ${turn} · ${words(hint.kind)}`;
  node.querySelector(".hint-text").textContent = hint.text;
  $("hint-list").prepend(node);
  panel.hints += 1;
  $("hint-count").textContent = `${panel.hints} hint${panel.hints === 1 ? "" : "s"}`;
}

function showScorecard(scorecard) {
  $("scorecard").hidden = false;
  $("overall").textContent = Number(scorecard.overall).toFixed(2);
  const list = $("criteria");
  list.replaceChildren();
  for (const criterion of scorecard.criteria) {
    const item = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = words(criterion.id);
    const status = document.createElement("span");
    status.textContent = criterion.status;
    status.className = criterion.status === "n/a" ? "na" : criterion.status;
    item.append(name, status);
    list.appendChild(item);
  }
}

function resetView() {
  $("turns").replaceChildren();
  $("hint-list").replaceChildren();
  $("scorecard").hidden = true;
  panel.pending.clear();
  panel.hints = 0;
  panel.demoTurns = 0;
  panel.demoAnalysed = 0;
  $("hint-count").textContent = "none yet";
}

function stop() {
  for (const timer of panel.timers) clearTimeout(timer);
  panel.timers = [];
  if (panel.socket) panel.socket.close(1000);
  $("play").disabled = false;
}

function endSession() {
  if (panel.socket && panel.socket.readyState === WebSocket.OPEN && !panel.ending) {
    panel.ending = true;
    panel.socket.send(JSON.stringify({ type: "end" }));
  }
}

async function loadExamples() {
  const select = $("example");
  const response = await fetch("/v1/examples");
  const files = response.ok ? await response.json() : [];
  for (const file of files) {
    file.transcripts.forEach((t, index) => {
      const option = document.createElement("option");
      option.value = `${file.name}|${index}`;
      option.textContent = `${file.name} · ${t.id} (${t.channel}, ${t.turns} turns)`;
      select.appendChild(option);
    });
  }
  if (!select.options.length) {
    const option = document.createElement("option");
    option.textContent = "no examples on this server";
    select.appendChild(option);
    $("play").disabled = true;
  }
}

async function playDemo() {
  stop();
  resetView();
  const [name, index] = $("example").value.split("|");
  const speed = Number($("speed").value) || 1;
  const response = await fetch(`/v1/examples/${encodeURIComponent(name)}`);
  if (!response.ok) return setStatus("example not found", "error");
  const transcript = (await response.json()).transcripts[Number(index) || 0];
  const turns = transcript.turns.filter((t) => t.speaker !== "system");
  $("play").disabled = true;
  $("phase-note").textContent = `demo: ${transcript.id} at ${speed}×`;
  await connect({ type: "start", transcript_id: transcript.id, channel: transcript.channel,
                  language: transcript.language, metadata: transcript.metadata });
  panel.demoTurns = turns.length;
  let at = 0;
  turns.forEach((turn, i) => {
    if (i > 0) {
      const previous = turns[i - 1];
      const gap = turn.start != null && previous.start != null
        ? Math.max(0, (turn.start - previous.start) * 1000) : CHAT_PACE_MS;
      at += Math.min(gap, MAX_GAP_MS) / speed;
    }
    panel.timers.push(setTimeout(() => sendTurn(`demo-${i}`, turn.speaker, turn.text), at));
  });
  if (!turns.length) endSession();
}

function sendTurn(id, speaker, text) {
  if (!panel.socket || panel.socket.readyState !== WebSocket.OPEN) return;
  addTurn(id, speaker, text);
  panel.socket.send(JSON.stringify({ type: "turn", id, speaker, text }));
}

async function sendManual(event) {
  event.preventDefault();
  const input = $("manual-text");
  const text = input.value.trim();
  if (!text) return;
  if (!panel.socket || panel.socket.readyState !== WebSocket.OPEN) {
    resetView();
    await connect({ type: "start", transcript_id: `panel-${Date.now()}` });
  }
  panel.manualCount += 1;
  sendTurn(`manual-${panel.manualCount}`, $("manual-speaker").value, text);
  input.value = "";
}

function init() {
  $("play").addEventListener("click", playDemo);
  $("stop").addEventListener("click", stop);
  $("end").addEventListener("click", endSession);
  $("manual").addEventListener("submit", sendManual);
  const params = new URLSearchParams(location.search);
  if (params.get("speed")) {
    const option = document.createElement("option");
    option.value = params.get("speed");
    option.textContent = `${params.get("speed")}×`;
    $("speed").appendChild(option);
    $("speed").value = params.get("speed");
  }
  loadExamples().then(() => {
    const wanted = params.get("example");
    if (wanted) {
      const match = [...$("example").options].find((o) => o.value.startsWith(wanted + "|"));
      if (match) $("example").value = match.value;
    }
    if (params.get("autoplay")) playDemo();
  });
}

document.addEventListener("DOMContentLoaded", init);
