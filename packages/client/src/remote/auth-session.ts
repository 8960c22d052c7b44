// Credentials of a remote client: logs in with { user, password } on first
// use (POST /v3/auth/authenticate), attaches the token to every request in
// the Authorization header (the raw token, as etcd's gateway takes it), and
// logs in again when a server says the token is invalid or expired (a
// Flotilla token is valid on every member until it expires or its user
// changes; an etcd `simple` token only on the member that issued it).
import { InvalidAuthTokenError } from '@flotilla/kv';
import { asWire, get } from '../wire.js';

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

export type Login = (body: { name: string; password: string }) => Promise<unknown>;

export class AuthSession {
  private token: Promise<string> | undefined;

  constructor(
    private readonly credentials: Credentials | undefined,
    private readonly login: Login,
  ) {}

  /** The Authorization header to send (none without credentials). */
  async headers(): Promise<Record<string, string>> {
    if (!this.credentials) return {};
    const { user, password } = this.credentials;
    this.token ??= this.login({ name: user, password }).then((answer) =>
      String(get(asWire(answer), 'token') ?? ''),
    );
    try {
      return { authorization: await this.token };
    } catch (err) {
      this.token = undefined; // a failed login is tried again next time
      throw err;
    }
  }

  /** Runs `call` with the token; once more with a fresh login if the server refused the token. */
  async run<T>(call: (headers: Record<string, string>) => Promise<T>): Promise<T> {
    const first = await this.headers();
    try {
      return await call(first);
    } catch (err) {
      if (!this.credentials || !(err instanceof InvalidAuthTokenError)) throw err;
      if (this.token && (await this.token.catch(() => undefined)) === first['authorization'])
        this.token = undefined;
      return call(await this.headers());
    }
  }
}
