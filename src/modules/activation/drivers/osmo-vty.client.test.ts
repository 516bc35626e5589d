import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listHlrSubscribers, parseSubscriberRow, type HlrSubscriberRow } from './osmo-vty.client.js';
import { TransportError } from './driver.js';

describe('parseSubscriberRow', () => {
  it('reads the rows of osmo-hlr 1.5’s table and nothing else', () => {
    expect(parseSubscriberRow('1      221771234567  001010000000001    -------------    CSPS  ')).toEqual({
      id: 1,
      msisdn: '221771234567',
      imsi: '001010000000001',
      cs: true,
      ps: true,
    });
    expect(
      parseSubscriberRow('2      none          001010000000002    -------------    CS    '),
    ).toMatchObject({
      msisdn: null,
      cs: true,
      ps: false,
    });
    expect(parseSubscriberRow('3      none          001010000000003    -------------    PS')).toMatchObject({
      cs: false,
      ps: true,
    });
    // both cut: the NAM column is empty
    expect(parseSubscriberRow('4      77123         001010000000004    -------------    ')).toMatchObject({
      msisdn: '77123',
      cs: false,
      ps: false,
    });
    // an IMEI, and one of an invalid length as osmo-hlr 1.5 prints it
    expect(parseSubscriberRow('7      77124         001010000000007    35693803564380   CS')).toMatchObject({
      imsi: '001010000000007',
      cs: true,
      ps: false,
    });
    expect(
      parseSubscriberRow('8      none          001010000000008    12345678       (INVALID LENGTH!)  CSPS'),
    ).toMatchObject({ imsi: '001010000000008', cs: true, ps: true });
    expect(
      parseSubscriberRow('9      none          001010000000009    12345678       (INVALID LENGTH!)'),
    ).toMatchObject({ imsi: '001010000000009', cs: false, ps: false });
    // a later version's note on the last location update, with both accesses cut or not
    expect(
      parseSubscriberRow('10     77125         001010000000010    -------------    (3h ago)'),
    ).toMatchObject({
      cs: false,
      ps: false,
    });
    expect(
      parseSubscriberRow('11     77126         001010000000011    -------------    CSPS   (2d ago)'),
    ).toMatchObject({ cs: true, ps: true });
    for (const other of [
      'ID     MSISDN        IMSI              IMEI              NAM',
      '-----  ------------  ----------------  ----------------  -----',
      ' Subscribers Shown: 2',
      'OsmoHLR> ',
      '5      none          0010A              -------------    CS',
      '6      none          00101000000000    -------------    XY',
      '12     +3312         001010000000012    -------------    CS',
      '13     none          001010000000013    -------------    CS  extra',
    ])
      expect(parseSubscriberRow(other)).toBeNull();
  });
});

describe('listHlrSubscribers against a scripted VTY', () => {
  let server: Server | null = null;
  afterEach(() => server?.close());

  /** A VTY that negotiates telnet options, shows its prompt, and answers the listing with `reply`. */
  async function vty(reply: (s: Socket) => void): Promise<number> {
    server = createServer((s) => {
      // IAC WILL ECHO, IAC WILL SGA, IAC DO NAWS, a subnegotiation, then the banner and prompt
      s.write(Buffer.from([0xff, 0xfb, 0x01, 0xff, 0xfb, 0x03, 0xff, 0xfd, 0x1f]));
      s.write(Buffer.from([0xff, 0xfa, 0x18, 0x01, 0xff, 0xf0]));
      // as osmo-hlr sends it: the banner, then options right before the prompt, one cut in two
      s.write('Welcome to the OsmoHLR VTY interface\r\n');
      s.write(Buffer.from([0xff, 0xfb, 0x01, 0xff]));
      s.write(Buffer.concat([Buffer.from([0xfd, 0x1f]), Buffer.from('OsmoHLR> ')]));
      s.on('data', (d) => {
        if (d.toString().startsWith('show subscribers all')) reply(s);
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return (server!.address() as AddressInfo).port;
  }
  const header =
    'show subscribers all\r\nID     MSISDN        IMSI              IMEI              NAM\r\n' +
    '-----  ------------  ----------------  ----------------  -----\r\n';

  it('streams the rows, even cut across chunks, and ends at the prompt', async () => {
    const port = await vty((s) => {
      s.write(header + '1      221771234567  0010100000');
      setTimeout(() => {
        s.write('00001    -------------    CSPS  \r\n2      none          001010000000002');
        s.write('    -------------    CS    \r\n Subscribers Shown: 2\r\nOsmoHLR> ');
      }, 20);
    });
    const rows: HlrSubscriberRow[] = [];
    expect(await listHlrSubscribers({ host: '127.0.0.1', port }, (r) => rows.push(r))).toEqual({ rows: 2 });
    expect(rows.map((r) => [r.imsi, r.msisdn, r.cs, r.ps])).toEqual([
      ['001010000000001', '221771234567', true, true],
      ['001010000000002', null, true, false],
    ]);
  });

  it('fails rather than report a partial list', async () => {
    // a count that does not match the rows read
    const short = await vty((s) =>
      s.write(
        header + '1      none  001010000000001  -------------  CS\r\n Subscribers Shown: 2\r\nOsmoHLR> ',
      ),
    );
    await expect(listHlrSubscribers({ host: '127.0.0.1', port: short }, () => undefined)).rejects.toThrow(
      /read 1 subscribers, the HLR said 2/,
    );
    server!.close();
    // the HLR's database failing after some rows: its count is of what it read, then its error
    const failing = await vty((s) =>
      s.write(
        header +
          '1      none  001010000000001  -------------  CS\r\n Subscribers Shown: 1\r\n% Error looking up subscribers\r\nOsmoHLR> ',
      ),
    );
    await expect(listHlrSubscribers({ host: '127.0.0.1', port: failing }, () => undefined)).rejects.toThrow(
      /% Error looking up subscribers/,
    );
    server!.close();
    // the connection lost mid-listing
    const cut = await vty((s) => {
      s.write(header + '1      none  001010000000001  -------------  CS\r\n');
      s.destroy();
    });
    await expect(
      listHlrSubscribers({ host: '127.0.0.1', port: cut }, () => undefined),
    ).rejects.toBeInstanceOf(TransportError);
    server!.close();
    // silence
    const mute = await vty(() => undefined);
    await expect(
      listHlrSubscribers({ host: '127.0.0.1', port: mute, timeoutMs: 200 }, () => undefined),
    ).rejects.toThrow(/no answer within 200 ms/);
  });
});
