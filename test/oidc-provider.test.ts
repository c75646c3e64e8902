import crypto from 'node:crypto';
import { createOidcProvider, type OidcProvider } from '../tools/oidc-provider/provider';

/** The local OpenID provider speaks the protocol the Google strategy relies on, and refuses what Google refuses. */
describe('local OpenID provider', () => {
  let provider: OidcProvider;
  const client = { clientId: 'c1', clientSecret: 's1-secret', redirectUris: ['http://app.test/cb'] };

  beforeAll(async () => {
    provider = createOidcProvider({
      clients: [
        client,
        {
          clientId: 'dev',
          clientSecret: 'dev-secret',
          redirectUris: ['http://localhost:3000/api/v1/auth/google/callback'],
          allowLoopbackRedirects: true,
        },
      ],
    });
    await provider.listen(0);
  });
  afterAll(async () => {
    await provider.close();
  });

  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');

  async function authorize(params: Record<string, string>): Promise<Response> {
    return fetch(`${provider.url}/authorize?${new URLSearchParams(params)}`, { redirect: 'manual' });
  }
  async function codeFor(email: string, extra: Record<string, string> = {}): Promise<string> {
    const res = await authorize({
      response_type: 'code',
      client_id: 'c1',
      redirect_uri: 'http://app.test/cb',
      scope: 'openid email profile',
      state: 'st',
      login_hint: email,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...extra,
    });
    expect(res.status).toBe(303);
    const back = new URL(res.headers.get('location')!);
    expect(back.searchParams.get('state')).toBe('st');
    return back.searchParams.get('code')!;
  }
  async function token(
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    return fetch(`${provider.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields),
    });
  }
  const grant = (code: string, extra: Record<string, string> = {}) => ({
    grant_type: 'authorization_code',
    code,
    redirect_uri: 'http://app.test/cb',
    client_id: 'c1',
    client_secret: 's1-secret',
    code_verifier: verifier,
    ...extra,
  });

  it('when a code is exchanged, then the access token reads standard claims at /userinfo and the id_token is signed for the client', async () => {
    const res = await token(grant(await codeFor('Claims.Person@example.test')));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { access_token: string; token_type: string; id_token: string };
    expect(body.token_type).toBe('Bearer');
    const info = (await (
      await fetch(`${provider.url}/userinfo`, { headers: { authorization: `Bearer ${body.access_token}` } })
    ).json()) as Record<string, unknown>;
    expect(info).toEqual({
      sub: provider.subjectFor('claims.person@example.test'),
      email: 'claims.person@example.test',
      email_verified: true,
      name: 'Claims Person',
      given_name: 'Claims',
      family_name: 'Person',
      picture: expect.stringMatching(/\/avatar\/\d{21}\.svg$/),
      locale: 'en',
    });
    const [h, p, sig] = body.id_token.split('.');
    expect(crypto.createHmac('sha256', 's1-secret').update(`${h}.${p}`).digest('base64url')).toBe(sig);
    expect(JSON.parse(Buffer.from(p!, 'base64url').toString())).toMatchObject({
      iss: provider.url,
      aud: 'c1',
      sub: info.sub,
    });
    // The query-parameter form passport-oauth2 uses works too.
    expect((await fetch(`${provider.url}/userinfo?access_token=${body.access_token}`)).status).toBe(200);
  });

  it('when the same email signs in twice, then the subject is the same (and differs between emails)', () => {
    expect(provider.subjectFor('a@example.test')).toBe(provider.subjectFor('A@Example.test'));
    expect(provider.subjectFor('a@example.test')).not.toBe(provider.subjectFor('b@example.test'));
    expect(provider.subjectFor('a@example.test')).toMatch(/^\d{21}$/);
  });

  it('when a code is used twice, then the second exchange is invalid_grant', async () => {
    const code = await codeFor('twice@example.test');
    expect((await token(grant(code))).status).toBe(200);
    const again = await token(grant(code));
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('when the client secret is wrong, then 401 invalid_client', async () => {
    const code = await codeFor('secret@example.test');
    const res = await token(grant(code, { client_secret: 'wrong' }));
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('when the client authenticates with HTTP Basic, then the exchange works', async () => {
    const code = await codeFor('basic@example.test');
    const { client_id: _id, client_secret: _secret, ...rest } = grant(code);
    const res = await token(rest, {
      authorization: `Basic ${Buffer.from('c1:s1-secret').toString('base64')}`,
    });
    expect(res.status).toBe(200);
  });

  it('when the PKCE verifier or redirect_uri do not match the authorization request, then invalid_grant', async () => {
    expect(
      (await token(grant(await codeFor('pkce@example.test'), { code_verifier: 'x'.repeat(43) }))).status,
    ).toBe(400);
    expect(
      (await token(grant(await codeFor('pkce@example.test'), { redirect_uri: 'http://app.test/other' })))
        .status,
    ).toBe(400);
  });

  it('when the redirect_uri is not registered, then an error page and no redirect (never to an unchecked URI)', async () => {
    const res = await authorize({
      response_type: 'code',
      client_id: 'c1',
      redirect_uri: 'http://evil.test/cb',
      login_hint: 'x@example.test',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('redirect_uri_mismatch');
    const unknown = await authorize({
      response_type: 'code',
      client_id: 'nope',
      redirect_uri: 'http://app.test/cb',
    });
    expect(unknown.status).toBe(400);
  });

  it('when loopback redirects are allowed, then any loopback host and port with the registered path is accepted, nothing else', async () => {
    const base = { response_type: 'code', client_id: 'dev', login_hint: 'dev@example.test' };
    expect(
      (await authorize({ ...base, redirect_uri: 'http://127.0.0.1:4321/api/v1/auth/google/callback' }))
        .status,
    ).toBe(303);
    expect(
      (await authorize({ ...base, redirect_uri: 'http://localhost:3000/api/v1/auth/google/callback' }))
        .status,
    ).toBe(303);
    expect((await authorize({ ...base, redirect_uri: 'http://127.0.0.1:4321/elsewhere' })).status).toBe(400);
    expect(
      (await authorize({ ...base, redirect_uri: 'http://example.com:3000/api/v1/auth/google/callback' }))
        .status,
    ).toBe(400);
  });

  it('when there is no login_hint, then the account chooser page asks for an email and a name', async () => {
    const res = await authorize({
      response_type: 'code',
      client_id: 'c1',
      redirect_uri: 'http://app.test/cb',
      state: 'st<script>',
    });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Choose an account');
    expect(html).toContain('name="email"');
    expect(html).toContain('name="name"');
    expect(html).toContain('value="st&lt;script&gt;"');
  });

  it('when the chooser form is posted with an unticked "verified" box, then userinfo says email_verified false', async () => {
    const form = new URLSearchParams({
      response_type: 'code',
      client_id: 'c1',
      redirect_uri: 'http://app.test/cb',
      state: 'st',
      email: 'unticked@example.test',
      name: 'Un Ticked',
      action: 'approve',
    });
    const res = await fetch(`${provider.url}/authorize`, { method: 'POST', body: form, redirect: 'manual' });
    expect(res.status).toBe(303);
    const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
    const { access_token } = (await (await token({ ...grant(code), code_verifier: '' })).json()) as {
      access_token: string;
    };
    const info = (await (
      await fetch(`${provider.url}/userinfo`, { headers: { authorization: `Bearer ${access_token}` } })
    ).json()) as Record<string, unknown>;
    expect(info).toMatchObject({ email: 'unticked@example.test', name: 'Un Ticked', email_verified: false });
  });

  it('when an account is made through POST /accounts, then its claims are used at sign-in', async () => {
    const made = await fetch(`${provider.url}/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'made@example.test', name: 'Made Up', emailVerified: false }),
    });
    expect(made.status).toBe(201);
    const { access_token } = (await (await token(grant(await codeFor('made@example.test')))).json()) as {
      access_token: string;
    };
    const info = (await (
      await fetch(`${provider.url}/userinfo`, { headers: { authorization: `Bearer ${access_token}` } })
    ).json()) as Record<string, unknown>;
    expect(info).toMatchObject({ name: 'Made Up', email_verified: false });
  });

  it('when the access token is unknown, then /userinfo answers 401 invalid_token', async () => {
    const res = await fetch(`${provider.url}/userinfo`, { headers: { authorization: 'Bearer nope' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('invalid_token');
  });
});
