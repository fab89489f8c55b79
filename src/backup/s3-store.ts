import type { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { FailureError, InputError } from "../errors";
import { type DumpChunks, DumpMeter } from "./dump-meter";
import { type BackupManifest, type BackupStore, type StoredBackup, type StoredFacts, checkBackupId, listedManifest, newestFirst, parseManifest } from "./store";

/**
 * Backups in an S3 bucket (`s3://<bucket>/<prefix>`), the environment's backup bucket: objects
 * `<prefix>/<id>.dump` and `<prefix>/<id>.json`. A dump is streamed up as a multipart upload from a
 * fixed set of part buffers ({@link PartUpload}): memory is `partSize × (queueSize + 1)`, set by the
 * options, however large the database. The manifest is put only once the upload completed; a
 * failure part way aborts the upload, leaving neither.
 * Retention is the bucket's lifecycle rule, not this code's: this store deletes no backup but the
 * one `delete` names (and a failed upload's dump). A `<id>.json` beside a `<id>.dump` that is not a
 * manifest is skipped by `list` with a warning (`onWarning`), never deleted.
 *
 * Credentials, region and endpoint come from the usual AWS places (`AWS_PROFILE`,
 * `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, `~/.aws/config`, an instance or task role;
 * `AWS_REGION`; `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` for an S3-compatible server).
 */

/** Options of an {@link S3Store}. */
export interface S3StoreOptions {
  /** The region. Default: the AWS SDK's (`AWS_REGION`, the profile's region). */
  region?: string;
  /** An S3-compatible endpoint (path-style addressing). Default: `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`, then AWS's own. */
  endpoint?: string;
  /**
   * The multipart upload's part size in bytes (at least 5 MiB, S3's minimum). Default 8 MiB. A dump
   * of more than 1,000 parts uploads larger ones as it goes (see {@link PartUpload}), so the size
   * only bounds memory up to that point (8 GiB of dump at the default).
   */
  partSize?: number;
  /**
   * Parts uploaded at once. Default 2: the upload holds `partSize × (queueSize + 1)` bytes of parts
   * (24 MiB), and two 8 MiB parts in flight keep up with pg_dump's compressed output; more only
   * holds more memory.
   */
  queueSize?: number;
  /** The environment to read the endpoint from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Told, in a sentence naming the objects, what `list` skipped: a backup whose manifest it cannot read. Default: nobody is told. */
  onWarning?: (message: string) => void;
}

/** S3's smallest part (but the last). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
/** The default part size: 8 MiB. */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
/** The default number of parts in flight. */
export const DEFAULT_QUEUE_SIZE = 2;
/** S3's most parts in one upload. */
const MAX_PARTS = 10_000;
/** Parts of one size before the size doubles: 1,000 parts each of 1×, 2×, 4×, … the part size reach S3's 5 TiB within 10,000 parts. */
const PARTS_PER_SIZE = 1_000;

/** A {@link BackupStore} in an S3 bucket. */
export class S3Store implements BackupStore {
  readonly url: string;
  private client?: S3Client;

  constructor(
    /** The bucket. */
    readonly bucket: string,
    /** The key prefix, without leading or trailing `/`; empty for the bucket's root. */
    readonly prefix: string,
    private readonly options: S3StoreOptions = {},
  ) {
    if (options.partSize !== undefined && options.partSize < MIN_PART_SIZE) throw new InputError(`the S3 part size must be at least ${MIN_PART_SIZE} bytes (5 MiB), got ${options.partSize}`);
    this.url = `s3://${bucket}${prefix ? `/${prefix}` : ""}`;
  }

  async put(id: string, dump: DumpChunks, describe: (facts: StoredFacts) => BackupManifest): Promise<StoredBackup> {
    checkBackupId(id);
    const meter = new DumpMeter();
    // The dump starts now (pg_dump connects and reads the catalog) while the SDK loads and the
    // bucket is asked; its first chunk waits for the upload.
    const early = startEarly(meter.through(dump));
    let client: S3Client;
    try {
      client = await this.s3();
      if (await this.exists(this.key(`${id}.json`))) throw new InputError(`backup ${id} already exists in ${this.url}`);
    } catch (error) {
      await early.cancel();
      throw error;
    }
    const dumpKey = this.key(`${id}.dump`);
    const upload = new PartUpload(client, this.bucket, dumpKey, this.options.partSize ?? DEFAULT_PART_SIZE, this.options.queueSize ?? DEFAULT_QUEUE_SIZE);
    try {
      // A failing dump fails the upload (the iteration throws), which then aborts.
      await upload.run(early.chunks);
    } catch (error) {
      await upload.abort();
      // A single-part upload may have landed before the stream failed: without its manifest it is
      // no backup, so remove it.
      await this.deleteKeys([dumpKey]).catch(() => undefined);
      throw this.failure(`could not upload backup ${id} to ${this.url}`, error);
    }
    const manifest = describe({ bytes: meter.bytes, sha256: meter.sha256() });
    const { PutObjectCommand } = await import("@aws-sdk/client-s3");
    try {
      await client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: this.key(`${id}.json`), Body: `${JSON.stringify(manifest, null, 2)}\n`, ContentType: "application/json" }),
      );
    } catch (error) {
      throw this.failure(`uploaded backup ${id} to ${this.url} but could not write its manifest`, error);
    }
    return { manifest, ref: `s3://${this.bucket}/${dumpKey}` };
  }

  async open(id: string): Promise<{ manifest: BackupManifest; dump: Readable; location: string }> {
    checkBackupId(id);
    const manifest = await this.readManifest(this.key(`${id}.json`));
    if (!manifest) throw new InputError(`there is no backup ${id} in ${this.url} (dbpipe backups lists them)`);
    const { GetObjectCommand } = await import("@aws-sdk/client-s3");
    try {
      const got = await (await this.s3()).send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(`${id}.dump`) }));
      return { manifest, dump: got.Body as Readable, location: `s3://${this.bucket}/${this.key(`${id}.dump`)}` };
    } catch (error) {
      if (isNotFound(error)) throw new InputError(`backup ${id} in ${this.url} has a manifest but no dump`);
      throw this.failure(`could not download backup ${id} from ${this.url}`, error);
    }
  }

  async list(): Promise<StoredBackup[]> {
    const { ListObjectsV2Command } = await import("@aws-sdk/client-s3");
    const client = await this.s3();
    const keys = new Set<string>();
    let token: string | undefined;
    try {
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix ? `${this.prefix}/` : undefined, ContinuationToken: token }));
        for (const o of page.Contents ?? []) if (o.Key) keys.add(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw this.failure(`could not list the backups in ${this.url}`, error);
    }
    const backups: StoredBackup[] = [];
    for (const key of keys) {
      if (!key.endsWith(".json") || key.slice(this.keyPrefix().length).includes("/")) continue;
      const dumpKey = `${key.slice(0, -".json".length)}.dump`;
      if (!keys.has(dumpKey)) continue;
      const id = key.slice(this.keyPrefix().length, -".json".length);
      // Damaged, cut short, or not dbpipe's (an InputError): not a backup, but a dump someone may
      // still want. Any other failure (the network, the credentials) fails the listing.
      const manifest = await listedManifest(
        id,
        () => this.readManifest(key),
        { dump: `s3://${this.bucket}/${dumpKey}`, manifest: `s3://${this.bucket}/${key}`, things: "objects" },
        this.options.onWarning,
        (error) => error instanceof InputError,
      );
      if (manifest) backups.push({ manifest, ref: `s3://${this.bucket}/${dumpKey}` });
    }
    return newestFirst(backups);
  }

  async delete(id: string): Promise<void> {
    checkBackupId(id);
    // The manifest first: a dump without one is not a backup, whatever happens next.
    await this.deleteKeys([this.key(`${id}.json`)]);
    await this.deleteKeys([this.key(`${id}.dump`)]);
  }

  private async s3(): Promise<S3Client> {
    if (this.client) return this.client;
    // The SDK warns on Node 20 about its own future releases: nothing a dbpipe user can act on,
    // and noise on every backup. dbpipe pins its SDK version.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const { S3Client } = await import("@aws-sdk/client-s3");
    const env = this.options.env ?? process.env;
    const endpoint = this.options.endpoint ?? nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL);
    this.client = new S3Client({
      ...(this.options.region ? { region: this.options.region } : {}),
      // S3-compatible servers (MinIO, a test server) want path-style addressing.
      ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
      followRegionRedirects: true,
    });
    return this.client;
  }

  private keyPrefix(): string {
    return this.prefix ? `${this.prefix}/` : "";
  }

  private key(name: string): string {
    return `${this.keyPrefix()}${name}`;
  }

  private async exists(key: string): Promise<boolean> {
    const { HeadObjectCommand } = await import("@aws-sdk/client-s3");
    try {
      await (await this.s3()).send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw this.failure(`could not read ${this.url}`, error);
    }
  }

  private async readManifest(key: string): Promise<BackupManifest | undefined> {
    const { GetObjectCommand } = await import("@aws-sdk/client-s3");
    let text: string;
    try {
      const got = await (await this.s3()).send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      text = (await got.Body?.transformToString("utf8")) ?? "";
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.failure(`could not read s3://${this.bucket}/${key}`, error);
    }
    return parseManifest(text, `s3://${this.bucket}/${key}`);
  }

  private async deleteKeys(keys: string[]): Promise<void> {
    const { DeleteObjectCommand } = await import("@aws-sdk/client-s3");
    const client = await this.s3();
    for (const key of keys) {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
      } catch (error) {
        if (!isNotFound(error)) throw this.failure(`could not delete s3://${this.bucket}/${key}`, error);
      }
    }
  }

  /** An S3 or network error as a FailureError that says what was being done, and what to do about missing credentials or region. */
  private failure(what: string, error: unknown): FailureError {
    if (error instanceof FailureError || error instanceof InputError) return error as FailureError;
    const e = error as { name?: string; message?: string; Code?: string };
    const name = e.Code ?? e.name ?? "Error";
    let next = "";
    if (name === "CredentialsProviderError" || /credentials/i.test(e.message ?? "")) next = "; set AWS credentials (AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a role)";
    else if (/region is missing/i.test(e.message ?? "")) next = "; set AWS_REGION (or the stack's aws:region)";
    else if (name === "NoSuchBucket") next = `; the bucket ${this.bucket} does not exist (pulumi up creates it; pulumi stack output backupBucket names it)`;
    return new FailureError(`${what}: ${name === "Error" ? "" : `${name}: `}${e.message ?? String(error)}${next}`, { cause: error });
  }
}

