// Order-book decoding (JSON, CSV, files) and the bus check: valid books decode to the same orders in both
// formats; every kind of bad input is rejected with a message naming where and what was expected.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '@gridledger/base';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOrdersAgainstNetwork, decodeOrdersCsv, decodeOrdersJson, validateOrders } from './orders.ts';
import { loadOrders } from './orders-file.ts';
import type { Order } from './types.ts';

const CSV = `id,bus,side,price,quantity
a,1,buy,30,2
a,1,buy,20,3
b,2,sell,10.5,1e1
`;

describe('decodeOrdersCsv', () => {
  it('merges rows of one id into one order with steps in row order', () => {
    expect(decodeOrdersCsv(CSV, 'o.csv')).toEqual([
      {
        id: 'a',
        bus: 1,
        side: 'buy',
        steps: [
          { price: 30, quantity: 2 },
          { price: 20, quantity: 3 },
        ],
      },
      { id: 'b', bus: 2, side: 'sell', steps: [{ price: 10.5, quantity: 10 }] },
    ]);
  });
  it('accepts CRLF, blank and comment lines, quoted ids, columns in any order', () => {
    const text = '# book\r\nbus,id,side,quantity,price\r\n\r\n1,"x,1",BUY,2,30\r\n';
    expect(decodeOrdersCsv(text, 'o.csv')).toEqual([
      { id: 'x,1', bus: 1, side: 'buy', steps: [{ price: 30, quantity: 2 }] },
    ]);
  });
  it.each([
    ['id,bus,side,price,quantity\na,1,buy,-1,2\n', /o\.csv line 2 \(id "a"\): expected "price" to be >= 0/],
    ['id,bus,side,price,quantity\na,1,buy,1,-2\n', /line 2 \(id "a"\): expected "quantity" to be >= 0/],
    [
      'id,bus,side,price,quantity\na,1,buy,abc,2\n',
      /line 2 \(id "a"\): expected "price" to be a number.*"abc"/,
    ],
    ['id,bus,side,price,quantity\na,1,buy,1,\n', /expected "quantity" to be a number.*got ""/],
    ['id,bus,side,price,quantity\na,1,buy,NaN,1\n', /expected "price" to be a number.*"NaN"/],
    ['id,bus,side,price,quantity\na,1,buy,Infinity,1\n', /expected "price" to be a number.*"Infinity"/],
    ['id,bus,side,price,quantity\na,1,hold,1,1\n', /expected "side" to be "buy" or "sell", got "hold"/],
    ['id,bus,side,price,quantity\na,1.5,buy,1,1\n', /expected "bus" to be a non-negative integer/],
    ['id,bus,side,price,quantity\na,x,buy,1,1\n', /expected "bus" to be an integer bus number/],
    ['id,bus,side,price,quantity\na,1,buy,1\n', /line 2: expected 5 fields/],
    ['id,bus,side,price,quantity\n,1,buy,1,1\n', /line 2: expected a non-empty "id"/],
    [
      'id,bus,side,price,quantity\na,1,buy,1,1\na,2,buy,1,1\n',
      /line 3 \(id "a"\): rows of one order must share bus and side; line 2 has bus 1/,
    ],
    ['id,bus,side,price,quantity\na,1,buy,1,1\na,1,sell,1,1\n', /must share bus and side/],
    [
      'id,bus,price,quantity\na,1,1,1\n',
      /line 1: expected a header with columns id,bus,side,price,quantity, missing "side"/,
    ],
    ['id,bus,side,price,quantity\n', /order book is empty/],
    ['', /order book is empty/],
    ['\n# only a comment\n', /order book is empty/],
  ])('rejects %j', (text, msg) => {
    expect(() => decodeOrdersCsv(text, 'o.csv')).toThrow(InputError);
    expect(() => decodeOrdersCsv(text, 'o.csv')).toThrow(msg);
  });
});

