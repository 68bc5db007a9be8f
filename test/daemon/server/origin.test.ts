import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAllowedOrigin, isOwnHost } from '../../../src/daemon/server/origin.js';
import { credentialAtUpgrade } from '../../../src/daemon/server/upgrade-auth.js';
import { AuthPolicy } from '../../../src/daemon/auth/tokens.js';

const loopback = { bind: '127.0.0.1', port: 9100 };

/** Issue 26, item 8 (upgrade Host and Origin) and item 3 (the token on the upgrade), as pure rules. */
describe('upgrade request rules', () => {
  it('takes a loopback name with the daemon port as Host, in any case, IPv6 bracketed', () => {
    for (const host of ['127.0.0.1:9100', 'localhost:9100', 'LocalHost:9100', '[::1]:9100', '127.1.2.3:9100'])
      assert.equal(isOwnHost(host, loopback), true, host);
    for (const host of [
      undefined,
      '',
      '127.0.0.1',
      '127.0.0.1:9101',
      'evil.example:9100',
      '127.0.0.1.evil.example:9100',
      '[::1]',
      'localhost:9100:1',
      '::1:9100',
    ]) {
      assert.equal(isOwnHost(host, loopback), false, String(host));
    }
  });

  it('takes the bound address too, and any name on a wildcard bind (--allow-remote)', () => {
    assert.equal(isOwnHost('10.0.0.5:9100', { bind: '10.0.0.5', port: 9100 }), true);
    assert.equal(isOwnHost('10.0.0.6:9100', { bind: '10.0.0.5', port: 9100 }), false);
    assert.equal(isOwnHost('box.lan:9100', { bind: '0.0.0.0', port: 9100 }), true);
  });

  it("allows no Origin (non-browser clients) and the daemon's own page only", () => {
    assert.equal(isAllowedOrigin(undefined, loopback), true);
    for (const origin of ['http://127.0.0.1:9100', 'http://localhost:9100', 'http://[::1]:9100']) assert.equal(isAllowedOrigin(origin, loopback), true, origin);
    for (const origin of [
      'http://localhost:3000',
      'https://127.0.0.1:9100',
      'http://127.0.0.1',
      'http://evil.example:9100',
      'null',
      'file://',
      'chrome-extension://abc',
    ]) {
      assert.equal(isAllowedOrigin(origin, loopback), false, origin);
    }
  });

  it('reads Bearer tokens case-insensitively, host token first, and refuses anything else', () => {
    const auth = AuthPolicy.withTokens('client-token', 'host-token');
    assert.deepEqual(credentialAtUpgrade(undefined, auth), { kind: 'none' });
    assert.deepEqual(credentialAtUpgrade('Bearer client-token', auth), { kind: 'signed_in', role: 'client', via: 'upgrade_token' });
    assert.deepEqual(credentialAtUpgrade('bearer   host-token', auth), { kind: 'signed_in', role: 'host', via: 'upgrade_host_token' });
    for (const header of ['Bearer wrong', 'Bearer', 'Basic Y2xpZW50LXRva2Vu', 'client-token', 'Bearer client-token extra', '']) {
      assert.deepEqual(credentialAtUpgrade(header, auth), { kind: 'refused' }, header);
    }
  });
});