/**
 * One dump's upload: `queueSize + 1` part buffers allocated once and reused, so memory is
 * `partSize × (queueSize + 1)` whatever the dump's size (lib-storage's `Upload` concatenates every
 * part into a new buffer and leaves the old ones to the garbage collector, whose timing then sets
 * the peak). The stream is copied into the buffer being filled; a full one is sent as the next part
 * while the next buffer fills; when all are in flight, reading waits (backpressure reaches pg_dump).
 * A dump smaller than one part is a single PutObject. S3 allows 10,000 parts, so after every 1,000
 * the part size doubles (each buffer is then reallocated once at the larger size).
 */
export class PartUpload {
  /** The multipart upload's id, once created. */
  uploadId?: string;
  private readonly parts: { PartNumber: number; ETag: string; ChecksumCRC32?: string }[] = [];
  private checksums = false;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly partSize: number,
    private readonly queueSize: number,
    /** Parts of one size before the size doubles. Default 1,000. */
    private readonly partsPerSize = PARTS_PER_SIZE,
  ) {}

  /** Uploads everything `body` yields (each chunk is copied at once: lent chunks are safe); rejects on the first failure (call {@link abort} then). */
  async run(body: DumpChunks): Promise<void> {
    const { CreateMultipartUploadCommand, UploadPartCommand, CompleteMultipartUploadCommand, PutObjectCommand } = await import("@aws-sdk/client-s3");
    this.checksums = (await this.client.config.requestChecksumCalculation()) === "WHEN_SUPPORTED";
    let free: Buffer[] = [];
    const inFlight = new Map<number, Promise<void>>();
    let failure: unknown;
    let buffer: Buffer = Buffer.allocUnsafeSlow(this.partSize);
    let filled = 0;
    let partNumber = 0;
    const sizeOf = (n: number) => this.partSize * 2 ** Math.floor((n - 1) / this.partsPerSize);
    const send = async (part: Buffer, length: number) => {
      partNumber += 1;
      if (partNumber > MAX_PARTS) throw new Error(`the dump needs more than ${MAX_PARTS} parts of up to ${sizeOf(MAX_PARTS)} bytes`);
      if (!this.uploadId) {
        const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, ContentType: "application/octet-stream", ...(this.checksums ? { ChecksumAlgorithm: "CRC32" } : {}) }));
        this.uploadId = created.UploadId;
      }
      const n = partNumber;
      const sending = this.client
        .send(new UploadPartCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, PartNumber: n, Body: part.subarray(0, length), ...(this.checksums ? { ChecksumAlgorithm: "CRC32" } : {}) }))
        .then((sent) => {
          if (!sent.ETag) throw new Error(`part ${n} came back without an ETag`);
          this.parts.push({ PartNumber: n, ETag: sent.ETag, ...(sent.ChecksumCRC32 ? { ChecksumCRC32: sent.ChecksumCRC32 } : {}) });
          free.push(part);
        })
        .catch((error: unknown) => {
          failure ??= error;
        })
        .finally(() => inFlight.delete(n));
      inFlight.set(n, sending);
    };
    /** The next buffer to fill: a free one, else a new one while fewer than queueSize + 1 exist, else the first to come back. */
    const nextBuffer = async (): Promise<Buffer> => {
      while (free.length === 0 && inFlight.size >= this.queueSize && failure === undefined) await Promise.race(inFlight.values());
      if (failure !== undefined) throw failure;
      const size = sizeOf(partNumber + 1);
      free = free.filter((b) => b.length === size);
      return free.pop() ?? Buffer.allocUnsafeSlow(size);
    };
    try {
      for await (const chunk of body) {
        let at = 0;
        while (at < chunk.length) {
          if (filled === buffer.length) {
            await send(buffer, filled);
            buffer = await nextBuffer();
            filled = 0;
          }
          const n = chunk.copy(buffer, filled, at, Math.min(chunk.length, at + buffer.length - filled));
          filled += n;
          at += n;
        }
        if (failure !== undefined) throw failure;
      }
    } catch (error) {
      // Parts still in flight settle first, so that an abort after this one finds no part arriving later.
      await Promise.all(inFlight.values());
      throw error;
    }
    if (partNumber === 0) {
      // Smaller than one part: one PutObject.
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key, Body: buffer.subarray(0, filled), ContentType: "application/octet-stream" }));
      return;
    }
    if (filled > 0) await send(buffer, filled);
    await Promise.all(inFlight.values());
    if (failure !== undefined) throw failure;
    this.parts.sort((a, b) => a.PartNumber - b.PartNumber);
    await this.client.send(new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, MultipartUpload: { Parts: this.parts } }));
  }

  /** Aborts the multipart upload, if one was created (if this fails too, the bucket's lifecycle rule removes the parts of unfinished uploads after a day). */
  async abort(): Promise<void> {
    if (!this.uploadId) return;
    const { AbortMultipartUploadCommand } = await import("@aws-sdk/client-s3");
    await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId })).catch(() => undefined);
  }
}

