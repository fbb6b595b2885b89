// One process of bench/live_engine.py's client fleet: thousands of socket.io-client sockets on /live.
//
// Driven by the coordinator over stdin/stdout, one JSON object a line: each command line gets exactly
// one answer line. It speaks only the /live protocol (docs/protocol.md), so it drives this project,
// the bare Flask-SocketIO app and Node's socket.io alike. Latencies are kept as histograms in whole
// milliseconds ({"ms": count}); times are wall-clock milliseconds (all processes share one clock).
"use strict";

const http = require("http");
const readline = require("readline");
const { io } = require("socket.io-client");

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

class Histogram {
  constructor() {
    this.counts = {};
    this.n = 0;
  }
  add(ms) {
    const key = Math.max(0, Math.round(ms));
    this.counts[key] = (this.counts[key] || 0) + 1;
    this.n += 1;
  }
}

class Errors {
  constructor() {
    this.codes = {};
  }
  add(code) {
    this.codes[code] = (this.codes[code] || 0) + 1;
  }
}

let clients = [];
let cpuAtStart = process.cpuUsage();

function cpuSeconds() {
  const used = process.cpuUsage(cpuAtStart);
  return (used.user + used.system) / 1e6;
}

// A bench text carries its send time, so a receiver measures delivery without asking anyone.
const stamp = (kind) => `bench ${kind} ${now().toFixed(1)} ${Math.random().toString(36).slice(2, 8)}`;
function stampedAt(text, kind) {
  const parts = typeof text === "string" ? text.split(" ") : [];
  return parts[0] === "bench" && parts[1] === kind ? Number(parts[2]) : null;
}

class Client {
  constructor(token, index) {
    this.token = token;
    this.index = index;
    this.socket = null;
    this.dropped = null;
    this.tallies = []; // [time, total] whenever the total grows
    this.closedTotal = null;
    this.questions = []; // ids of bench questions seen (question:new, questions:new), newest last
    this.upvoted = new Set();
    this.questionsSeen = 0;
    this.chatSeen = 0;
    this.lastChat = 0;
  }

  // Connect and join; a failure is retried after a second, `retries` times (as a page reconnects).
  async connectWithRetries(url, sessionId, cookie, timeoutMs, retries, hist, errors) {
    const started = now();
    for (let attempt = 0; ; attempt++) {
      const code = await this.connect(url, sessionId, cookie, timeoutMs);
      if (code === null) {
        hist.add(now() - started);
        this.dropped = null;
        return attempt;
      }
      this.socket.close();
      if (attempt >= retries) {
        errors.add(code);
        this.dropped = code;
        return attempt;
      }
      await sleep(1000);
    }
  }

  // Resolves null when joined, else the reason.
  connect(url, sessionId, cookie, timeoutMs) {
    return new Promise((resolve) => {
      const options = {
        transports: ["websocket"],
        auth: { token: this.token },
        reconnection: false,
        forceNew: true, // one connection per client, as a browser has
        timeout: timeoutMs,
      };
      if (cookie) options.extraHeaders = { Cookie: `session=${cookie}` }; // nginx's sticky key
      const socket = io(url + "/live", options);
      this.socket = socket;
      let settled = false;
      // socket.io-client times out the transport's opening only: a namespace CONNECT the server
      // never answers would leave this client (and the whole command) waiting for ever.
      const unanswered = setTimeout(() => done(false, "connect: no answer"), timeoutMs);
      const done = (ok, code) => {
        clearTimeout(unanswered);
        if (settled) return;
        settled = true;
        resolve(ok ? null : code);
      };
      socket.on("connect_error", (err) => done(false, "connect_error: " + ((err.data && err.data.code) || err.message)));
      socket.on("disconnect", (reason) => {
        this.dropped = this.dropped || "disconnect: " + reason;
        // Closed before the join was acknowledged (even before the namespace answered, which
        // fires neither connect nor connect_error): a failed attempt, not a wait for ever.
        done(false, "disconnect: " + reason);
      });
      socket.on("poll:results", (tally) => {
        const last = this.tallies.length ? this.tallies[this.tallies.length - 1][1] : -1;
        if (tally && tally.total > last) this.tallies.push([now(), tally.total]);
      });
      socket.on("poll:closed", (data) => {
        if (data && data.results) this.closedTotal = data.results.total;
      });
      // A question reaches a client one per packet (`question:new`: the bare and Node references)
      // or in a room's batch (`questions:new`: this project); either way each bench question counts
      // once, as one delivery, with its own latency.
      const questionArrived = (question) => {
        if (!question) return;
        const sent = stampedAt(question.text, "q");
        if (sent === null) return;
        this.questionsSeen += 1;
        this.questions.push(question.id);
        if (this.questions.length > 200) this.questions.shift();
        if (current.qaDelivery) current.qaDelivery.add(now() - sent);
      };
      socket.on("question:new", (data) => questionArrived(data && data.question));
      socket.on("questions:new", (data) => {
        for (const question of (data && data.questions) || []) questionArrived(question);
      });
      socket.on("chat:message", (data) => {
        const sent = stampedAt(data && data.message && data.message.text, "c");
        if (sent === null) return;
        this.chatSeen += 1;
        this.lastChat = now();
        if (current.chatDelivery) current.chatDelivery.add(now() - sent);
      });
      socket.on("connect", () => {
        clearTimeout(unanswered); // the join has a timeout of its own
        socket
          .timeout(timeoutMs)
          .emit("join", { session_id: sessionId }, (err, ack) => {
            if (err) done(false, "join: no ack");
            else if (!ack || !ack.ok) done(false, "join: " + ((ack && ack.error && ack.error.code) || "refused"));
            else done(true);
          });
      });
    });
  }

