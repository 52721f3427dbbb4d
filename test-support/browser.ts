import { existsSync } from 'node:fs';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';

/**
 * Headless Chromium for browser tests (Debian's package, driven by playwright-core).
 * Fails loudly when Chromium is missing: CI must install it, a browser test never skips.
 */
// CHROMIUM_PATH, when set, is the only candidate: a wrong path fails rather than finds another.
const CANDIDATES = process.env['CHROMIUM_PATH'] ? [process.env['CHROMIUM_PATH']] : ['/usr/lib/chromium/chromium', '/usr/bin/chromium'];

const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export async function launchBrowser(): Promise<Browser> {
  const executablePath = CANDIDATES.find((p) => existsSync(p));
  if (!executablePath) {
    throw new Error(`Chromium not found (looked at ${CANDIDATES.join(', ')}); install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
  }
  return chromium.launch({ executablePath, headless: true, args: FLAGS });
}

export interface VirtualAuthenticator {
  id: string;
  cdp: CDPSession;
  /** The passkeys it holds (credential ids, base64url without padding, and sign counts). */
  credentials(): Promise<Array<{ credentialId: string; signCount: number; isResidentCredential: boolean }>>;
  remove(): Promise<void>;
}

/**
 * A platform passkey provider for this page, through the DevTools WebAuthn domain: it makes
 * discoverable, user-verified credentials and approves every prompt at once (as if the user
 * touched the sensor). Pages must be served from http://localhost (an IP is not a valid RP ID).
 */
export async function addVirtualAuthenticator(page: Page): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    id: authenticatorId,
    cdp,
    async credentials() {
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      return credentials.map((c) => ({
        credentialId: c.credentialId.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''),
        signCount: c.signCount,
        isResidentCredential: c.isResidentCredential,
      }));
    },
    async remove() {
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    },
  };
}
