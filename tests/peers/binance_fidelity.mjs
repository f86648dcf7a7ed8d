// kappa-exchange's Binance USD-M futures side through two independent clients, unchanged apart
// from their base URLs: Binance's own connector (@binance/derivatives-trading-usds-futures, REST and
// WebSocket streams) and ccxt's binanceusdm (REST). Starts the real exchange on a free loopback
// port, drives both, keeps a diff-depth order book in sync by Binance's documented futures rules
// and compares it with a REST snapshot, and stops the exchange by its own pid.
//   node tests/peers/binance_fidelity.mjs /path/to/kappa-exchange
// Prints PASS/FAIL per check; exit 0 = pass, 1 = fail. tst_exchange_binance_clients runs it.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

let ccxt, usdm;
try {
  ccxt = (await import('ccxt')).default;
  usdm = await import('@binance/derivatives-trading-usds-futures');
} catch (e) {
  console.log('FAIL  the peers are not installed: run ./dev test, or npm ci in tests/peers  ' + e.message);
  process.exit(1);
}
const WebSocket = (await import('ws')).default;

const binary = process.argv[2];
if (!binary) {
  console.error('usage: binance_fidelity.mjs KAPPA_EXCHANGE');
  process.exit(2);
}
const KEY = 'bn-key', SECRET = 'bn-secret';
const exchange = spawn(binary, ['--listen', '127.0.0.1:0', '--seed', '9', '--account', `${KEY}:${SECRET}`],
                       { stdio: ['ignore', 'pipe', 'inherit'] });
const stop = () => { try { process.kill(exchange.pid, 'SIGTERM'); } catch {} };
const watchdog = setTimeout(() => { console.log('FAIL  timed out'); stop(); process.exit(1); }, 150000);
const firstLine = await new Promise((resolve, reject) => {
  createInterface({ input: exchange.stdout }).once('line', resolve);
  exchange.once('exit', () => reject(new Error('kappa-exchange exited before listening')));
});
const port = /^listening ws:\/\/127\.0\.0\.1:(\d+)\/ws\/api\/v2$/.exec(firstLine)?.[1];
let failures = 0;
const check = (what, ok, detail = '') => {
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}${detail ? '  ' + detail : ''}`);
  if (!ok) failures++;
};
check('first line names the port', !!port, firstLine);
const base = `http://127.0.0.1:${port}`;
const wsBase = `ws://127.0.0.1:${port}`;
const sleep = ms => new Promise(r => setTimeout(r, ms));
const step = async (what, fn) => {
  try { await fn(); } catch (e) { check(what, false, `threw ${e?.constructor?.name}: ${e?.message}`); }
};

// ---------------- Binance's own connector ----------------
const client = new usdm.DerivativesTradingUsdsFutures({
  configurationRestAPI: { apiKey: KEY, apiSecret: SECRET, basePath: base, retries: 0, timeout: 5000 },
  configurationWebsocketStreams: { wsURL: wsBase, reconnectDelay: 500 },
});
const rest = client.restAPI;
let bid = 0;
await step('connector: exchange info', async () => {
  const info = await (await rest.exchangeInformation()).data();
  const btc = info.symbols.find(s => s.symbol === 'BTCUSDT');
  const tick = btc?.filters.find(f => f.filterType === 'PRICE_FILTER')?.tickSize;
  const step = btc?.filters.find(f => f.filterType === 'LOT_SIZE')?.stepSize;
  check('connector: exchange info', btc && btc.contractType === 'PERPETUAL' && btc.marginAsset === 'USDT' &&
        Number(tick) === 0.1 && Number(step) === 0.001 && info.symbols.some(s => s.symbol === 'ETHUSDT'),
        `${info.symbols.length} symbols, tick ${tick}, step ${step}`);
});
await step('connector: depth', async () => {
  const d = await (await rest.orderBook({ symbol: 'BTCUSDT', limit: 10 })).data();
  bid = Number(d.bids[0][0]);
  check('connector: depth', d.lastUpdateId > 0 && d.bids.length === 10 && d.asks.length === 10 &&
        typeof d.bids[0][0] === 'string' && Number(d.bids[0][0]) < Number(d.asks[0][0]), `lastUpdateId ${d.lastUpdateId}`);
});
await step('connector: klines and trades', async () => {
  await sleep(1500);
  const k = await (await rest.klineCandlestickData({ symbol: 'BTCUSDT', interval: '1m', limit: 5 })).data();
  const t = await (await rest.recentTradesList({ symbol: 'BTCUSDT', limit: 5 })).data();
  check('connector: klines and trades', k.length >= 1 && k[0].length === 12 && t.length >= 1 && Number(t[0].price) > 0,
        `${k.length} klines, ${t.length} trades`);
});
await step('connector: account', async () => {
  const a = await (await rest.accountInformationV3()).data();
  check('connector: account', Number(a.totalWalletBalance) === 100000 && a.assets[0].asset === 'USDT', a.totalWalletBalance);
});