describe('decodeOrdersJson', () => {
  it('decodes the documented shape and drops unknown fields', () => {
    const text = JSON.stringify({
      orders: [{ id: 'a', bus: 3, side: 'sell', steps: [{ price: 5, quantity: 1, note: 'x' }], extra: 1 }],
    });
    expect(decodeOrdersJson(text, 'o.json')).toEqual([
      { id: 'a', bus: 3, side: 'sell', steps: [{ price: 5, quantity: 1 }] },
    ]);
  });
  const order = (over: Record<string, unknown>) =>
    JSON.stringify({
      orders: [{ id: 'a', bus: 1, side: 'buy', steps: [{ price: 1, quantity: 1 }], ...over }],
    });
  it.each([
    ['{', /o\.json: expected JSON/],
    ['[]', /expected a JSON object \{"orders": \[\.\.\.\]\}/],
    ['{"orders":[]}', /order book is empty/],
    ['{"orders":{}}', /expected "orders" to be an array/],
    [
      order({ steps: [{ price: -1, quantity: 1 }] }),
      /order 1 \(id "a"\) step 1: expected "price" to be >= 0/,
    ],
    [order({ steps: [{ price: 1, quantity: -3 }] }), /step 1: expected "quantity" to be >= 0.*got -3/],
    [order({ steps: [{ price: '7', quantity: 1 }] }), /expected "price" to be a number.*got "7"/],
    [order({ steps: [{ price: null, quantity: 1 }] }), /expected "price" to be a number.*got null/],
    [order({ steps: [{ price: 1 }] }), /expected "quantity" to be a number.*got undefined/],
    [order({ steps: [] }), /expected "steps" to be a non-empty array/],
    [order({ side: 'bid' }), /expected "side" to be "buy" or "sell", got "bid"/],
    [order({ bus: '1' }), /expected "bus" to be a non-negative integer bus number, got "1"/],
    [order({ id: '' }), /order 1: expected "id" to be a non-empty string/],
    [order({ id: 7 }), /expected "id" to be a non-empty string, got number 7/],
    [
      JSON.stringify({
        orders: [
          { id: 'a', bus: 1, side: 'buy', steps: [{ price: 1, quantity: 1 }] },
          { id: 'a', bus: 1, side: 'buy', steps: [{ price: 1, quantity: 1 }] },
        ],
      }),
      /order 2 \(id "a"\): duplicate id, already used by order 1/,
    ],
  ])('rejects %s', (text, msg) => {
    expect(() => decodeOrdersJson(text, 'o.json')).toThrow(InputError);
    expect(() => decodeOrdersJson(text, 'o.json')).toThrow(msg);
  });
  it('rejects NaN and Infinity passed in as values', () => {
    const mk = (price: number): unknown[] => [
      { id: 'a', bus: 1, side: 'buy', steps: [{ price, quantity: 1 }] },
    ];
    expect(() => validateOrders(mk(Number.NaN), 'api')).toThrow(/expected "price" to be a number.*NaN/);
    expect(() => validateOrders(mk(Infinity), 'api')).toThrow(/expected "price" to be a finite number/);
  });
});

const orderArb: fc.Arbitrary<Order[]> = fc
  .uniqueArray(
    fc.record({
      id: fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/),
      bus: fc.integer({ min: 1, max: 300 }),
      side: fc.constantFrom('buy' as const, 'sell' as const),
      steps: fc.array(
        fc.record({
          price: fc.double({ min: 0, max: 1e4, noNaN: true, noDefaultInfinity: true }),
          quantity: fc.double({ min: 0, max: 1e3, noNaN: true, noDefaultInfinity: true }),
        }),
        { minLength: 1, maxLength: 4 },
      ),
    }),
    { minLength: 1, maxLength: 8, selector: (o) => o.id },
  )
  // -0 prints as "0" in CSV; normalise so both formats agree.
  .map((os) =>
    os.map((o) => ({ ...o, steps: o.steps.map((s) => ({ price: s.price + 0, quantity: s.quantity + 0 })) })),
  );

describe('JSON and CSV agree', () => {
  it('decode the same book to the same orders', () => {
    fc.assert(
      fc.property(orderArb, (orders) => {
        const csv = ['id,bus,side,price,quantity']
          .concat(
            orders.flatMap((o) => o.steps.map((s) => `${o.id},${o.bus},${o.side},${s.price},${s.quantity}`)),
          )
          .join('\n');
        expect(decodeOrdersCsv(csv, 'o.csv')).toEqual(orders);
        expect(decodeOrdersJson(JSON.stringify({ orders }), 'o.json')).toEqual(orders);
      }),
    );
  });
});

describe('loadOrders', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gl-orders-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('picks the decoder by extension', () => {
    writeFileSync(join(dir, 'b.csv'), CSV);
    writeFileSync(join(dir, 'b.JSON'), JSON.stringify({ orders: decodeOrdersCsv(CSV, 'x') }));
    expect(loadOrders(join(dir, 'b.csv'))).toEqual(loadOrders(join(dir, 'b.JSON')));
  });
  it('names a missing file, a directory and an unknown extension', () => {
    expect(() => loadOrders(join(dir, 'nope.csv'))).toThrow(
      /nope\.csv: cannot read the order book \(no such file\)/,
    );
    expect(() => loadOrders(join(dir, 'book.txt'))).toThrow(
      /expected an order book file ending in \.json or \.csv/,
    );
    const sub = join(dir, 'd.csv');
    rmSync(sub, { force: true, recursive: true });
    mkdirSync(sub);
    expect(() => loadOrders(sub)).toThrow(/cannot read the order book/);
  });
});

describe('checkOrdersAgainstNetwork', () => {
  const orders = decodeOrdersCsv(CSV, 'o.csv');
  it('passes when every bus exists', () => {
    expect(() => checkOrdersAgainstNetwork(orders, [1, 2, 3])).not.toThrow();
  });
  it('names the order and the bus', () => {
    expect(() => checkOrdersAgainstNetwork(orders, new Set([1, 3]))).toThrow(
      /order "b": bus 2 is not a bus of the network \(expected one of 1, 3; 2 buses\)/,
    );
  });
});
