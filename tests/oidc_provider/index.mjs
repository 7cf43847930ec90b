// The OpenID Provider of the tests: oidc-provider 9 (OpenID Certified), configured to behave like
// Alibaba Cloud's OIDC service for RAM users: RS256 ID tokens, scopes openid / aliuid / profile,
// the claims aid, uid, login_name, upn, name *in the ID token* (Alibaba Cloud puts the aliuid and
// profile claims there), PKCE required. tests/oidc_peer.py starts it; `npm ci` here installs it
// (`make test` does, from package-lock.json).
//
// Environment:
//   PORT            port on 127.0.0.1 (default 0 = any free port; the issuer follows it)
//   ACCOUNTS_FILE   JSON object: { "<login typed on the sign-in page>": {aid, uid, login_name, upn, name}, ... }
//                   (default: accounts.json here); the key becomes `sub`. Any password is accepted
//                   for a listed login; an unlisted login is sent back to the sign-in page.
//   CLIENT_ID, CLIENT_SECRET   the one client (defaults: console / console-secret)
//   REDIRECT_URIS   comma-separated, matched exactly (default http://127.0.0.1:8000/oidc/callback/)
//
// Prints exactly one line to stdout once it listens:  {"issuer":"http://127.0.0.1:PORT"}
// Stops cleanly on SIGTERM / SIGINT (exit code 0), and on stdin EOF when STOP_ON_STDIN_EOF=1.
// Needs Node 20.12 or newer (PKCE uses crypto.hash).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const HOST = '127.0.0.1';
const accounts = JSON.parse(readFileSync(process.env.ACCOUNTS_FILE ?? new URL('./accounts.json', import.meta.url), 'utf8'));
const CLAIMS = ['aid', 'uid', 'login_name', 'upn', 'name'];

// One fresh RS256 signing key per start (JWKS is served at /jwks; clients fetch it by kid).
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };

const server = createServer();
await new Promise((resolve) => server.listen(Number(process.env.PORT ?? 0), HOST, resolve));
const issuer = `http://${HOST}:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID ?? 'console',
    client_secret: process.env.CLIENT_SECRET ?? 'console-secret',
    redirect_uris: (process.env.REDIRECT_URIS ?? 'http://127.0.0.1:8000/oidc/callback/').split(','),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post', // mozilla-django-oidc's default (secret in the form body)
    id_token_signed_response_alg: 'RS256',
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  pkce: { required: () => true }, // S256 only in oidc-provider 9
  responseTypes: ['code'],
  scopes: ['openid', 'profile', 'aliuid'],
  claims: { openid: ['sub'], aliuid: ['aid', 'uid'], profile: ['login_name', 'upn', 'name'] },
  conformIdTokenClaims: false, // scope-requested claims go into the ID token too, as at Alibaba Cloud
  features: { devInteractions: { enabled: true } }, // built-in sign-in + consent pages
  async findAccount(ctx, id) {
    const record = Object.hasOwn(accounts, id) ? accounts[id] : undefined;
    if (!record) return undefined; // unlisted: see the interactionFinished wrapper below
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...Object.fromEntries(CLAIMS.filter((c) => c in record).map((c) => [c, record[c]])) };
      },
    };
  },
});

// The dev pages @import a web font from the Internet: forbid it so no test browser reaches out.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.response.is('html')) {
    ctx.set('Content-Security-Policy', "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'");
  }
});

// devInteractions accept any login and ignore the password. An unlisted login would end in a
// server_error at the provider (findAccount finds nobody): send it back to the sign-in page instead.
const finish = provider.interactionFinished.bind(provider);
provider.interactionFinished = async (req, res, result, options) => {
  if (result?.login && !Object.hasOwn(accounts, result.login.accountId)) {
    const { uid } = await provider.interactionDetails(req, res);
    res.statusCode = 303;
    res.setHeader('Location', `/interaction/${uid}`);
    res.setHeader('Content-Length', '0');
    res.end();
    return;
  }
  return finish(req, res, result, options);
};

server.on('request', provider.callback());
process.stdout.write(`${JSON.stringify({ issuer })}\n`);

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections(); // keep-alive sockets from the browser / requests would delay close()
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// With STOP_ON_STDIN_EOF=1 (the test fixture keeps a pipe to our stdin) we also stop when that pipe
// closes, so a killed test run leaves no orphan provider behind.
if (process.env.STOP_ON_STDIN_EOF === '1') {
  process.stdin.on('end', stop);
  process.stdin.resume();
}
