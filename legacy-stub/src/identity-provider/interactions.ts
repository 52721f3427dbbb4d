import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type Provider from 'oidc-provider';
import { errorPage, loginPage } from './pages.ts';
import type { Directory } from './users.ts';

/**
 * oidc-provider's interactions, the minimal way: a username + password form for the login
 * prompt, and consent granted without asking, since every client of this provider is the
 * organisation's own (first-party) application.
 */
export function interactionRouter(provider: Provider, directory: Directory): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '8kb' });

  router.get('/interaction/:uid', async (req, res) => {
    const interaction = await provider.interactionDetails(req, res);
    if (interaction.uid !== req.params['uid']) throw new Error('interaction does not match');
    if (interaction.prompt.name === 'login') {
      res.type('html').send(loginForm(interaction.uid, await clientName(provider, interaction.params)));
      return;
    }
    if (interaction.prompt.name === 'consent') {
      const details = interaction.prompt.details as {
        missingOIDCScope?: string[];
        missingOIDCClaims?: string[];
        missingResourceScopes?: Record<string, string[]>;
      };
      const accountId = interaction.session?.accountId;
      if (!accountId) throw new Error('consent without a signed-in account');
      const grant = interaction.grantId
        ? await provider.Grant.find(interaction.grantId)
        : new provider.Grant({ accountId, clientId: String(interaction.params['client_id']) });
      if (!grant) throw new Error('the grant of this interaction is gone');
      if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
      if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return;
    }
    res.status(400).type('html').send(errorPage({ error: 'unsupported_prompt', prompt: interaction.prompt.name }));
  });

  router.post('/interaction/:uid/login', form, async (req, res) => {
    const interaction = await provider.interactionDetails(req, res);
    if (interaction.uid !== req.params['uid'] || interaction.prompt.name !== 'login') {
      throw new Error('interaction does not match');
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const username = typeof body['username'] === 'string' ? body['username'].trim() : '';
    const password = typeof body['password'] === 'string' ? body['password'] : '';
    const user = directory.authenticate(username, password);
    if (!user) {
      const name = await clientName(provider, interaction.params);
      res.status(401).type('html').send(loginForm(interaction.uid, name, username, 'Wrong username or password.'));
      return;
    }
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: directory.subOf(user) } },
      { mergeWithLastSubmission: false },
    );
  });

  router.post('/interaction/:uid/abort', async (req, res) => {
    const interaction = await provider.interactionDetails(req, res);
    if (interaction.uid !== req.params['uid']) throw new Error('interaction does not match');
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'The person cancelled the sign-in.' },
      { mergeWithLastSubmission: false },
    );
  });

  // An expired or foreign interaction (cookie gone, uid mismatch): a page, not a stack trace.
  router.use('/interaction', (_err: Error, _req: Request, res: Response, _next: NextFunction) => {
    res
      .status(400)
      .type('html')
      .send(errorPage({ error: 'invalid_interaction', error_description: 'This sign-in has expired. Go back and start again.' }));
  });
  return router;
}

function loginForm(uid: string, clientName: string, username?: string, error?: string): string {
  return loginPage({
    action: `/interaction/${encodeURIComponent(uid)}/login`,
    abortAction: `/interaction/${encodeURIComponent(uid)}/abort`,
    clientName,
    ...(username !== undefined ? { username } : {}),
    ...(error !== undefined ? { error } : {}),
  });
}

async function clientName(provider: Provider, params: Record<string, unknown>): Promise<string> {
  const client = await provider.Client.find(String(params['client_id']));
  return client?.clientName ?? client?.clientId ?? 'the application';
}