  call(event, payload, timeoutMs) {
    return new Promise((resolve) => {
      if (!this.socket || !this.socket.connected) return resolve({ ok: false, error: { code: "socket_dropped" } });
      this.socket.timeout(timeoutMs).emit(event, payload, (err, ack) => {
        resolve(err ? { ok: false, error: { code: "no_ack" } } : ack || { ok: false, error: { code: "empty_ack" } });
      });
    });
  }
}

// Histograms of the command running now, filled by the clients' broadcast handlers.
const current = { qaDelivery: null, chatDelivery: null };

async function waitFor(condition, timeoutMs) {
  const deadline = now() + timeoutMs;
  while (!condition() && now() < deadline) await sleep(20);
  return condition();
}

async function pooled(items, concurrency, work) {
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await work(item);
    }
  });
  await Promise.all(runners);
}

const commands = {
  // Connect and join clients (added to those already connected); all at once, `concurrency` in flight.
  async connect(order) {
    const fresh = order.tokens.map((token, i) => new Client(token, clients.length + i));
    clients = clients.concat(fresh);
    const hist = new Histogram();
    const errors = new Errors();
    let retried = 0;
    await sleep(order.start_at - now());
    const started = now();
    await pooled(fresh, order.concurrency, async (client) => {
      const cookie = order.cookies ? `${order.cookie_prefix}-${client.index}` : null;
      retried += await client.connectWithRetries(order.url, order.session_id, cookie, order.timeout_ms, order.retries, hist, errors);
    });
    return { joined: hist.n, failed: fresh.length - hist.n, retried, errors: errors.codes, hist: hist.counts, started, finished: now() };
  },

  async vote(order) {
    const hist = new Histogram();
    const errors = new Errors();
    let ok = 0;
    let lastAck = 0;
    let topVersion = 0;
    await Promise.all(
      clients.map(async (client, i) => {
        await sleep(order.start_at + Math.random() * order.spread_ms - now());
        const sent = now();
        const ack = await client.call("poll:vote", { poll_id: order.poll_id, choices: [order.option_ids[i % order.option_ids.length]] }, order.timeout_ms);
        if (ack.ok) {
          ok += 1;
          const at = now();
          hist.add(at - sent);
          lastAck = Math.max(lastAck, at);
          topVersion = Math.max(topVersion, ack.version || 0);
        } else errors.add((ack.error && ack.error.code) || "refused");
      }),
    );
    return { ok, errors: errors.codes, hist: hist.counts, last_ack: lastAck, top_version: topVersion };
  },

  // When did each client first hold a tally with the exact total?
  async exact(order) {
    const reached = (c) => c.tallies.some(([, total]) => total >= order.total);
    await waitFor(() => clients.every((c) => reached(c) || c.dropped), order.timeout_ms);
    const times = clients.filter(reached).map((c) => c.tallies.find(([, total]) => total >= order.total)[0]);
    return { exact: times.length, missing: clients.length - times.length, last: times.length ? Math.max(...times) : null };
  },

  async closed(order) {
    await waitFor(() => clients.every((c) => c.closedTotal !== null || c.dropped), order.timeout_ms);
    const totals = {};
    for (const c of clients) totals[c.closedTotal] = (totals[c.closedTotal] || 0) + 1;
    return { totals };
  },

  // Q&A burst: this process's share of questions and upvotes a second, for `duration_ms`.
  async qa(order) {
    const askHist = new Histogram();
    const upHist = new Histogram();
    const errors = new Errors();
    current.qaDelivery = new Histogram();
    const asks = Math.round((order.ask_rate * order.duration_ms) / 1000);
    const ups = Math.round((order.upvote_rate * order.duration_ms) / 1000);
    let asked = 0;
    let upvoted = 0;
    let skipped = 0;
    const jobs = [];
    for (let k = 0; k < asks; k++) {
      const client = clients[(k * 2) % clients.length]; // askers and voters are different people
      jobs.push(
        (async () => {
          await sleep(order.start_at + (k * 1000) / order.ask_rate - now());
          const sent = now();
          const ack = await client.call("question:ask", { session_id: order.session_id, text: stamp("q") }, order.timeout_ms);
          if (ack.ok) {
            asked += 1;
            askHist.add(now() - sent);
          } else errors.add("ask: " + ((ack.error && ack.error.code) || "refused"));
        })(),
      );
    }
    for (let k = 0; k < ups; k++) {
      const client = clients[(k * 2 + 1) % clients.length];
      jobs.push(
        (async () => {
          await sleep(order.start_at + order.upvote_delay_ms + (k * 1000) / order.upvote_rate - now());
          const choices = client.questions.filter((id) => !client.upvoted.has(id));
          if (!choices.length) return void (skipped += 1);
          const id = choices[Math.floor(Math.random() * choices.length)];
          client.upvoted.add(id);
          const sent = now();
          const ack = await client.call("question:vote", { question_id: id }, order.timeout_ms);
          if (ack.ok) {
            upvoted += 1;
            upHist.add(now() - sent);
          } else errors.add("upvote: " + ((ack.error && ack.error.code) || "refused"));
        })(),
      );
    }
    await Promise.all(jobs);
    return { asked, upvoted, skipped, errors: errors.codes, ask_hist: askHist.counts, upvote_hist: upHist.counts };
  },

  // Wait until every client saw `expected` bench questions; the delivery latencies since `qa`.
  async qa_drain(order) {
    await waitFor(() => clients.every((c) => c.questionsSeen >= order.expected || c.dropped), order.timeout_ms);
    const hist = current.qaDelivery || new Histogram();
    current.qaDelivery = null;
    return { hist: hist.counts, deliveries: hist.n, short: clients.filter((c) => c.questionsSeen < order.expected).length };
  },

  // Broadcast throughput: `senders` of this process's clients send `per_sender` chat lines each.
  async chat(order) {
    const errors = new Errors();
    current.chatDelivery = new Histogram();
    for (const c of clients) c.chatSeen = 0;
    let sent = 0;
    await Promise.all(
      clients.slice(0, order.senders).map(async (client) => {
        for (let k = 0; k < order.per_sender; k++) {
          await sleep(order.start_at + k * order.interval_ms - now());
          const ack = await client.call("chat:send", { session_id: order.session_id, text: stamp("c") }, order.timeout_ms);
          if (ack.ok) sent += 1;
          else errors.add((ack.error && ack.error.code) || "refused");
        }
      }),
    );
    return { sent, errors: errors.codes };
  },

  async chat_drain(order) {
    await waitFor(() => clients.every((c) => c.chatSeen >= order.expected || c.dropped), order.timeout_ms);
    const hist = current.chatDelivery || new Histogram();
    current.chatDelivery = null;
    return {
      deliveries: hist.n,
      hist: hist.counts,
      last: Math.max(0, ...clients.map((c) => c.lastChat)),
      short: clients.filter((c) => c.chatSeen < order.expected).length,
    };
  },

  // Check-in rush over HTTP: `concurrency` scanners share this process's scans.
  async scan(order) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: order.concurrency });
    const target = new URL(order.base + "/api/v1/checkin/scan");
    const hist = new Histogram();
    const results = new Errors();
    const post = (body) =>
      new Promise((resolve) => {
        const data = JSON.stringify(body);
        const request = http.request(
          target,
          {
            method: "POST",
            agent,
            headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(data), Authorization: `Bearer ${order.token}` },
          },
          (response) => {
            let text = "";
            response.setEncoding("utf8");
            response.on("data", (chunk) => (text += chunk));
            response.on("end", () => {
              let result = `http_${response.statusCode}`;
              if (response.statusCode < 500) {
                try {
                  result = JSON.parse(text).result || result;
                } catch (e) {
                  result = "not_json";
                }
              }
              resolve(result);
            });
          },
        );
        request.on("error", (err) => resolve("request_error: " + err.code));
        request.end(data);
      });
    await sleep(order.start_at - now());
    const started = now();
    let n = 0;
    await pooled(order.items, order.concurrency, async (item) => {
      const again = n++ % 25 === 0; // now and then the same scan twice (a scanner's retry)
      for (let attempt = 0; attempt < (again ? 2 : 1); attempt++) {
        const sent = now();
        const result = await post(item);
        hist.add(now() - sent);
        results.add((attempt ? "repeated scan_id: " : "") + result);
      }
    });
    agent.destroy();
    return { scans: hist.n, hist: hist.counts, results: results.codes, started, finished: now() };
  },

  async close() {
    for (const c of clients) if (c.socket) c.socket.disconnect();
    clients = [];
    return { closed: true };
  },
};

const input = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
input.on("line", (line) => {
  queue = queue.then(async () => {
    const order = JSON.parse(line);
    let answer;
    try {
      answer = await commands[order.cmd](order);
    } catch (err) {
      answer = { error: String((err && err.stack) || err) };
    }
    answer.cpu_s = cpuSeconds();
    answer.dropped = clients.filter((c) => c.dropped).length;
    process.stdout.write(JSON.stringify(answer) + "\n");
    if (order.cmd === "close") setTimeout(() => process.exit(0), 100);
  });
});
input.on("close", () => process.exit(0));
