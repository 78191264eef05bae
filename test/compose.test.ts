import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metadata } from '@grpc/grpc-js';
import { wrapClient, wrapHandler, type Call, type Handler, type HandlerContext, type Wrapper } from '../src/index';
import { ctx, INFO } from './support/call-context';

const logging = (name: string, log: string[]): Wrapper => ({
  name,
  client: (next) => async (req, ctx) => {
    log.push(`${name}>`);
    const res = await next(req, ctx);
    log.push(`<${name}`);
    return res;
  },
  handler: (next) => async (req, ctx) => {
    log.push(`${name}>`);
    const res = await next(req, ctx);
    log.push(`<${name}`);
    return res;
  },
});

describe('wrapClient / wrapHandler', () => {
  it('runs the first wrapper outermost on the client side', async () => {
    const log: string[] = [];
    const end: Call = async () => {
      log.push('call');
      return 'ok';
    };
    const call = wrapClient(logging('a', log), logging('b', log), logging('c', log))(end, INFO);
    assert.equal(await call({}, ctx()), 'ok');
    assert.deepEqual(log, ['a>', 'b>', 'c>', 'call', '<c', '<b', '<a']);
  });

  it('runs the first wrapper outermost on the handler side', async () => {
    const log: string[] = [];
    const end: Handler = async () => {
      log.push('handler');
      return 1;
    };
    const handler = wrapHandler(logging('x', log), logging('y', log))(end, INFO);
    await handler({}, { metadata: new Metadata() } as HandlerContext);
    assert.deepEqual(log, ['x>', 'y>', 'handler', '<y', '<x']);
  });

  it('accepts bare (next) => call functions', async () => {
    const call = wrapClient((next) => async (req, c) => `${await next(req, c)}!`)(async () => 'hi', INFO);
    assert.equal(await call({}, ctx()), 'hi!');
  });

  it('with no wrappers is the identity', async () => {
    const end: Call = async () => 7;
    assert.equal(wrapClient()(end, INFO), end);
  });

  it('throws at once when a wrapper lacks the side it is composed on', () => {
    const clientOnly: Wrapper = { name: 'roundRobin', client: (next) => next };
    const handlerOnly: Wrapper = { name: 'serverOnly', handler: (next) => next };
    assert.throws(() => wrapHandler(clientOnly), { name: 'TypeError', message: 'roundRobin() wraps clients only' });
    assert.throws(() => wrapClient(handlerOnly), { name: 'TypeError', message: 'serverOnly() wraps handlers only' });
    assert.throws(() => wrapClient(42 as unknown as Wrapper), TypeError);
  });
});
