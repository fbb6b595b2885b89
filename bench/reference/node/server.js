// Node's socket.io doing the /live poll, Q&A and chat work in memory: bench/live_engine.py's reference.
//
//     node server.js PORT
//
// The same events, acks and broadcasts as docs/protocol.md describes for them (join state, presence
// coalesced every 0.5 s, poll tallies every 0.25 s, questions, upvotes, chat, the rate limits), with
// no database: what the bare stack costs. Any non-empty token is accepted; one starting "mod" is a
// moderator.
"use strict";

const http = require("http");
const { Server } = require("socket.io");

const PRESENCE_S = 0.5;
const TALLY_S = 0.25;
const LIMITS = { question: [3, 5], chat: [5, 3], vote: [10, 5] }; // [hits, seconds] per person

const server = http.createServer((req, res) => {
  res.writeHead(200, { "Content-Type": "text/plain" });
  res.end("reference\n");
});
const ioServer = new Server(server, { maxHttpBufferSize: 65536, transports: ["websocket", "polling"] });
const live = ioServer.of("/live");

const users = new Map(); // token -> user
const rooms = new Map(); // session id -> room
const polls = new Map();
const questions = new Map();
let nextId = 1;
const counters = new Map();
const iso = () => new Date().toISOString();
const fail = (code, message) => ({ ok: false, error: { code, message: message || code } });

function userFor(token) {
  if (!users.has(token)) {
    const id = users.size + 1;
    users.set(token, { id, name: `Person ${id}`, moderator: token.startsWith("mod") });
  }
  return users.get(token);
}

function room(id) {
  if (!rooms.has(id)) {
    rooms.set(id, { id, moderated: false, closed: false, chat: [], polls: [], questions: [], online: new Map(), presenceDue: false });
  }
  return rooms.get(id);
}

function limited(user, kind) {
  const [hits, seconds] = LIMITS[kind];
  const window = Math.floor(Date.now() / 1000 / seconds);
  const key = `${kind}:${user.id}:${window}`;
  const n = (counters.get(key) || 0) + 1;
  counters.set(key, n);
  if (counters.size > 100000) counters.clear();
  return n > hits;
}

function presence(r) {
  return { session_id: r.id, online: r.online.size, on_site: 0 };
}

function schedulePresence(r) {
  if (r.presenceDue) return;
  r.presenceDue = true;
  setTimeout(() => {
    r.presenceDue = false;
    live.to(`session:${r.id}`).emit("presence", presence(r));
  }, PRESENCE_S * 1000);
}

const pollShape = (p) => ({
  id: p.id, session_id: p.session_id, title: p.title, kind: p.kind, status: p.status,
  options: p.options, max_choices: null, scale: null, results: "live", duration_s: null,
  allow_change: false, opened_at: p.opened_at, closes_at: null, closed_at: p.closed_at,
});
const tally = (p) => ({ poll_id: p.id, kind: p.kind, counts: { ...p.counts }, total: p.ballots.size, version: p.version });
const questionShape = (q) => ({
  id: q.id, session_id: q.session_id, text: q.text, votes: q.voters.size, status: q.status, pinned: false,
  anonymous: q.anonymous, edited: false, created_at: q.created_at, ...(q.anonymous ? {} : { author: q.author }),
});

function scheduleTally(p) {
  if (p.tallyDue) return;
  p.tallyDue = true;
  setTimeout(() => {
    p.tallyDue = false;
    if (p.status === "open") live.to(`session:${p.session_id}`).emit("poll:results", tally(p));
  }, TALLY_S * 1000);
}

const positive = (v) => Number.isInteger(v) && v > 0;

// The open room a question or chat line goes to, or the error: bad text, closed, rate limited.
function roomForText(user, data, longest, kind) {
  const text = typeof data.text === "string" ? data.text.trim() : "";
  if (!positive(data.session_id) || !text || text.length > longest) return { error: fail("invalid_payload") };
  const r = room(data.session_id);
  if (r.closed) return { error: fail("room_closed") };
  if (limited(user, kind)) return { error: fail("rate_limited") };
  return { r };
}

// A moderator opens a draft or closes an open poll: the room hears poll:opened or poll:closed.
function movePoll(user, data, from, code, to) {
  const p = polls.get(data.poll_id);
  if (!user.moderator) return fail("forbidden");
  if (!p) return fail("poll_not_found");
  if (p.status !== from) return fail(code);
  p.status = to;
  const room = live.to(`session:${p.session_id}`);
  if (to === "open") {
    p.opened_at = iso();
    room.emit("poll:opened", { poll: pollShape(p) });
    return { ok: true, poll: pollShape(p) };
  }
  p.closed_at = iso();
  const results = tally(p);
  room.emit("poll:closed", { poll_id: p.id, poll: pollShape(p), results });
  return { ok: true, poll: pollShape(p), results };
}

