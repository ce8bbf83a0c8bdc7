/**
 * gRPC over HTTP/2 message framing (grpc/grpc doc/PROTOCOL-HTTP2.md): every message is a
 * 1-byte compressed flag, a 4-byte big-endian length, then the message bytes. The loopback
 * server speaks it by hand so that no gRPC library sits on the server side of a measurement.
 */

/** Frames one uncompressed message. */
export function encodeGrpcMessage(message: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

/** Splits a stream of DATA chunks back into messages; a message may span chunks and a chunk hold several. */
export class GrpcMessageReader {
  private pending = Buffer.alloc(0);

  /** Adds `chunk` and returns the messages it completed. */
  push(chunk: Buffer): Buffer[] {
    this.pending = Buffer.concat([this.pending, chunk]);
    const messages: Buffer[] = [];
    while (this.pending.length >= 5) {
      const length = this.pending.readUInt32BE(1);
      if (this.pending.length < 5 + length) break;
      messages.push(this.pending.subarray(5, 5 + length));
      this.pending = this.pending.subarray(5 + length);
    }
    return messages;
  }
}
