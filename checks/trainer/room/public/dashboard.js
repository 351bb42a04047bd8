// The room's dashboard. Every piece of text a learner sent (names, test names) reaches the page
// through textContent or an attribute, never as HTML; the page's CSP forbids inline script anyway.
//
// One state, changed only by apply() (a snapshot, or the changes since the last message), and one
// render() that redraws what changed: each panel has its own function, and the grid redraws only
// the rows of learners who changed unless someone joined, left or was renamed (then the order, and
// so the layout, changes). The key never reaches this script: the room keeps it in an HttpOnly
// cookie, which the browser sends with every request to the room.
//
// Projector mode (the "Hide names" switch, remembered by this browser, never by the room) names
// every learner "Learner 7" (their place in the order of joining) wherever the page would show a
// name: every name goes through nameOf().

const projectorKey = "workbook-room-projector";

const state = {
  lessons: [],
  learners: new Map(),
  summary: { stuck: [], stuckCount: 0, clusters: [] },
  room: { joinUrl: null, joining: true, learners: 0, maxLearners: 0 },
  /** The trainer's notes, oldest first, as room-notes.ts views them. */
  notes: [],
  /** Whom the note form writes to: a learner's id, or null for everyone. */
  noteTo: null,
  projector: readProjector(),
  clockOffsetMs: 0,
  managing: false,
};

function readProjector() {
  try {
    return localStorage.getItem(projectorKey) === "on";
  } catch {
    return false;
  }
}

/** What apply() changed and render() must redraw. */
const dirty = { layout: true, rows: new Set(), panels: true, header: true };
let renderQueued = false;
/** Each learner's row in the grid, by id. */
const rows = new Map();

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const marks = { passed: "✓", solved: "◆", started: "◐", "not-started": "○" };
const collator = new Intl.Collator();

// Each status is the one the learner's workbook derived; a lesson never reported is not started.
function statusOf(entry) {
  return entry ? entry.status : "not-started";
}

function minutesSince(iso) {
  return Math.max(0, Math.floor((Date.now() + state.clockOffsetMs - Date.parse(iso)) / 60000));
}

function lessonLabel(id) {
  const lesson = state.lessons.find((l) => l.id === id);
  return lesson ? `${lesson.number} ${lesson.pattern}` : id;
}

function lessonNumber(id) {
  return state.lessons.find((l) => l.id === id)?.number ?? id;
}

/** A learner as the page names them: their name, or "Learner 7" in projector mode. */
function nameOf(id, fallback = "") {
  const learner = state.learners.get(id);
  if (state.projector) return learner ? `Learner ${learner.number}` : "a learner";
  return learner?.name ?? fallback;
}

// ---- state ----

/**
 * A learner as the room sends them (room-view.ts: cells in the order of the lessons, each
 * [status, passing, total, hints used, minutes, the failing test's place in `tests`]), as the
 * page keeps them: each reported lesson by id, { status, passing, total, hintsUsed, minutes,
 * failingTest }, null where unknown.
 */
function decodeLearner(view, tests) {
  const lessons = {};
  view.cells.forEach((cell, i) => {
    if (!cell) return;
    const [status, passing, total, hintsUsed, minutes, test] = cell;
    lessons[state.lessons[i].id] = { status, passing, total, hintsUsed, minutes, failingTest: tests[test] ?? null };
  });
  const current = view.current === null ? undefined : state.lessons[view.current]?.id;
  return { id: view.id, name: view.name, number: view.number, current, lessons };
}

function apply(kind, data) {
  state.clockOffsetMs = Date.parse(data.now) - Date.now();
  if (kind === "snapshot") {
    state.lessons = data.lessons;
    state.learners = new Map(data.learners.map((view) => [view.id, decodeLearner(view, data.tests)]));
    dirty.layout = true;
  }
  for (const view of kind === "changes" ? data.learners : []) {
    const before = state.learners.get(view.id);
    const learner = decodeLearner(view, data.tests);
    state.learners.set(view.id, learner);
    if (!before || before.name !== learner.name) dirty.layout = true;
    else dirty.rows.add(learner.id);
  }
  for (const id of data.removed ?? []) {
    if (state.learners.delete(id)) dirty.layout = true;
  }
  if (data.room) {
    state.room = data.room;
    dirty.header = true;
  }
  if (data.summary) state.summary = data.summary;
  if (data.notes) state.notes = data.notes;
  // The summary line counts every learner, and a changed learner may leave or join the stuck list.
  dirty.panels = true;
  queueRender();
}

