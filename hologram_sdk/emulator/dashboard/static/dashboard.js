/* The local cloud dashboard: fetches JSON from /ui/, follows /ui/events (server-sent
   events) and writes everything with textContent. Nothing a device sent is ever
   parsed as HTML. No framework, no build step. */
(function () {
  "use strict";
  var body = document.body;
  var PAGE = body.getAttribute("data-page");
  var DEVICE = body.getAttribute("data-device");
  var PAGE_SIZE = 50;
  var FEED_MAX = 200;
  var FOLD_CHARS = 160;

  // ---------------------------------------------------------------- helpers

  function $(id) { return document.getElementById(id); }

  function node(tag, className, text) {
    var n = document.createElement(tag);
    if (className) n.className = className;
    if (text !== undefined && text !== null) n.textContent = String(text);
    return n;
  }

  function clear(n) { while (n.firstChild) n.removeChild(n.firstChild); }

  function show(n, visible) { n.classList.toggle("hidden", !visible); }

  function deviceUrl(name) { return "/devices/" + encodeURIComponent(name); }

  function pad(n) { return String(n).padStart(2, "0"); }

  function timeOf(seconds) {
    var d = new Date(seconds * 1000), now = new Date();
    var t = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
    if (d.toDateString() === now.toDateString()) return t;
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + t;
  }

  function ago(seconds) {
    if (seconds === null || seconds === undefined) return "never";
    var s = Math.max(0, Date.now() / 1000 - seconds);
    if (s < 5) return "just now";
    if (s < 60) return Math.floor(s) + " s ago";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    if (s < 86400) return Math.floor(s / 3600) + " h ago";
    return Math.floor(s / 86400) + " d ago";
  }

  var NUMBER = new Intl.NumberFormat("en-US");
  function count(n) { return NUMBER.format(Number(n)); }

  function loginAgain() {
    window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (r.status === 401) { loginAgain(); throw new Error("logged out"); }
        return r.json().then(function (j) {
          if (!r.ok) throw new Error(j.error || ("HTTP " + r.status));
          return j;
        });
      });
  }

  // ------------------------------------------------------------- rendering

  /* A payload block: text (folded when long), hex/base64 views when binary. */
  function payloadBlock(item, li) {
    var pre = node("pre", "payload");
    var bar = node("div", "payload-bar");
    var views = { text: item.data };
    var current = "text";
    if (item.binary) {
      views.hex = item.hex; views.base64 = item.base64;
      current = "hex";
    }
    var full = !item.truncated;
    var expanded = false;

    function paint() {
      var text = views[current] || "";
      var long = text.length > FOLD_CHARS || !full;
      pre.textContent = text;
      pre.classList.toggle("folded", long && !expanded);
      foldButton.textContent = expanded ? "fold" : "show all (" + count(item.size) + " bytes)";
      show(foldButton, long);
      Object.keys(buttons).forEach(function (k) { buttons[k].classList.toggle("on", k === current); });
    }

    var buttons = {};
    if (item.binary) {
      bar.appendChild(node("span", "kind-tag", "binary"));
      ["hex", "base64", "text"].forEach(function (k) {
        var b = node("button", null, k);
        b.type = "button";
        b.addEventListener("click", function () { current = k; paint(); });
        buttons[k] = b;
        bar.appendChild(b);
      });
    }
    var foldButton = node("button", "fold");
    foldButton.type = "button";
    foldButton.addEventListener("click", function () {
      if (expanded) { expanded = false; paint(); return; }
      if (full) { expanded = true; paint(); return; }
      foldButton.textContent = "loading…";
      getJSON("/ui/messages/" + item.id).then(function (whole) {
        views = { text: whole.data, hex: whole.hex, base64: whole.base64 };
        full = true; expanded = true; paint();
      }).catch(function (e) { foldButton.textContent = "failed: " + e.message; });
    });
    bar.appendChild(foldButton);
    li.appendChild(pre);
    li.appendChild(bar);
    paint();
    if (!item.binary && foldButton.classList.contains("hidden")) bar.classList.add("hidden");
  }

  function messageItem(item, fresh) {
    var li = node("li", fresh ? "fresh" : "");
    li.setAttribute("data-id", item.id);
    li.setAttribute("data-kind", "message");
    var when = node("span", "when", timeOf(item.received));
    when.title = new Date(item.received * 1000).toString();
    li.appendChild(when);
    var meta = node("div", "meta");
    var dev = node("a", "dev", item.device);
    dev.href = deviceUrl(item.device);
    meta.appendChild(dev);
    (item.topics || []).forEach(function (t) { meta.appendChild(node("span", "topic", t)); });
    meta.appendChild(node("span", "id", "#" + item.id));
    li.appendChild(meta);
    payloadBlock(item, li);
    return li;
  }

  function smsItem(item, fresh) {
    var li = node("li", fresh ? "fresh" : "");
    li.setAttribute("data-id", item.id);
    li.setAttribute("data-kind", "sms");
    li.appendChild(node("span", "when", timeOf(item.received)));
    var meta = node("div", "meta");
    var dev = node("a", "dev", item.device);
    dev.href = deviceUrl(item.device);
    meta.appendChild(dev);
    meta.appendChild(node("span", "muted", "→ " + item.destination));
    li.appendChild(meta);
    var text = node("pre", "payload", item.text);
    li.appendChild(text);
    return li;
  }

  function inboundBadge(inbound) {
    if (!inbound) return node("span", "badge", "not tried");
    if (inbound.ok === null) return node("span", "badge", count(inbound.waiting) + " waiting");
    var b = node("span", "badge " + (inbound.ok ? "ok" : "bad"));
    b.appendChild(node("i", "dot"));
    var label = inbound.ok ? "answered" : "no answer";
    if (inbound.waiting) label += " · " + count(inbound.waiting) + " waiting";
    b.appendChild(document.createTextNode(label));
    b.title = (inbound.address || "") + " · " + ago(inbound.when) + (inbound.detail ? " · " + inbound.detail : "");
    return b;
  }

  // ------------------------------------------------------------ live stream

  var live = $("live");
  var stream = {
    source: null, cursor: null, opened: false, dropped: false, retry: 1000, timer: null,
    handlers: { message: [], sms: [] }
  };

  function setLive(state, text) {
    live.className = "live " + state;
    live.textContent = text;
    live.setAttribute("data-state", state);
  }

  function connect() {
    var url = "/ui/events" + (stream.cursor ? "?from=" + encodeURIComponent(stream.cursor) : "");
    var source = new EventSource(url);
    stream.source = source;
    source.addEventListener("open", function () {
      stream.retry = 1000;
      if (stream.dropped) {
        var n = Number(live.getAttribute("data-reconnects") || "0") + 1;
        live.setAttribute("data-reconnects", String(n));
        setLive("reconnected", "reconnected · " + timeOf(Date.now() / 1000));
        window.clearTimeout(stream.timer);
        stream.timer = window.setTimeout(function () {
          if (live.getAttribute("data-state") === "reconnected") setLive("ok", "live");
        }, 30000);
      } else {
        setLive("ok", "live");
      }
      stream.opened = true;
      stream.dropped = false;
    });
    source.addEventListener("error", function () {
      if (stream.opened) stream.dropped = true;
      setLive("down", "reconnecting…");
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. the server answered 401): check, then retry ourselves.
        source.close();
        stream.dropped = stream.dropped || stream.opened;
        getJSON("/ui/chart?span=hour").then(function () {
          window.setTimeout(connect, stream.retry);
          stream.retry = Math.min(stream.retry * 2, 30000);
        }).catch(function () {
          window.setTimeout(connect, stream.retry);
          stream.retry = Math.min(stream.retry * 2, 30000);
        });
      }
    });
    ["message", "sms"].forEach(function (kind) {
      source.addEventListener(kind, function (ev) {
        stream.cursor = ev.lastEventId || stream.cursor;
        var item;
        try { item = JSON.parse(ev.data); } catch (e) { return; }
        queue(kind, item);
      });
    });
    source.addEventListener("hello", function (ev) { stream.cursor = ev.lastEventId || stream.cursor; });
  }

  /* Items are handed to the page in batches, at most ten times a second, so a
     busy fleet (thousands a second) costs one repaint per batch, not per item. */
  var pending = { message: [], sms: [] };
  var flushing = false;
  function queue(kind, item) {
    pending[kind].push(item);
    if (!flushing) { flushing = true; window.setTimeout(flush, 100); }
  }
  function flush() {
    flushing = false;
    ["message", "sms"].forEach(function (kind) {
      var batch = pending[kind];
      pending[kind] = [];
      if (batch.length) stream.handlers[kind].forEach(function (fn) { fn(batch); });
    });
  }

  function follow(cursor) {
    stream.cursor = cursor;
    connect();
  }

  // ----------------------------------------------------------------- chart

  var chart = { data: null, span: "hour", pending: false };

  function loadChart() {
    var url = "/ui/chart?span=" + chart.span + (DEVICE ? "&device=" + encodeURIComponent(DEVICE) : "");
    return getJSON(url).then(function (data) { chart.data = data; paintChart(); });
  }

  function paintChart() {
    chart.pending = false;
    if (!chart.data) return;
    window.HoloChart.draw($("chart"), $("chart-legend"), chart.data,
      DEVICE ? { single: true, totalName: DEVICE } : {});
  }

  function chartBump(item) {
    if (!chart.data) return;
    if (DEVICE && item.device !== DEVICE) return;
    window.HoloChart.bump(chart.data, item.device, item.received);
    if (!chart.pending) { chart.pending = true; window.setTimeout(paintChart, 250); }
  }

  document.querySelectorAll(".seg button").forEach(function (b) {
    b.addEventListener("click", function () {
      document.querySelectorAll(".seg button").forEach(function (o) { o.classList.toggle("on", o === b); });
      chart.span = b.getAttribute("data-span");
      loadChart();
    });
  });
  window.addEventListener("resize", function () { if (!chart.pending) { chart.pending = true; window.setTimeout(paintChart, 150); } });
  window.setInterval(loadChart, 60000);

  // ------------------------------------------------------------- send form

  function setupSend() {
    var form = $("send-form");
    var result = $("send-result");
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var data = new FormData(form);
      var payload = {
        device: data.get("device"), kind: data.get("kind"), text: data.get("text"),
        address: data.get("address") || null
      };
      result.className = "result";
      result.textContent = "sending…";
      $("send-button").disabled = true;
      fetch("/ui/send", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(payload)
      }).then(function (r) {
        if (r.status === 401) { loginAgain(); throw new Error("logged out"); }
        return r.json().then(function (j) { return { ok: r.ok, body: j }; });
      }).then(function (res) {
        if (res.ok) {
          result.className = "result ok";
          result.textContent = res.body.queued !== undefined
            ? "Queued as #" + res.body.queued + " (" + res.body.state + "); it goes out when " + payload.device + " is reachable."
            : "Delivered to " + (res.body.address || payload.device) + ".";
          $("send-text").value = "";
          if (res.body.queued !== undefined) {
            // delivery happens in the background: look again a few times (bounded)
            [500, 1500, 3500, 7500].forEach(function (ms) { window.setTimeout(refresh, ms); });
          }
        } else {
          result.className = "result bad";
          result.textContent = res.body.error || "not sent";
        }
        refresh();
      }).catch(function (e) {
        result.className = "result bad";
        result.textContent = "not sent: " + e.message;
      }).then(function () { $("send-button").disabled = false; });
    });
  }

  // -------------------------------------------------------------- overview

  var refreshTimer = null;
  function refreshSoon() {
    if (refreshTimer) return;
    refreshTimer = window.setTimeout(function () { refreshTimer = null; refresh(); }, 2000);
  }
  var refresh = function () {};

  function overview() {
    var feed = $("messages");
    var oldest = null;
    var liveCount = 0;
    var stored = 0;

    function paintDevices(devices) {
      var tbody = $("devices").querySelector("tbody");
      clear(tbody);
      var select = $("send-device");
      var chosen = select.value;
      clear(select);
      devices.forEach(function (d) {
        var tr = node("tr");
        tr.setAttribute("data-device", d.name);
        var name = node("td", "name");
        var a = node("a", null, d.name);
        a.href = deviceUrl(d.name);
        name.appendChild(a);
        tr.appendChild(name);
        var auth = node("td");
        auth.appendChild(node("span", "badge auth", d.auth || "–"));
        tr.appendChild(auth);
        var seen = node("td", null, ago(d.last_seen));
        if (d.last_seen) seen.title = timeOf(d.last_seen);
        tr.appendChild(seen);
        tr.appendChild(node("td", "mono", d.last_address || "–"));
        tr.appendChild(node("td", "num", count(d.messages_today)));
        var inbound = node("td");
        inbound.appendChild(inboundBadge(d.inbound));
        tr.appendChild(inbound);
        tbody.appendChild(tr);
        var opt = node("option", null, d.name);
        opt.value = d.name;
        select.appendChild(opt);
      });
      if (chosen) select.value = chosen;
      show($("devices-empty"), devices.length === 0);
      $("stat-devices").textContent = count(devices.length);
      $("stat-today").textContent = count(devices.reduce(function (s, d) { return s + d.messages_today; }, 0));
    }

    function paintRoutes(routes) {
      var ul = $("routes");
      clear(ul);
      var backlog = 0;
      if (!routes.length) ul.appendChild(node("li", "muted", "No routes: messages stay in this server's database."));
      routes.forEach(function (r) {
        var li = node("li");
        li.appendChild(node("span", "target", r.name || r.url || "route"));
        var state = String(r.state || "unknown");
        var b = node("span", "badge " + (state === "up" || state === "connected" ? "ok" : "bad"), state + (r.backlog ? " · " + count(r.backlog) + " waiting" : ""));
        li.appendChild(b);
        backlog += Number(r.backlog || 0);
        ul.appendChild(li);
      });
      $("stat-backlog").textContent = routes.length ? count(backlog) : "–";
    }

    function paintSms(items) {
      var ol = $("sms");
      clear(ol);
      items.forEach(function (s) { ol.appendChild(smsItem(s)); });
      show($("sms-empty"), items.length === 0);
    }

    function addOlder(page) {
      page.items.forEach(function (m) { feed.appendChild(messageItem(m)); });
      if (page.items.length) oldest = page.items[page.items.length - 1].id;
      show($("older"), page.older);
      show($("messages-empty"), feed.children.length === 0);
      stored = Math.max(stored, page.total);
      $("feed-count").textContent = count(stored) + " stored";
    }

    refresh = function () {
      return getJSON("/ui/overview").then(function (o) {
        paintDevices(o.devices); paintRoutes(o.routes); paintSms(o.sms);
        return o;
      });
    };

    $("older").addEventListener("click", function () {
      getJSON("/ui/messages?limit=" + PAGE_SIZE + "&before=" + oldest).then(addOlder);
    });

    stream.handlers.message.push(function (batch) {
      var fresh = batch.filter(function (m) {
        return !feed.querySelector('li[data-id="' + m.id + '"]');
      });
      if (!fresh.length) return;
      fresh.forEach(chartBump);
      var shown = fresh.slice(-FEED_MAX);  // what would be trimmed at once is not drawn
      var block = document.createDocumentFragment();
      shown.slice().reverse().forEach(function (m) { block.appendChild(messageItem(m, true)); });
      feed.insertBefore(block, feed.firstChild);
      while (feed.children.length > FEED_MAX) {
        feed.removeChild(feed.lastChild);
        show($("older"), true);
      }
      if (shown.length < fresh.length) show($("older"), true);
      oldest = Number(feed.lastChild.getAttribute("data-id"));
      show($("messages-empty"), false);
      liveCount += fresh.length;
      stored += fresh.length;
      $("stat-live").textContent = count(liveCount);
      $("feed-count").textContent = count(stored) + " stored";
      refreshSoon();
    });
    stream.handlers.sms.push(function (batch) {
      batch.forEach(function (s) { $("sms").insertBefore(smsItem(s, true), $("sms").firstChild); });
      while ($("sms").children.length > 50) $("sms").removeChild($("sms").lastChild);
      show($("sms-empty"), false);
      refreshSoon();
    });

    setupSend();
    Promise.all([refresh(), getJSON("/ui/messages?limit=" + PAGE_SIZE), loadChart()])
      .then(function (r) { addOlder(r[1]); follow(r[0].cursor); })
      .catch(function (e) { setLive("down", "error: " + e.message); });
    window.setInterval(function () { refresh(); }, 30000);
  }

  // ---------------------------------------------------------------- device

  function devicePage() {
    var feed = $("messages");
    var state = { page: null, fresh: 0 };
    var size = PAGE_SIZE;
    function base() { return "/ui/messages?limit=" + size + "&device=" + encodeURIComponent(DEVICE); }

    function paintFacts(d) {
      $("fact-auth").textContent = d.auth || "–";
      $("fact-seen").textContent = ago(d.last_seen);
      $("fact-address").textContent = d.last_address || "–";
      $("fact-today").textContent = count(d.messages_today);
      var inbound = $("fact-inbound");
      clear(inbound);
      if (d.inbound) {
        inbound.appendChild(inboundBadge(d.inbound));
        inbound.appendChild(document.createTextNode(" " + (d.inbound.address || "") + ", " + ago(d.inbound.when)));
      } else {
        inbound.textContent = "Not tried yet.";
      }
    }

    function paintPage(page) {
      state.page = page;
      clear(feed);
      page.items.forEach(function (m) { feed.appendChild(messageItem(m)); });
      show($("messages-empty"), page.items.length === 0);
      $("page-newest").disabled = $("page-newer").disabled = !page.newer;
      $("page-older").disabled = $("page-oldest").disabled = !page.older;
      var pos = $("page-position");
      pos.textContent = page.items.length
        ? count(page.offset + 1) + "–" + count(page.offset + page.items.length) + " of " + count(page.total)
        : "";
      if (!page.newer) { state.fresh = 0; show($("new-count"), false); }
    }

    function load(query) { return getJSON(base() + query).then(paintPage); }

    $("page-size").addEventListener("change", function () {
      size = Number($("page-size").value) || PAGE_SIZE;
      var items = state.page ? state.page.items : [];
      load(items.length ? "&before=" + (items[0].id + 1) : "");
    });

    $("page-newest").addEventListener("click", function () { load(""); });
    $("page-oldest").addEventListener("click", function () { load("&after=0"); });
    $("page-newer").addEventListener("click", function () {
      if (state.page && state.page.items.length) load("&after=" + state.page.items[0].id);
    });
    $("page-older").addEventListener("click", function () {
      var items = state.page ? state.page.items : [];
      if (items.length) load("&before=" + items[items.length - 1].id);
    });
    $("new-count").addEventListener("click", function () { load(""); });

    refresh = function () {
      return getJSON("/ui/devices/" + encodeURIComponent(DEVICE)).then(function (o) {
        paintFacts(o.device);
        var ol = $("sms");
        clear(ol);
        o.sms.forEach(function (s) { ol.appendChild(smsItem(s)); });
        show($("sms-empty"), o.sms.length === 0);
        return o;
      });
    };

    stream.handlers.message.push(function (batch) { batch.forEach(oneMessage); });
    function oneMessage(m) {
      if (m.device !== DEVICE) return;
      if (feed.querySelector('li[data-id="' + m.id + '"]')) return;
      chartBump(m);
      var page = state.page;
      if (page && !page.newer) {
        page.total += 1;
        page.items.unshift(m);
        if (page.items.length > size) { page.items.pop(); page.older = true; }
        feed.insertBefore(messageItem(m, true), feed.firstChild);
        while (feed.children.length > size) feed.removeChild(feed.lastChild);
        show($("messages-empty"), false);
        paintPageCounts(page);
      } else if (page) {
        state.fresh += 1;
        var chip = $("new-count");
        chip.textContent = count(state.fresh) + " new · show";
        show(chip, true);
      }
      refreshSoon();
    }
    stream.handlers.sms.push(function (batch) {
      if (batch.some(function (s) { return s.device === DEVICE; })) refreshSoon();
    });

    function paintPageCounts(page) {
      $("page-older").disabled = $("page-oldest").disabled = !page.older;
      $("page-position").textContent = count(page.offset + 1) + "–" +
        count(page.offset + page.items.length) + " of " + count(page.total);
    }

    setupSend();
    Promise.all([refresh(), load(""), loadChart()])
      .then(function (r) { follow(r[0].cursor); })
      .catch(function (e) { setLive("down", "error: " + e.message); });
  }

  if (PAGE === "overview") overview();
  else if (PAGE === "device") devicePage();
})();