// User-data stream and a diff-depth book, both through the connector's WebSocket streams.
const user = [];
let listenKey = '';
const book = { bids: new Map(), asks: new Map(), lastU: 0, synced: false, breaks: 0, applied: 0, log: [] };
const buffered = [];
let connection;
await step('connector: streams', async () => {
  listenKey = (await (await rest.startUserDataStream()).data()).listenKey;
  check('connector: listen key', typeof listenKey === 'string' && listenKey.length === 64);
  connection = await client.websocketStreams.connect();
  connection.userData(listenKey).on('message', m => user.push(m));
  connection.diffBookDepthStreams({ symbol: 'btcusdt', updateSpeed: '100ms' }).on('message', m => {
    if (!book.synced) return buffered.push(m);
    applyDepth(m);
  });
});
const applyLevels = (side, levels) => {
  for (const [p, q] of levels) Number(q) === 0 ? side.delete(p) : side.set(p, q);
};
function applyDepth(m) {
  if (m.pu !== book.lastU) { book.breaks++; return; }
  book.log.push({ u: m.u, prices: [...m.b, ...m.a].map(l => l[0]) });
  applyLevels(book.bids, m.b);
  applyLevels(book.asks, m.a);
  book.lastU = m.u;
  book.applied++;
}
// Binance's futures rules: buffer, snapshot, drop u < lastUpdateId, first event U <= id <= u, then pu chain.
await step('connector: depth stream sync', async () => {
  for (let i = 0; i < 50 && buffered.length === 0; i++) await sleep(100);
  const snap = await (await rest.orderBook({ symbol: 'BTCUSDT', limit: 1000 })).data();
  applyLevels(book.bids, snap.bids);
  applyLevels(book.asks, snap.asks);
  for (let i = 0; i < 30 && !buffered.some(e => e.u >= snap.lastUpdateId); i++) await sleep(100);
  const events = buffered.splice(0).filter(e => e.u >= snap.lastUpdateId);
  const first = events[0];
  check('depth: first event straddles the snapshot', !!first && first.U <= snap.lastUpdateId && first.u >= snap.lastUpdateId,
        first ? `U ${first.U} id ${snap.lastUpdateId} u ${first.u}` : 'no event');
  if (!first) return;
  applyLevels(book.bids, first.b);
  applyLevels(book.asks, first.a);
  book.lastU = first.u;
  for (const e of events.slice(1)) applyDepth(e);
  book.synced = true;
  await sleep(2500);
  check('depth: pu chain holds', book.breaks === 0 && book.applied > 5, `${book.applied} events applied`);
  // A second snapshot S (id L) against the streamed book once it is past L: every level that no
  // event after L touched must be exactly the same on both sides (the rest moved since, legitimately).
  // On a loaded machine the stream may lag the snapshot so long that nearly every level is touched
  // meanwhile: then another snapshot, up to 5 (a difference is never retried away: it fails).
  let compared = 0, mismatches = 0;
  for (let attempt = 0; attempt < 5 && compared < 5 && mismatches === 0; attempt++) {
    compared = 0;
    const snap2 = await (await rest.orderBook({ symbol: 'BTCUSDT', limit: 100 })).data();
    for (let i = 0; i < 30 && book.lastU <= snap2.lastUpdateId; i++) await sleep(100);
    const touched = new Set(book.log.filter(e => e.u > snap2.lastUpdateId).flatMap(e => e.prices));
    for (const [side, levels] of [[book.bids, snap2.bids], [book.asks, snap2.asks]]) {
      const inSnap = new Map(levels);
      const worst = Number(levels[levels.length - 1][0]);
      const isBid = side === book.bids;
      for (const [p, q] of levels) if (!touched.has(p)) { compared++; if (side.get(p) !== q) mismatches++; }
      for (const p of side.keys())
        if ((isBid ? Number(p) >= worst : Number(p) <= worst) && !touched.has(p) && !inSnap.has(p)) mismatches++;
    }
  }
  check('depth: book matches the exchange', compared >= 5 && mismatches === 0, `${compared} untouched levels compared, ${mismatches} differ`);
});