// ---- rendering, one function per part of the page ----

function renderHeader() {
  const { joinUrl, joining, learners, maxLearners } = state.room;
  document.getElementById("join").textContent = joinUrl
    ? `Join: npm start -- --room ${joinUrl} --name "Your Name"`
    : "";
  document.body.classList.toggle("joining-closed", !joining);
  const status = document.getElementById("joining-status");
  status.textContent = joining
    ? `${learners} of ${maxLearners} learners${learners >= maxLearners ? ": the room is full" : ""}`
    : `Joining is closed · ${learners} learners`;
  status.dataset.state = !joining ? "closed" : learners >= maxLearners ? "full" : "open";
  const toggle = document.getElementById("toggle-joining");
  toggle.textContent = joining ? "Close joining" : "Open joining";
  toggle.hidden = false;
  document.getElementById("manage").hidden = false;
  const projector = document.getElementById("projector");
  projector.hidden = false;
  projector.textContent = state.projector ? "Show names" : "Hide names";
  projector.setAttribute("aria-pressed", String(state.projector));
  document.body.classList.toggle("projector", state.projector);
}

/** Why a learner counts as stuck, in words (room-signals.ts decides). */
const signalText = {
  "same-failure": (signal) => `same failure: ${minutesSince(signal.since)} min, ${signal.checks} checks`,
  "no-save": (signal) => `no save for ${minutesSince(signal.since)} min`,
  "all-hints": (signal) => `every hint taken (${signal.hints})`,
};

function stuckItem(s) {
  const li = el("li");
  li.dataset.learner = s.id;
  li.append(
    el("span", "who", nameOf(s.id, s.name)),
    ` · ${lessonLabel(s.lesson)} · `,
    el("span", "minutes", `${minutesSince(s.since)} min`),
  );
  for (const signal of s.signals) {
    const text = el("span", "signal", signalText[signal.kind]?.(signal) ?? signal.kind);
    text.dataset.signal = signal.kind;
    li.append(" · ", text);
  }
  const failure = s.diagnosis ?? s.failingTest;
  if (failure) li.append(" · ", el("span", "test", failure));
  return li;
}

function renderStuck() {
  const list = document.getElementById("stuck");
  const { stuck, stuckCount } = state.summary;
  const items = stuck.map(stuckItem);
  if (stuckCount > stuck.length) items.push(el("li", "more", `and ${stuckCount - stuck.length} more stuck`));
  list.replaceChildren(...(items.length ? items : [el("li", "empty", "Nobody is stuck.")]));
}

/** "9 learners: allow while count < max (lesson 6)"; hovering names who. */
function clusterItem(cluster) {
  const li = el("li");
  li.dataset.lesson = cluster.lesson;
  li.dataset.by = cluster.by;
  li.append(
    el("span", "count", `${cluster.learners} learners`),
    ": ",
    el("span", cluster.by === "mistake" ? "mistake" : "test", cluster.label),
    ` (lesson ${lessonNumber(cluster.lesson)})`,
  );
  const more = cluster.learners - cluster.ids.length;
  li.title = cluster.ids.map((id) => nameOf(id)).join(", ") + (more > 0 ? ` and ${more} more` : "");
  return li;
}

function renderClusters() {
  const items = state.summary.clusters.map(clusterItem);
  const empty = el("li", "empty", "No two learners fail the same way yet.");
  document.getElementById("clusters").replaceChildren(...(items.length ? items : [empty]));
}

