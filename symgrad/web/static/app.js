// symgrad's page: reads the inputs, asks this server's JSON API, renders the answers with KaTeX.
// No request goes anywhere but this origin (the server's Content-Security-Policy enforces it).
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const form = $("form");
  const inputs = { function: $("function"), answer: $("answer") };
  const previews = { function: $("function-preview"), answer: $("answer-preview") };
  const errors = { function: $("function-error"), answer: $("answer-error"), form: $("form-error") };
  const wrtPicker = $("wrt");
  const orderPicker = $("order");
  const button = $("go");
  const PREVIEW_DELAY_MS = 200;

  function notation() {
    return form.querySelector('input[name="input"]:checked').value;
  }

  async function api(kind, body, signal) {
    const response = await fetch("/api/" + kind, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal: signal,
    });
    let data;
    try {
      data = await response.json();
    } catch (problem) {
      data = { error: { message: "the server answered " + response.status + " without JSON" } };
    }
    return { ok: response.ok, status: response.status, data: data };
  }

  function renderMath(element, latex, display) {
    element.textContent = "";
    if (typeof katex === "undefined") {       // KaTeX not loaded yet: show the source meanwhile
      element.textContent = latex;
      return;
    }
    katex.render(latex, element, { throwOnError: false, displayMode: display !== false });
  }

  // The message's first line wraps; the quoted text and its caret line keep their columns
  // (no wrapping, scrolled sideways when long) so the caret stays under the spot.
  function showError(where, error) {
    const box = errors[where] || errors.form;
    const message = error.message || String(error);
    const cut = message.indexOf("\n");
    box.textContent = "";
    const header = document.createElement("span");
    header.className = "error-reason";
    header.textContent = cut < 0 ? message : message.slice(0, cut);
    box.append(header);
    if (cut >= 0) {
      const quoted = document.createElement("span");
      quoted.className = "error-quote";
      quoted.textContent = message.slice(cut + 1);
      box.append(quoted);
    }
    box.hidden = false;
  }

  function clearError(where) {
    errors[where].textContent = "";
    errors[where].hidden = true;
  }

  // An API error goes under the input it is about, else under the form.
  function placeError(error) {
    const field = error && error.field;
    showError(field === "function" || field === "answer" ? field : "form", error);
  }

  // -- the live preview: the typed text as symgrad reads it -------------------------------------
  const pending = { function: null, answer: null };
  const timers = { function: 0, answer: 0 };

  function schedulePreview(field) {
    clearTimeout(timers[field]);
    previews[field].classList.add("stale");
    timers[field] = setTimeout(() => preview(field), PREVIEW_DELAY_MS);
  }

  async function preview(field) {
    const text = inputs[field].value;
    if (pending[field]) pending[field].abort();
    if (!text.trim()) {
      previews[field].textContent = "";
      clearError(field);
      if (field === "function") setVariables([]);
      return;
    }
    if (notation() === "latex") renderMath(previews[field], text);  // KaTeX reads LaTeX itself
    const controller = new AbortController();
    pending[field] = controller;
    let reply;
    try {
      reply = await api("parse", { [field]: text, input: notation() }, controller.signal);
    } catch (problem) {
      if (problem.name !== "AbortError") showError(field, { message: "the server did not answer" });
      return;
    }
    if (controller.signal.aborted) return;
    previews[field].classList.remove("stale");
    if (!reply.ok) {
      placeError(reply.data.error);
      return;
    }
    clearError(field);
    const read = reply.data[field];
    renderMath(previews[field], (field === "answer" ? "" : "f = ") + read.latex);
    if (field === "function") setVariables(read.symbols);
  }

  function setVariables(names) {
    const chosen = wrtPicker.value;
    wrtPicker.textContent = "";
    if (names.length === 0) wrtPicker.append(new Option("(none)", ""));
    for (const name of names) wrtPicker.append(new Option(name, name));
    if (names.includes(chosen)) wrtPicker.value = chosen;
    else if (names.length >= 1) wrtPicker.value = names.includes("x") ? "x" : names[0];
  }

  // -- the results ----------------------------------------------------------------------------
  function order() {
    const value = parseInt(orderPicker.value, 10);
    return Number.isFinite(value) ? value : orderPicker.value;
  }

  function request(fields) {
    const body = { function: inputs.function.value, input: notation() };
    for (const name of fields) {
      if (name === "wrt" && wrtPicker.value) body.wrt = wrtPicker.value;
      if (name === "order") body.order = order();
      if (name === "answer" && inputs.answer.value.trim()) body.answer = inputs.answer.value;
    }
    return body;
  }

  function primes(n) {
    return n === 1 ? "'" : n === 2 ? "''" : n === 3 ? "'''" : "^{(" + n + ")}";
  }

  function showDerivative(reply) {
    const box = $("derivative");
    if (!reply.ok) {
      box.textContent = "";
      placeError(reply.data.error);
      return false;
    }
    const d = reply.data;
    const left = d.order === 1 ? "\\frac{d}{d" + d.wrt + "}" : "\\frac{d^{" + d.order + "}}{d" + d.wrt + "^{" + d.order + "}}";
    renderMath(box, "f" + primes(d.order) + " = " + left + "\\left[" + d.function.latex + "\\right] = " + d.latex);
    box.setAttribute("aria-label", "the derivative is " + d.derivative);
    return true;
  }

  function number(value) {
    if (typeof value === "number") return String(Number(value.toPrecision(10)));
    if (Array.isArray(value)) return "[" + value.map(number).join(", ") + "]";
    return value === null || value === undefined ? "-" : String(value);
  }

  function pointText(point) {
    return Object.keys(point).sort().map((name) => name + " = " + number(point[name])).join(", ");
  }

  function paragraph(className, text) {
    const p = document.createElement("p");
    if (className) p.className = className;
    p.textContent = text;
    return p;
  }

  function showVerdict(reply) {
    const box = $("verdict");
    box.textContent = "";
    $("verdict-card").hidden = false;
    if (!reply.ok) {
      placeError(reply.data.error);
      box.append(paragraph("note", "No verdict: " + (reply.data.error.reason || reply.data.error.message)));
      return;
    }
    const v = reply.data;
    box.className = "verdict";
    const status = document.createElement("span");
    status.className = "verdict-status " + v.status;
    status.id = "verdict-status";
    status.textContent = { correct: "Correct", wrong: "Wrong", inconclusive: "Inconclusive" }[v.status] || v.status;
    box.append(status);
    if (v.claim && v.claim.latex) {
      const claim = document.createElement("div");
      claim.className = "math-block";
      renderMath(claim, "\\text{your answer: }" + v.claim.latex);
      box.append(claim);
    }
    if (v.status === "correct") {
      box.append(paragraph("message", v.message));
      if (v.proved) box.append(paragraph("note", "SymPy proved the two equal; the check did not rely on sample points alone."));
    }
    if (v.counterexample) {
      const where = paragraph("counterexample", "");
      where.id = "counterexample";
      let text = "Counterexample: at " + pointText(v.counterexample);
      if (v.expected !== null && v.expected !== undefined) text += ", the derivative is " + number(v.expected);
      if (v.claimed !== null && v.claimed !== undefined) text += ", but your answer gives " + number(v.claimed);
      where.textContent = text + ".";
      box.append(where);
    }
    if (v.diagnosis) {
      const why = paragraph("diagnosis", "Likely mistake: " + v.diagnosis + ".");
      why.id = "diagnosis";
      box.append(why);
    } else if (v.status === "wrong") {
      box.append(paragraph("message", v.message));
    }
    if (v.status === "inconclusive") box.append(paragraph("note", "Why: " + (v.reason || v.message)));
  }

  function showSteps(reply) {
    const box = $("steps");
    box.textContent = "";
    if (!reply.ok) {
      box.append(paragraph("note", "No steps: " + (reply.data.error.reason || reply.data.error.message)));
      return;
    }
    const d = reply.data;
    if (order() !== 1) box.append(paragraph("note", "The steps of the first derivative:"));
    const list = document.createElement("ol");
    list.className = "steps";
    for (const step of d.steps) {
      const item = document.createElement("li");
      const rule = document.createElement("span");
      rule.className = "rule";
      rule.textContent = step.rule;
      const law = document.createElement("span");
      law.className = "law";
      law.textContent = "  " + step.law;
      const math = document.createElement("div");
      math.className = "math-block";
      const tail = step.formula === step.result ? "" : " = " + step.result;
      renderMath(math, "\\frac{d}{d" + d.wrt + "}\\left[" + step.subject + "\\right] = " + step.formula + tail);
      item.append(rule, law, math);
      list.append(item);
    }
    box.append(list);
    if (d.count > d.steps.length) {
      box.append(paragraph("note", (d.count - d.steps.length) + " more steps are not shown."));
    }
  }

  function showPlot(reply) {
    const image = $("plot");
    const caption = $("plot-caption");
    if (!reply.ok) {
      image.hidden = true;
      image.removeAttribute("src");
      caption.textContent = "No plot: " + (reply.data.error.reason || reply.data.error.message);
      return;
    }
    const d = reply.data;
    // As an image (a data: URL, no request): nothing in the SVG can run as script on the page.
    image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(d.svg);
    const curves = "f, its derivative" + (d.points.answer ? " and your answer" : "");
    image.alt = "Plot of " + curves + " for " + d.wrt + " from " + d.range[0] + " to " + d.range[1];
    image.hidden = false;
    caption.textContent = "Plot of " + curves + ", " + d.wrt + " from " + d.range[0] + " to " + d.range[1] + ".";
  }

  async function submit(event) {
    event.preventDefault();
    for (const where of Object.keys(errors)) clearError(where);
    if (!inputs.function.value.trim()) {
      showError("function", { message: "type a function first, such as x^2 sin x" });
      inputs.function.focus();
      return;
    }
    button.disabled = true;
    $("results").hidden = false;
    $("results").setAttribute("aria-busy", "true");
    const hasAnswer = inputs.answer.value.trim() !== "";
    $("verdict-card").hidden = !hasAnswer;
    try {
      const diff = api("diff", request(["wrt", "order"]));
      const verdict = hasAnswer ? api("verify", request(["wrt", "order", "answer"])) : null;
      const steps = api("steps", request(["wrt"]));
      const plot = api("plot", request(["wrt", "order", "answer"])).then((reply) =>
        !reply.ok && reply.data.error && reply.data.error.field === "answer"
          ? api("plot", request(["wrt", "order"])) : reply);
      showDerivative(await diff);
      if (verdict) showVerdict(await verdict);
      showSteps(await steps);
      showPlot(await plot);
    } catch (problem) {
      showError("form", { message: "the server did not answer: " + problem });
    } finally {
      button.disabled = false;
      $("results").removeAttribute("aria-busy");
    }
  }

  for (const field of ["function", "answer"]) {
    inputs[field].addEventListener("input", () => schedulePreview(field));
  }
  for (const radio of form.querySelectorAll('input[name="input"]')) {
    radio.addEventListener("change", () => { preview("function"); preview("answer"); });
  }
  form.addEventListener("submit", submit);
  window.addEventListener("load", () => {
    if (inputs.function.value) preview("function");
    if (inputs.answer.value) preview("answer");
  });
})();