// Orders through the connector (signed REST) and the user-data stream's view of them.
let orderId = 0;
await step('connector: new order', async () => {
  const price = (Math.floor(bid) - 500).toFixed(1);
  const o = await (await rest.newOrder({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC',
                                         quantity: 0.01, price: Number(price), newClientOrderId: 'conn-1' })).data();
  orderId = o.orderId;
  check('connector: new order', o.status === 'NEW' && o.clientOrderId === 'conn-1' && o.origQty === '0.010', JSON.stringify(o).slice(0, 120));
  const m = await (await rest.modifyOrder({ symbol: 'BTCUSDT', orderId, side: 'BUY', quantity: 0.02, price: Number(price) - 10 })).data();
  check('connector: modify order', m.origQty === '0.020' && Number(m.price) === Number(price) - 10);
  const q = await (await rest.queryOrder({ symbol: 'BTCUSDT', origClientOrderId: 'conn-1' })).data();
  check('connector: query order', q.orderId === orderId && q.status === 'NEW');
  const open = await (await rest.currentAllOpenOrders({ symbol: 'BTCUSDT' })).data();
  check('connector: open orders', open.length === 1 && open[0].orderId === orderId);
  const c = await (await rest.cancelOrder({ symbol: 'BTCUSDT', orderId })).data();
  check('connector: cancel order', c.status === 'CANCELED');
  try {
    await rest.queryOrder({ symbol: 'BTCUSDT', orderId: 12345 });
    check('connector: unknown order is an error', false);
  } catch (e) {
    check('connector: unknown order is an error', /Order does not exist/.test(e.message), e.message);
  }
  const filled = await (await rest.newOrder({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: 0.01 })).data();
  check('connector: market order fills', filled.status === 'FILLED' && filled.executedQty === '0.010');
  const pos = await (await rest.positionInformationV3({ symbol: 'BTCUSDT' })).data();
  check('connector: position', pos.length === 1 && pos[0].positionAmt === '0.010', JSON.stringify(pos[0]).slice(0, 100));
  await sleep(500);
  const x = user.filter(e => e.e === 'ORDER_TRADE_UPDATE').map(e => e.o.x);
  check('connector: user stream order updates', x.includes('NEW') && x.includes('AMENDMENT') && x.includes('CANCELED') && x.includes('TRADE'),
        x.join(','));
  check('connector: user stream account update', user.some(e => e.e === 'ACCOUNT_UPDATE' && e.a.P[0].s === 'BTCUSDT'));
});
try { connection?.disconnect(); } catch {}

// ---------------- ccxt binanceusdm ----------------
const ex = new ccxt.binanceusdm({ apiKey: KEY, secret: SECRET, enableRateLimit: false,
                                  options: { fetchMargins: false, fetchCurrencies: false } });
for (const k of ['fapiPublic', 'fapiPrivate']) ex.urls.api[k] = `${base}/fapi/v1`;
for (const k of ['fapiPublicV2', 'fapiPrivateV2']) ex.urls.api[k] = `${base}/fapi/v2`;
for (const k of ['fapiPublicV3', 'fapiPrivateV3']) ex.urls.api[k] = `${base}/fapi/v3`;
const symbol = 'BTC/USDT:USDT';
await step('ccxt', async () => {
  const markets = await ex.loadMarkets();
  check('ccxt: markets', !!markets[symbol] && markets[symbol].precision.price === 0.1 && markets[symbol].limits.amount.min === 0.001,
        `${Object.keys(markets).length} markets`);
  const ob = await ex.fetchOrderBook(symbol, 5);
  check('ccxt: order book', ob.bids.length === 5 && ob.bids[0][0] < ob.asks[0][0] && ob.nonce > 0);
  const trades = await ex.fetchTrades(symbol, undefined, 5);
  check('ccxt: trades', trades.length > 0 && trades[0].price > 0);
  const ohlcv = await ex.fetchOHLCV(symbol, '1m', undefined, 5);
  check('ccxt: ohlcv', ohlcv.length > 0 && ohlcv[0][4] > 0);
  const bal = await ex.fetchBalance();
  check('ccxt: balance', bal.USDT.total > 99000, JSON.stringify(bal.USDT));
  const positions = await ex.fetchPositions([symbol]);
  check('ccxt: positions', positions.length === 1 && positions[0].contracts === 0.01 && positions[0].side === 'long',
        JSON.stringify(positions.map(p => [p.symbol, p.contracts, p.side])));
  const price = Math.floor(ob.bids[0][0] - 300);
  const o = await ex.createOrder(symbol, 'limit', 'sell', 0.005, price + 1000, { timeInForce: 'GTX' });
  check('ccxt: create order', o.status === 'open' && o.amount === 0.005 && o.postOnly === true);
  const edited = await ex.editOrder(o.id, symbol, 'limit', 'sell', 0.006, price + 1100);
  check('ccxt: edit order', edited.id === o.id && edited.amount === 0.006 && edited.price === price + 1100);
  const open = await ex.fetchOpenOrders(symbol);
  check('ccxt: open orders', open.length === 1 && open[0].id === o.id);
  const fetched = await ex.fetchOrder(o.id, symbol);
  check('ccxt: fetch order', fetched.status === 'open');
  const cancelled = await ex.cancelOrder(o.id, symbol);
  check('ccxt: cancel order', cancelled.status === 'canceled');
  try {
    await ex.createOrder(symbol, 'limit', 'buy', 0.001, price);
    check('ccxt: below MIN_NOTIONAL rejected', false);
  } catch (e) {
    check('ccxt: below MIN_NOTIONAL rejected', /-4164/.test(e.message), `${e.constructor.name} ${e.message.slice(0, 80)}`);
  }
  try {
    await ex.createOrder(symbol, 'limit', 'buy', 0.01, ob.asks[0][0] + 100, { timeInForce: 'GTX' });
    check('ccxt: crossing post-only rejected', false);
  } catch (e) {
    check('ccxt: crossing post-only rejected', /-5022|Post Only/.test(e.message), e.constructor.name);
  }
});