/** "to Learner 7" or "to everyone", and whether it was read. */
function noteItem(note) {
  const li = el("li");
  li.dataset.note = note.id;
  const toRoom = note.to === null;
  const sent = new Date(note.sentAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  li.append(el("span", "who", toRoom ? "to everyone" : `to ${nameOf(note.to)}`), ` · ${sent} · `);
  const read = toRoom
    ? `dismissed by ${note.dismissed} of ${note.recipients}`
    : note.dismissed > 0
      ? "dismissed"
      : "not dismissed yet";
  li.append(el("span", note.dismissed > 0 && !toRoom ? "read" : "unread", read));
  // A note to one learner may say what the room need not see: projected, it shows only that it was sent.
  if (toRoom || !state.projector) li.append(el("div", "note-text", note.text));
  return li;
}

function renderNotes() {
  const items = state.notes.slice(-5).reverse().map(noteItem);
  document.getElementById("notes").replaceChildren(...(items.length ? items : [el("li", "empty", "No notes sent.")]));
  // A learner who left stays the one written to: a note meant for them must never go to everyone.
  const to = state.noteTo === null ? "To everyone" : `To ${nameOf(state.noteTo, "a learner who left")}`;
  document.getElementById("note-to").textContent = to;
  document.getElementById("note-to-all").hidden = state.noteTo === null;
}

function renderSummary() {
  const done = state.lessons.map(() => 0);
  for (const learner of state.learners.values()) {
    state.lessons.forEach((lesson, i) => {
      const status = statusOf(learner.lessons[lesson.id]);
      if (status === "passed" || status === "solved") done[i]++;
    });
  }
  const perLesson = state.lessons.map((lesson, i) => `${lesson.number}: ${done[i]}`).join("  ");
  document.getElementById("summary").textContent = `${state.learners.size} learners · done per lesson  ${perLesson}`;
}

// A cell is its mark (a text node, coloured by the cell's status), then counts and hints: few
// elements, as a room of 2,000 learners has 20,000 cells. Its details are made when hovered.
function fillCell(cell, entry, here) {
  const status = statusOf(entry);
  cell.className = `cell-${status}${here ? " here" : ""}`;
  cell.dataset.status = status;
  cell.textContent = marks[status];
  if (entry && entry.total !== null) cell.append(el("span", "counts", `${entry.passing}/${entry.total}`));
  if (entry?.hintsUsed) cell.append(el("span", "hints", `h${entry.hintsUsed}`));
}

/** A row of not-started cells, one per lesson, cloned for each learner (cloning is the fast way to make many). */
const blankRow = { key: "", row: null };
function newRow() {
  const key = `${state.managing} ${state.lessons.map((lesson) => lesson.id).join(" ")}`;
  if (blankRow.key !== key) {
    const row = el("tr");
    // Only while the trainer is removing learners, so a projected grid has no buttons to hit.
    if (state.managing) {
      const actions = el("td", "actions");
      const remove = el("button", "remove", "✕");
      remove.type = "button";
      actions.append(remove);
      row.append(actions);
    }
    row.append(el("td", "name"));
    for (const lesson of state.lessons) {
      const cell = el("td");
      cell.dataset.lesson = lesson.id;
      fillCell(cell, undefined, false);
      row.append(cell);
    }
    Object.assign(blankRow, { key, row });
  }
  return blankRow.row.cloneNode(true);
}

/** What hovering a cell shows: its status in words, hints, minutes and the failing test. */
function cellDetails(learnerId, lessonId) {
  const entry = state.learners.get(learnerId)?.lessons[lessonId];
  const status = statusOf(entry);
  const details = [`${lessonId}: ${status === "solved" ? "solved by copying the reference" : status}`];
  if (entry) details.push(`${entry.hintsUsed} hints`, entry.minutes === null ? "not started" : `${entry.minutes} min`);
  if (entry?.failingTest) details.push(`failing: ${entry.failingTest}`);
  return details.join(" · ");
}

/** Which rows stand out: learners on the stuck list, and learners with a note not dismissed yet. */
function rowMarks() {
  const noted = new Set(state.notes.filter((note) => note.to !== null && note.dismissed === 0).map((note) => note.to));
  return { stuck: new Set(state.summary.stuck.map((s) => s.id)), noted };
}

function markRow(row, id, marks) {
  row.classList.toggle("current-stuck", marks.stuck.has(id));
  row.classList.toggle("has-note", marks.noted.has(id));
}

function learnerRow(learner, marks) {
  const row = newRow();
  markRow(row, learner.id, marks);
  row.dataset.learner = learner.id;
  const cells = row.children;
  const first = state.managing ? 1 : 0;
  const name = nameOf(learner.id);
  if (state.managing) {
    cells[0].firstChild.title = `Remove ${name}`;
    cells[0].firstChild.setAttribute("aria-label", `Remove ${name}`);
  }
  cells[first].textContent = name;
  cells[first].title = `${name}: click to write them a note`;
  state.lessons.forEach((lesson, i) => {
    const entry = learner.lessons[lesson.id];
    const here = learner.current === lesson.id;
    if (entry || here) fillCell(cells[first + 1 + i], entry, here);
  });
  return row;
}

function columnsFor(count) {
  const wide = window.innerWidth >= 1200;
  if (count <= 20) return 1;
  if (count <= 60 || !wide) return 2;
  return 3;
}

function headRow() {
  const head = el("tr");
  if (state.managing) head.append(el("th", "actions"));
  head.append(el("th", "name", "Learner"));
  for (const lesson of state.lessons) {
    const th = el("th", "", String(lesson.number));
    th.title = `${lesson.id} ${lesson.pattern}: ${lesson.title}`;
    head.append(th);
  }
  const thead = el("thead");
  thead.append(head);
  return thead;
}

/** Rows in a block: a block off the screen is neither laid out nor painted (content-visibility). */
const rowsPerBlock = 100;
/** Blocks drawn after the first paint, one per task, so that the screen is complete first. */
const later = { blocks: [], timer: 0 };

function fillBlock({ tbody, learners }) {
  const marks = rowMarks();
  for (const { id } of learners) {
    // As the learner is now: they may have changed since the block was laid out.
    const learner = state.learners.get(id);
    if (!learner) continue;
    const row = learnerRow(learner, marks);
    rows.set(learner.id, row);
    tbody.append(row);
  }
  tbody.closest(".block").style.minHeight = "";
}

function fillLater() {
  later.timer = 0;
  const next = later.blocks.shift();
  if (!next) return;
  fillBlock(next);
  later.timer = setTimeout(fillLater, 0);
}

/**
 * One column of the grid: its heading, then its learners in blocks. The first block holds the rows
 * the screen shows and is drawn at once; the others, of rowsPerBlock each and sized already, are
 * drawn in the tasks after.
 */
function gridColumn(learners, rowPx, onScreen) {
  const column = el("div", "column");
  for (let start = 0; start < Math.max(1, learners.length); ) {
    const first = start === 0;
    const slice = learners.slice(start, start + (first ? onScreen : rowsPerBlock));
    start += slice.length || 1;
    const block = el("div", "block");
    const table = el("table", "learners");
    const tbody = el("tbody");
    if (first) table.append(headRow());
    table.append(tbody);
    const height = (slice.length + (first ? 1 : 0)) * rowPx;
    block.style.containIntrinsicSize = `auto ${height}px`;
    block.append(table);
    column.append(block);
    const part = { tbody, learners: slice };
    if (first) fillBlock(part);
    else {
      block.style.minHeight = `${height}px`;
      later.blocks.push(part);
    }
  }
  return column;
}

/** The whole grid: columns and row height chosen so that 100 learners fit one screen. */
function renderGrid() {
  const grid = document.getElementById("grid");
  // Projected, in the order of their numbers: the order of names would say something of the names.
  const byName = (a, b) => collator.compare(a.name, b.name) || (a.id < b.id ? -1 : 1);
  const learners = [...state.learners.values()].sort(state.projector ? (a, b) => a.number - b.number : byName);
  const columns = columnsFor(learners.length);
  const perColumn = Math.max(1, Math.ceil(learners.length / columns));
  document.body.classList.toggle("dense", columns >= 2);
  document.body.classList.toggle("very-dense", columns >= 3);
  // Rows share the height left on the screen, so 100 learners fit without scrolling.
  const top = grid.getBoundingClientRect().top + window.scrollY;
  const rowPx = Math.min(44, Math.max(15, Math.floor((window.innerHeight - top - 48) / (perColumn + 1))));
  document.documentElement.style.setProperty("--row", `${rowPx}px`);
  grid.style.gridTemplateColumns = `repeat(${columns}, 1fr)`;
  rows.clear();
  clearTimeout(later.timer);
  later.blocks = [];
  const parts = [];
  const onScreen = Math.max(1, Math.ceil((window.innerHeight - top) / rowPx));
  for (let c = 0; c < columns; c++)
    parts.push(gridColumn(learners.slice(c * perColumn, (c + 1) * perColumn), rowPx, onScreen));
  grid.replaceChildren(...parts);
  if (later.blocks.length) later.timer = setTimeout(fillLater, 0);
  // Borders, the legend and the header's wrapping are easier measured than predicted: shrink the
  // rows by what still overflows, once (rows at their smallest need no measuring, which would make
  // the browser lay the page out an extra time).
  if (rowPx <= 15) return;
  const overflow = document.documentElement.scrollHeight - window.innerHeight;
  if (overflow > 0) {
    const smaller = Math.max(15, rowPx - Math.ceil(overflow / (perColumn + 1)));
    document.documentElement.style.setProperty("--row", `${smaller}px`);
  }
}

/** Only the rows of learners who changed, in place; and who is marked stuck or has a note. */
function renderRows(ids) {
  const marks = rowMarks();
  for (const id of ids) {
    const row = rows.get(id);
    const learner = state.learners.get(id);
    if (!row || !learner) continue;
    const fresh = learnerRow(learner, marks);
    row.replaceWith(fresh);
    rows.set(id, fresh);
  }
  for (const [id, row] of rows) markRow(row, id, marks);
}

function render() {
  renderQueued = false;
  if (dirty.header) renderHeader();
  if (dirty.panels) {
    renderStuck();
    renderClusters();
    renderNotes();
    renderSummary();
  }
  if (dirty.layout) renderGrid();
  else renderRows(dirty.rows);
  dirty.layout = dirty.header = dirty.panels = false;
  dirty.rows.clear();
}

function queueRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(render);
}

