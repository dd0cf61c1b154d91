// The p2p error type: a peer broke the wire protocol (bad frame, bad message, failed handshake).
import { GridledgerError } from '@gridledger/base';

/** A peer sent bytes that break the wire protocol; the connection it came on is closed. */
export class P2pProtocolError extends GridledgerError {
  constructor(message: string) {
    super('E_P2P_PROTOCOL', message);
    this.name = 'P2pProtocolError';
  }
}
