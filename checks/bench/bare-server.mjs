// The smallest HTTP server Node has, answering what /api/health answers: the latency floor of
// the machine and the load generator, measured beside the API so that a slow row can be told
// apart from a slow machine. Prints its URL, then serves until killed.
import http from "node:http";

const body = JSON.stringify({ status: "ok" });
const server = http.createServer((_request, response) => {
  response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  response.end(body);
});
server.listen(0, "127.0.0.1", () => console.log(`http://127.0.0.1:${server.address().port}`));
