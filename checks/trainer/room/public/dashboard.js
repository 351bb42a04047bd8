// The room's dashboard. Every piece of text a learner sent (names, test names) reaches the page
// through textContent or an attribute, never as HTML; the page's CSP forbids inline script anyway.
//
// One state, changed only by apply() (a snapshot, or the changes since the last message), and one
// render() that redraws what changed: each panel has its own function, and the grid redraws only
// the rows of learners who changed unless someone joined, left or was renamed (then the order, and
// so the layout, changes). The key never reaches this script: the room keeps it in an HttpOnly
// cookie, which the browser sends with every request to the room.

const state = {
  lessons: [],
  learners: new Map(),
  summary: { stuck: [], mostFailed: {} },
  room: { joinUrl: null, joining: true, learners: 0, maxLearners: 0 },
  clockOffsetMs: 0,
  managing: false,
};

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

// ---- state ----

function apply(kind, data) {
  state.clockOffsetMs = Date.parse(data.now) - Date.now();
  if (kind === "snapshot") {
    state.lessons = data.lessons;
    state.learners = new Map(data.learners.map((learner) => [learner.id, learner]));
    dirty.layout = true;
  }
  for (const learner of kind === "changes" ? data.learners : []) {
    const before = state.learners.get(learner.id);
    state.learners.set(learner.id, learner);
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
}

function renderStuck() {
  const list = document.getElementById("stuck");
  const items = state.summary.stuck.map((s) => {
    const li = el("li");
    li.dataset.learner = s.id;
    li.append(
      el("span", "who", s.name),
      ` · ${lessonLabel(s.lesson)} · `,
      el("span", "minutes", `${minutesSince(s.since)} min`),
    );
    if (s.failingTest) li.append(" · ", el("span", "test", s.failingTest));
    return li;
  });
  list.replaceChildren(...(items.length ? items : [el("li", "empty", "Nobody is stuck.")]));
}

function renderMostFailed() {
  const body = document.getElementById("most-failed");
  const lines = state.lessons
    .filter((lesson) => state.summary.mostFailed[lesson.id])
    .map((lesson) => {
      const top = state.summary.mostFailed[lesson.id];
      const row = el("tr");
      row.dataset.lesson = lesson.id;
      row.append(
        el("td", "", `${lesson.number} ${lesson.pattern}`),
        el("td", "test", top.test),
        el("td", "count", `${top.learners} of ${top.failing}`),
      );
      return row;
    });
  if (lines.length === 0) {
    const row = el("tr");
    row.append(el("td", "empty", "No failing tests reported yet."));
    lines.push(row);
  }
  body.replaceChildren(...lines);
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

function learnerCell(learner, lesson) {
  const entry = learner.lessons[lesson.id];
  const status = statusOf(entry);
  const cell = el("td", `cell-${status}${learner.current === lesson.id ? " here" : ""}`);
  cell.dataset.lesson = lesson.id;
  cell.dataset.status = status;
  cell.append(el("span", "mark", marks[status]));
  if (entry?.total !== undefined) cell.append(el("span", "counts", `${entry.passing}/${entry.total}`));
  if (entry?.hintsUsed) cell.append(el("span", "hints", `h${entry.hintsUsed}`));
  const details = [`${lesson.id}: ${status === "solved" ? "solved by copying the reference" : status}`];
  if (entry)
    details.push(`${entry.hintsUsed ?? 0} hints`, entry.minutes === undefined ? "not started" : `${entry.minutes} min`);
  if (entry?.failingTest) details.push(`failing: ${entry.failingTest}`);
  cell.title = details.join(" · ");
  return cell;
}

function learnerRow(learner, stuck) {
  const row = el("tr", stuck ? "current-stuck" : "");
  row.dataset.learner = learner.id;
  const name = el("td", "name", learner.name);
  name.title = learner.name;
  // Shown only while the trainer is removing learners, so a projected grid has no buttons to hit.
  const actions = el("td", "actions");
  const remove = el("button", "remove", "✕");
  remove.type = "button";
  remove.title = `Remove ${learner.name}`;
  remove.setAttribute("aria-label", `Remove ${learner.name}`);
  remove.addEventListener("click", () => removeLearner(learner.id));
  actions.append(remove);
  row.append(actions, name, ...state.lessons.map((lesson) => learnerCell(learner, lesson)));
  return row;
}

function columnsFor(count) {
  const wide = window.innerWidth >= 1200;
  if (count <= 20) return 1;
  if (count <= 60 || !wide) return 2;
  return 3;
}

function gridTable(learners, stuckIds) {
  const table = el("table", "learners");
  const head = el("tr");
  head.append(el("th", "actions"), el("th", "name", "Learner"));
  for (const lesson of state.lessons) {
    const th = el("th", "", String(lesson.number));
    th.title = `${lesson.id} ${lesson.pattern}: ${lesson.title}`;
    head.append(th);
  }
  const thead = el("thead");
  thead.append(head);
  const tbody = el("tbody");
  for (const learner of learners) {
    const row = learnerRow(learner, stuckIds.has(learner.id));
    rows.set(learner.id, row);
    tbody.append(row);
  }
  table.append(thead, tbody);
  return table;
}

/** The whole grid: columns and row height chosen so that 100 learners fit one screen. */
function renderGrid() {
  const grid = document.getElementById("grid");
  const learners = [...state.learners.values()].sort(
    (a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id),
  );
  const columns = columnsFor(learners.length);
  const perColumn = Math.max(1, Math.ceil(learners.length / columns));
  document.body.classList.toggle("dense", columns >= 2);
  document.body.classList.toggle("very-dense", columns >= 3);
  // Rows share the height left on the screen, so 100 learners fit without scrolling.
  const top = grid.getBoundingClientRect().top + window.scrollY;
  const rowPx = Math.min(44, Math.max(15, Math.floor((window.innerHeight - top - 48) / (perColumn + 1))));
  document.documentElement.style.setProperty("--row", `${rowPx}px`);
  grid.style.gridTemplateColumns = `repeat(${columns}, 1fr)`;
  const stuckIds = new Set(state.summary.stuck.map((s) => s.id));
  rows.clear();
  const tables = [];
  for (let c = 0; c < columns; c++)
    tables.push(gridTable(learners.slice(c * perColumn, (c + 1) * perColumn), stuckIds));
  grid.replaceChildren(...tables);
  // Borders, the legend and the header's wrapping are easier measured than predicted: shrink the
  // rows by what still overflows, once.
  const overflow = document.documentElement.scrollHeight - window.innerHeight;
  if (overflow > 0 && rowPx > 15) {
    const smaller = Math.max(15, rowPx - Math.ceil(overflow / (perColumn + 1)));
    document.documentElement.style.setProperty("--row", `${smaller}px`);
  }
}

/** Only the rows of learners who changed, in place; and who is marked stuck. */
function renderRows(ids) {
  const stuckIds = new Set(state.summary.stuck.map((s) => s.id));
  for (const id of ids) {
    const row = rows.get(id);
    const learner = state.learners.get(id);
    if (!row || !learner) continue;
    const fresh = learnerRow(learner, stuckIds.has(id));
    row.replaceWith(fresh);
    rows.set(id, fresh);
  }
  for (const [id, row] of rows) row.classList.toggle("current-stuck", stuckIds.has(id));
}

function render() {
  renderQueued = false;
  if (dirty.header) renderHeader();
  if (dirty.panels) {
    renderStuck();
    renderMostFailed();
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

async function change(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { "Content-Type": "application/json" },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (!response.ok) {
    const answer = await response.json().catch(() => ({}));
    setConnection(answer.error ?? `The room answered ${response.status}.`, "lost");
  }
}

function removeLearner(id) {
  const learner = state.learners.get(id);
  if (!learner) return;
  const sure = window.confirm(
    `Remove ${learner.name} from the room? Their workbook stops reporting here; they can join again with the join link.`,
  );
  if (sure) void change("DELETE", `/learners/${encodeURIComponent(id)}`);
}

function wireControls() {
  document.getElementById("toggle-joining").addEventListener("click", () => {
    void change("PUT", "/joining", { open: !state.room.joining });
  });
  document.getElementById("manage").addEventListener("click", (event) => {
    state.managing = !state.managing;
    document.body.classList.toggle("managing", state.managing);
    event.currentTarget.textContent = state.managing ? "Done removing" : "Remove learners…";
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
    const response = await fetch("/room.json", { method: "HEAD" });
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
