/**
 * Aedes as a bench target, in its own process like the other brokers: `node
 * dist/benchmarks/aedes-server.js PORT`. In-memory persistence (its default), TCP_NODELAY on, as
 * mosquitto's set_tcp_nodelay.
 */
import net from 'node:net';
import { Aedes } from 'aedes';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('usage: aedes-server PORT\n');
  process.exit(2);
}
const broker = await Aedes.createBroker();
const server = net.createServer({ noDelay: true }, broker.handle);
server.listen(port, '127.0.0.1', () => process.stdout.write(`aedes listening on ${port}\n`));
const stop = () => server.close(() => broker.close(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
