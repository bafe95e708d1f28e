// A webhook receiver for bench/webhooks.sh: answers 204 to every POST and counts them, and the
// distinct webhook-ids among them (a delivery made twice shows as calls > distinct); it also counts
// events of one subject that come before an earlier one (by time).
// GET /count: {"calls","distinct","outOfOrder"}.
import http from 'node:http';

const port = Number(process.argv[2] || 18095);
let calls = 0;
let outOfOrder = 0;
const last = new Map();
const ids = new Set();

http.createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ calls, distinct: ids.size, outOfOrder }));
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    calls++;
    ids.add(req.headers['webhook-id']);
    try {
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const previous = last.get(event.subject);
      if (previous && previous > event.time) outOfOrder++;
      last.set(event.subject, event.time);
    } catch (e) { /* not an event: counted, not checked */ }
    res.writeHead(204);
    res.end();
  });
}).listen(port, '127.0.0.1');
