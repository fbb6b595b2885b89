/* The one way a page opens its connection to the /live namespace (see docs/protocol.md).
 *
 * The vendored socket.io client (static/vendor/socket.io-client-*) is a classic script that the
 * page loads before its modules; it defines the global `io`. The socket is authenticated by the
 * session cookie, sent with the handshake.
 *
 * python-socketio does not replay what was missed while disconnected: `onConnect` runs after the
 * first connection and after every reconnection, and is where a page joins (or subscribes) again
 * and rebuilds itself from the full state snapshot the server answers with.
 */

export const ACK_TIMEOUT_MS = 10000;

/* The sign-in was refused: retrying will not help until the person signs in again. */
const SIGNED_OUT_CODES = new Set(["unauthenticated", "invalid_token"]);

/* True when the socket.io client script is on the page. */
export function liveAvailable() {
  return typeof window.io === "function";
}

/* Opens the socket to /live and returns it.
 *
 *   onConnect(socket)            after every (re)connection: join again
 *   onDisconnect(reason)         the connection dropped (socket.io reconnects by itself)
 *   onConnectError(signedOut)    a (re)connection failed; signedOut when the server refused the sign-in
 *   reopenAfterServerClose       the server closes a socket itself only when its person signs out;
 *                                socket.io does not retry then. A page that wants to say "you are
 *                                signed out" opens it again and learns it from the refusal.
 */
export function openLive({ onConnect, onDisconnect, onConnectError, reopenAfterServerClose = false } = {}) {
  const socket = window.io("/live", { transports: ["websocket", "polling"], withCredentials: true });
  socket.on("connect", () => { if (onConnect) { onConnect(socket); } });
  socket.on("disconnect", (reason) => {
    if (onDisconnect) { onDisconnect(reason); }
    if (reopenAfterServerClose && reason === "io server disconnect") { socket.connect(); }
  });
  socket.on("connect_error", (err) => {
    const data = err && err.data;
    if (onConnectError) { onConnectError(!!(data && SIGNED_OUT_CODES.has(data.code))); }
  });
  return socket;
}

/* Emits `event` and resolves with the server's ack. Never rejects: no answer within
 * ACK_TIMEOUT_MS resolves {ok: false, error: {code: "timeout"}}, an empty answer {code: "no_reply"}. */
export function request(socket, event, payload) {
  return new Promise((resolve) => {
    socket.timeout(ACK_TIMEOUT_MS).emit(event, payload || {}, (err, ack) => {
      if (err) {
        resolve({ ok: false, error: { code: "timeout", message: "the server did not answer in time" } });
      } else {
        resolve(ack || { ok: false, error: { code: "no_reply", message: "empty reply" } });
      }
    });
  });
}
