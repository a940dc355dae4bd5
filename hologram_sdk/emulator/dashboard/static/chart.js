/* A small line chart in inline SVG: messages per minute, in total and per device.
   No library: a few SVG elements built with createElementNS, text set with textContent. */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var PALETTE = ["#8a6bff", "#1fae7a", "#e59a1a", "#e0475b", "#16a5c9", "#c050b8"];
  var TOTAL = "#4f7cff";

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function niceMax(value) {
    if (value <= 1) return 1;
    var exp = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) {
      if (value <= steps[i] * exp) return steps[i] * exp;
    }
    return 10 * exp;
  }

  function clock(seconds) {
    var d = new Date(seconds * 1000);
    return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  }

  function fmt(v) {
    return v >= 10 || v === 0 ? String(Math.round(v)) : v.toFixed(1).replace(/\.0$/, "");
  }

  function series(data, totalName) {
    var out = [{ name: totalName || "all devices", values: data.total, color: TOTAL, total: true }];
    Object.keys(data.devices).forEach(function (name, i) {
      out.push({ name: name, values: data.devices[name], color: PALETTE[i % PALETTE.length] });
    });
    return out;
  }

  /* Draw ``data`` ({start, bucket, total, devices}) into ``box``; legend into ``legend``. */
  function draw(box, legend, data, options) {
    options = options || {};
    var width = Math.max(box.clientWidth, 300), height = Math.max(box.clientHeight, 150);
    var m = { left: 38, right: 12, top: 12, bottom: 24 };
    var w = width - m.left - m.right, h = height - m.top - m.bottom;
    var n = data.total.length;
    var all = series(data, options.totalName);
    if (options.single) all = all.slice(0, 1);
    var peak = 0;
    all.forEach(function (s) { s.values.forEach(function (v) { if (v > peak) peak = v; }); });
    var top = niceMax(peak);
    var x = function (i) { return m.left + (n <= 1 ? 0 : (i / (n - 1)) * w); };
    var y = function (v) { return m.top + h - (v / top) * h; };

    while (box.firstChild) box.removeChild(box.firstChild);
    var svg = el("svg", { viewBox: "0 0 " + width + " " + height, role: "img",
      "aria-label": "messages per minute" }, box);
    var grid = el("g", { "class": "grid" }, svg);
    var axis = el("g", { "class": "axis" }, svg);
    for (var g = 0; g <= 4; g++) {
      var v = (top * g) / 4, gy = y(v);
      el("line", { x1: m.left, x2: m.left + w, y1: gy, y2: gy }, grid);
      var label = el("text", { x: m.left - 7, y: gy + 4, "text-anchor": "end" }, axis);
      label.textContent = fmt(v);
    }
    var every = data.span === "day" ? 10800 : 600;
    for (var i = 0; i < n; i++) {
      var t = data.start + i * data.bucket;
      if (t % every === 0) {
        var tx = el("text", { x: x(i), y: m.top + h + 17, "text-anchor": "middle" }, axis);
        tx.textContent = clock(t);
        el("line", { x1: x(i), x2: x(i), y1: m.top, y2: m.top + h }, grid);
      }
    }
    all.slice().reverse().forEach(function (s) {
      var points = s.values.map(function (v, i) { return x(i).toFixed(1) + "," + y(v).toFixed(1); });
      if (s.total) {
        el("polygon", { "class": "area", fill: s.color,
          points: x(0) + "," + y(0) + " " + points.join(" ") + " " + x(n - 1) + "," + y(0) }, svg);
      }
      el("polyline", { "class": "series" + (s.total ? " total" : ""), stroke: s.color,
        points: points.join(" "), "data-name": s.name }, svg);
    });

    var cursor = el("line", { "class": "cursor hidden", y1: m.top, y2: m.top + h }, svg);
    var tip = document.createElement("div");
    tip.className = "tip hidden";
    box.appendChild(tip);
    svg.addEventListener("mousemove", function (ev) {
      var rect = svg.getBoundingClientRect();
      var px = ((ev.clientX - rect.left) / rect.width) * width;
      var i = Math.round(((px - m.left) / w) * (n - 1));
      if (i < 0 || i >= n) { cursor.classList.add("hidden"); tip.classList.add("hidden"); return; }
      cursor.setAttribute("x1", x(i)); cursor.setAttribute("x2", x(i));
      cursor.classList.remove("hidden");
      while (tip.firstChild) tip.removeChild(tip.firstChild);
      var head = document.createElement("div");
      head.textContent = clock(data.start + i * data.bucket) + " · per minute";
      tip.appendChild(head);
      all.forEach(function (s) {
        var line = document.createElement("div");
        line.textContent = s.name + ": " + fmt(s.values[i]);
        tip.appendChild(line);
      });
      tip.style.left = (x(i) / width) * 100 + "%";
      tip.style.top = y(Math.max.apply(null, all.map(function (s) { return s.values[i]; }))) + "px";
      tip.classList.remove("hidden");
    });
    svg.addEventListener("mouseleave", function () {
      cursor.classList.add("hidden"); tip.classList.add("hidden");
    });

    if (legend) {
      while (legend.firstChild) legend.removeChild(legend.firstChild);
      all.forEach(function (s) {
        var item = document.createElement("span");
        var swatch = document.createElement("i");
        swatch.style.background = s.color;
        item.appendChild(swatch);
        item.appendChild(document.createTextNode(s.name));
        legend.appendChild(item);
      });
    }
  }

  /* Count one message from ``device`` received at ``when`` (seconds) into ``data``. */
  function bump(data, device, when) {
    var i = Math.floor((when - data.start) / data.bucket);
    var n = data.total.length;
    if (i < 0) return false;
    if (i >= n) {
      var shift = i - n + 1;
      var roll = function (values) {
        for (var k = 0; k < shift; k++) { values.shift(); values.push(0); }
      };
      roll(data.total);
      Object.keys(data.devices).forEach(function (name) { roll(data.devices[name]); });
      data.start += shift * data.bucket;
      i = n - 1;
    }
    var step = 60 / data.bucket;
    data.total[i] += step;
    if (!(device in data.devices) && Object.keys(data.devices).length < 5) {
      data.devices[device] = data.total.map(function () { return 0; });
    }
    if (device in data.devices) data.devices[device][i] += step;
    return true;
  }

  window.HoloChart = { draw: draw, bump: bump };
})();
