/**
 * Strict security headers on every response (Hono `secureHeaders`).
 *
 * The CSP allows only same-origin code and data: no inline script or style, no eval, no
 * framing, no plugins, no <base> rewriting. It is the policy of the PWA the relay serves
 * (relay/static.ts): scripts, styles, the service worker and the manifest from 'self'; images
 * also from data: (QR codes) and blob: (decrypted attachments, which never touch the server).
 * @module
 */
import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

const SELF = "'self'";
const NONE = "'none'";

export const securityHeaders = (): MiddlewareHandler =>
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: [NONE],
      scriptSrc: [SELF],
      styleSrc: [SELF],
      imgSrc: [SELF, 'data:', 'blob:'],
      fontSrc: [SELF],
      connectSrc: [SELF],
      workerSrc: [SELF],
      manifestSrc: [SELF],
      objectSrc: [NONE],
      baseUri: [NONE],
      formAction: [NONE],
      frameAncestors: [NONE],
    },
    crossOriginOpenerPolicy: 'same-origin',
    crossOriginResourcePolicy: 'same-origin',
    referrerPolicy: 'no-referrer',
    xFrameOptions: 'DENY',
    permissionsPolicy: {
      camera: [],
      microphone: [],
      geolocation: [],
      payment: [],
      usb: [],
    },
  });
