// A certified OpenID provider (panva's oidc-provider, from tests/node) for the sign-in tests.
//
// Environment: NODE_MODULES (tests/node/node_modules), MODE ("id_token": claims in the ID
// token, conformIdTokenClaims false; "userinfo": the default, spec-conformant mode where the
// email is only at UserInfo), CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, ACCOUNTS (JSON: account id
// -> its claims; the id is the subject). Listens on 127.0.0.1 (a free port) and prints its
// issuer as the first line. PKCE is required of every client.
//
// ENTRA=1 serves Entra ID's shape instead: each tenant (an account's "tid") is an issuer of its
// own, <base>/<tid>/v2.0, whose tokens carry that issuer and tid; the first line printed is the
// tenant-independent authority a multi-tenant app is set up with, <base>/organizations/v2.0,
// whose discovery document names the issuer template <base>/{tenantid}/v2.0 (as Microsoft's
// does) and whose endpoints serve every tenant: the person picks their account at
// /organizations/v2.0/interaction/login, and signs in at their own tenant.
//
// The login step is the test's: GET .../interaction/<uid>?account=<id> signs that account in;
// consent is granted for the scopes asked.
import { generateKeyPairSync } from "node:crypto";
import { createServer } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const { default: Provider } = await import(
  pathToFileURL(join(process.env.NODE_MODULES, "oidc-provider", "lib", "index.js")).href
);
const accounts = JSON.parse(process.env.ACCOUNTS);
const entra = process.env.ENTRA === "1";
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });

const server = createServer();
await new Promise((done) => server.listen(0, "127.0.0.1", done));
const base = `http://127.0.0.1:${server.address().port}`;

function provider(issuer, prefix, tenant) {
  const own = (id) => id in accounts && (!entra || accounts[id].tid === tenant);
  return new Provider(issuer, {
    clients: [{
      client_id: process.env.CLIENT_ID,
      client_secret: process.env.CLIENT_SECRET,
      redirect_uris: [process.env.REDIRECT_URI],
    }],
    jwks: { keys: [{ ...privateKey.export({ format: "jwk" }), kid: "test-1", use: "sig" }] },
    cookies: {
      keys: ["test-cookie-key-not-a-secret"],
      names: { session: `_s${prefix}`, interaction: `_i${prefix}`, resume: `_r${prefix}` },
    },
    conformIdTokenClaims: process.env.MODE !== "id_token",
    // tid (Entra ID) and hd (Google Workspace) ride with "openid", as those providers send them
    claims: {
      openid: ["sub", "tid", "hd"],
      email: ["email", "email_verified"],
      profile: ["name", "preferred_username"],
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `${prefix}/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    findAccount: (ctx, id) => (own(id)
      ? { accountId: id, claims: () => ({ sub: id, ...accounts[id], ...(entra ? { tid: tenant } : {}) }) }
      : undefined),
  });
}

// prefix -> provider: one at the root, or (Entra) one per tenant at /<tid>/v2.0
const providers = new Map();
if (entra) {
  for (const tid of new Set(Object.values(accounts).map((claims) => claims.tid))) {
    providers.set(`/${tid}/v2.0`, provider(`${base}/${tid}/v2.0`, `/${tid}/v2.0`, tid));
  }
} else {
  providers.set("", provider(base, "", undefined));
}

async function interaction(oidc, req, res) {
  const details = await oidc.interactionDetails(req, res);
  let result;
  if (details.prompt.name === "login") {
    const account = new URL(req.url, base).searchParams.get("account");
    result = { login: { accountId: account } };
  } else {
    const grant = new oidc.Grant({
      accountId: details.session.accountId, clientId: details.params.client_id,
    });
    grant.addOIDCScope(details.params.scope);
    result = { consent: { grantId: await grant.save() } };
  }
  await oidc.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

function send(res, status, headers, body) {
  res.writeHead(status, headers);
  res.end(body);
}

// Entra's tenant-independent endpoints: what each tenant's own provider answers, under the
// {tenantid} issuer template; a code or access token is the tenant's that knows it
async function organizations(req, res, path) {
  const tenants = [...providers.keys()];
  if (path === "/.well-known/openid-configuration") {
    const meta = await (await fetch(`${base}${tenants[0]}${path}`)).json();
    const common = `${base}/organizations/v2.0`;
    Object.assign(meta, {
      issuer: `${base}/{tenantid}/v2.0`, authorization_endpoint: `${common}/authorize`,
      token_endpoint: `${common}/token`, userinfo_endpoint: `${common}/me`,
      jwks_uri: `${common}/jwks`,
    });
    return send(res, 200, { "content-type": "application/json" }, JSON.stringify(meta));
  }
  const query = new URL(req.url, base).searchParams;
  if (path === "/authorize") { // the account picker comes first: it names the home tenant
    return send(res, 303, { location: `/organizations/v2.0/interaction/login?${query}` });
  }
  if (path === "/interaction/login") {
    const tid = accounts[query.get("account")]?.tid;
    query.delete("account");
    return send(res, 303, { location: `/${tid}/v2.0/auth?${query}` });
  }
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  let answer;
  for (const tenant of tenants) {
    const headers = {};
    for (const name of ["authorization", "content-type"]) {
      if (req.headers[name]) headers[name] = req.headers[name];
    }
    answer = await fetch(`${base}${tenant}${path}`, {
      method: req.method, headers, body: req.method === "POST" ? Buffer.concat(chunks) : undefined,
    });
    if (answer.ok) break;
  }
  return send(res, answer.status, { "content-type": answer.headers.get("content-type") },
    Buffer.from(await answer.arrayBuffer()));
}

const callbacks = new Map([...providers].map(([prefix, oidc]) => [prefix, oidc.callback()]));
server.on("request", (req, res) => {
  const failed = (error) => send(res, 500, {}, String(error));
  if (entra && req.url.startsWith("/organizations/v2.0/")) {
    organizations(req, res, req.url.split("?")[0].slice("/organizations/v2.0".length)).catch(failed);
    return;
  }
  const prefix = [...providers.keys()].find((p) => p && req.url.startsWith(`${p}/`)) ?? "";
  const oidc = providers.get(prefix);
  if (!oidc) {
    send(res, 404, {}, "no such tenant");
  } else if (req.url.startsWith(`${prefix}/interaction/`)) {
    interaction(oidc, req, res).catch(failed);
  } else {
    req.originalUrl = req.url;
    req.url = req.url.slice(prefix.length);
    callbacks.get(prefix)(req, res);
  }
});
console.log(entra ? `${base}/organizations/v2.0` : base);
