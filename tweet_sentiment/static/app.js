// The page of the scoring API: no framework, no build step, no CDN. It only calls the same-origin
// JSON API (/api/model, /api/predict, /api/feedback).
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

loadModelInfo();
