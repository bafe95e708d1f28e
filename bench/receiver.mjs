// A webhook receiver for bench/ordered.sh: answers 204 to every POST and counts them; it also
// counts events of one subject that come before an earlier one (by time). GET /count: {"calls","outOfOrder"}.
import http from 'node:http';

const port = Number(process.argv[2] || 18095);
let calls = 0;
let outOfOrder = 0;
const last = new Map();

http.createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ calls, outOfOrder }));
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    calls++;
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
