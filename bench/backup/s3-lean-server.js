"use strict";
// The benchmark's default S3 server: the S3 calls dbpipe's store makes (PutObject, GetObject,
// HeadObject, DeleteObject, ListObjectsV2 and the multipart upload), answered on loopback at the
// least cost to the machine that also runs dbpipe, pg_dump and PostgreSQL. Each object and each
// part is streamed to a file of its own as it arrives; CompleteMultipartUpload records the parts'
// order, as S3 does, instead of copying them into a new file (s3rver copies and hashes the whole
// object again there, seconds at 1 GB that dbpipe waits for); GetObject streams the parts in
// order. ETags are opaque tokens, not MD5s: S3 hashes on its own machines, not on the client's.
// Requests are not authenticated (the benchmark's own loopback port). Not a general S3 server:
// no versions, ranges, copies or paging of listings over 1,000 keys.
//
// `node s3-lean-server.js <folder> <bucket>` prints `{"port":N}` on one line once it listens and
// runs until stdin closes (its parent exited) or it gets SIGTERM, as s3-server.js does.
const fs = require("node:fs");
const http = require("node:http");
const path = require("node:path");
const { once } = require("node:events");
const { Buffer } = require("node:buffer");
const { URL } = require("node:url");
const { pipeline } = require("node:stream/promises");

const [directory, bucket] = process.argv.slice(2);
if (!directory || !bucket) {
  console.error("usage: node s3-lean-server.js <folder> <bucket>");
  process.exit(2);
}
fs.mkdirSync(directory, { recursive: true });

/** key -> { files: string[], size: number, etag: string, modified: Date } */
const objects = new Map();
/** upload id -> { key: string, parts: Map<number, { file: string, size: number, etag: string }> } */
const uploads = new Map();
let serial = 0;

const xml = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const newFile = () => path.join(directory, `${++serial}`);
const newTag = () => `"${process.pid.toString(16)}${(++serial).toString(16).padStart(8, "0")}"`;

function send(res, status, body = "", headers = {}) {
  res.writeHead(status, { "Content-Type": "application/xml", "Content-Length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

function error(res, status, code, message) {
  send(res, status, `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xml(message)}</Message></Error>`);
}

function remove(files) {
  for (const f of files) fs.rm(f, { force: true }, () => undefined);
}

/** Writes the request's body to a new file; resolves to its path and size. */
async function receive(req) {
  const file = newFile();
  let size = 0;
  req.on("data", (chunk) => (size += chunk.length));
  await pipeline(req, fs.createWriteStream(file));
  return { file, size };
}

async function readAll(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
}

/** Echoes the checksum headers the client sent, as S3 does after checking them. */
function checksumHeaders(req) {
  const out = {};
  for (const [k, v] of Object.entries(req.headers)) if (k.startsWith("x-amz-checksum-") && k !== "x-amz-checksum-type") out[k] = v;
  return out;
}

async function handle(req, res) {
  const url = new URL(req.url, "http://localhost");
  const [, name, ...rest] = url.pathname.split("/");
  if (decodeURIComponent(name) !== bucket) return error(res, 404, "NoSuchBucket", "The specified bucket does not exist");
  const key = rest.map(decodeURIComponent).join("/");
  const q = url.searchParams;

  if (!key) {
    if (req.method === "GET" && q.get("list-type") === "2") {
      const prefix = q.get("prefix") ?? "";
      const keys = [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
      const contents = keys
        .map((k) => {
          const o = objects.get(k);
          return `<Contents><Key>${xml(k)}</Key><LastModified>${o.modified.toISOString()}</LastModified><ETag>${xml(o.etag)}</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
        })
        .join("");
      return send(
        res,
        200,
        `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult><Name>${xml(bucket)}</Name><Prefix>${xml(prefix)}</Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`,
      );
    }
    if (req.method === "HEAD" || req.method === "GET") return send(res, 200);
    return error(res, 501, "NotImplemented", `${req.method} on the bucket`);
  }

  if (req.method === "POST" && q.has("uploads")) {
    const id = `u${++serial}`;
    uploads.set(id, { key, parts: new Map() });
    return send(res, 200, `<?xml version="1.0" encoding="UTF-8"?>\n<InitiateMultipartUploadResult><Bucket>${xml(bucket)}</Bucket><Key>${xml(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`);
  }
  if (q.has("uploadId")) {
    const id = q.get("uploadId");
    const upload = uploads.get(id);
    if (!upload || upload.key !== key) return error(res, 404, "NoSuchUpload", "The specified multipart upload does not exist");
    if (req.method === "PUT") {
      const n = Number(q.get("partNumber"));
      const { file, size } = await receive(req);
      const old = upload.parts.get(n);
      if (old) remove([old.file]);
      const etag = newTag();
      upload.parts.set(n, { file, size, etag });
      return send(res, 200, "", { ETag: etag, ...checksumHeaders(req) });
    }
    if (req.method === "DELETE") {
      uploads.delete(id);
      remove([...upload.parts.values()].map((p) => p.file));
      return send(res, 204);
    }
    if (req.method === "POST") {
      const body = await readAll(req);
      const numbers = [...body.matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => Number(m[1]));
      const parts = [];
      for (const n of numbers) {
        const p = upload.parts.get(n);
        if (!p) return error(res, 400, "InvalidPart", `part ${n} was not uploaded`);
        parts.push(p);
      }
      uploads.delete(id);
      const unused = [...upload.parts.values()].filter((p) => !parts.includes(p));
      remove(unused.map((p) => p.file));
      const etag = `"${newTag().slice(1, -1)}-${parts.length}"`;
      const old = objects.get(key);
      objects.set(key, { files: parts.map((p) => p.file), size: parts.reduce((a, p) => a + p.size, 0), etag, modified: new Date() });
      if (old) remove(old.files);
      return send(res, 200, `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult><Bucket>${xml(bucket)}</Bucket><Key>${xml(key)}</Key><ETag>${xml(etag)}</ETag></CompleteMultipartUploadResult>`);
    }
  }

  if (req.method === "PUT") {
    const { file, size } = await receive(req);
    const etag = newTag();
    const old = objects.get(key);
    objects.set(key, { files: [file], size, etag, modified: new Date() });
    if (old) remove(old.files);
    return send(res, 200, "", { ETag: etag, ...checksumHeaders(req) });
  }
  const object = objects.get(key);
  if (req.method === "DELETE") {
    objects.delete(key);
    if (object) remove(object.files);
    return send(res, 204);
  }
  if (req.method === "GET" || req.method === "HEAD") {
    if (!object) return req.method === "HEAD" ? send(res, 404) : error(res, 404, "NoSuchKey", "The specified key does not exist.");
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": object.size, ETag: object.etag, "Last-Modified": object.modified.toUTCString() });
    if (req.method === "HEAD") return res.end();
    for (const f of object.files) {
      for await (const chunk of fs.createReadStream(f, { highWaterMark: 1 << 20 })) if (!res.write(chunk)) await once(res, "drain");
    }
    return res.end();
  }
  return error(res, 501, "NotImplemented", `${req.method} ${url.search}`);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    if (!res.headersSent) error(res, 500, "InternalError", e.message);
    else res.destroy(e);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
  const stop = () => process.exit(0);
  process.once("SIGTERM", stop);
  process.stdin.on("end", stop);
  process.stdin.resume();
});
