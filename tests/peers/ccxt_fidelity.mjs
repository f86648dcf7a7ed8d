// kappa-exchange's fidelity through an independent, widely used Deribit client: ccxt (pinned in
// the project's package.json), unchanged apart from its URLs. Starts the real exchange on a free
// loopback port, drives ccxt's REST and WebSocket (ccxt.pro) calls, asserts on what ccxt parsed,
// and stops the exchange by its own pid.
//   node tests/peers/ccxt_fidelity.mjs /path/to/kappa-exchange
// Prints PASS/FAIL per check; exit 0 = pass, 1 = fail (ccxt missing included: ./dev test installs it
// with npm ci in tests/peers). tst_exchange_ccxt runs it and asserts on every line.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let ccxt;
try {
  ccxt = (await import('ccxt')).default;
} catch {
  console.log('FAIL  ccxt is not installed: run ./dev test, or npm ci in tests/peers');
  process.exit(1);
}

const binary = process.argv[2];
if (!binary) {
  console.error('usage: ccxt_fidelity.mjs KAPPA_EXCHANGE');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'kappa-ccxt-'));
const accounts = join(dir, 'accounts.txt');
writeFileSync(accounts, 'ccxt-key:ccxt-secret\n', { mode: 0o600 });
const exchange = spawn(binary, ['--listen', '127.0.0.1:0', '--seed', '5', '--accounts-file', accounts,
                                '--me-limit', '0/0', '--non-me-limit', '0/0'], { stdio: ['ignore', 'pipe', 'inherit'] });
// Stops our own kappa-exchange (by its pid) and removes the accounts file's directory: one was left
// in the temp folder by every run before.
const stop = () => {
  try { process.kill(exchange.pid, 'SIGTERM'); } catch {}
  rmSync(dir, { recursive: true, force: true });
};
const watchdog = setTimeout(() => { console.error('FAIL: timed out'); stop(); process.exit(1); }, 120000);

const firstLine = await new Promise((resolve, reject) => {
  const lines = createInterface({ input: exchange.stdout });
  lines.once('line', resolve);
  exchange.once('exit', () => reject(new Error('kappa-exchange exited before listening')));
});
const port = /^listening ws:\/\/127\.0\.0\.1:(\d+)\/ws\/api\/v2$/.exec(firstLine)?.[1];
let failures = 0;
const check = (what, ok, detail = '') => {
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}${detail ? '  ' + detail : ''}`);
  if (!ok) failures++;
};
check('first line names the port', !!port, firstLine);

const ex = new ccxt.pro.deribit({ apiKey: 'ccxt-key', secret: 'ccxt-secret', enableRateLimit: false });
ex.urls['api'] = { rest: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}/ws/api/v2` };
await ex.loadHttpProxyAgent();  // ccxt's requirement for a plain ws:// URL in Node
const symbol = 'BTC/USD:BTC';
try {
  const markets = await ex.loadMarkets();
  check('markets: the perpetual and options', !!markets[symbol] && Object.values(markets).some(m => m.option),
        `${Object.keys(markets).length} markets`);
  check('markets: tick and minimum', markets[symbol].precision.price === 0.5 && markets[symbol].limits.amount.min === 10);

  const book = await ex.fetchOrderBook(symbol, 5);
  check('order book', book.bids.length === 5 && book.asks.length === 5 && book.bids[0][0] < book.asks[0][0]);
  const ticker = await ex.fetchTicker(symbol);
  check('ticker', ticker.bid > 0 && ticker.ask > ticker.bid && ticker.markPrice > 0);
  const balance = await ex.fetchBalance();
  check('balance', balance.BTC.total === 10 && balance.BTC.free === 10, JSON.stringify(balance.BTC));

  const price = Math.floor(book.bids[0][0] - 500);
  const order = await ex.createOrder(symbol, 'limit', 'buy', 10, price, { label: 'ccxt-1' });
  check('create order', order.status === 'open' && order.amount === 10 && order.price === price);
  const edited = await ex.editOrder(order.id, symbol, 'limit', 'buy', 20, price - 100);
  check('edit order', edited.id === order.id && edited.amount === 20 && edited.price === price - 100);
  const open = await ex.fetchOpenOrders(symbol);
  check('open orders', open.length === 1 && open[0].id === order.id);
  const fetched = await ex.fetchOrder(order.id, symbol);
  check('fetch order', fetched.status === 'open' && fetched.amount === 20);
  const cancelled = await ex.cancelOrder(order.id, symbol);
  check('cancel order', cancelled.status === 'canceled');
  check('no open orders', (await ex.fetchOpenOrders(symbol)).length === 0);

  const market = await ex.createOrder(symbol, 'market', 'buy', 10);
  check('market order fills', market.status === 'closed' && market.filled === 10);
  const trades = await ex.fetchMyTrades(symbol);
  check('my trades', trades.length >= 1 && trades[0].side === 'buy' && trades[0].amount === 10);
  const positions = await ex.fetchPositions([symbol]);
  // ccxt reads Deribit's position size (USD for the perpetual) as its contracts.
  check('positions', positions.length === 1 && positions[0].contracts === 10 && positions[0].side === 'long' &&
        positions[0].entryPrice > 0, JSON.stringify(positions.map(p => [p.contracts, p.side, p.entryPrice])));
  try {
    await ex.createOrder(symbol, 'limit', 'buy', 10, ticker.ask + 50, { postOnly: true });
    check('post-only that would take is refused', false);
  } catch (e) {
    check('post-only that would take is refused', e instanceof ccxt.InvalidOrder);
  }

  let watched;
  for (let i = 0; i < 3; i++) watched = await ex.watchOrderBook(symbol);
  check('watch order book', watched.bids.length > 0 && watched.asks.length > 0 && watched.bids[0][0] < watched.asks[0][0]);
  const watchedTicker = await ex.watchTicker(symbol);
  check('watch ticker', watchedTicker.bid > 0);
} catch (e) {
  check('no exception', false, String(e).slice(0, 500));
}
await ex.close();
clearTimeout(watchdog);
stop();
console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
