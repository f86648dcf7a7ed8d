// Drives kappa-exchange with ccxt, an independent and widely used Deribit client, unchanged apart
// from its URLs: if ccxt can trade against our exchange, our protocol matches Deribit's as ccxt
// understands it. Usage: node ccxt_fidelity.mjs HTTP_BASE WS_URL SYMBOL
// (credentials from KAPPA_TEST_CLIENT_ID / KAPPA_TEST_CLIENT_SECRET, never the command line).
// Prints one JSON line per step ({"step":…,"ok":true,…} or {"step":…,"ok":false,"error":…}) and
// exits 1 if any step failed; tst_exchange_ccxt asserts on those lines.
import ccxt from 'ccxt';

const [httpBase, wsUrl, symbol] = process.argv.slice(2);
const options = {
  apiKey: process.env.KAPPA_TEST_CLIENT_ID,
  secret: process.env.KAPPA_TEST_CLIENT_SECRET,
  timeout: 10000,
  enableRateLimit: false,
};
const rest = new ccxt.deribit(options);
rest.urls.api = { rest: httpBase };
const pro = new ccxt.pro.deribit(options);
pro.urls.api = { rest: httpBase, ws: wsUrl };

let failed = false;
async function step(name, fn) {
  try {
    const detail = await fn();
    console.log(JSON.stringify({ step: name, ok: true, ...detail }));
    return true;
  } catch (e) {
    failed = true;
    console.log(JSON.stringify({ step: name, ok: false, error: String(e && e.message ? e.message : e).slice(0, 400) }));
    return false;
  }
}
const check = (cond, what) => { if (!cond) throw new Error(what); };

let market, book, order;
await step('markets', async () => {
  const markets = await rest.loadMarkets();
  market = markets[symbol];
  check(market, `no market ${symbol} among ${Object.keys(markets).length}`);
  const options = Object.values(markets).filter((m) => m.option).length;
  return { count: Object.keys(markets).length, options, tick: market.precision.price };
});
await step('order_book', async () => {
  book = await rest.fetchOrderBook(symbol, 10);
  check(book.bids.length > 0 && book.asks.length > 0, 'empty book');
  check(book.bids[0][0] < book.asks[0][0], `crossed book ${book.bids[0][0]} >= ${book.asks[0][0]}`);
  return { bid: book.bids[0][0], ask: book.asks[0][0], levels: book.bids.length };
});
await step('ticker', async () => {
  const t = await rest.fetchTicker(symbol);
  check(t.bid > 0 && t.ask > 0 && t.bid < t.ask, `bad ticker bid ${t.bid} ask ${t.ask}`);
  return { bid: t.bid, ask: t.ask, mark: t.info.mark_price };
});
await step('balance', async () => {
  const b = await rest.fetchBalance({ currency: market.base });
  const total = b.total[market.base];
  check(total > 0, `no ${market.base} balance`);
  return { currency: market.base, total };
});
await step('create_order', async () => {
  const price = rest.priceToPrecision(symbol, book.bids[0][0] * 0.9);  // rests well below the bid
  order = await rest.createOrder(symbol, 'limit', 'buy', market.limits.amount.min * 2, Number(price),
                                 { label: 'ccxt-fidelity' });
  check(order.id && order.status === 'open', `order ${order.id} status ${order.status}`);
  return { id: order.id, status: order.status, price: order.price };
});
await step('edit_order', async () => {
  const price = Number(rest.priceToPrecision(symbol, order.price * 0.99));
  const edited = await rest.editOrder(order.id, symbol, 'limit', 'buy', order.amount, price);
  check(edited.price === price, `edited price ${edited.price} != ${price}`);
  return { id: edited.id, price: edited.price };
});
await step('open_orders', async () => {
  const open = await rest.fetchOpenOrders(symbol);
  check(open.some((o) => o.id === order.id), `order ${order.id} not among ${open.length} open orders`);
  return { count: open.length };
});
await step('cancel_order', async () => {
  const c = await rest.cancelOrder(order.id, symbol);
  check(c.status === 'canceled', `status after cancel: ${c.status}`);
  return { id: c.id, status: c.status };
});
await step('my_trades', async () => {
  // Cross the spread with a small market order so there is a trade of our own to find.
  const m = await rest.createOrder(symbol, 'market', 'buy', market.limits.amount.min);
  const trades = await rest.fetchMyTrades(symbol);
  check(trades.some((t) => t.order === m.id), `market order ${m.id} not among ${trades.length} trades`);
  return { count: trades.length };
});
await step('watch_order_book', async () => {
  let updates = 0, last;
  const until = Date.now() + 5000;
  while (updates < 3 && Date.now() < until) {
    last = await pro.watchOrderBook(symbol);
    updates++;
  }
  check(updates >= 3, `only ${updates} book updates in 5 s`);
  check(last.bids[0][0] < last.asks[0][0], 'crossed book over WebSocket');
  return { updates, bid: last.bids[0][0], ask: last.asks[0][0] };
});
await pro.close();
process.exit(failed ? 1 : 0);
