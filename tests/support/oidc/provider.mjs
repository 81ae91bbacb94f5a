// A certified OpenID provider (panva's oidc-provider, from tests/node) for the sign-in tests.
//
// Environment: NODE_MODULES (tests/node/node_modules), MODE ("id_token": claims in the ID
// token, conformIdTokenClaims false; "userinfo": the default, spec-conformant mode where the
// email is only at UserInfo), CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, ACCOUNTS (JSON: account id
// -> its claims; the id is the subject). Listens on 127.0.0.1 (a free port) and prints its
// issuer as the first line. PKCE is required of every client.
//
// The login step is the test's: GET /interaction/<uid>?account=<id> signs that account in;
// consent is granted for the scopes asked.
import { generateKeyPairSync } from "node:crypto";
import { createServer } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const { default: Provider } = await import(
  pathToFileURL(join(process.env.NODE_MODULES, "oidc-provider", "lib", "index.js")).href
);
const accounts = JSON.parse(process.env.ACCOUNTS);
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });

const server = createServer();
await new Promise((done) => server.listen(0, "127.0.0.1", done));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: [process.env.REDIRECT_URI],
  }],
  jwks: { keys: [{ ...privateKey.export({ format: "jwk" }), kid: "test-1", use: "sig" }] },
  cookies: { keys: ["test-cookie-key-not-a-secret"] },
  conformIdTokenClaims: process.env.MODE !== "id_token",
  // tid (Entra ID) and hd (Google Workspace) ride with "openid", as those providers send them
  claims: {
    openid: ["sub", "tid", "hd"],
    email: ["email", "email_verified"],
    profile: ["name", "preferred_username"],
  },
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => true },
  findAccount: (ctx, id) => (id in accounts
    ? { accountId: id, claims: () => ({ sub: id, ...accounts[id] }) }
    : undefined),
});

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  let result;
  if (details.prompt.name === "login") {
    const account = new URL(req.url, issuer).searchParams.get("account");
    result = { login: { accountId: account } };
  } else {
    const grant = new provider.Grant({
      accountId: details.session.accountId, clientId: details.params.client_id,
    });
    grant.addOIDCScope(details.params.scope);
    result = { consent: { grantId: await grant.save() } };
  }
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
server.on("request", (req, res) => {
  if (req.url.startsWith("/interaction/")) {
    interaction(req, res).catch((error) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  } else {
    callback(req, res);
  }
});
console.log(issuer);
