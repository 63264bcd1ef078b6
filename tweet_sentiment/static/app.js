// The page of the scoring API: no framework, no build step, no CDN. It only calls the same-origin
// API (/api/model, /api/predict, /api/feedback, /api/buzz) and draws the buzz timeline as SVG.
"use strict";

const $ = (selector, root = document) => root.querySelector(selector);
let labels = [];

async function callApi(path, body) {
  const response = await fetch(path, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await response.json(); } catch { /* not JSON: reported below */ }
  if (!response.ok) {
    throw new Error((data && data.message) || `HTTP ${response.status}`);
  }
  return data;
}

async function loadModelInfo() {
  try {
    const card = await callApi("/api/model");
    labels = card.labels;
    const f1 = card.metrics && (card.metrics.macro_f1 ?? card.metrics.test_macro_f1);
    $("#model-info").textContent = `model ${card.model_version}` +
      (typeof f1 === "number" ? ` · macro-F1 ${f1.toFixed(3)}` : "") + ` · labels: ${labels.join(", ")}`;
  } catch (error) {
    $("#model-info").textContent = `model unavailable: ${error.message}`;
  }
}

function tokenColour(contribution) {
  // Amber: the word pushed towards the predicted label; blue: away from it. Opacity: strength.
  const alpha = Math.min(1, Math.abs(contribution) / 2).toFixed(2);  // log-odds
  return contribution >= 0 ? `rgba(255, 196, 0, ${alpha})` : `rgba(120, 160, 255, ${alpha})`;
}

function renderTweet(node, prediction) {
  $(".original", node).textContent = prediction.text;
  const tweet = $(".tweet", node);
  if (!prediction.explanation || prediction.explanation.length === 0) {
    tweet.remove();
    return;
  }
  for (const { token, contribution } of prediction.explanation) {
    const span = document.createElement("span");
    span.className = "token";
    span.textContent = token;
    span.title = `${contribution >= 0 ? "+" : ""}${contribution.toFixed(2)} log-odds towards ${prediction.label}`;
    span.style.background = tokenColour(contribution);
    tweet.appendChild(span);
  }
}

function renderScores(node, prediction) {
  const scores = $(".scores", node);
  for (const [label, probability] of Object.entries(prediction.scores)) {
    const name = document.createElement("span");
    name.textContent = label;
    const bar = document.createElement("div");
    bar.className = "bar";
    const fill = document.createElement("span");
    fill.style.width = `${(probability * 100).toFixed(1)}%`;
    bar.appendChild(fill);
    const value = document.createElement("span");
    value.textContent = `${(probability * 100).toFixed(1)}%`;
    scores.append(name, bar, value);
  }
}

async function sendFeedback(node, prediction, isCorrect, correctLabel) {
  const status = $(".feedback-status", node);
  status.className = "feedback-status";
  status.textContent = "saving…";
  for (const button of node.querySelectorAll(".feedback button")) button.disabled = true;
  // One idempotency key per prediction: clicking again after an error resends the same
  // feedback, which the server then stores once (another verdict is another feedback).
  node.dataset.idempotencyKey ||= globalThis.crypto?.randomUUID?.() ?? "";
  try {
    const saved = await callApi("/api/feedback", {
      text: prediction.text,
      predicted_label: prediction.label,
      is_correct: isCorrect,
      correct_label: correctLabel,
      prediction_id: prediction.prediction_id,
      model_version: prediction.model_version,
      idempotency_key: node.dataset.idempotencyKey || undefined,
    });
    status.textContent = `thanks, feedback saved (${saved.feedback_id})`;
    node.dataset.feedbackId = saved.feedback_id;
  } catch (error) {
    status.className = "feedback-status error";
    status.textContent = `not saved: ${error.message}`;
    for (const button of node.querySelectorAll(".feedback button")) button.disabled = false;
  }
}

function renderFeedback(node, prediction) {
  $(".right", node).addEventListener("click", () =>
    sendFeedback(node, prediction, true, prediction.label));
  $(".wrong", node).addEventListener("click", () => {
    const choices = $(".choices", node);
    choices.hidden = false;
    if (choices.querySelector("button")) return;
    for (const label of labels.filter((l) => l !== prediction.label)) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "correct-label";
      button.dataset.label = label;
      button.textContent = label;
      button.addEventListener("click", () => sendFeedback(node, prediction, false, label));
      choices.appendChild(button);
    }
  });
}

function render(predictions) {
  const list = $("#results");
  list.replaceChildren();
  for (const prediction of predictions) {
    const node = $("#result-template").content.firstElementChild.cloneNode(true);
    node.dataset.predictionId = prediction.prediction_id;
    renderTweet(node, prediction);
    const label = $(".label", node);
    label.textContent = prediction.label;
    label.classList.add(prediction.label);
    $(".confidence", node).textContent =
      `${(prediction.scores[prediction.label] * 100).toFixed(1)}% · model ${prediction.model_version}`;
    if (prediction.reliable === false) {
      // The model reads English only: say so rather than let the label look trustworthy.
      const note = $(".language-note", node);
      note.textContent = `Language: ${prediction.language}. The model reads English only: ` +
        "this label is not reliable, and the bad-buzz counts leave this tweet out.";
      note.hidden = false;
    }
    renderScores(node, prediction);
    renderFeedback(node, prediction);
    list.appendChild(node);
  }
}

$("#score-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const texts = $("#tweets").value.split("\n").map((t) => t.trim()).filter((t) => t);
  const status = $("#status");
  status.className = "";
  if (texts.length === 0) {
    status.textContent = "type at least one tweet";
    return;
  }
  status.textContent = "scoring…";
  try {
    const explain = $("#explain").checked && texts.length <= 100;
    const result = await callApi(`/api/predict?explain=${explain}`, { texts });
    if (labels.length === 0) labels = result.labels;
    render(result.predictions);
    status.textContent = `${result.predictions.length} tweet(s) scored by ${result.model_version}`;
  } catch (error) {
    status.className = "error";
    status.textContent = error.message;
  }
});

