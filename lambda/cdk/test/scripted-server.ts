// A loopback HTTP/1.1 server that plays a script, one step per request that arrives: reset the
// connection as the request's first bytes arrive, reset it after reading the whole request, or answer
// (status, headers); once the script is played it answers 200 "ok". It counts connections and attempts
// (requests whose bytes arrived), so that tests assert what reached the server. Keep-alive throughout.
import * as net from 'net';
import { AddressInfo } from 'net';

export type Step = 'reset-before-read' | 'reset-after-read' | { status: number; headers?: Record<string, string> };

export class ScriptedServer {
  connections = 0;
  attempts = 0;
  readonly methods: string[] = [];
  url = '';
  private readonly server: net.Server;

  constructor(private readonly script: Step[]) {
    this.server = net.createServer((socket) => this.serve(socket));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): void {
    this.server.close();
  }

  private serve(socket: net.Socket): void {
    this.connections++;
    let pending = Buffer.alloc(0);
    let step: Step | undefined; // of the request being read
    socket.on('error', () => undefined);
    socket.on('data', (data: Buffer) => {
      pending = Buffer.concat([pending, data]);
      while (pending.length > 0) {
        if (step === undefined) {
          this.attempts++;
          step = this.script.shift() ?? { status: 200 };
          if (step === 'reset-before-read') return void socket.resetAndDestroy();
        }
        const headEnd = pending.indexOf('\r\n\r\n');
        if (headEnd === -1) return;
        const head = pending.subarray(0, headEnd).toString('latin1');
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (pending.length < headEnd + 4 + length) return;
        pending = pending.subarray(headEnd + 4 + length);
        this.methods.push(head.split(' ')[0]);
        const current = step;
        step = undefined;
        if (current === 'reset-after-read') return void socket.resetAndDestroy();
        if (typeof current === 'string') return; // reset-before-read was handled on arrival
        const headers = Object.entries(current.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('');
        socket.write(`HTTP/1.1 ${current.status} X\r\n${headers}content-length: 2\r\n\r\nok`);
      }
    });
  }
}
