// A standard EventSource client (the W3C-compliant `eventsource` package Debian ships as
// node-eventsource) reading hookbench's /stream: it collects event ids until it has at least
// `count` of them and the stream has opened `opens` times (so it has resumed at least once after
// the backlog, however slowly node started), or `bound_ms` passes, and prints one JSON line: the
// ids in order, how many times the stream opened, and the last lastEventId it saw.
// Usage: node eventsource_reader.js URL COUNT OPENS BOUND_MS
'use strict';
const EventSource = require('eventsource');
const [url, count, wantOpens, boundMs] =
    [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])];
const ids = [];
let opens = 0;
let lastEventId = '';
// The producer wants its API token (the test passes it in HOOKBENCH_TOKEN).
const es = new EventSource(url, {headers: {Authorization: `Bearer ${process.env.HOOKBENCH_TOKEN}`}});
const finish = () => {
  es.close();
  console.log(JSON.stringify({ids, opens, lastEventId}));
  process.exit(0);
};
es.onopen = () => { opens += 1; };
es.onmessage = (m) => {
  const event = JSON.parse(m.data);
  if (String(event.id) !== m.lastEventId) {
    console.log(JSON.stringify({error: `id ${event.id} but lastEventId ${m.lastEventId}`}));
    process.exit(1);
  }
  ids.push(event.id);
  lastEventId = m.lastEventId;
  if (ids.length >= count && opens >= wantOpens) finish();
};
setTimeout(finish, boundMs);
