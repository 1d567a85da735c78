/**
 * The setup and join flows (flows.ts) against the real relay in process, called as the app calls
 * them but with the harness's network and a cheap KDF (test-support/devices.ts); the harness
 * itself makes its devices with these functions.
 * @module
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateRootSecret, identityId } from '../../shared/keys.ts';
import { FAST_KDF, inviteFromLink, joinClient, Net, ORIGIN, PASSPHRASE, relayPerTest, therapistDevice, type Relay } from '../../test-support/devices.ts';
import { RelayApi } from '../api/relay.ts';
import { createVault, type Vault } from '../vault/vault.ts';
import { joinFromInvite, setUpPractice, type FlowDeps } from './flows.ts';
import { createInvite, OnboardingError } from './onboarding.ts';

let relay: Relay;
const devices = relayPerTest(async (r) => {
  relay = r;
});
const vaults: Vault[] = [];
afterEach(() => {
  for (const v of vaults.splice(0)) v.close();
});

let n = 0;
/** The flows' dependencies over `net`, counting the vaults created. */
function depsOver(net: Net): FlowDeps & { created: () => number } {
  let created = 0;
  return {
    api: new RelayApi({ origin: ORIGIN, fetch: net.fetch }),
    createVault: async (passphrase) => {
      created++;
      const vault = await createVault(passphrase, { dbName: `flows-${process.pid}-${++n}`, kdf: FAST_KDF });
      vaults.push(vault);
      return vault;
    },
    now: () => Date.now(),
    created: () => created,
  };
}

describe('the harness makes its devices with the flows', () => {
  it('a therapist and a joined client are provisioned as the flows leave them, and the client sent hello and consent', async () => {
    const therapist = await therapistDevice(relay);
    devices.push(therapist);
    const joined = await joinClient(relay, therapist, 'Sam');
    devices.push(joined.device);
    expect(therapist.profile.provisionedAt).toBeTypeOf('number');
    expect(joined.device.profile.provisionedAt).toBeTypeOf('number');
    expect(await joined.device.outbox.pending()).toBe(0);
    expect(await therapist.receiver.pull()).toEqual({ received: 2, rejected: 0 });
  });
});

describe('setUpPractice', () => {
  it('with a refused code creates no vault, and says bad_code', async () => {
    const deps = depsOver(new Net(relay.fx));
    const refused = await setUpPractice(deps, { rootSecret: generateRootSecret(), passphrase: PASSPHRASE, code: 'A'.repeat(43), practiceName: 'Harbour' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OnboardingError);
    expect((refused as OnboardingError).code).toBe('bad_code');
    expect(deps.created()).toBe(0);
  });
});

describe('joinFromInvite', () => {
  it('offline before the vault: no vault is created, and the same call succeeds once the network is back', async () => {
    const therapist = await therapistDevice(relay);
    devices.push(therapist);
    const local = await createInvite(therapist.api, therapist.identity, therapist.profile, therapist.records, 'Pat', ORIGIN, Date.now());
    const invite = await inviteFromLink(local.link, therapist.api);
    const net = new Net(relay.fx);
    const deps = depsOver(net);
    const input = { rootSecret: generateRootSecret(), passphrase: PASSPHRASE, invite };
    net.refuse = (r) => r.path.startsWith('/v1/bundles');
    expect(await joinFromInvite(deps, input).catch((e: unknown) => (e as Error).name)).toBe('OfflineError');
    expect(deps.created()).toBe(0);
    net.refuse = undefined;
    const { conversationId } = await joinFromInvite(deps, input);
    expect(deps.created()).toBe(1);
    expect(await therapist.receiver.pull()).toEqual({ received: 2, rejected: 0 });
    expect((await therapist.records.conversations()).map((c) => c.label)).toEqual(['Pat']);
    expect(conversationId).toBe(identityId(therapist.identity.publicIdentity));
  });
});
