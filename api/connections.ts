// Node's server.close() and closeIdleConnections() leave alone a socket that connected but has not
// sent a whole request (a browser's preconnect, a load balancer's spare connection): shutdown would
// wait for it until the request timeout. This tracks each socket's requests in flight, so shutdown
// can end every socket that is not serving one at once and let the others finish.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export function trackConnections(server: Server) {
  const inFlight = new Map<Socket, number>();
  let closing = false;
  server.on('connection', (socket: Socket) => {
    if (closing) return void socket.destroy();
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  });
  server.on('request', (request, response) => {
    const socket = request.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    response.once('close', () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      if (!inFlight.has(socket)) return;
      inFlight.set(socket, left);
      // Shutting down: this connection served its last answer.
      if (closing && left === 0) socket.destroy();
    });
  });
  return {
    /** From now on: a socket without a request in flight is closed, now or once its answer is sent. */
    closeIdle() {
      closing = true;
      for (const [socket, requests] of inFlight) if (requests === 0) socket.destroy();
    },
  };
}
