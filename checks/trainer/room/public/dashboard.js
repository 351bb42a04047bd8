// The room's dashboard. Every piece of text a learner sent (names, test names) reaches the page
// through textContent or an attribute, never as HTML; the page's CSP forbids inline script anyway.

// The key leaves the address bar as soon as the page has it, so a projected dashboard does not
// show it to the room; the tab keeps it for a reload.
const key = new URLSearchParams(location.search).get("key") ?? sessionStorage.getItem("room-key") ?? "";
if (key) sessionStorage.setItem("room-key", key);
if (location.search) history.replaceState(null, "", "/");
const state = {
  lessons: [],
  learners: new Map(),
  summary: { stuck: [], mostFailed: {} },
  joinUrl: null,
  clockOffsetMs: 0,
};
let renderQueued = false;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Each status is the one the learner's workbook derived; a lesson never reported is not started.
function statusOf(entry) {
  return entry ? entry.status : "not-started";
}

const marks = { passed: "✓", solved: "◆", started: "◐", "not-started": "○" };

function minutesSince(iso) {
  return Math.max(0, Math.floor((Date.now() + state.clockOffsetMs - Date.parse(iso)) / 60000));
}

function lessonLabel(id) {
  const lesson = state.lessons.find((l) => l.id === id);
  return lesson ? `${lesson.number} ${lesson.pattern}` : id;
}

function sortedLearners() {
  return [...state.learners.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

function columnsFor(count) {
  const wide = window.innerWidth >= 1200;
  if (count <= 20) return 1;
  if (count <= 60 || !wide) return 2;
  return 3;
}

function renderGrid() {
  const grid = document.getElementById("grid");
  const learners = sortedLearners();
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
  const tables = [];
  for (let c = 0; c < columns; c++) {
    const table = el("table", "learners");
    const head = el("tr");
    head.append(el("th", "name", "Learner"));
    for (const lesson of state.lessons) {
      const th = el("th", "", String(lesson.number));
      th.title = `${lesson.id} ${lesson.pattern}: ${lesson.title}`;
      head.append(th);
    }
    const thead = el("thead");
    thead.append(head);
    const tbody = el("tbody");
    for (const learner of learners.slice(c * perColumn, (c + 1) * perColumn))
      tbody.append(learnerRow(learner, stuckIds.has(learner.id)));
    table.append(thead, tbody);
    tables.push(table);
  }
  grid.replaceChildren(...tables);
  // Borders, the legend and the header's wrapping are easier measured than predicted: shrink the
  // rows by what still overflows, once.
  const overflow = document.documentElement.scrollHeight - window.innerHeight;
  if (overflow > 0 && rowPx > 15) {
    const smaller = Math.max(15, rowPx - Math.ceil(overflow / (perColumn + 1)));
    document.documentElement.style.setProperty("--row", `${smaller}px`);
  }
}

function learnerRow(learner, stuck) {
  const row = el("tr", stuck ? "current-stuck" : "");
  row.dataset.learner = learner.id;
  const name = el("td", "name", learner.name);
  name.title = learner.name;
  row.append(name);
  for (const lesson of state.lessons) {
    const entry = learner.lessons[lesson.id];
    const status = statusOf(entry);
    const cell = el("td", `cell-${status}${learner.current === lesson.id ? " here" : ""}`);
    cell.dataset.lesson = lesson.id;
    cell.dataset.status = status;
    cell.append(el("span", "mark", marks[status]));
    if (entry && entry.total !== null) cell.append(el("span", "counts", `${entry.passing}/${entry.total}`));
    if (entry && entry.hintsUsed > 0) cell.append(el("span", "hints", `h${entry.hintsUsed}`));
    const details = [`${lesson.id}: ${status === "solved" ? "solved by copying the reference" : status}`];
    if (entry)
      details.push(`${entry.hintsUsed} hints`, entry.minutes === null ? "not started" : `${entry.minutes} min`);
    if (entry?.failingTest) details.push(`failing: ${entry.failingTest}`);
    cell.title = details.join(" · ");
    row.append(cell);
  }
  return row;
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
  const rows = state.lessons
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
  if (rows.length === 0) {
    const row = el("tr");
    row.append(el("td", "empty", "No failing tests reported yet."));
    rows.push(row);
  }
  body.replaceChildren(...rows);
}

function renderSummary() {
  const learners = [...state.learners.values()];
  const done = state.lessons.map(
    (lesson) => learners.filter((l) => ["passed", "solved"].includes(statusOf(l.lessons[lesson.id]))).length,
  );
  const perLesson = state.lessons.map((lesson, i) => `${lesson.number}: ${done[i]}`).join("  ");
  document.getElementById("summary").textContent = `${learners.length} learners · done per lesson  ${perLesson}`;
}

function render() {
  renderQueued = false;
  renderStuck();
  renderMostFailed();
  renderSummary();
  renderGrid();
}

function queueRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(render);
}

function setConnection(text, stateName) {
  const node = document.getElementById("connection");
  node.textContent = text;
  node.dataset.state = stateName;
}

async function start() {
  if (!(await keyAccepted())) {
    setConnection("This page needs the trainer's key: open the dashboard link that npm run room printed.", "lost");
    return;
  }
  for (const [id, type] of [
    ["download-csv", "csv"],
    ["download-json", "json"],
  ]) {
    document.getElementById(id).href = `/room.${type}?key=${encodeURIComponent(key)}`;
  }
  const events = new EventSource(`/events?key=${encodeURIComponent(key)}`);
  events.addEventListener("open", () => setConnection("live", "live"));
  events.addEventListener("error", () => setConnection("connection lost: reconnecting…", "lost"));
  events.addEventListener("snapshot", (event) => {
    const data = JSON.parse(event.data);
    state.lessons = data.lessons;
    state.joinUrl = data.joinUrl;
    state.learners = new Map(data.learners.map((l) => [l.id, l]));
    state.summary = data.summary;
    state.clockOffsetMs = Date.parse(data.now) - Date.now();
    document.getElementById("join").textContent = data.joinUrl
      ? `Join: npm start -- --room ${data.joinUrl} --name "Your Name"`
      : "";
    setConnection("live", "live");
    queueRender();
  });
  events.addEventListener("update", (event) => {
    const data = JSON.parse(event.data);
    for (const learner of data.learners) state.learners.set(learner.id, learner);
    state.summary = data.summary;
    state.clockOffsetMs = Date.parse(data.now) - Date.now();
    queueRender();
  });
  // Minutes stuck keep counting between updates.
  setInterval(renderStuck, 20000);
  window.addEventListener("resize", queueRender);
}

async function keyAccepted() {
  if (!key) return false;
  try {
    const response = await fetch(`/room.json?key=${encodeURIComponent(key)}`, { method: "HEAD" });
    return response.status !== 403;
  } catch {
    return true;
  }
}

void start();
