import { OnboardingError } from '../account/onboarding.ts';
import { OfflineError } from '../api/relay.ts';

/**
 * What to tell a person whose setup or join failed: the relay's refusal in its own words, "no
 * connection" (nothing was lost), or `otherwise`.
 */
export const onboardingFailure = (err: unknown, otherwise: string): string =>
  err instanceof OnboardingError
    ? err.message
    : err instanceof OfflineError
      ? 'The Confidant server cannot be reached. Check your connection and try again; nothing was lost.'
      : otherwise;

/** A plain-words error, announced to screen readers; renders nothing without a message. */
export function ErrorAlert({ message, id }: { message: string; id?: string }) {
  if (!message) return null;
  return (
    <p class="error" role="alert" {...(id ? { id } : {})}>
      {message}
    </p>
  );
}
