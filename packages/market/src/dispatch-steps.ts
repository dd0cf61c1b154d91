// Order steps as the dispatch problem's quantity variables: flattening orders into one column per step
// (`indexSteps`, buses mapped to the DC model's internal indices), subsets of steps, and steps merged into
// price bands (used by the step screening of the PTDF formulation).
import { InputError } from '@gridledger/base';
import type { DcModel } from '@gridledger/grid';
import type { Order } from './types.ts';

/** One cleared quantity variable per order step. */
export interface StepIndex {
  /** Internal bus of each step. */
  bus: Int32Array;
  /** +1 for sell steps (injection), -1 for buy steps (withdrawal). */
  sign: Int8Array;
  price: Float64Array;
  quantity: Float64Array;
  /** First step of order k is orderStart[k]. */
  orderStart: Int32Array;
}

/** Flattens order steps, mapping buses to the model's internal indices. */
export function indexSteps(model: DcModel, orders: readonly Order[]): StepIndex {
  let n = 0;
  for (const o of orders) n += o.steps.length;
  const bus = new Int32Array(n);
  const sign = new Int8Array(n);
  const price = new Float64Array(n);
  const quantity = new Float64Array(n);
  const orderStart = new Int32Array(orders.length + 1);
  let s = 0;
  orders.forEach((o, k) => {
    orderStart[k] = s;
    const b = model.busIndex.get(o.bus);
    if (b === undefined) {
      throw new InputError(`order "${o.id}": bus ${o.bus} is not an in-service bus of ${model.network.name}`);
    }
    for (const st of o.steps) {
      bus[s] = b;
      sign[s] = o.side === 'sell' ? 1 : -1;
      price[s] = st.price;
      quantity[s] = st.quantity;
      s++;
    }
  });
  orderStart[orders.length] = s;
  return { bus, sign, price, quantity, orderStart };
}

/** The order steps with the given indices. */
export function subsetSteps(steps: StepIndex, idx: number[]): StepIndex {
  return {
    bus: Int32Array.from(idx, (s) => steps.bus[s]!),
    sign: Int8Array.from(idx, (s) => steps.sign[s]!),
    price: Float64Array.from(idx, (s) => steps.price[s]!),
    quantity: Float64Array.from(idx, (s) => steps.quantity[s]!),
    orderStart: Int32Array.from([0, idx.length]),
  };
}

/** Steps merged per bus, side and price band of `width` $/MWh (quantity-weighted mean price). */
export function aggregateSteps(steps: StepIndex, width: number): StepIndex {
  const key = new Map<string, number>();
  const bus: number[] = [];
  const sign: number[] = [];
  const value: number[] = [];
  const quantity: number[] = [];
  for (let s = 0; s < steps.price.length; s++) {
    const k = `${steps.bus[s]}:${steps.sign[s]}:${Math.floor(steps.price[s]! / width)}`;
    let j = key.get(k);
    if (j === undefined) {
      j = bus.length;
      key.set(k, j);
      bus.push(steps.bus[s]!);
      sign.push(steps.sign[s]!);
      value.push(0);
      quantity.push(0);
    }
    value[j]! += steps.price[s]! * steps.quantity[s]!;
    quantity[j]! += steps.quantity[s]!;
  }
  return {
    bus: Int32Array.from(bus),
    sign: Int8Array.from(sign),
    price: Float64Array.from(value, (v, j) => (quantity[j]! > 0 ? v / quantity[j]! : 0)),
    quantity: Float64Array.from(quantity),
    orderStart: Int32Array.from([0, bus.length]),
  };
}