// ---------------- ccxt.pro binanceusdm: its own order-book sync over the diff-depth stream ----------------
await step('ccxt.pro: watchOrderBook', async () => {
  const pro = new ccxt.pro.binanceusdm({ apiKey: KEY, secret: SECRET, enableRateLimit: false,
                                         options: { fetchMargins: false, fetchCurrencies: false } });
  for (const k of ['fapiPublic', 'fapiPrivate']) pro.urls.api[k] = `${base}/fapi/v1`;
  for (const k of ['fapiPublicV2', 'fapiPrivateV2']) pro.urls.api[k] = `${base}/fapi/v2`;
  for (const k of ['fapiPublicV3', 'fapiPrivateV3']) pro.urls.api[k] = `${base}/fapi/v3`;
  pro.urls.api.ws.future = `${wsBase}/ws`;  // ccxt puts its category in front: /public/ws/<stream>
  await pro.loadHttpProxyAgent();
  await pro.loadMarkets();
  let updates = 0, nonce = 0, crossed = false;
  const until = Date.now() + 3000;
  while (Date.now() < until) {
    const ob = await pro.watchOrderBook(symbol);
    updates++;
    if (ob.nonce < nonce) throw new Error(`nonce went back ${ob.nonce} < ${nonce}`);
    nonce = ob.nonce;
    if (ob.bids.length && ob.asks.length && ob.bids[0][0] >= ob.asks[0][0]) crossed = true;
  }
  check('ccxt.pro: order book kept in sync by ccxt', updates > 10 && !crossed, `${updates} updates, nonce ${nonce}`);
  // A pu break: ccxt's own futures rule (pu must be the previous u) must catch it.
  await fetch(`${base}/kappa/binance/fault?action=pu_break`, { method: 'POST' });
  let caught = '';
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && !caught) {
    try { await pro.watchOrderBook(symbol); } catch (e) { caught = e.constructor.name; }
  }
  check('ccxt.pro: a pu break is caught by ccxt', caught === 'ChecksumError', caught || 'nothing raised');
  await pro.close();
});

// ---------------- a plain ws client: combined stream, live subscribe ----------------
await step('ws: combined stream', async () => {
  const ws = new WebSocket(`${wsBase}/stream?streams=ethusdt@markPrice@1s`);
  const got = [];
  ws.on('message', d => got.push(JSON.parse(d.toString())));
  await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
  ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['btcusdt@aggTrade', 'btcusdt@bookTicker'], id: 7 }));
  await sleep(2500);
  ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 8 }));
  await sleep(300);
  ws.close();
  check('ws: subscribe answered', got.some(m => m.id === 7 && m.result === null));
  check('ws: list subscriptions', got.some(m => m.id === 8 && Array.isArray(m.result) && m.result.length === 3));
  check('ws: mark price', got.some(m => m.stream === 'ethusdt@markPrice@1s' && m.data.e === 'markPriceUpdate' && Number(m.data.p) > 0));
  check('ws: aggTrade and bookTicker', got.some(m => m.stream === 'btcusdt@aggTrade') && got.some(m => m.stream === 'btcusdt@bookTicker'));
});

clearTimeout(watchdog);
stop();
console.log(failures === 0 ? 'ALL PASS' : `${failures} FAILED`);
process.exit(failures === 0 ? 0 : 1);