// ---- the trainer's controls ----

/** A change to the room, as JSON (which a page elsewhere cannot send unasked); true when it was made. */
async function change(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { "Content-Type": "application/json" },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (response.ok) return true;
  const answer = await response.json().catch(() => ({}));
  setConnection(answer.error ?? `The room answered ${response.status}.`, "lost");
  return false;
}

/** The note form: writes to everyone, or to the learner whose name was clicked last. */
function wireNotes() {
  const form = document.getElementById("note-form");
  const text = document.getElementById("note-text");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!text.value.trim()) return;
    if (await change("POST", "/notes", { to: state.noteTo, text: text.value })) text.value = "";
  });
  document.getElementById("note-to-all").addEventListener("click", () => {
    state.noteTo = null;
    renderNotes();
  });
  document.getElementById("grid").addEventListener("click", (event) => {
    const name = event.target.closest("td.name");
    if (!name) return;
    state.noteTo = name.closest("tr").dataset.learner;
    renderNotes();
    text.focus();
  });
}

/** Hide names: remembered by this browser only, so reloading the projected page keeps names hidden. */
function toggleProjector() {
  state.projector = !state.projector;
  try {
    localStorage.setItem(projectorKey, state.projector ? "on" : "off");
  } catch {
    // Not remembered (storage disabled): it still holds until the page is reloaded.
  }
  dirty.layout = dirty.header = dirty.panels = true;
  queueRender();
}