const handlers = {
  join(socket, user, data) {
    if (!positive(data.session_id)) return fail("invalid_payload");
    const r = room(data.session_id);
    const previous = socket.data.room;
    if (previous && previous !== r.id) leaveRoom(socket, user, rooms.get(previous));
    socket.join(`session:${r.id}`);
    socket.data.room = r.id;
    r.online.set(user.id, (r.online.get(user.id) || 0) + (previous === r.id ? 0 : 1));
    schedulePresence(r);
    const visible = r.questions.filter((q) => q.status !== "pending" || user.moderator || q.author.id === user.id);
    return {
      ok: true,
      state: {
        session: { id: r.id, moderated: r.moderated, closed: r.closed },
        presence: presence(r),
        questions: visible.map(questionShape),
        my_votes: visible.filter((q) => q.voters.has(user.id)).map((q) => q.id),
        chat: r.chat.slice(-50),
        is_moderator: user.moderator,
        polls: r.polls.map((p) => ({ ...pollShape(p), my_ballot: p.ballots.get(user.id) || null, tally: tally(p) })),
      },
    };
  },
  leave(socket, user, data) {
    const left = socket.data.room === data.session_id;
    if (left) leaveRoom(socket, user, rooms.get(data.session_id));
    return { ok: true, left };
  },
  "room:settings"(socket, user, data) {
    if (!user.moderator) return fail("forbidden");
    const r = room(data.session_id);
    if (typeof data.moderated === "boolean") r.moderated = data.moderated;
    const shape = { session_id: r.id, moderated: r.moderated, closed: r.closed };
    live.to(`session:${r.id}`).emit("room:updated", shape);
    return { ok: true, room: shape };
  },
  "question:ask"(socket, user, data) {
    const { r, error } = roomForText(user, data, 500, "question");
    if (error) return error;
    const q = {
      id: nextId++, session_id: r.id, text: data.text, voters: new Set(), status: r.moderated ? "pending" : "approved",
      anonymous: Boolean(data.anonymous), created_at: iso(), author: { id: user.id, name: user.name },
    };
    questions.set(q.id, q);
    r.questions.push(q);
    if (q.status === "approved") live.to(`session:${r.id}`).emit("question:new", { question: questionShape(q) });
    return { ok: true, question: { ...questionShape(q), author: q.author } };
  },
  "question:vote"(socket, user, data) {
    const q = questions.get(data.question_id);
    if (!q || q.status === "pending") return fail("question_not_found");
    if (rooms.get(q.session_id).closed) return fail("room_closed");
    if (q.voters.has(user.id)) return fail("already_voted");
    if (limited(user, "vote")) return fail("rate_limited");
    q.voters.add(user.id);
    const shape = questionShape(q);
    live.to(`session:${q.session_id}`).emit("question:updated", { question: shape });
    return { ok: true, question: shape, voted: true };
  },
  "chat:send"(socket, user, data) {
    const { r, error } = roomForText(user, data, 1000, "chat");
    if (error) return error;
    const message = { id: nextId++, session_id: r.id, text: data.text, author: { id: user.id, name: user.name }, created_at: iso() };
    r.chat.push(message);
    if (r.chat.length > 50) r.chat.shift();
    live.to(`session:${r.id}`).emit("chat:message", { message });
    return { ok: true, message };
  },
  "poll:create"(socket, user, data) {
    if (!user.moderator) return fail("forbidden");
    const options = Array.isArray(data.options) ? data.options : [];
    if (!data.title || options.length < 2) return fail("invalid_options");
    const p = {
      id: nextId++, session_id: data.session_id, title: data.title, kind: data.kind || "single", status: "draft",
      options: options.map((text) => ({ id: nextId++, text })), counts: {}, ballots: new Map(), version: 0,
      opened_at: null, closed_at: null, tallyDue: false,
    };
    for (const o of p.options) p.counts[o.id] = 0;
    polls.set(p.id, p);
    room(p.session_id).polls.push(p);
    return { ok: true, poll: pollShape(p) };
  },
  "poll:open"(socket, user, data) {
    return movePoll(user, data, "draft", "not_a_draft", "open");
  },
  "poll:close"(socket, user, data) {
    return movePoll(user, data, "open", "poll_not_open", "closed");
  },
  "poll:vote"(socket, user, data) {
    const p = polls.get(data.poll_id);
    if (!p || p.status === "draft") return fail("poll_not_found");
    if (p.status !== "open") return fail("poll_closed");
    if (rooms.get(p.session_id).closed) return fail("room_closed");
    const choices = data.choices;
    if (!Array.isArray(choices) || choices.length !== 1) return fail("invalid_choices");
    if (!(choices[0] in p.counts)) return fail("unknown_option");
    if (p.ballots.has(user.id)) return fail("already_voted");
    const ballot = { poll_id: p.id, choices, rating: null, words: null, text: null, cast_at: iso(), changed_at: null };
    p.ballots.set(user.id, ballot);
    p.counts[choices[0]] += 1;
    p.version += 1;
    scheduleTally(p);
    return { ok: true, ballot, changed: false, version: p.version };
  },
};

function leaveRoom(socket, user, r) {
  if (!r) return;
  socket.leave(`session:${r.id}`);
  socket.data.room = null;
  const n = (r.online.get(user.id) || 1) - 1;
  if (n > 0) r.online.set(user.id, n);
  else r.online.delete(user.id);
  schedulePresence(r);
}

live.use((socket, next) => {
  const token = socket.handshake.auth && socket.handshake.auth.token;
  if (typeof token !== "string" || !token) {
    const refused = new Error("sign in, or connect with auth={'token': <api token>}");
    refused.data = { code: "unauthenticated" };
    return next(refused);
  }
  socket.data.user = userFor(token);
  next();
});

live.on("connection", (socket) => {
  const user = socket.data.user;
  socket.onAny((event, ...args) => {
    const ack = args.length && typeof args[args.length - 1] === "function" ? args.pop() : null;
    const data = args[0];
    if (!ack) return;
    const handler = handlers[event];
    if (!handler) return ack(fail("unknown_event", `there is no event '${event}' on /live`));
    if (!data || typeof data !== "object" || Array.isArray(data)) return ack(fail("invalid_payload"));
    try {
      ack(handler(socket, user, data));
    } catch (err) {
      ack(fail("internal_error"));
    }
  });
  socket.on("disconnect", () => leaveRoom(socket, user, rooms.get(socket.data.room)));
});

server.listen(Number(process.argv[2]), "127.0.0.1", () => console.log(`listening on ${process.argv[2]}`));
