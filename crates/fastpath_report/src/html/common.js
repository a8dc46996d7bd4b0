// Shared helpers. Every text from the data goes through textContent (never innerHTML).
const DATA = JSON.parse(document.getElementById("fastpath-data").textContent);

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "style") Object.assign(node.style, value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.appendChild(typeof child === "string" || typeof child === "number"
      ? document.createTextNode(String(child)) : child);
  }
  return node;
}

// Milliseconds from microseconds, as the text report prints them (two decimals below 1 ms).
function ms(us) {
  if (us === null || us === undefined || Number.isNaN(us)) return "-";
  return Math.abs(us) < 1000 ? (us / 1000).toFixed(2) + " ms" : (us / 1000).toFixed(1) + " ms";
}

function pct(part, whole) {
  return whole > 0 ? (100 * part / whole).toFixed(1) + " %" : "-";
}

// Median as fastpath computes it: the middle value, or the mean of the two middle values.
function median(values) {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const n = v.length;
  return n % 2 === 1 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

const tooltip = document.getElementById("tooltip");
function showTooltip(event, build) {
  tooltip.replaceChildren(...build());
  tooltip.hidden = false;
  const pad = 14;
  const w = tooltip.offsetWidth, h = tooltip.offsetHeight;
  let x = event.clientX + pad, y = event.clientY + pad;
  if (x + w > window.innerWidth) x = Math.max(0, event.clientX - w - pad);
  if (y + h > window.innerHeight) y = Math.max(0, event.clientY - h - pad);
  tooltip.style.left = x + "px";
  tooltip.style.top = y + "px";
}
function hideTooltip() { tooltip.hidden = true; }

function metaItem(label, value) {
  return el("span", {}, label + ": ", el("b", { text: value }));
}
