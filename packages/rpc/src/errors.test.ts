// RpcError is the one error of the JSON-RPC methods: a GridledgerError with a stable code, whose JSON-RPC
// number and data the dispatcher answers with.
import { GridledgerError } from '@gridledger/base';
import { describe, expect, it } from 'vitest';
import { RpcDispatcher } from './dispatch.ts';
import { invalidParams, RPC_ERRORS, RpcError } from './errors.ts';

describe('RpcError', () => {
  it('is a GridledgerError with a stable code per JSON-RPC number', () => {
    const e = invalidParams('interval must be a number');
    expect(e).toBeInstanceOf(GridledgerError);
    expect(e).toMatchObject({
      code: 'E_RPC_INVALID_PARAMS',
      rpcCode: -32602,
      message: 'invalid params: interval must be a number',
    });
    expect(new RpcError(RPC_ERRORS.EXECUTION_REVERTED, 'execution reverted', '0x')).toMatchObject({
      code: 'E_RPC_EXECUTION_REVERTED',
      rpcCode: 3,
      data: '0x',
    });
    expect(new RpcError(-31999, 'odd').code).toBe('E_RPC');
  });

  it('is answered with its JSON-RPC number, message and data', async () => {
    const d = new RpcDispatcher(
      new Map([
        [
          'boom',
          async () => {
            throw new RpcError(RPC_ERRORS.TX_REJECTED, 'nonce too low', { code: 'rejected' });
          },
        ],
      ]),
    );
    expect(await d.handle({ jsonrpc: '2.0', id: 7, method: 'boom' })).toEqual({
      jsonrpc: '2.0',
      id: 7,
      error: { code: -32000, message: 'nonce too low', data: { code: 'rejected' } },
    });
  });
});
