// Unary JSON calls (every request except streams) over node:http with
// kept-alive, pooled connections. fetch (undici) costs a Request, a Response,
// a WHATWG body stream and a combined AbortSignal per call; with hundreds of
// puts in flight that work, not the server, was what limited the remote
// client (the benchmark's client process was 97 % busy, the leader 56 %).

import http, {
  type ClientRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from 'node:http';
import https from 'node:https';
import { UnexpectedResponseError } from '../errors.js';
import { AttemptError, errorFromAnswer, failureOf } from './http.js';
import { agentTlsOptions, type RemoteTls } from './tls.js';

export interface UnaryAnswer {
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

export interface HttpPoolOptions {
  /** Open connections per endpoint at most; more concurrent calls queue for a free one. */
  readonly connectionsPerEndpointMax: number;
  /** Largest answer body read; a larger one fails the call with UnexpectedResponseError. */
  readonly responseBytesMax: number;
  /** CA, client certificate and verification for https:// endpoints. */
  readonly tls?: RemoteTls;
}

export interface UnaryOptions {
  readonly headers?: Readonly<Record<string, string>>;
  /** Bounds the whole exchange, reading the answer included. */
  readonly timeoutMs: number;
}

interface Target {
  readonly module: typeof http | typeof https;
  readonly agent: http.Agent;
  readonly hostname: string;
  readonly port: string;
  readonly basePath: string;
}

/**
 * An idle kept-alive connection is closed after this long, before the usual
 * server idle timeouts (Node's 5 s; shorter ones are honoured through their
 * Keep-Alive hint), so a call rarely lands on a connection the server is
 * closing: for a plain (not exactly-once) write that would be an unknown outcome.
 */
export const IDLE_CONNECTION_MS = 4_000;

export class HttpPool {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  /** Parsed endpoints; bounded by the endpoints a client may know (ENDPOINTS_MAX). */
  private readonly targets = new Map<string, Target>();
  /** Calls in flight, so close() can end them (one entry per caller, who bounds them). */
  private readonly inflight = new Set<ClientRequest>();
  private closed = false;

  constructor(private readonly options: HttpPoolOptions) {
    const agentOptions = {
      keepAlive: true,
      timeout: IDLE_CONNECTION_MS,
      maxSockets: options.connectionsPerEndpointMax,
      scheduling: 'lifo' as const,
    };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent({ ...agentOptions, ...agentTlsOptions(options.tls) });
  }

  /** POSTs JSON and resolves with the JSON answer (status 200), or rejects with AttemptError / a typed error. */
  postJson(
    endpoint: string,
    path: string,
    body: unknown,
    options: UnaryOptions,
  ): Promise<UnaryAnswer> {
    if (this.closed)
      return Promise.reject(
        failureOf(endpoint, new DOMException('the client is closed', 'AbortError')),
      );
    const target = this.target(endpoint);
    const payload = Buffer.from(JSON.stringify(body), 'utf8');
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inflight.delete(req);
        outcome();
      };
      const req = target.module.request({
        method: 'POST',
        agent: target.agent,
        hostname: target.hostname,
        port: target.port,
        path: `${target.basePath}${path}`,
        headers: {
          'content-type': 'application/json',
          'content-length': payload.length,
          ...options.headers,
        },
      });
      const timer = setTimeout(
        () => req.destroy(new DOMException('request timed out', 'TimeoutError')),
        options.timeoutMs,
      );
      this.inflight.add(req);
      req.on('error', (err) => settle(() => reject(failureOf(endpoint, err))));
      req.on('response', (res) => {
        this.readAnswer(endpoint, res).then(
          (answer) => settle(() => resolve(answer)),
          (err: unknown) => settle(() => reject(err)),
        );
      });
      req.end(payload);
    });
  }

  /** Ends the calls in flight (they fail as aborted) and closes the connections. */
  close(): void {
    this.closed = true;
    for (const req of this.inflight)
      req.destroy(new DOMException('the client is closed', 'AbortError'));
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async readAnswer(endpoint: string, res: IncomingMessage): Promise<UnaryAnswer> {
    const status = res.statusCode ?? 0;
    if (status === 307 || status === 308) {
      res.resume();
      const location = res.headers.location;
      const hint = location ? new URL(location, endpoint).origin : undefined;
      throw new AttemptError('refused', endpoint, `redirected to ${location ?? 'nowhere'}`, hint);
    }
    const text = await this.readText(endpoint, res);
    if (status !== 200) {
      const leader = res.headers['x-flotilla-leader'];
      throw errorFromAnswer(
        endpoint,
        status,
        text,
        typeof leader === 'string' ? leader : undefined,
      );
    }
    try {
      return { headers: res.headers, body: JSON.parse(text) };
    } catch {
      throw new UnexpectedResponseError(
        `${endpoint} answered with invalid JSON: ${text.slice(0, 200)}`,
      );
    }
  }

  private readText(endpoint: string, res: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > this.options.responseBytesMax) {
          reject(
            new UnexpectedResponseError(
              `${endpoint} answered with more than ${this.options.responseBytesMax} bytes (responseBytesMax): raise it or ask for less (limit, keysOnly)`,
            ),
          );
          res.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve(Buffer.concat(chunks, bytes).toString('utf8')));
      res.on('error', (err) =>
        reject(
          new AttemptError(
            'unknown',
            endpoint,
            'connection lost while reading the answer',
            undefined,
            { cause: err },
          ),
        ),
      );
      // A connection cut mid-answer ends the response without 'end' or 'error' on some Node versions.
      res.on('close', () => {
        if (!res.complete)
          reject(new AttemptError('unknown', endpoint, 'connection lost while reading the answer'));
      });
    });
  }

  private target(endpoint: string): Target {
    let target = this.targets.get(endpoint);
    if (target === undefined) {
      const url = new URL(endpoint);
      const secure = url.protocol === 'https:';
      if (!secure && url.protocol !== 'http:')
        throw new RangeError(`endpoint ${endpoint} must be an http:// or https:// URL`);
      target = {
        module: secure ? https : http,
        agent: secure ? this.httpsAgent : this.httpAgent,
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port || (secure ? '443' : '80'),
        basePath: url.pathname.replace(/\/+$/, ''),
      };
      this.targets.set(endpoint, target);
    }
    return target;
  }
}