function removeLearner(id) {
  if (!state.learners.has(id)) return;
  const sure = window.confirm(
    `Remove ${nameOf(id)} from the room? ` +
      "Their workbook stops reporting here; they can join again with the join link.",
  );
  if (sure) void change("DELETE", `/learners/${encodeURIComponent(id)}`);
}

function wireControls() {
  // One listener each for every row's ✕ and every cell's details: rows come and go.
  const grid = document.getElementById("grid");
  grid.addEventListener("click", (event) => {
    const button = event.target.closest("button.remove");
    if (button) removeLearner(button.closest("tr").dataset.learner);
  });
  grid.addEventListener("mouseover", (event) => {
    const cell = event.target.closest("td[data-lesson]");
    if (cell && !cell.title) cell.title = cellDetails(cell.closest("tr").dataset.learner, cell.dataset.lesson);
  });
  document.getElementById("toggle-joining").addEventListener("click", () => {
    void change("PUT", "/joining", { open: !state.room.joining });
  });
  document.getElementById("projector").addEventListener("click", toggleProjector);
  wireNotes();
  document.getElementById("manage").addEventListener("click", (event) => {
    state.managing = !state.managing;
    event.currentTarget.textContent = state.managing ? "Done removing" : "Remove learners…";
    dirty.layout = true;
    queueRender();
  });
}

// ---- the live feed ----

function setConnection(text, stateName) {
  const node = document.getElementById("connection");
  node.textContent = text;
  node.dataset.state = stateName;
}

async function keyAccepted() {
  try {
    const response = await fetch("/session", { method: "HEAD" });
    return response.status !== 403;
  } catch {
    return true;
  }
}

async function start() {
  if (!(await keyAccepted())) {
    setConnection("This page needs the trainer's key: open the dashboard link that npm run room printed.", "lost");
    return;
  }
  wireControls();
  const events = new EventSource("/events");
  events.addEventListener("open", () => setConnection("live", "live"));
  events.addEventListener("error", () => setConnection("connection lost: reconnecting…", "lost"));
  events.addEventListener("snapshot", (event) => {
    apply("snapshot", JSON.parse(event.data));
    setConnection("live", "live");
  });
  events.addEventListener("changes", (event) => apply("changes", JSON.parse(event.data)));
  // Minutes stuck keep counting between updates.
  setInterval(renderStuck, 20000);
  window.addEventListener("resize", () => {
    dirty.layout = true;
    queueRender();
  });
}

void start();