// ---- bad buzz: upload a CSV, draw the detector's timeline, list its alerts ----------------------

const SVG = "http://www.w3.org/2000/svg";

function svgElement(name, attributes, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (parent) parent.appendChild(node);
  return node;
}

function drawTimeline(windows) {
  // Two panels over the same time axis: tweets per window (bars) with the expected volume
  // (dashed), and the negative share (red) over its expected band (grey: from the baseline's
  // share to the share that would start an alert). Alert windows are shaded across both.
  const width = 800, volumeHeight = 110, shareHeight = 130, left = 40, gap = 18;
  const chart = svgElement("svg", { viewBox: `0 0 ${width} ${volumeHeight + shareHeight + gap + 24}`,
    role: "img" });
  const n = windows.length, step = (width - left) / Math.max(n, 1);
  const x = (i) => left + i * step;
  const maxVolume = Math.max(1, ...windows.map((w) => Math.max(w.scored, w.expected_scored)));
  const yVolume = (v) => volumeHeight - (v / maxVolume) * (volumeHeight - 10);
  const shareTop = volumeHeight + gap;
  const yShare = (s) => shareTop + shareHeight - s * shareHeight;
  windows.forEach((w, i) => {
    if (w.alert) svgElement("rect", { class: "alert-span", x: x(i), y: 0, width: step,
      height: shareTop + shareHeight, "data-start": w.start }, chart);
  });
  const band = [];
  windows.forEach((w, i) => band.push(`${x(i) + step / 2},${yShare(w.threshold_share ?? w.expected_share)}`));
  for (let i = n - 1; i >= 0; i--) band.push(`${x(i) + step / 2},${yShare(windows[i].expected_share)}`);
  svgElement("polygon", { class: "band", points: band.join(" ") }, chart);
  windows.forEach((w, i) => {
    svgElement("rect", { class: "volume", x: x(i), y: yVolume(w.scored),
      width: Math.max(step - 0.5, 0.5), height: volumeHeight - yVolume(w.scored) }, chart);
  });
  const expected = windows.map((w, i) => `${x(i) + step / 2},${yVolume(w.expected_scored)}`);
  svgElement("polyline", { class: "expected", points: expected.join(" ") }, chart);
  const share = windows.filter((w) => w.negative_share !== null)
    .map((w) => `${x(windows.indexOf(w)) + step / 2},${yShare(w.negative_share)}`);
  svgElement("polyline", { class: "share", points: share.join(" ") }, chart);
  svgElement("line", { class: "axis", x1: left, y1: volumeHeight, x2: width, y2: volumeHeight }, chart);
  svgElement("line", { class: "axis", x1: left, y1: shareTop + shareHeight, x2: width,
    y2: shareTop + shareHeight }, chart);
  const label = (text, y) => { svgElement("text", { x: 0, y }, chart).textContent = text; };
  label(`${maxVolume}`, 12);
  label("tweets", volumeHeight - 2);
  label("100%", shareTop + 10);
  label("neg.", shareTop + shareHeight - 2);
  const time = (w) => w.start.replace("T", " ").slice(0, 16);
  if (n) {
    svgElement("text", { x: left, y: shareTop + shareHeight + 16 }, chart).textContent = time(windows[0]);
    svgElement("text", { x: width, y: shareTop + shareHeight + 16, "text-anchor": "end" }, chart)
      .textContent = time(windows[n - 1]);
  }
  $("#buzz-chart").replaceChildren(chart);
}

function listAlerts(alerts) {
  const list = $("#buzz-alerts");
  list.replaceChildren();
  for (const alert of alerts) {
    const item = document.createElement("li");
    item.className = "buzz-alert";
    const title = document.createElement("p");
    title.innerHTML = "<strong></strong> <span class=\"muted\"></span>";
    title.querySelector("strong").textContent =
      `${alert.start.replace("T", " ").slice(0, 16)} to ${alert.end.replace("T", " ").slice(11, 16)} UTC`;
    title.querySelector("span").textContent =
      `${alert.negative} negative tweets in ${alert.windows} window(s), peak surprise ${alert.peak_surprise.toFixed(1)}`;
    const themes = document.createElement("p");
    themes.className = "themes";
    themes.append("About: ");
    for (const theme of alert.themes) {
      const chip = document.createElement("span");
      chip.textContent = theme.term;
      chip.title = `z ${theme.z}, in ${theme.alert_count} of the alert's negative tweets`;
      themes.appendChild(chip);
    }
    item.append(title, themes);
    for (const example of alert.examples) {
      const quote = document.createElement("blockquote");
      quote.textContent = example;
      item.appendChild(quote);
    }
    list.appendChild(item);
  }
}

$("#buzz-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("#buzz-status");
  const file = $("#buzz-file").files[0];
  status.className = "";
  if (!file) {
    status.textContent = "choose a CSV file first";
    return;
  }
  status.textContent = `scoring ${file.name}…`;
  try {
    const response = await fetch("/api/buzz", { method: "POST",
      headers: { "Content-Type": "text/csv" }, body: await file.text() });
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new Error((data && data.message) || `HTTP ${response.status}`);
    drawTimeline(data.windows);
    listAlerts(data.alerts);
    status.textContent = `${data.scored} tweets in ${data.windows.length} windows scored by ` +
      `${data.model_version}: ${data.alerts.length} alert(s)`;
  } catch (error) {
    status.className = "error";
    status.textContent = error.message;
  }
});

loadModelInfo();
