// The mqx dashboard: totals and the client list from /api/v1/events (server-sent events), the
// retained topic tree from /api/v1/retained every few seconds. Everything a client or publisher
// chose (ids, topics, payloads) is set as textContent, never parsed as HTML.
const HISTORY = 120;
const TREE_EVERY_MS = 5000;
const history = [];
let last;

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function showError(message) {
  const box = $('error');
  box.hidden = message === undefined;
  box.textContent = message ?? '';
}

async function api(path, options) {
  const res = await fetch(`/api/v1/${path}`, options);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

function onStats(s) {
  if (last !== undefined) {
    const seconds = Math.max((s.time - last.time) / 1000, 0.001);
    history.push({
      in: (s.received - last.received) / seconds,
      out: (s.sent - last.sent) / seconds,
      connected: s.connected,
    });
    if (history.length > HISTORY) history.shift();
  }
  last = s;
  const point = history.at(-1);
  $('k-connected').textContent = s.connected;
  $('k-sessions').textContent = s.sessions;
  $('k-in').textContent = point ? rate(point.in) : '–';
  $('k-out').textContent = point ? rate(point.out) : '–';
  $('k-retained').textContent = s.retained;
  $('k-subs').textContent = s.subscriptions;
  $('k-dropped').textContent = s.dropped;
  $('k-paused').textContent = s.paused;
  drawChart();
}

function rate(n) {
  return n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

function drawChart() {
  const canvas = $('chart');
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const g = canvas.getContext('2d');
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  const style = getComputedStyle(document.documentElement);
  const color = (name) => style.getPropertyValue(name).trim();
  const pad = { left: 44, right: 34, top: 8, bottom: 18 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const top = niceMax(Math.max(1, ...history.map((p) => Math.max(p.in, p.out))));
  const connTop = niceMax(Math.max(1, ...history.map((p) => p.connected)));
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = color('--muted');
  g.strokeStyle = color('--line');
  g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = pad.top + (plotH * i) / 4;
    g.beginPath();
    g.moveTo(pad.left, Math.round(y) + 0.5);
    g.lineTo(width - pad.right, Math.round(y) + 0.5);
    g.stroke();
    g.fillText(rate(top * (1 - i / 4)), 4, y + 4);
  }
  // Connections have their own scale, on the right.
  g.fillStyle = color('--conn');
  g.fillText(String(connTop), width - pad.right + 4, pad.top + 4);
  g.fillText('0', width - pad.right + 4, pad.top + plotH + 4);
  g.fillStyle = color('--muted');
  g.fillText('2 min ago', pad.left, height - 4);
  g.fillText('now', width - pad.right - 22, height - 4);
  const x = (i) => pad.left + (plotW * (HISTORY - history.length + i)) / (HISTORY - 1);
  const line = (pick, max, stroke) => {
    if (history.length < 2) return;
    g.beginPath();
    history.forEach((p, i) => {
      const y = pad.top + plotH * (1 - pick(p) / max);
      if (i === 0) g.moveTo(x(i), y);
      else g.lineTo(x(i), y);
    });
    g.strokeStyle = stroke;
    g.lineWidth = 2;
    g.lineJoin = 'round';
    g.stroke();
  };
  line((p) => p.connected, connTop, color('--conn'));
  line((p) => p.out, top, color('--out'));
  line((p) => p.in, top, color('--in'));
}

function niceMax(n) {
  const magnitude = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 5, 10]) if (n <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}

function onClients(data) {
  const body = $('clients').tBodies[0];
  body.replaceChildren(
    ...data.clients.map((c) => {
      const row = el('tr', c.connected ? '' : 'offline');
      row.dataset.client = c.id;
      row.append(
        el('td', 'id', c.id),
        el('td', '', c.address ?? 'offline'),
        el('td', '', c.protocol ?? '–'),
        el('td', '', c.queued),
      );
      const action = el('td');
      if (c.connected && !c.bridge) {
        const kick = el('button', 'kick', 'Kick');
        kick.type = 'button';
        kick.title = 'Disconnect this client';
        kick.addEventListener('click', () => kickClient(c.id, kick));
        action.append(kick);
      }
      row.append(action);
      return row;
    }),
  );
  $('clients-empty').hidden = data.clients.length > 0;
  $('clients-total').textContent =
    data.total > data.clients.length ? `${data.clients.length} of ${data.total}` : `${data.total}`;
}

async function kickClient(id, button) {
  button.disabled = true;
  try {
    await api(`clients/${encodeURIComponent(id)}/disconnect`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-MQX-Request': '1' },
      body: '{}',
    });
    showError(undefined);
  } catch (err) {
    showError(`Could not disconnect ${id}: ${err.message}`);
    button.disabled = false;
  }
}

function onBridges(bridges) {
  $('bridges-empty').hidden = bridges.length > 0;
  $('bridges').replaceChildren(
    ...bridges.map((b) => {
      const item = el('li');
      item.append(
        el('strong', '', b.name),
        el('span', `state ${b.state}`, b.state),
        el('span', 'muted', b.addresses.join(', ')),
        el('span', '', `${b.messages_in} in · ${b.messages_out} out · ${b.queued} queued`),
      );
      return item;
    }),
  );
}

async function refreshTree() {
  try {
    const data = await api('retained?limit=500');
    const root = new Map();
    for (const m of data.retained) {
      let node = root;
      const levels = m.topic.split('/');
      levels.forEach((level, i) => {
        if (!node.has(level)) node.set(level, { children: new Map(), message: undefined });
        const entry = node.get(level);
        if (i === levels.length - 1) entry.message = m;
        node = entry.children;
      });
    }
    $('tree').replaceChildren(...renderLevel(root));
    $('tree-empty').hidden = data.total > 0;
    $('topics-total').textContent = data.total > 0 ? String(data.total) : '';
  } catch (err) {
    showError(`Retained topics: ${err.message}`);
  }
}

function renderLevel(level) {
  return [...level.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, entry]) => {
      const leaf = el('div', 'leaf');
      leaf.append(el('span', 'name', name === '' ? '(empty)' : name));
      if (entry.message) {
        const m = entry.message;
        leaf.append(
          el('span', 'payload', `${m.payload_preview}${m.truncated ? '…' : ''} · q${m.qos} · ${m.size} B`),
        );
      }
      if (entry.children.size === 0) return leaf;
      const details = el('details');
      details.open = true;
      const summary = el('summary');
      summary.append(...leaf.childNodes);
      details.append(summary, ...renderLevel(entry.children));
      return details;
    });
}

function connect() {
  const source = new EventSource('/api/v1/events');
  source.addEventListener('open', () => {
    $('status').textContent = 'live';
    $('status').className = 'pill live';
  });
  source.addEventListener('error', () => {
    $('status').textContent = 'reconnecting…';
    $('status').className = 'pill down';
  });
  source.addEventListener('stats', (e) => onStats(JSON.parse(e.data)));
  source.addEventListener('clients', (e) => onClients(JSON.parse(e.data)));
  source.addEventListener('bridges', (e) => onBridges(JSON.parse(e.data)));
}

document.addEventListener('DOMContentLoaded', () => {
  connect();
  refreshTree();
  setInterval(refreshTree, TREE_EVERY_MS);
  api('bridges')
    .then(onBridges)
    .catch(() => {});
  window.addEventListener('resize', drawChart);
});
