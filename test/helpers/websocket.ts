import WebSocket from 'ws';

/** Opens a WebSocket to a broker listener asking for the `mqtt` subprotocol. */
export async function openMqttWebSocket(port: number): Promise<WebSocket> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/mqtt`, ['mqtt']);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/**
 * Sends a CONNECT split over two binary frames and resolves with the first frame the broker
 * answers, which must itself be binary.
 */
export function connectInTwoFrames(socket: WebSocket, connect: Buffer): Promise<Buffer> {
  const answer = new Promise<Buffer>((resolve, reject) =>
    socket.once('message', (data: Buffer, isBinary: boolean) =>
      isBinary ? resolve(Buffer.from(data)) : reject(new Error('the broker answered in a text frame')),
    ),
  );
  socket.send(connect.subarray(0, 5));
  socket.send(connect.subarray(5));
  return answer;
}
