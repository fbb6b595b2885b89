/* The call of the live page's room (a breakout room or an interactive session): calls.js on Live. */
import Live from "./live.js";
import { startCalls } from "./calls.js";

var root = document.getElementById("call");
if (root) {
  startCalls(root, {
    key: function () { return { session_id: Live.sessionId }; },
    emit: function (event, payload) { return Live.emit(event, payload); },
    on: function (event, handler) { Live.on(event, handler); },
    isModerator: function () { return !!Live.me.is_moderator; },
    onState: function (handler) { Live.onState(handler); }
  });
}
