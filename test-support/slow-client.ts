import net from 'node:net';

/**
 * A slow client over a raw socket: writes `first` at once, then `drip` one byte every
 * `everyMs` (that pacing is the client's behaviour, not a wait in a test), and collects what
 * the server sends until the connection closes.
 */
export interface Trickle {
  /** The server's answer, once it has closed the connection; status 0 if it closed without one. */
  answer: Promise<TrickledAnswer>;
  /** Stops dripping and closes the connection from the client side. */
  close(): void;
}

export interface TrickledAnswer {
  status: number;
  /** Lower-case field names; a repeated field keeps its last value. */
  headers: Record<string, string>;
  body: string;
}

export function trickle(opts: { port: number; localAddress?: string; first?: string; drip?: string; everyMs?: number }): Trickle {
  const socket = net.connect({ port: opts.port, host: '127.0.0.1', localAddress: opts.localAddress });
  let timer: NodeJS.Timeout | undefined;
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (text += d));
  socket.once('connect', () => {
    if (opts.first) socket.write(opts.first);
    const drip = opts.drip ?? '';
    let i = 0;
    if (drip.length > 0) {
      timer = setInterval(() => {
        if (i < drip.length && socket.writable) socket.write(drip[i++]!);
        else clearInterval(timer);
      }, opts.everyMs ?? 50);
    }
  });
  const answer = new Promise<TrickledAnswer>((resolve) => {
    socket.on('error', () => {}); // a reset after the answer is the server closing on a client still writing
    socket.once('close', () => {
      clearInterval(timer);
      resolve(parse(text));
    });
  });
  return {
    answer,
    close() {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

function parse(text: string): TrickledAnswer {
  const split = text.indexOf('\r\n\r\n');
  if (split < 0) return { status: 0, headers: {}, body: text };
  const [statusLine, ...fields] = text.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const field of fields) {
    const colon = field.indexOf(':');
    headers[field.slice(0, colon).trim().toLowerCase()] = field.slice(colon + 1).trim();
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body: text.slice(split + 4) };
}
