/* coding serve: keyboard shortcuts, text selection to character offsets, and the side
   panel of the codings in view. The pages work without it (every action is a plain
   form); this only adds keys, selection and focus. No network beyond this server. */
"use strict";
(() => {
  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];
  // The store counts offsets in Unicode code points; JavaScript strings count UTF-16 units.
  const codePoints = (text) => [...text].length;

  // -- every page --------------------------------------------------------------------
  const help = $("#help");
  const undoForm = $("#undo-form");
  $("#help-button")?.addEventListener("click", () => help.showModal());
  $$("form[data-autosubmit]").forEach((form) => form.addEventListener("change", () => form.submit()));

  // A decision posts, then the server redirects back: keep the reader where they were.
  const scrollKey = "coding-scroll:" + location.pathname;
  document.addEventListener("submit", (event) => {
    if (event.target.method !== "post") return;
    const panel = $("#panel");
    sessionStorage.setItem(scrollKey, JSON.stringify([window.scrollY, panel ? panel.scrollTop : 0]));
  }, true);
  const saved = sessionStorage.getItem(scrollKey);
  sessionStorage.removeItem(scrollKey);
  if (saved && !location.hash) {
    const [page, panelTop] = JSON.parse(saved);
    window.scrollTo(0, page);
    if ($("#panel")) $("#panel").scrollTop = panelTop;
  }

  const reader = $(".reader");
  if (!reader) {
    document.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey || event.target.closest("input, textarea, select")) return;
      if (event.key === "?") help.showModal();
      else if (event.key === "u" && undoForm && !$("button", undoForm).disabled) undoForm.requestSubmit();
    });
    return;
  }

  // -- the transcript page -------------------------------------------------------------
  const transcript = $("#transcript");
  const panel = $("#panel");
  const cards = $$(".card");
  const picker = $("#add-form");
  const keyed = new Map($$(".code-key").filter((b) => b.dataset.key).map((b) => [b.dataset.key, b.dataset.code]));
  let current = null;
  let pickerMode = null;    // "add" or "recode" while the code picker is open
  let pickedRange = null;   // the offsets of the selection the add picker was opened for

  /** The selection's [start, end) in the transcript's offsets, or null. Each line holds its
      own start offset (data-start); a boundary outside any line snaps to the nearest line. */
  function selectionOffsets() {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0);
    const lines = $$(".line", transcript).filter((line) => range.intersectsNode(line));
    if (!lines.length) return null;
    const first = lines[0];
    const last = lines[lines.length - 1];
    const start = first.contains(range.startContainer)
      ? offsetIn(first, range.startContainer, range.startOffset) : Number(first.dataset.start);
    const end = last.contains(range.endContainer)
      ? offsetIn(last, range.endContainer, range.endOffset) : Number(last.dataset.start) + codePoints(last.textContent);
    return end > start ? { start, end, rect: range.getBoundingClientRect() } : null;
  }

  function offsetIn(line, node, offset) {
    const before = document.createRange();
    before.setStart(line, 0);
    before.setEnd(node, offset);
    return Number(line.dataset.start) + codePoints(before.toString());
  }

  const marksOf = (card) => $$(`mark[data-ids~="${card.dataset.id}"]`, transcript);

  function inView(element) {
    const box = element.getBoundingClientRect();
    return box.top >= 60 && box.bottom <= window.innerHeight - 20;
  }

  function revealInPanel(card) {
    const top = card.offsetTop;
    const bottom = top + card.offsetHeight;
    if (top < panel.scrollTop + 8) panel.scrollTop = top - 8;
    else if (bottom > panel.scrollTop + panel.clientHeight - 8) panel.scrollTop = bottom - panel.clientHeight + 8;
  }

  function select(card, { scrollText = false } = {}) {
    if (current) {
      current.classList.remove("selected");
      marksOf(current).forEach((mark) => mark.classList.remove("current"));
    }
    current = card || null;
    if (!current) return;
    current.hidden = false;
    current.classList.add("selected");
    const marks = marksOf(current);
    marks.forEach((mark) => mark.classList.add("current"));
    const target = marks[0] || document.getElementById("L" + current.dataset.line);
    if (scrollText && target && !inView(target)) target.scrollIntoView({ block: "center" });
    revealInPanel(current);
  }

  // The side panel lists the codings of the turns in view (and the selected one).
  const visible = new Set();
  function showVisible() {
    let shown = 0;
    for (const card of cards) {
      const on = visible.has(card.dataset.turn) || card === current || card.dataset.turn === "-1";
      card.hidden = !on;
      shown += on ? 1 : 0;
    }
    $("#in-view").textContent = `${shown} of ${cards.length} codings in view`;
  }
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (entry.isIntersecting) visible.add(entry.target.dataset.turn);
      else visible.delete(entry.target.dataset.turn);
    }
    showVisible();
  }, { rootMargin: "-48px 0px 0px 0px" });
  $$(".turn", transcript).forEach((turn) => observer.observe(turn));

  // -- the code picker: add a code to the selection, or recode the selected coding --------
  function openPicker(mode, title, rect) {
    pickerMode = mode;
    $(".picker-title", picker).textContent = title;
    $(".note-input", picker).hidden = mode !== "add";
    $$(".code-choice", picker).forEach((button) => {
      button.disabled = mode === "recode" && button.dataset.code === current.dataset.code;
    });
    picker.hidden = false;
    const width = picker.offsetWidth;
    const height = picker.offsetHeight;
    picker.style.left = Math.max(8, Math.min(rect.left, window.innerWidth - width - 8)) + "px";
    const below = rect.bottom + height + 12 < window.innerHeight;
    const top = below ? rect.bottom + 8 : rect.top - height - 8;
    picker.style.top = Math.max(56, Math.min(top, window.innerHeight - height - 8)) + "px";
  }

  function closePicker() {
    picker.hidden = true;
    pickerMode = null;
  }

  function offerAdd() {
    const range = selectionOffsets();
    if (!range) {
      if (pickerMode === "add") closePicker();
      return;
    }
    pickedRange = range;
    openPicker("add", `Add a code to characters ${range.start}–${range.end}`, range.rect);
  }

  function add(code, range) {
    picker.elements.start.value = range.start;
    picker.elements.end.value = range.end;
    picker.elements.code.value = code;
    picker.requestSubmit();
  }

  function decide(decision) {
    const form = current && $("form.actions", current);
    if (!form) return;
    form.requestSubmit($(`button[value="${decision}"]`, form));
  }

  function recode(code) {
    const form = current && $("form.actions", current);
    if (!form || code === current.dataset.code) return;
    form.elements.new_code.value = code;
    form.requestSubmit($('button[value="recode"]', form));
  }

  function choose(code) {
    if (pickerMode === "recode") recode(code);
    else if (pickerMode === "add" && pickedRange) add(code, pickedRange);
    else {
      const range = selectionOffsets();
      if (range) add(code, range);
    }
  }

  function step(direction) {
    if (!cards.length) return;
    const index = current ? cards.indexOf(current) + direction : direction > 0 ? 0 : cards.length - 1;
    select(cards[Math.max(0, Math.min(cards.length - 1, index))], { scrollText: true });
  }

  transcript.addEventListener("mouseup", () => setTimeout(offerAdd, 0));
  transcript.addEventListener("keyup", (event) => { if (event.shiftKey) offerAdd(); });
  transcript.addEventListener("click", (event) => {
    const mark = event.target.closest("mark[data-ids]");
    if (!mark || !window.getSelection().isCollapsed) return;
    const ids = mark.dataset.ids.split(" ");
    const next = ids[(ids.indexOf(current?.dataset.id) + 1) % ids.length];
    select(document.getElementById("c" + next));
  });
  panel.addEventListener("click", (event) => {
    const card = event.target.closest(".card");
    if (card && card !== current && !event.target.closest("form, a")) select(card, { scrollText: true });
  });
  $$(".code-choice", picker).forEach((button) => button.addEventListener("click", () => choose(button.dataset.code)));
  $$(".code-key").forEach((button) => button.addEventListener("click", () => choose(button.dataset.code)));

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const field = event.target.closest("input, textarea, select");
    if (field) {
      if (event.key === "Escape" || (event.key === "Enter" && field.classList.contains("note-input"))) {
        event.preventDefault();  // Enter keeps the note for the next decision, as in the terminal
        field.blur();
      }
      return;
    }
    const key = event.key;
    if (keyed.has(key) && (pickerMode || selectionOffsets())) choose(keyed.get(key));
    else if (key === "j") step(1);
    else if (key === "k") step(-1);
    else if (key === "a") decide("accept");
    else if (key === "r") decide("reject");
    else if (key === "c" && current && $("form.actions", current)) {
      openPicker("recode", `Recode ${$(".chip", current).textContent} as`, current.getBoundingClientRect());
    } else if (key === "n" && current && $("form.actions", current)) {
      select(current);
      $(".note-input", current).focus();
    } else if (key === "u" && undoForm && !$("button", undoForm).disabled) undoForm.requestSubmit();
    else if (key === "?") help.showModal();
    else if (key === "Escape") {
      closePicker();
      window.getSelection().removeAllRanges();
    } else return;
    event.preventDefault();
  });

  // After a decision the page comes back at the next suggestion left for this coder.
  const at = reader.dataset.at;
  const pending = cards.filter((card) => card.classList.contains("pending"));
  let first;
  if (location.hash.startsWith("#L")) {
    first = cards.find((card) => card.dataset.line === location.hash.slice(2));
  } else if (at !== "") {
    first = pending.find((card) => Number(card.dataset.start) >= Number(at)) || pending[0]
      || cards.find((card) => Number(card.dataset.start) >= Number(at));
  } else {
    first = pending[0];
  }
  select(first, { scrollText: at !== "" });
  showVisible();
})();
