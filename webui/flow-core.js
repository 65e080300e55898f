// The logic of a message-flow diagram that both the master's live flow page and
// `mesos-trace --format=html` use: indexing messages by id and cause, the causal chain of one
// message (everything that led to it and everything it led to), and text filtering.
// Plain ES2017 functions: mesos-trace inlines this file (without its `export` words) into a
// self-contained page, the web UI imports it as a module.

/** Maps each message id to its position, and each id to the positions of the messages it caused. */
export function indexMessages(msgs) {
  var index = {};
  var children = {};
  for (var i = 0; i < msgs.length; i++) {
    var m = msgs[i];
    index[m.id] = i;
    if (m.cause !== null && m.cause !== undefined) {
      if (!children[m.cause]) children[m.cause] = [];
      children[m.cause].push(i);
    }
  }
  return { index: index, children: children };
}

/** Positions of message i, its causes up to the root, and all of its effects, as an object of `true`s. */
export function causalChain(msgs, idx, i) {
  var keep = {};
  var j = i;
  while (j !== undefined && !keep[j]) {
    keep[j] = true;
    j = msgs[j].cause === null || msgs[j].cause === undefined ? undefined : idx.index[msgs[j].cause];
  }
  var stack = [i];
  while (stack.length > 0) {
    var kids = idx.children[msgs[stack.pop()].id] || [];
    for (var k = 0; k < kids.length; k++) {
      if (!keep[kids[k]]) {
        keep[kids[k]] = true;
        stack.push(kids[k]);
      }
    }
  }
  return keep;
}

var HAYSTACK_KEYS = ['name', 'id', 'cause', 'from', 'to', 'status', 'reason', 'framework_id', 'task_id', 'agent_id'];

/** The lower-cased text a filter box searches in. */
export function haystackOf(m) {
  return HAYSTACK_KEYS.map(function (k) { return m[k] === undefined || m[k] === null ? '' : String(m[k]); }).join(' ').toLowerCase();
}

/** Whitespace-separated terms of a filter box; every one must occur. */
export function filterTerms(text) {
  return text.toLowerCase().split(/\s+/).filter(function (t) { return t !== ''; });
}

export function matchesTerms(haystack, terms) {
  return terms.every(function (t) { return haystack.indexOf(t) >= 0; });
}

/**
 * The width of one lifeline column so that `count` columns fit into `available` pixels, between
 * a readable minimum (below it the diagram scrolls sideways under a sticky header) and a maximum.
 */
export function columnWidth(available, count, min, max) {
  if (count <= 0) return max;
  return Math.max(min, Math.min(max, Math.floor(available / count)));
}