/**
 * `chunks` with their first chunk asked for at once (so their source starts working), and the
 * rest when read. `cancel` stops them unread (their source is ended through the iterator's
 * `return`); reading `chunks` to the end, or stopping early, needs no cancel.
 */
export function startEarly(chunks: DumpChunks): { chunks: DumpChunks; cancel(): Promise<void> } {
  const iterator = chunks[Symbol.asyncIterator]();
  const first = iterator.next();
  // A failure is reported to whoever reads the chunks; unread (cancelled), it is of no interest.
  first.catch(() => undefined);
  let read = false;
  async function* rest(): AsyncGenerator<Buffer> {
    let done = false;
    try {
      let next = await first;
      while (!next.done) {
        yield next.value;
        next = await iterator.next();
      }
      done = true;
    } finally {
      // Stopped early (the upload failed) or failed: end the source.
      if (!done) await iterator.return?.();
    }
  }
  return {
    chunks: {
      [Symbol.asyncIterator]() {
        if (read) throw new Error("the dump's chunks can be read once");
        read = true;
        return rest();
      },
    },
    cancel: async () => {
      read = true;
      await first.catch(() => undefined);
      await iterator.return?.();
    },
  };
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === "NotFound" || e?.name === "NoSuchKey" || e?.$metadata?.httpStatusCode === 404;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}
