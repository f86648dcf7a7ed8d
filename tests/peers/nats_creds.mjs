// NATS credentials for the tests, made with the NATS project's own JWT library (@nats-io/jwt,
// pinned in package.json), as nsc would make them in production: an operator, a system account,
// the desk's account (JetStream enabled) and one user per role of the roles file, each user's JWT
// carrying the permissions that file gives the user of the same name. So the creds test runs the
// very roles of docs/desk/nats-server-roles.conf, in operator mode.
//   node tests/peers/nats_creds.mjs ROLES_FILE OUT_DIR
// Writes into OUT_DIR (which must exist):
//   operator.conf    the server's part: operator JWT, system account, MEMORY resolver with the
//                    two accounts' JWTs preloaded (include it from nats-server's configuration)
//   <user>.creds     the user's JWT and NKey seed, mode 0600, for every user of the roles file
//   stranger.creds   a user named "trader" of an account of another operator: a server of this
//                    operator must refuse it
// Prints "PASS <file>" per file written; exit 0 = all written, 1 = not (the reason on stderr).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

let jwt;
try {
  jwt = (await import('@nats-io/jwt')).default;
} catch {
  console.error('@nats-io/jwt is not installed: run ./dev test, or npm ci in tests/peers');
  process.exit(1);
}

const [rolesFile, outDir] = process.argv.slice(2);
if (!rolesFile || !outDir) {
  console.error('usage: nats_creds.mjs ROLES_FILE OUT_DIR');
  process.exit(2);
}

// The configuration format's subset the roles file uses: maps { key: value }, arrays [ a b ],
// quoted strings, bare words ($VARIABLE, true), '#' and '//' comments, ':' or '=' after a key,
// commas optional.
function tokenize(text) {
  const tokens = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/[\s,]/.test(c)) { ++i; continue; }
    if (c === '#' || text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') ++i;
      continue;
    }
    if ('{}[]:='.includes(c)) { tokens.push(c); ++i; continue; }
    if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw new Error('unterminated string in the roles file');
      tokens.push({ word: text.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    let end = i;
    while (end < text.length && !/[\s,{}[\]:=#]/.test(text[end])) ++end;
    tokens.push({ word: text.slice(i, end) });
    i = end;
  }
  return tokens;
}

function parse(tokens) {
  let at = 0;
  const next = () => {
    if (at >= tokens.length) throw new Error('the roles file ends too early');
    return tokens[at++];
  };
  const value = () => {
    const t = next();
    if (t === '{') return map('}');
    if (t === '[') {
      const items = [];
      while (tokens[at] !== ']') items.push(value());
      ++at;
      return items;
    }
    if (typeof t === 'string') throw new Error(`unexpected '${t}' in the roles file`);
    return t.word;
  };
  const map = (close) => {
    const m = {};
    while (at < tokens.length && tokens[at] !== close) {
      const key = next();
      if (typeof key === 'string') throw new Error(`unexpected '${key}' where a key belongs in the roles file`);
      if (tokens[at] === ':' || tokens[at] === '=') ++at;
      m[key.word] = value();
    }
    if (close) ++at;
    return m;
  };
  return map(null);
}

// A roles-file permission ({allow, deny} or a plain list) as a JWT permission.
const permission = (p) => (Array.isArray(p) ? { allow: p, deny: [] } : { allow: p?.allow ?? [], deny: p?.deny ?? [] });

function userClaims(permissions = {}) {
  const claims = { pub: permission(permissions.publish), sub: permission(permissions.subscribe) };
  // allow_responses: true is one answer per request received, for 2 minutes: the server's default
  // when a JWT asks for responses with 0 / 0.
  if (permissions.allow_responses === 'true') claims.resp = { max: 0, ttl: 0 };
  return claims;
}

const users = parse(tokenize(readFileSync(rolesFile, 'utf8'))).authorization?.users;
if (!Array.isArray(users) || users.length === 0) {
  console.error(`no authorization { users = [...] } in ${rolesFile}`);
  process.exit(1);
}

const written = (name, content, mode) => {
  writeFileSync(join(outDir, name), content, { mode });
  console.log(`PASS ${name}`);
};

// No limit on anything but what the server itself bounds; JetStream on for the desk's buckets.
// (An account JWT's missing limit reads as 0, which for connections means none.)
const unlimited = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
const jetstream = { mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 };

const operator = jwt.createOperator();
const system = jwt.createAccount();
const desk = jwt.createAccount();
const operatorJwt = await jwt.encodeOperator('kappa-test', operator, { system_account: system.getPublicKey() });
const systemJwt = await jwt.encodeAccount('SYS', system, { limits: unlimited }, { signer: operator });
const deskJwt = await jwt.encodeAccount('kappa-desk', desk, { limits: { ...unlimited, ...jetstream } }, { signer: operator });

for (const u of users) {
  if (!u.user) throw new Error('a user without a name in the roles file');
  const key = jwt.createUser();
  const token = await jwt.encodeUser(u.user, key, desk, userClaims(u.permissions));
  written(`${u.user}.creds`, jwt.fmtCreds(token, key), 0o600);
}

// Another operator's account and user: same user name, no trust.
const otherOperator = jwt.createOperator();
const otherAccount = jwt.createAccount();
await jwt.encodeAccount('elsewhere', otherAccount, { limits: unlimited }, { signer: otherOperator });
const strangerKey = jwt.createUser();
const strangerJwt = await jwt.encodeUser('trader', strangerKey, otherAccount, userClaims());
written('stranger.creds', jwt.fmtCreds(strangerJwt, strangerKey), 0o600);

written('operator.conf',
        '# written by tests/peers/nats_creds.mjs: operator mode, the accounts held in memory\n' +
        `operator: ${operatorJwt}\n` +
        `system_account: ${system.getPublicKey()}\n` +
        'resolver: MEMORY\n' +
        'resolver_preload: {\n' +
        `  ${system.getPublicKey()}: ${systemJwt}\n` +
        `  ${desk.getPublicKey()}: ${deskJwt}\n` +
        '}\n', 0o644);
